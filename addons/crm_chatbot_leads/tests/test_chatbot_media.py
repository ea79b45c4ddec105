import base64
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from tests.fakes.telegram import (
    callback_update,
    contact_update,
    document_update,
    location_update,
    photo_update,
    text_update,
    voice_update,
)
from tests.fakes.viber import location_event, media_event, message_event

from .common import ChatbotHttpCommon

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@tagged("post_install", "-at_install")
class TestChatbotMedia(ChatbotHttpCommon):
    """Photos, documents, voice and locations both ways; long texts; buttons; reprocessing."""

    def _lead(self, chat):
        self.post_tg(contact_update(chat, "380670001122"))
        self.post_tg(text_update(chat, "Потрібна шафа"))
        self.send_queue()
        return self.conversation(self.tg_bot, chat).lead_id

    def test_customer_photo_with_caption_document_voice_location(self):
        chat = 884001
        photo_id = self.tg_fake.add_file(PNG)
        self.post_tg(photo_update(chat, photo_id, len(PNG), caption="Чи є така шафа, але біла?"))
        conversation = self.conversation(self.tg_bot, chat)
        lead = conversation.lead_id
        self.assertTrue(lead, "the caption is a request like a text")
        self.assertIn("але біла", lead.description)
        photo = conversation.message_ids.filtered(lambda m: m.media_type == "photo")
        self.assertEqual(photo.media_state, "pending", "downloaded after the webhook, never inside it")
        pdf_id = self.tg_fake.add_file(PDF)
        self.post_tg(document_update(chat, pdf_id, len(PDF), file_name="plan.pdf"))
        voice_id = self.tg_fake.add_file(b"OggS-voice")
        self.post_tg(voice_update(chat, voice_id, 10))
        self.post_tg(location_update(chat, 50.4501, 30.5234))
        self.assertEqual(self.env["chatbot.message"]._cron_fetch_media(), 3)
        media = conversation.message_ids.filtered(lambda m: m.media_state)
        self.assertEqual(media.mapped("media_state"), ["done"] * 3, media.mapped("error"))
        attachments = self.env["ir.attachment"].search([("res_model", "=", "crm.lead"), ("res_id", "=", lead.id)])
        self.assertEqual(sorted(attachments.mapped("raw")), sorted([PNG, PDF, b"OggS-voice"]))
        self.assertIn("plan.pdf", attachments.mapped("name"))
        self.assertEqual(photo.attachment_id.raw, PNG)
        self.assertIn(photo.attachment_id, photo.mail_message_id.attachment_ids, "shown on the chatter message")
        location = conversation.message_ids.filtered(lambda m: m.media_type == "location")
        self.assertIn("50.450100, 30.523400", location.body)
        self.assertIn("50.4501", " ".join(lead.message_ids.mapped("body")))
        self.assertEqual(len(self.env["crm.lead"].search([("chatbot_conversation_id", "=", conversation.id)])), 1)

    def test_customer_file_over_the_limit_is_refused_clearly(self):
        chat = 884002
        self.post_tg(document_update(chat, "AgBIG", 25 * 1024 * 1024, file_name="video.mov"))
        conversation = self.conversation(self.tg_bot, chat)
        message = conversation.message_ids.filtered(lambda m: m.media_type == "document")
        self.assertEqual(message.media_state, "too_large")
        self.send_queue()
        self.assertIn("too large", self.tg_fake.messages_to(chat)[-1]["text"])
        self.assertIn("20 MB", self.tg_fake.messages_to(chat)[-1]["text"])
        self.assertEqual(self.env["chatbot.message"]._cron_fetch_media(), 0)
        # the size was not announced in the update: Telegram's getFile refuses it, the customer is told
        big = self.tg_fake.add_file(b"x" * (20 * 1024 * 1024 + 1))
        self.post_tg(document_update(chat, big, 0, file_name="big.zip"))
        self.env["chatbot.message"]._cron_fetch_media()
        message = conversation.message_ids.filtered(lambda m: m.media_name == "big.zip")
        self.assertEqual(message.media_state, "too_large")
        self.send_queue()
        self.assertIn("too large", self.tg_fake.messages_to(chat)[-1]["text"])

    def test_viber_picture_and_location(self):
        user = "vmedia="
        url = self.viber_fake.add_media("p1.jpg", PNG)
        self.post_viber(media_event(user, url, kind="picture", size=len(PNG), text="Ось фото дивана"))
        self.post_viber(location_event(user, 49.8397, 24.0297))
        conversation = self.conversation(self.viber_bot, user)
        self.assertIn("Ось фото дивана", conversation.lead_id.description)
        self.env["chatbot.message"]._cron_fetch_media()
        picture = conversation.message_ids.filtered(lambda m: m.media_type == "photo")
        self.assertEqual((picture.media_state, picture.attachment_id.raw), ("done", PNG))
        self.assertEqual(picture.attachment_id.res_id, conversation.lead_id.id)

    def _reply(self, record, body, data=None, name=None):
        wizard = Form(self.env(user=self.salesman)["chatbot.reply"].with_context(
            active_model=record._name, active_id=record.id))
        wizard.body = body
        if data is not None:
            wizard.attachment_file = base64.b64encode(data)
            wizard.attachment_name = name
        return wizard.save()

    def test_salesperson_sends_photo_and_pdf(self):
        chat = 884003
        lead = self._lead(chat)
        self._reply(lead, "Ось фото", PNG, "sofa.png").action_send()
        self._reply(lead, "Рахунок на оплату", PDF, "invoice.pdf").action_send()
        self.send_queue()
        photo, document = self.tg_fake.messages_to(chat)[-2:]
        self.assertEqual((photo["type"], photo["text"], photo["size"]), ("photo", "Ось фото", len(PNG)))
        self.assertEqual((document["type"], document["filename"], document["text"]),
                         ("document", "invoice.pdf", "Рахунок на оплату"))
        sent = lead.chatbot_message_ids.filtered(lambda m: m.attachment_id)
        self.assertEqual(sent.mapped("state"), ["sent", "sent"])
        self.assertTrue(all(m.mail_message_id.attachment_ids == m.attachment_id for m in sent))
        # over Telegram's 10 MB photo limit: a clear error, nothing queued
        big = PNG + b"\0" * (10 * 1024 * 1024)
        with self.assertRaisesRegex(UserError, "10.0 MB"):
            self._reply(lead, "Велике фото", big, "big.png").action_send()
        self.assertEqual(len(lead.chatbot_message_ids.filtered(lambda m: m.attachment_id)), 2)

    def test_salesperson_sends_pdf_on_viber(self):
        user = "vpdf="
        self.post_viber(message_event(user, "Надішліть рахунок"))
        conversation = self.conversation(self.viber_bot, user)
        self._reply(conversation, "Рахунок", PDF, "invoice.pdf").action_send()
        self.send_queue()
        sent = self.viber_fake.messages_to(user)[-1]
        self.assertEqual((sent["type"], sent["file_name"]), ("file", "invoice.pdf"))
        self.assertIn("/web/content/", sent["media"])
        self.assertIn("access_token=", sent["media"])
        with self.assertRaisesRegex(UserError, "1.0 MB"):
            self._reply(conversation, "Фото", PNG + b"\0" * (1024 * 1024), "big.png").action_send()

    def test_long_reply_is_split_not_cut(self):
        chat = 884004
        lead = self._lead(chat)
        paragraph = ("Дуже довгий опис товару з усіма характеристиками. " * 30).strip()
        text = "\n\n".join([paragraph] * 6)  # ~9200 characters
        self._reply(lead, text).action_send()
        self.send_queue()
        parts = [m["text"] for m in self.tg_fake.messages_to(chat)[-3:]]
        self.assertTrue(all(len(p) <= 4096 for p in parts))
        self.assertEqual(" ".join(" ".join(parts).split()), " ".join(text.split()), "nothing lost")
        self.assertEqual(len(lead.chatbot_message_ids.filtered(lambda m: m.author_id)), 3)

    def test_outbound_api_with_buttons_and_callback_hook(self):
        """The entry point bridge modules use: a message with inline buttons to a partner's chat; the press
        comes back to the _chatbot_on_callback hook."""
        chat = 884005
        self._lead(chat)
        Conversation = self.env["chatbot.conversation"]
        messages = Conversation.chatbot_queue_outbound(
            "Як вам доставка?", partner=self.partner,
            buttons=[[{"text": "👍", "data": "rate:SO1:5"}, {"text": "👎", "data": "rate:SO1:1"}]])
        self.assertEqual(len(messages), 1)
        self.send_queue()
        sent = self.tg_fake.messages_to(chat)[-1]
        self.assertEqual(sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"], "rate:SO1:5")
        self.assertFalse(Conversation.chatbot_queue_outbound("x", partner=self.env["res.partner"].create(
            {"name": "No chat"})), "no chat: nothing queued")
        with self.assertRaises(UserError):
            Conversation.chatbot_queue_outbound("x", partner=self.partner, buttons=[{"text": "a", "data": "x" * 65}])
        received = []
        original = type(Conversation)._chatbot_on_callback

        def hook(conversation, data, update):
            if data.startswith("rate:"):
                received.append((conversation.chat_id, data))
                return True
            return original(conversation, data, update)

        with patch.object(type(Conversation), "_chatbot_on_callback", hook):
            self.post_tg(callback_update(chat, "rate:SO1:5"))
        self.assertEqual(received, [(str(chat), "rate:SO1:5")])
        # by phone, on Viber: the buttons are reply buttons whose answer comes back as cb:<data>
        user = "vbtn="
        self.post_viber(message_event(user, "Привіт"))
        self.conversation(self.viber_bot, user).sudo().phone = "+380501112233"
        Conversation.chatbot_queue_outbound("Оцініть", phone="050 111 22 33",
                                            buttons=[{"text": "5", "data": "rate:SO2:5"}])
        self.send_queue()
        button = self.viber_fake.messages_to(user)[-1]["keyboard"]["Buttons"][0]
        self.assertEqual((button["ActionType"], button["ActionBody"]), ("reply", "cb:rate:SO2:5"))
        with patch.object(type(Conversation), "_chatbot_on_callback", hook):
            self.post_viber(message_event(user, "cb:rate:SO2:5"))
        self.assertEqual(received[-1], (user, "rate:SO2:5"))

    def test_failed_update_is_reprocessed(self):
        chat = 884006
        Conversation = type(self.env["chatbot.conversation"])
        with patch.object(Conversation, "_chatbot_on_text", side_effect=RuntimeError("database hiccup")):
            self.assertEqual(self.post_tg(text_update(chat, "Хочу ліжко")).status_code, 200)
        update = self.env["chatbot.update"].search([("bot_id", "=", self.tg_bot.id)], limit=1)
        self.assertEqual(update.state, "error")
        self.assertFalse(self.env["crm.lead"].search([("chatbot_bot_id", "=", self.tg_bot.id),
                                                      ("description", "ilike", "Хочу ліжко")]))
        manager = self.env["res.users"].create({
            "name": "Mgr", "login": "cb_mgr_media",
            "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_manager").id])]})
        update.with_user(manager).action_reprocess()
        self.assertEqual((update.state, update.error, update.attempts), ("done", False, 2))
        self.assertIn("Хочу ліжко", self.conversation(self.tg_bot, chat).lead_id.description)
        # the cron does the same for whatever failed, and gives up after a few attempts
        with patch.object(Conversation, "_chatbot_on_text", side_effect=RuntimeError("again")):
            self.post_tg(text_update(chat + 1, "Хочу стілець"))
        failed = self.env["chatbot.update"].search([("state", "=", "error")])
        self.assertEqual(len(failed), 1)
        self.env["chatbot.update"]._cron_reprocess_failed()
        self.assertEqual(failed.state, "done")
        self.assertTrue(self.conversation(self.tg_bot, chat + 1).lead_id)
