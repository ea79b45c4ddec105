from odoo.tests import tagged

from tests.fakes.base import Fault
from tests.fakes.telegram import contact_update, text_update

from .common import ChatbotHttpCommon


@tagged("post_install", "-at_install")
class TestChatbotNotifications(ChatbotHttpCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["product.product"].create({
            "name": "Диван Сірий", "type": "consu", "is_storable": True, "list_price": 12000})
        cls.stage = cls.env["crm.stage"].create({
            "name": "Proposal sent", "chatbot_notify": True,
            "chatbot_template": "Request {reference}: {stage}. We sent you a proposal."})
        cls.quiet_stage = cls.env["crm.stage"].create({"name": "Internal review"})

    def _lead_for(self, chat, verified=True):
        self.post_tg(contact_update(chat, "380670001122", own=verified))
        self.post_tg(text_update(chat, "Диван сірий"))
        self.send_queue()
        return self.conversation(self.tg_bot, chat).lead_id

    def test_stage_notification_with_messenger_down(self):
        chat = 888001
        lead = self._lead_for(chat)
        sent_before = len(self.tg_fake.messages_to(chat))
        lead.stage_id = self.quiet_stage
        lead.stage_id = self.stage
        notifications = lead.chatbot_message_ids.filtered(lambda m: m.kind == "notification")
        self.assertEqual(len(notifications), 1)
        self.assertEqual(notifications.body,
                         f"Request {lead.chatbot_reference}: Proposal sent. We sent you a proposal.")
        self.tg_fake.fail_next(Fault.server_error(
            503, '{"ok":false,"error_code":503,"description":"Service Unavailable"}'), times=1)
        self.send_queue()
        self.assertEqual(notifications.state, "queued")
        notifications.next_try = notifications.create_date
        self.send_queue()
        self.assertEqual(notifications.state, "sent")
        self.assertEqual(len(self.tg_fake.messages_to(chat)), sent_before + 1)
        self.assertTrue(any("We sent you a proposal" in b for b in lead.message_ids.mapped("body")))

    def test_order_confirmed_shipped_and_where_is_my_order(self):
        chat = 888002
        lead = self._lead_for(chat)
        order = self.env["sale.order"].create({
            "partner_id": self.partner.id, "opportunity_id": lead.id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})]})
        order.action_confirm()
        self.send_queue()
        conversation = lead.chatbot_conversation_id
        _ = conversation._chatbot_env_lang().env._  # the customer's language (uk when installed)
        confirmed = self.tg_fake.messages_to(chat)[-1]["text"]
        self.assertIn(order.name, confirmed)
        self.assertEqual(confirmed, _("Your order %(order)s is confirmed. Total: %(amount)s.",
                                      order=order.name, amount=order.currency_id.format(order.amount_total)))
        picking = order.picking_ids
        self.assertTrue(picking)
        if "carrier_tracking_ref" in picking._fields:
            picking.carrier_tracking_ref = "20450000123456"
        self.env["stock.quant"]._update_available_quantity(self.product, picking.location_id, 1)
        picking.action_assign()
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        self.send_queue()
        shipped = self.tg_fake.messages_to(chat)[-1]["text"]
        self.assertIn(order.name, shipped)
        self.assertNotEqual(shipped, confirmed)
        self.assertEqual(len([m for m in self.tg_fake.messages_to(chat) if order.name in m["text"]]), 2)
        # where is my order
        other = self.env["sale.order"].create({
            "partner_id": self.env["res.partner"].create({"name": "Інший клієнт"}).id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 2})]})
        self.post_tg(text_update(chat, "/orders"))
        self.send_queue()
        answer = self.tg_fake.messages_to(chat)[-1]["text"]
        self.assertIn(order.name, answer)
        self.assertNotIn(other.name, answer, "only the matched partner's orders")
        if "carrier_tracking_ref" in picking._fields:
            self.assertIn("20450000123456", answer)
        # the keyboard button text works too
        self.post_tg(text_update(chat, "📦 My orders"))
        self.send_queue()
        self.assertIn(order.name, self.tg_fake.messages_to(chat)[-1]["text"])
