import xml.etree.ElementTree as ET

from odoo import fields
from odoo.tests import tagged

from .common import MarketplaceCommon


@tagged("post_install", "-at_install")
class TestMarketplaceCurrency(MarketplaceCommon):
    """Marketplaces sell in hryvnia: a pricelist in another currency is converted at the day's rate."""

    def setUp(self):
        super().setUp()
        company = self.env.company
        uah = self.env.ref("base.UAH")
        # the channel currency differs from the pricelist's (the company currency) whatever the test DB uses
        self.target = uah if company.currency_id != uah else self.env.ref("base.USD")
        self.target.active = True
        self.env["res.currency.rate"].search([("currency_id", "=", self.target.id)]).unlink()
        self.env["res.currency.rate"].create({
            "currency_id": self.target.id, "company_id": company.id, "name": fields.Date.today(), "rate": 40.0})
        self.prom_channel.currency_id = self.target
        self.assertEqual(self.pricelist.currency_id, company.currency_id)
        self._import_offers()

    def test_push_feed_and_orders_use_the_channel_currency(self):
        self._push_all()
        self.assertEqual(self.prom.products[101]["price"], 4000.0, "100 in the pricelist currency x 40")
        self.assertEqual(self.prom.products[102]["price"], 8000.0)
        root = ET.fromstring(self.prom_channel._prepare_feed_xml())
        self.assertEqual(root.find("shop/currencies/currency").get("id"), self.target.name)
        offer = next(o for o in root.iter("offer") if o.findtext("vendorCode") == "SKU-1")
        self.assertEqual((offer.findtext("price"), offer.findtext("currencyId")), ("4000.00", self.target.name))
        # an order at the marketplace price becomes a sale order in the pricelist currency
        self.prom.add_order(31, [{"id": 101, "sku": "SKU-1", "name": "Товар 1", "quantity": 1, "price": 4000.0}])
        self.prom_channel._import_orders()
        order = self.env["marketplace.order"].search(
            [("channel_id", "=", self.prom_channel.id), ("external_id", "=", "31")]).sale_order_id
        self.assertEqual(order.currency_id, self.pricelist.currency_id)
        self.assertAlmostEqual(order.order_line.price_unit, 100.0)
        # the P&L adds up in one currency: the 5 % commission (200 in the marketplace currency) is 5 there
        binding = order.marketplace_order_id
        self.assertAlmostEqual(binding.commission, 200.0)
        self.env.flush_all()
        pnl = self.env["marketplace.pnl.report"].search([("order_id", "=", order.id)])
        self.assertAlmostEqual(pnl.commission, 5.0)

    def test_rate_change_reprices(self):
        self._push_all()
        self.env["res.currency.rate"].search([("currency_id", "=", self.target.id)]).rate = 42.0
        self.prom_channel.action_full_resync()
        self.assertEqual(self.prom.products[101]["price"], 4200.0)
