from odoo import fields
from odoo.tests import tagged

from .common import MarketplaceCommon


@tagged("post_install", "-at_install")
class TestMarketplacePnl(MarketplaceCommon):
    def test_pnl_delivery_fee_is_revenue_and_carrier_price_is_cost(self):
        self.prom_channel.action_import_offers()
        self.products[0].standard_price = 60.0
        self.prom.add_order(61, [{"id": 101, "sku": "SKU-1", "name": "Товар", "quantity": 2, "price": 100.0}],
                            date=fields.Datetime.now().strftime("%Y-%m-%dT%H:%M:%S"))
        self.prom_channel._import_orders()
        binding = self.env["marketplace.order"].search(
            [("channel_id", "=", self.prom_channel.id), ("external_id", "=", "61")])
        order = binding.sale_order_id
        self.assertEqual(order.state, "sale")
        fee = self.env["product.product"].create({"name": "Доставка НП", "type": "service", "standard_price": 0})
        self.env["sale.order.line"].create({"order_id": order.id, "product_id": fee.id, "product_uom_qty": 1,
                                            "price_unit": 50.0, "is_delivery": True})
        self.env.flush_all()
        line = self.env["marketplace.pnl.report"].search([("order_id", "=", order.id)])
        # goods 200 (marketplace price, VAT included) + delivery fee 50, both net of VAT
        self.assertAlmostEqual(line.revenue, order.amount_untaxed, places=2)
        self.assertAlmostEqual(line.cost, 120.0)
        self.assertAlmostEqual(line.commission, 10.0)
        self.assertAlmostEqual(line.delivery_cost, 0.0)
        # the carrier's price for the waybill is the delivery cost
        order.picking_ids.carrier_price = 70.0
        self.env.flush_all()
        self.env.invalidate_all()
        line = self.env["marketplace.pnl.report"].search([("order_id", "=", order.id)])
        self.assertAlmostEqual(line.delivery_cost, 70.0)
        self.assertAlmostEqual(line.margin, order.amount_untaxed - 120.0 - 10.0 - 70.0, places=2)
