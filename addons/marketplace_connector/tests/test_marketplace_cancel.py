from odoo import fields
from odoo.tests import tagged

from .common import MarketplaceCommon


@tagged("post_install", "-at_install")
class TestMarketplaceCancelReasons(MarketplaceCommon):
    """Cancellation reason and delivery type come from the order (issue 13)."""

    def setUp(self):
        super().setUp()
        self._import_offers()

    def _binding(self, channel, oid):
        return self.env["marketplace.order"].search([("channel_id", "=", channel.id), ("external_id", "=", str(oid))])

    def test_prom_reason_and_delivery_type_from_the_order(self):
        now = fields.Datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
        line = [{"id": 101, "sku": "SKU-1", "name": "Товар", "quantity": 1, "price": 100.0}]
        self.prom.add_order(41, line, date=now, delivery_provider_data={
            "provider": "ukrposhta", "type": "W2W", "recipient_warehouse_id": "01001"})
        self.prom.add_order(42, line, date=now)
        self.prom_channel._import_orders()
        shipped, cancelled = self._binding(self.prom_channel, 41), self._binding(self.prom_channel, 42)
        self.assertEqual(shipped.delivery_provider, "ukrposhta")
        shipped._queue_waybill("0500012345678")
        self._send_statuses()
        self.assertEqual(self.prom.declarations[-1]["delivery_type"], "ukrposhta", "not a constant nova_poshta")
        cancelled.write({"cancel_reason": "invalid_phone_number", "cancel_note": "Номер не відповідає"})
        cancelled.sale_order_id._action_cancel()
        self._send_statuses()
        body = self.prom.statuses[-1][2]
        self.assertEqual((body["status"], body["cancellation_reason"], body["cancellation_text"]),
                         ("canceled", "invalid_phone_number", "Номер не відповідає"))

    def test_rozetka_seller_cancellation_is_not_the_buyers(self):
        self.rozetka.add_order(51, [{"item_id": 501, "quantity": 1, "price": 100, "article": "SKU-1"}])
        self.rozetka.add_order(52, [{"item_id": 502, "quantity": 1, "price": 200, "article": "SKU-2"}])
        self.rozetka_channel._import_orders()
        seller, buyer = self._binding(self.rozetka_channel, 51), self._binding(self.rozetka_channel, 52)
        seller.sale_order_id._action_cancel()  # the seller cancels without giving a reason
        self._send_statuses()
        self.assertEqual(self.rozetka.orders[51]["status"], 42, "seller's cancellation, not 45 'cancelled by buyer'")
        buyer.cancel_reason = "buyers_request"
        buyer.sale_order_id._action_cancel()
        self._send_statuses()
        self.assertEqual(self.rozetka.orders[52]["status"], 45)
