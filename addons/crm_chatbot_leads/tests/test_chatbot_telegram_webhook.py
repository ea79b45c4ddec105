from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from tests.fakes.base import Fault
from tests.fakes.telegram import callback_update, contact_update, start_update, text_update

from .common import ChatbotHttpCommon


@tagged("post_install", "-at_install")
class TestTelegramWebhook(ChatbotHttpCommon):

    def _counts(self):
        return (self.env["chatbot.update"].search_count([]), self.env["chatbot.conversation"].search_count([]),
                self.env["chatbot.message"].search_count([]), self.env["crm.lead"].search_count([]))

    def test_auth_failures_write_nothing(self):
        before = self._counts()
        update = text_update(501, "Хочу диван")
        self.assertEqual(self.post_tg(update, secret=None).status_code, 403)
        self.assertEqual(self.post_tg(update, secret="wrong").status_code, 403)
        self.assertEqual(self.post_tg(update, secret="s3cr3t_Secret-12").status_code, 403)
        self.assertEqual(self.post_tg(update, url="/chatbot/telegram/not-a-route").status_code, 403)
        # a Viber route token does not open the Telegram route
        viber_route = f"/chatbot/telegram/{self.viber_bot.sudo().route_token}"
        self.assertEqual(self.post_tg(update, url=viber_route).status_code, 403)
        self.tg_bot.active = False
        self.assertEqual(self.post_tg(update).status_code, 403)
        self.tg_bot.active = True
        self.assertEqual(self._counts(), before)

    def test_malformed_and_unknown_bodies(self):
        before = self._counts()
        response = self.post_tg(None, raw=b'{"update_id": 1, "message": ')
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["reason"], "malformed JSON")
        self.assertEqual(self.post_tg(None, raw=b"\xff\xfe").status_code, 400)
        self.assertEqual(self.post_tg({"hello": "world"}).status_code, 400)
        self.assertEqual(self.post_tg({"update_id": 7, "message": {"chat": 5}}).status_code, 400)
        response = self.post_tg({"update_id": 8, "poll_answer": {"poll_id": "1", "option_ids": [0]}})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["reason"], "ignored")
        self.assertEqual(self._counts(), before)

    def test_full_conversation_creates_lead(self):
        chat = 777001
        # deep links select the sources/campaigns marketing created (strangers' payloads create nothing)
        self.env["utm.source"].create({"name": "instagram"})
        self.env["utm.campaign"].create({"title": "spring sale", "name": "spring sale"})
        self.assertEqual(self.post_tg(start_update(chat, payload="instagram__spring_sale")).status_code, 200)
        conversation = self.conversation(self.tg_bot, chat)
        self.assertEqual(conversation.state, "awaiting_phone")
        self.assertEqual(conversation.source_id.name, "instagram")
        self.assertEqual(conversation.campaign_id.name, "spring sale")
        self.assertEqual(self.send_queue(), 1)
        welcome = self.tg_fake.messages_to(chat)[0]
        self.assertEqual(welcome["reply_markup"]["keyboard"][0][0]["request_contact"], True)

        # own contact: normalised phone, partner matched by phone, messenger id remembered
        self.post_tg(contact_update(chat, "380670001122"))
        self.assertEqual(conversation.phone, "+380670001122")
        self.assertTrue(conversation.phone_verified)
        self.assertEqual(conversation.partner_id, self.partner)
        self.assertEqual(self.partner.chatbot_telegram_id, str(chat))

        self.post_tg(text_update(chat, "Потрібен диван сірий\nдо 20 000 грн"))
        lead = conversation.lead_id
        self.assertTrue(lead)
        self.assertEqual(lead.partner_id, self.partner)
        self.assertEqual(lead.phone, "+380670001122")
        self.assertIn("Потрібен диван сірий", lead.description)
        self.assertEqual(lead.team_id, self.team)
        self.assertEqual(lead.user_id, self.salesman)
        self.assertEqual(lead.tag_ids, self.tag)
        self.assertEqual(lead.source_id.name, "instagram")
        self.assertEqual(lead.campaign_id.name, "spring sale")
        self.assertEqual(lead.chatbot_channel, "telegram")
        self.assertTrue(lead.activity_ids.filtered(lambda a: a.user_id == self.salesman), "salesperson notified")
        # the bot's answers go out through the queue
        self.assertEqual(self.send_queue(), 2)
        texts = [m["text"] for m in self.tg_fake.messages_to(chat)]
        self.assertIn(f"{lead.chatbot_reference}", texts[-1])
        # conversation on the chatter: /start, contact, request and the bot's answers
        bodies = lead.message_ids.mapped("body")
        self.assertTrue(any("Потрібен диван сірий" in b for b in bodies))
        self.assertTrue(any("+380670001122" in b for b in bodies))
        self.assertTrue(any("/start" in b for b in bodies))
        self.assertTrue(any(lead.chatbot_reference in b for b in bodies))
        self.assertEqual(len(lead.chatbot_message_ids), 6)
        # first bot answer: first customer message (/start) -> welcome; no salesperson has answered yet
        self.assertTrue(lead.chatbot_bot_response_date)
        self.assertGreaterEqual(lead.chatbot_bot_response_seconds, 0)
        self.assertFalse(lead.chatbot_first_response_date)

        # a follow-up goes to the same open lead
        self.post_tg(text_update(chat, "І ще крісло"))
        self.assertEqual(self.env["crm.lead"].search_count([("chatbot_conversation_id", "=", conversation.id)]), 1)
        self.assertIn("І ще крісло", lead.description)

    def test_duplicate_update_is_ignored(self):
        update = text_update(777002, "Хочу шафу")
        self.assertEqual(self.post_tg(update).json()["reason"], "processed")
        self.assertEqual(self.post_tg(update).json()["reason"], "duplicate")
        conversation = self.conversation(self.tg_bot, 777002)
        self.assertEqual(self.env["crm.lead"].search_count([("chatbot_conversation_id", "=", conversation.id)]), 1)
        self.assertEqual(len(conversation.message_ids.filtered(lambda m: m.direction == "in")), 1)
        self.assertEqual(len(conversation.message_ids.filtered(lambda m: m.direction == "out")), 1)
        self.assertEqual(self.env["chatbot.update"].search_count([("external_id", "=", str(update["update_id"]))]), 1)

    def test_text_first_then_phone(self):
        chat = 777003
        self.post_tg(text_update(chat, "Є в наявності холодильник?", first_name="Ігор"))
        conversation = self.conversation(self.tg_bot, chat)
        lead = conversation.lead_id
        self.assertTrue(lead)
        self.assertFalse(lead.partner_id)
        self.assertEqual(conversation.state, "awaiting_phone")
        self.send_queue()
        reply = self.tg_fake.messages_to(chat)[-1]
        self.assertIn(lead.chatbot_reference, reply["text"])
        self.assertTrue(reply["reply_markup"]["keyboard"][0][0]["request_contact"])
        # somebody else's contact is stored on the lead but does not link a partner
        self.post_tg(contact_update(chat, "0670001122", own=False))
        self.assertEqual(lead.phone, "+380670001122")
        self.assertFalse(conversation.partner_id)
        self.assertFalse(lead.partner_id)

    def test_typed_phone_is_not_trusted_for_orders(self):
        chat = 777004
        self.post_tg(start_update(chat))
        self.post_tg(text_update(chat, "067 000 11 22"))
        conversation = self.conversation(self.tg_bot, chat)
        self.assertEqual(conversation.phone, "+380670001122")
        self.assertFalse(conversation.partner_id, "a typed number must not give access to someone's orders")
        self.assertFalse(conversation.lead_id)
        self.post_tg(text_update(chat, "/orders"))
        self.send_queue()
        answer = self.tg_fake.messages_to(chat)[-1]
        self.assertTrue(answer["reply_markup"]["keyboard"][0][0]["request_contact"], "asks for the shared contact")
        self.assertNotIn("S0", answer["text"])

    def test_partner_matched_by_messenger_id(self):
        chat = 777005
        self.partner.chatbot_telegram_id = str(chat)
        self.post_tg(text_update(chat, "Доброго дня, потрібна консультація"))
        conversation = self.conversation(self.tg_bot, chat)
        self.assertEqual(conversation.partner_id, self.partner)
        self.assertEqual(conversation.lead_id.partner_id, self.partner)

    def test_callback_query_is_answered(self):
        chat = 777006
        self.post_tg(callback_update(chat, "orders"))
        self.send_queue()
        self.assertEqual(len(self.tg_fake.requests_to(r"/bot.*/answerCallbackQuery")), 1)
        self.assertEqual(len(self.tg_fake.messages_to(chat)), 1)

    def test_messenger_down_then_up(self):
        chat = 777007
        self.post_tg(text_update(chat, "Хочу стіл"))
        message = self.conversation(self.tg_bot, chat).message_ids.filtered(lambda m: m.direction == "out")
        self.tg_fake.fail_next(Fault.server_error(502, '{"ok":false,"error_code":502,"description":"Bad Gateway"}'))
        self.send_queue()
        self.assertEqual(message.state, "queued")
        self.assertEqual(message.attempts, 1)
        self.assertGreater(message.next_try, fields.Datetime.now())
        self.assertIn("502", message.error)
        # not due yet: nothing is sent
        self.send_queue()
        self.assertEqual(self.tg_fake.messages_to(chat), [])
        # still down (connection dropped), then a 429 with retry_after
        message.next_try = fields.Datetime.now() - timedelta(seconds=1)
        self.tg_fake.fail_next(Fault.connection_drop())
        self.send_queue()
        self.assertEqual((message.state, message.attempts), ("queued", 2))
        message.next_try = fields.Datetime.now() - timedelta(seconds=1)
        self.tg_fake.fail_next(Fault.too_many_requests(payload={
            "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 120",
            "parameters": {"retry_after": 120}}))
        self.send_queue()
        self.assertEqual(message.attempts, 3)
        self.assertGreaterEqual(message.next_try, fields.Datetime.now() + timedelta(seconds=110))
        # back up: the message is delivered once
        message.next_try = fields.Datetime.now() - timedelta(seconds=1)
        self.send_queue()
        self.assertEqual(message.state, "sent")
        self.assertEqual(len(self.tg_fake.messages_to(chat)), 1)
        self.assertTrue(message.lead_id.chatbot_bot_response_date)

    def test_blocked_chat_fails_permanently(self):
        chat = 777008
        self.tg_fake.blocked_chats.add(chat)
        self.post_tg(text_update(chat, "Привіт"))
        self.send_queue()
        message = self.conversation(self.tg_bot, chat).message_ids.filtered(lambda m: m.direction == "out")
        self.assertEqual(message.state, "failed")
        self.assertIn("403", message.error)

    def test_per_chat_rate_limit(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_chatbot_leads.per_chat_interval", "1.0")
        chat = 777009
        self.tg_fake.flood_control = True
        try:
            self.post_tg(start_update(chat))
            self.post_tg(text_update(chat, "Хочу лампу"))
            self.send_queue()
        finally:
            self.tg_fake.flood_control = False
        sent = self.tg_fake.messages_to(chat)
        self.assertEqual(len(sent), 2, "no 429: the second message waited for the per-chat interval")
        self.assertGreaterEqual(sent[1]["at"] - sent[0]["at"], 0.9)
