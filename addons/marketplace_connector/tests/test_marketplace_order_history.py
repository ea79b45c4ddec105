"""A marketplace order shows its lines and its history, and the sale order links back to it."""

from odoo import fields
from odoo.tests import tagged

from .common import MarketplaceCommon


@tagged("post_install", "-at_install")
class TestMarketplaceOrderHistory(MarketplaceCommon):
    def setUp(self):
        super().setUp()
        self._import_offers()

    def _binding(self, oid):
        return self.env["marketplace.order"].search([("channel_id", "=", self.prom_channel.id),
                                                     ("external_id", "=", str(oid))])

    def test_lines_history_and_link_back(self):
        date = fields.Datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
        self.prom.add_order(61, [{"id": 101, "sku": "SKU-1", "name": "Товар", "quantity": 2, "price": 100.0}],
                            date=date)
        self.prom.add_order(62, [{"id": 199, "sku": "UNKNOWN", "name": "Не наш товар", "quantity": 1,
                                  "price": 75.0}], date=date)
        self.prom_channel._import_orders()
        imported, exception = self._binding(61), self._binding(62)
        # the imported order shows its sale order lines; the sale order links back
        self.assertEqual(imported.order_line_ids, imported.sale_order_id.order_line)
        action = imported.sale_order_id.action_view_marketplace_order()
        self.assertEqual((action["res_model"], action["res_id"]), ("marketplace.order", imported.id))
        arch = self.env["sale.order"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("action_view_marketplace_order", arch)
        # the exception shows the lines as the marketplace sent them, with the currency
        self.assertFalse(exception.sale_order_id)
        self.assertIn("Не наш товар", exception.marketplace_lines)
        self.assertIn(exception.currency_id.symbol, exception.marketplace_lines)
        form = self.env["marketplace.order"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("marketplace_lines", form)
        self.assertIn("chatter", form)
        # history: once mapped and retried, the state change is on the order's chatter
        self.env["marketplace.offer"].search([("channel_id", "=", self.prom_channel.id),
                                              ("external_id", "=", "199")]).product_id = self.products[1]
        exception.action_retry()
        self.assertEqual(exception.state, "imported")
        self.env.flush_all()
        tracked = exception.message_ids.tracking_value_ids.filtered(lambda t: t.field_id.name == "state")
        self.assertTrue(tracked, "the state change is in the order's history")


@tagged("post_install", "-at_install")
class TestMarketplaceChannelCurrency(MarketplaceCommon):
    def test_warns_when_hryvnia_is_not_active_or_not_used(self):
        uah = self.env.ref("base.UAH")
        uah.active = True
        channel = self.env["marketplace.channel"].create({"name": "UAH shop", "channel_type": "prom"})
        self.assertEqual(channel.currency_id, uah, "a marketplace channel defaults to hryvnia")
        self.assertFalse(channel.currency_warning)
        channel.currency_id = self.env.ref("base.EUR")
        self.assertIn("sell in hryvnia", channel.currency_warning)
        self.env["marketplace.channel"].invalidate_model(["currency_warning"])
        uah.active = False
        self.env["marketplace.channel"].invalidate_model(["currency_warning"])
        self.assertIn("Hryvnia (UAH) is not active", channel.currency_warning)
