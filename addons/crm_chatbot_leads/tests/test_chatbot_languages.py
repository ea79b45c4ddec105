"""Issue 14: one language per audience and an answer to every click.

* what processing a customer's message writes for the staff (the salesperson's activity) is in the shop's
  language (its company partner's), not in the request's or the cron user's;
* a bot's default texts exist in every installed language, not only in the creating admin's;
* Register / Remove webhook answer in plain words and reload the form; a refusal or no connection is kept
  on the bot (state Error, detail under Webhook error) instead of an error dialog that rolls it back.
"""

from odoo.tests import TransactionCase, tagged

from tests.fakes.base import Fault
from tests.fakes.telegram import TelegramFake, contact_update, start_update, text_update

from .common import ChatbotHttpCommon

TG_TOKEN = "123456:TEST-token"


def _load_ukrainian(env):
    env["res.lang"]._activate_lang("uk_UA")
    env["ir.module.module"].search([("name", "=", "crm_chatbot_leads")])._update_translations("uk_UA")


@tagged("post_install", "-at_install")
class TestChatbotShopLanguage(ChatbotHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        _load_ukrainian(cls.env)
        cls.env.company.partner_id.lang = "uk_UA"

    def test_activity_for_the_staff_in_the_shops_language(self):
        chat = 778001
        self.post_tg(start_update(chat))
        self.post_tg(contact_update(chat, "380670001199"))
        self.post_tg(text_update(chat, "Потрібен стіл"))
        lead = self.conversation(self.tg_bot, chat).lead_id
        activity = lead.activity_ids.filtered(lambda a: a.user_id == self.salesman)
        self.assertEqual(activity.summary, "Новий запит з Telegram: дайте відповідь клієнту")

    def test_two_audiences_two_languages(self):
        """An English-speaking customer asks for a manager: the customer reads English, the staff Ukrainian."""
        chat = 778002
        update = text_update(chat, "/operator")
        update["message"]["from"]["language_code"] = "en"
        self.post_tg(update)
        conversation = self.conversation(self.tg_bot, chat)
        self.assertIn("Клієнт попросив менеджера.", conversation.lead_id.description)
        self.send_queue()
        self.assertIn("A manager will answer you here shortly.", self.tg_fake.messages_to(chat)[-1]["text"])


@tagged("post_install", "-at_install")
class TestChatbotClickAnswers(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tg_fake = TelegramFake(tokens=(TG_TOKEN,)).start()
        cls.addClassCleanup(cls.tg_fake.stop)
        cls.env["ir.config_parameter"].sudo().set_param("crm_chatbot_leads.webhook_base_url",
                                                        "https://erp.example.com")
        cls.bot = cls.env["chatbot.bot"].create({
            "name": "Shop bot", "token": TG_TOKEN, "api_base_url": f"{cls.tg_fake.url}/bot"})

    def setUp(self):
        super().setUp()
        self.tg_fake.reset()

    def _params(self, action):
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["next"], {"type": "ir.actions.client", "tag": "soft_reload"})
        return action["params"]

    def test_register_and_remove_answer_and_reload(self):
        params = self._params(self.bot.action_register_webhook())
        self.assertEqual(params["type"], "success")
        self.assertIn("Webhook registered", params["message"])
        self.assertEqual(self.bot.webhook_state, "registered")
        params = self._params(self.bot.action_remove_webhook())
        self.assertIn("Webhook removed: Shop bot no longer receives messages.", params["message"])
        self.assertEqual(self.bot.webhook_state, "none")

    def test_refusal_is_kept_on_the_bot_and_told_in_plain_words(self):
        # Telegram refuses a webhook URL that is not HTTPS (setWebhook: "An HTTPS URL must be provided")
        self.env["ir.config_parameter"].sudo().set_param("crm_chatbot_leads.webhook_base_url", "http://erp.lan")
        params = self._params(self.bot.action_register_webhook())
        self.assertEqual((params["type"], params["sticky"]), ("warning", True))
        self.assertIn("Telegram refused the request for Shop bot", params["message"])
        self.assertNotIn("https url", params["message"].lower(), "the technical detail is folded away")
        self.assertEqual(self.bot.webhook_state, "error", "kept: no error dialog rolls it back")
        self.assertIn("https url", self.bot.webhook_error.lower())

    def test_no_connection_in_plain_words(self):
        self.tg_fake.fail_next(Fault.server_error(502), times=10)
        params = self._params(self.bot.action_register_webhook())
        self.assertIn("No connection with Telegram for Shop bot", params["message"])
        self.assertEqual(self.bot.webhook_state, "error")

    def test_default_texts_in_every_language(self):
        _load_ukrainian(self.env)
        bot = self.env["chatbot.bot"].with_context(lang="uk_UA").create({"name": "Бот", "token": TG_TOKEN})
        self.assertTrue(bot.with_context(lang="en_US").welcome_text.startswith("Hello!"),
                        "not frozen in the Ukrainian admin's language")
        self.assertTrue(bot.with_context(lang="uk_UA").welcome_text.startswith("Вітаємо!"))
        own = self.env["chatbot.bot"].with_context(lang="uk_UA").create(
            {"name": "Свій", "token": TG_TOKEN, "welcome_text": "Привіт!"})
        self.assertEqual(own.with_context(lang="uk_UA").welcome_text, "Привіт!", "a written text is kept")
