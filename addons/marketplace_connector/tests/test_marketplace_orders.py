from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import MarketplaceCommon


@tagged("post_install", "-at_install")
class TestMarketplaceOrders(MarketplaceCommon):
    def setUp(self):
        super().setUp()
        self._import_offers()

    def _prom_order(self, oid, product_index=0, qty=1, **kw):
        kw.setdefault("date", fields.Datetime.now().strftime("%Y-%m-%dT%H:%M:%S"))
        self.prom.add_order(oid, [{"id": 101 + product_index, "sku": f"SKU-{product_index + 1}", "name": "Товар",
                                   "quantity": qty, "price": 100.0}], **kw)

    def test_import_creates_confirmed_order_idempotently(self):
        partner = self.env["res.partner"].create({"name": "Петренко Олена", "mobile": "+380671234567"})
        self._prom_order(1, qty=2)
        self.prom_channel._import_orders()
        binding = self.env["marketplace.order"].search([("channel_id", "=", self.prom_channel.id)])
        self.assertEqual(len(binding), 1)
        order = binding.sale_order_id
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.partner_id, partner, "customer matched by phone")
        self.assertEqual(order.order_line.product_id, self.products[0])
        self.assertEqual(order.picking_ids.move_ids.product_uom_qty, 2.0)
        self.assertEqual(order.picking_ids.state, "assigned", "stock reserved")
        self.assertAlmostEqual(binding.commission, 10.0)  # 5 % of 200
        self.assertEqual((binding.city, binding.np_branch), ("Львів", "5"))
        self.assertTrue(self.prom_channel.order_cursor)
        # the next poll re-reads the overlap window: same order, no duplicate
        self.prom_channel._import_orders()
        self.prom_channel._import_orders()
        self.assertEqual(self.env["marketplace.order"].search_count([("channel_id", "=", self.prom_channel.id)]), 1)
        self.assertEqual(self.env["sale.order"].search_count([("marketplace_order_id", "=", binding.id)]), 1)
        since = self.prom.requests_to(r".*/orders/list")[-1].query["last_modified_from"]
        self.assertLess(since.replace("T", " "), str(self.prom_channel.order_cursor))

    def test_unmapped_lines_go_to_exception(self):
        self.prom.add_order(2, [{"id": 199, "sku": "UNKNOWN", "name": "Не наш товар", "quantity": 1,
                                 "price": 10.0}])
        self.prom_channel._import_orders()
        binding = self.env["marketplace.order"].search(
            [("channel_id", "=", self.prom_channel.id), ("external_id", "=", "2")])
        self.assertEqual((binding.state, binding.exception_reason), ("exception", "unmapped"))
        self.assertIn("Не наш товар", binding.exception_message)
        self.assertFalse(binding.sale_order_id)
        self.assertEqual(self.prom_channel.exception_count, 1)
        # map the offer, retry
        offer = self.prom_channel.offer_ids.filtered(lambda o: o.external_id == "199")
        offer.product_id = self.products[2]
        binding.action_retry()
        self.assertEqual(binding.state, "imported")
        self.assertEqual(binding.sale_order_id.order_line.product_id, self.products[2])

    def test_last_unit_sold_once_and_zero_pushed_everywhere(self):
        product = self.products[1]
        quant = self.env["stock.quant"].search([("product_id", "=", product.id), ("location_id", "=", self.stock.id)])
        quant.inventory_quantity = 1
        quant.action_apply_inventory()
        self._prom_order(3, product_index=1)
        self.rozetka.add_order(7, [{"item_id": 502, "quantity": 1, "price": 200, "article": "SKU-2"}])
        self.prom_channel._import_orders()
        self.rozetka_channel._import_orders()
        prom_binding = self.env["marketplace.order"].search([("channel_id", "=", self.prom_channel.id)])
        rozetka_binding = self.env["marketplace.order"].search([("channel_id", "=", self.rozetka_channel.id)])
        self.assertEqual(prom_binding.state, "imported")
        self.assertEqual((rozetka_binding.state, rozetka_binding.exception_reason), ("exception", "out_of_stock"))
        self.assertEqual(self.prom.products[102]["quantity_in_stock"], 0)
        self.assertEqual(self.rozetka.items[502]["stock_quantity"], 0)
        reserved = sum(self.env["stock.move"].search([("product_id", "=", product.id),
                                                       ("state", "=", "assigned")]).mapped("quantity"))
        self.assertEqual(reserved, 1.0)

    def test_status_back_to_marketplaces(self):
        self._prom_order(4)
        self.rozetka.add_order(8, [{"item_id": 501, "quantity": 1, "price": 100, "article": "SKU-1"}])
        self.prom_channel._import_orders()
        self.rozetka_channel._import_orders()
        prom_order = self.env["marketplace.order"].search(
            [("channel_id", "=", self.prom_channel.id), ("external_id", "=", "4")]).sale_order_id
        rozetka_binding = self.env["marketplace.order"].search(
            [("channel_id", "=", self.rozetka_channel.id), ("external_id", "=", "8")])
        self._send_statuses()
        picking = prom_order.picking_ids
        picking.carrier_tracking_ref = "20450000000077"
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking._action_done()
        self._send_statuses()
        self.assertEqual(self.prom.declarations[-1]["declaration_id"], "20450000000077")
        self.assertEqual(self.prom.statuses[-1][1], "received")
        # Rozetka requires the TTN to hand over: without one the update is refused with the reason, nothing sent
        rz_picking = rozetka_binding.sale_order_id.picking_ids
        rz_picking.move_ids.quantity = 1
        rz_picking.move_ids.picked = True
        rz_picking._action_done()
        self._send_statuses()
        self.assertEqual(rozetka_binding.status_state, "refused")
        self.assertIn("TTN", rozetka_binding.status_error)
        self.assertEqual([body["status"] for _id, body in self.rozetka.status_updates], [26], "only 'confirmed'")
        # cancellation with reason
        self._prom_order(5)
        self.prom_channel._import_orders()
        binding = self.env["marketplace.order"].search(
            [("channel_id", "=", self.prom_channel.id), ("external_id", "=", "5")])
        binding.sale_order_id.with_context(marketplace_cancel_reason="not_available")._action_cancel()
        self.assertEqual(binding.status_state, "pending")
        self.assertNotEqual(binding.state, "cancelled", "not shown cancelled before the marketplace accepted it")
        self._send_statuses()
        self.assertEqual(binding.state, "cancelled")
        self.assertEqual(self.prom.statuses[-1][2]["cancellation_reason"], "not_available")

    def test_pnl_report(self):
        self._prom_order(6, qty=3)
        self.prom_channel._import_orders()
        self.env.flush_all()
        line = self.env["marketplace.pnl.report"].search([("channel_id", "=", self.prom_channel.id)])
        self.assertEqual(len(line), 1)
        self.assertEqual(line.order_id.amount_total, 300.0, "the buyer paid 300, VAT included")
        self.assertAlmostEqual(line.revenue, line.order_id.amount_untaxed, places=2)
        self.assertAlmostEqual(line.commission, 15.0)
        self.assertAlmostEqual(line.margin, line.order_id.amount_untaxed - line.cost - 15.0, places=2)


@tagged("post_install", "-at_install")
class TestMarketplaceFeed(HttpCase):
    def test_feed_token_and_content(self):
        product = self.env["product.product"].create({"name": "Feed item", "default_code": "FEED-1",
                                                      "is_storable": True, "list_price": 55.0})
        channel = self.env["marketplace.channel"].create({"name": "Feed channel", "channel_type": "prom",
                                                          "api_token": "x",
                                                          "currency_id": self.env.company.currency_id.id})
        self.env["marketplace.offer"].create({"channel_id": channel.id, "external_id": "1", "product_id": product.id})
        bad = self.url_open(f"/marketplace/feed/{channel.id}/wrong.xml")
        self.assertEqual(bad.status_code, 403)
        reply = self.url_open(f"/marketplace/feed/{channel.id}/{channel.feed_token}.xml")
        self.assertEqual(reply.status_code, 200)
        self.assertIn(f'<offer id="{product.id}" available="false">', reply.text)
        self.assertIn("<price>55.00</price>", reply.text)
        self.assertEqual(channel.feed_built_version, channel.feed_version)
        attachment = channel.feed_attachment_id
        self.env["stock.quant"]._update_available_quantity(product, channel.warehouse_id.lot_stock_id, 3)
        reply = self.url_open(f"/marketplace/feed/{channel.id}/{channel.feed_token}.xml")
        self.assertIn("<stock_quantity>3</stock_quantity>", reply.text)
        self.assertEqual(channel.feed_attachment_id, attachment)
