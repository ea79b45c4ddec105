from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from tests.fakes.viber import contact_event, conversation_started_event, encode, message_event, webhook_event

from .common import VIBER_TOKEN, ChatbotHttpCommon


@tagged("post_install", "-at_install")
class TestViberWebhook(ChatbotHttpCommon):

    def test_signature_required(self):
        before = self.env["chatbot.update"].search_count([])
        event = message_event("v1=", "Хочу диван")
        raw, headers = encode(VIBER_TOKEN, event)
        self.assertEqual(self.post_viber(event, raw=raw).status_code, 403)  # no signature header
        self.assertEqual(self.post_viber(event, raw=raw, signature="0" * 64).status_code, 403)
        self.assertEqual(self.post_viber(event, token="another-token").status_code, 403)
        tampered = raw.replace("диван".encode(), "шафу".encode())
        self.assertEqual(self.post_viber(event, raw=tampered,
                                         signature=headers["X-Viber-Content-Signature"]).status_code, 403)
        self.assertEqual(self.env["chatbot.update"].search_count([]), before)
        self.assertFalse(self.conversation(self.viber_bot, "v1="))

    def test_webhook_check_and_malformed(self):
        self.assertEqual(self.post_viber(webhook_event()).status_code, 200)
        raw = b'{"event": "message", '
        from tests.fakes.viber import sign
        self.assertEqual(self.post_viber(None, raw=raw, signature=sign(VIBER_TOKEN, raw)).status_code, 400)
        raw = b'{"event": "message", "message_token": 1}'
        self.assertEqual(self.post_viber(None, raw=raw, signature=sign(VIBER_TOKEN, raw)).status_code, 400)
        self.assertEqual(self.env["chatbot.update"].search_count([("bot_id", "=", self.viber_bot.id)]), 0)

    def test_viber_flow(self):
        user = "01234567890A="
        self.env["utm.campaign"].create({"title": "black friday", "name": "black friday"})
        response = self.post_viber(conversation_started_event(user, context="facebook__black_friday"))
        self.assertEqual(response.status_code, 200)
        welcome = response.json()
        self.assertEqual(welcome["type"], "text")
        self.assertEqual(welcome["sender"]["name"], "Shop")
        self.assertEqual(welcome["keyboard"]["Buttons"][0]["ActionType"], "share-phone")
        conversation = self.conversation(self.viber_bot, user)
        self.assertEqual(conversation.source_id.name.lower(), "facebook")
        self.assertEqual(conversation.campaign_id.name, "black friday")

        self.post_viber(contact_event(user, "380670001122"))
        # a Viber contact card does not tell whose number it is: stored, not trusted
        self.assertEqual(conversation.phone, "+380670001122")
        self.assertFalse(conversation.partner_id)
        self.assertFalse(self.partner.chatbot_viber_id)
        event = message_event(user, "Потрібна пральна машина")
        self.post_viber(event)
        self.post_viber(event)  # Viber retried the same message_token
        lead = conversation.lead_id
        self.assertEqual(self.env["crm.lead"].search_count([("chatbot_conversation_id", "=", conversation.id)]), 1)
        self.assertEqual(lead.chatbot_channel, "viber")
        self.assertEqual(lead.source_id.name.lower(), "facebook")
        self.assertEqual(len(conversation.message_ids.filtered(lambda m: m.direction == "in")), 3)
        self.send_queue()
        sent = self.viber_fake.messages_to(user)
        self.assertEqual(len(sent), 2)
        self.assertIn(lead.chatbot_reference, sent[-1]["text"])
        self.assertEqual(self.viber_fake.requests_to(r"/pa/send_message")[0].header("X-Viber-Auth-Token"), VIBER_TOKEN)
        # the welcome answered inline counts as the bot's first answer
        self.assertTrue(lead.chatbot_bot_response_date)

    def test_24h_session_rule(self):
        user = "v24h="
        self.post_viber(message_event(user, "Питання щодо доставки"))
        conversation = self.conversation(self.viber_bot, user)
        self.send_queue()
        conversation.last_inbound_date = fields.Datetime.now() - timedelta(hours=25)
        late = conversation._chatbot_queue("Ваше замовлення відправлено", kind="notification")
        reply = conversation._chatbot_queue("Відповідь", kind="reply")
        self.send_queue()
        self.assertEqual(late.state, "cancelled")
        self.assertIn("24-hour", late.error)
        self.assertEqual(reply.state, "sent", "replies are not bot-initiated paid messages")
        self.viber_bot.viber_paid_messages = True
        paid = conversation._chatbot_queue("Ваше замовлення відправлено", kind="notification")
        self.send_queue()
        self.assertEqual(paid.state, "sent")

    def test_unsubscribed_and_not_subscribed(self):
        user = "vunsub="
        self.post_viber(message_event(user, "Привіт"))
        self.viber_fake.accept_all = False  # receiverNotSubscribed -> permanent failure
        try:
            self.send_queue()
        finally:
            self.viber_fake.accept_all = True
        conversation = self.conversation(self.viber_bot, user)
        failed = conversation.message_ids.filtered(lambda m: m.direction == "out")
        self.assertEqual(failed.state, "failed")
        self.assertIn("receiverNotSubscribed", failed.error)
        self.post_viber({"event": "unsubscribed", "timestamp": 1763719200123, "user_id": user,
                         "message_token": 4912661846655238145})
        self.assertEqual(conversation.state, "unsubscribed")
        queued = conversation._chatbot_queue("test")
        self.send_queue()
        self.assertEqual(queued.state, "cancelled")
