from odoo import fields
from odoo.tests import tagged

from .common import MarketplaceCommon


@tagged("post_install", "-at_install")
class TestMarketplaceDelivered(MarketplaceCommon):
    def _shipped_prom_order(self, oid):
        self.prom_channel.action_import_offers()
        self.prom.add_order(oid, [{"id": 101, "sku": "SKU-1", "name": "Товар", "quantity": 1, "price": 100.0}],
                            date=fields.Datetime.now().strftime("%Y-%m-%dT%H:%M:%S"))
        self.prom_channel._import_orders()
        binding = self.env["marketplace.order"].search(
            [("channel_id", "=", self.prom_channel.id), ("external_id", "=", str(oid))])
        picking = binding.sale_order_id.picking_ids
        picking.carrier_tracking_ref = "20450000002545"
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking._action_done()
        self._send_statuses()
        self.assertEqual(binding.last_status_sent, "shipped")
        return binding, picking

    def test_delivered_reported_once(self):
        binding, picking = self._shipped_prom_order(71)
        picking._marketplace_delivered()
        self._send_statuses()
        self.assertEqual(binding.last_status_sent, "delivered")
        self.assertEqual(binding.marketplace_status, "delivered")
        self.assertEqual(self.prom.statuses[-1][:2], (71, "delivered"))
        sent = len(self.prom.statuses)
        picking._marketplace_delivered()
        self._send_statuses()
        self.assertEqual(len(self.prom.statuses), sent, "not sent twice")

    def test_carrier_tracking_state_triggers_delivered(self):
        binding, picking = self._shipped_prom_order(72)
        if "nova_poshta_state" not in picking._fields:
            self.skipTest("nova_poshta is not installed")
        picking.write({"nova_poshta_state": "delivered"})
        self._send_statuses()
        self.assertEqual(binding.last_status_sent, "delivered")
        self.assertEqual(self.prom.statuses[-1][:2], (72, "delivered"))
