"""Issue 14: what the sending and media crons store as a message's error is plain words in the shop's language
(its company partner's), whoever runs them (the cron user reads English), with the technical detail on a
"Details:" line — never a bot token. The staff read it on the lead (a reply queued or failed, and why)."""

from odoo import fields
from odoo.tests import Form, tagged

from tests.fakes.base import Fault
from tests.fakes.telegram import contact_update, document_update, text_update

from ..tools.telegram_api import TelegramApiError
from .common import TG_TOKEN, ChatbotHttpCommon
from .test_chatbot_languages import _load_ukrainian

WRONG_TOKEN = "7654321:AAWrongSecretOfTheBot-never-to-be-shown_x"


@tagged("post_install", "-at_install")
class TestChatbotErrorWords(ChatbotHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        _load_ukrainian(cls.env)
        cls.env.company.partner_id.write({"lang": "uk_UA", "tz": "Europe/Kyiv"})
        cls.root = cls.env.ref("base.user_root")
        cls.root.write({"lang": "en_US", "tz": "UTC"})

    def _as_cron(self, method):
        """Run a cron method as the scheduler does: the root user, in English."""
        model = self.env(user=self.root, context={"lang": "en_US", "tz": "UTC"})["chatbot.message"]
        result = getattr(model, method)()
        self.env.invalidate_all()
        return result

    def _reply(self, lead, body):
        wizard = Form(self.env(user=self.salesman)["chatbot.reply"].with_context(
            active_model="crm.lead", active_id=lead.id))
        wizard.body = body
        wizard.save().action_send()

    def _shown_on_lead(self, lead):
        """The salesperson's reply as the lead shows it to the salesperson (the Chatbot tab's list)."""
        arch = self.env(user=self.salesman)["crm.lead"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="error"', arch.split('name="chatbot_message_ids"', 1)[1].split("</field>", 1)[0])
        messages = self.env(user=self.salesman)["crm.lead"].browse(lead.id).chatbot_message_ids
        return messages.filtered(lambda m: m.author_id).read(["state", "error"])[0]

    def test_reply_queued_then_failed_in_the_shops_words(self):
        chat = 779101
        self.post_tg(contact_update(chat, "380670001177"))
        self.post_tg(text_update(chat, "Чи є комод?"))
        self._as_cron("_cron_send_outbound")
        lead = self.conversation(self.tg_bot, chat).lead_id
        # Telegram answers 502: the reply waits, and the lead says why and when it is tried again (shop's time)
        self.tg_fake.fail_next(Fault.server_error(
            502, '{"ok":false,"error_code":502,"description":"Bad Gateway"}'), times=1)
        self._reply(lead, "Так, є.")
        self._as_cron("_cron_send_outbound")
        reply = lead.chatbot_message_ids.filtered(lambda m: m.author_id)
        at = fields.Datetime.context_timestamp(reply.with_context(tz="Europe/Kyiv"), reply.next_try).strftime("%H:%M")
        shown = self._shown_on_lead(lead)
        self.assertEqual(shown["state"], "queued")
        words, details = shown["error"].split("\n")
        self.assertEqual(words, f"Немає зв'язку з Telegram; спробуємо ще раз о {at}.")
        self.assertTrue(details.startswith("Подробиці: [502] "), details)
        # the customer blocked the bot: Telegram refuses for good, told in plain words
        reply.next_try = fields.Datetime.now()
        self.tg_fake.blocked_chats.add(chat)
        self.addCleanup(self.tg_fake.blocked_chats.discard, chat)
        self._as_cron("_cron_send_outbound")
        shown = self._shown_on_lead(lead)
        self.assertEqual(shown["state"], "failed")
        self.assertEqual(shown["error"], "Telegram відхилив повідомлення: клієнт заблокував бота.\n"
                                         "Подробиці: [403] Forbidden: bot was blocked by the user")

    def test_wrong_token_is_told_and_never_shown(self):
        chat = 779102
        self.post_tg(text_update(chat, "Добрий день"))
        self._as_cron("_cron_send_outbound")
        conversation = self.conversation(self.tg_bot, chat)
        self.tg_bot.sudo().token = WRONG_TOKEN  # unknown to the fake: 401 Unauthorized
        self.addCleanup(setattr, self.tg_bot.sudo(), "token", TG_TOKEN)
        conversation._chatbot_queue("Ще одне повідомлення")
        self._as_cron("_cron_send_outbound")
        message = conversation.message_ids.filtered(lambda m: m.body == "Ще одне повідомлення")
        self.assertEqual(message.state, "failed")
        self.assertTrue(message.error.startswith(
            "Telegram відхилив токен бота: токен неправильний, зверніться до адміністратора.\nПодробиці: [401]"),
            message.error)
        self.assertNotIn("AAWrongSecret", message.error)
        # whatever the messenger's text says, a token never reaches the stored error
        for text in (f"The token `{WRONG_TOKEN}` was rejected by the server.",
                     "Unauthorized for /bot1234567:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage"):
            stored = message._chatbot_error_words(TelegramApiError(text, code=401))
            self.assertNotIn("AAWrongSecret", stored)
            self.assertNotIn("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", stored)
            self.assertIn("***", stored)

    def test_file_too_large_in_the_shops_words(self):
        chat = 779103
        big = self.tg_fake.add_file(b"x" * (20 * 1024 * 1024 + 1))
        self.post_tg(document_update(chat, big, 0, file_name="big.zip"))
        self._as_cron("_cron_fetch_media")
        message = self.conversation(self.tg_bot, chat).message_ids.filtered(lambda m: m.media_name == "big.zip")
        self.assertEqual(message.media_state, "too_large")
        self.assertEqual(message.error, "Файл завеликий для Telegram (ліміт 20 МБ).\nПодробиці: [400] File is too big")

    def test_interrupted_and_cancelled_in_the_shops_words(self):
        chat = 779104
        self.post_tg(text_update(chat, "Добрий день"))
        self._as_cron("_cron_send_outbound")
        conversation = self.conversation(self.tg_bot, chat)
        crashed = conversation._chatbot_queue("Перше")[0]
        crashed.in_flight_since = fields.Datetime.subtract(fields.Datetime.now(), hours=1)
        self._as_cron("_cron_send_outbound")
        self.assertEqual(crashed.state, "failed")
        self.assertTrue(crashed.error.startswith("Надсилання зупинилося"), crashed.error)
        late = conversation._chatbot_queue("Друге")[0]
        self.tg_bot.active = False
        self.addCleanup(setattr, self.tg_bot, "active", True)
        self._as_cron("_cron_send_outbound")
        self.assertEqual((late.state, late.error), ("cancelled", "Не надіслано: бота архівовано."))
