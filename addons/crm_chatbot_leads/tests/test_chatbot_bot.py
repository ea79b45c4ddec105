from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from tests.fakes.telegram import TelegramFake
from tests.fakes.viber import ViberFake

TG_TOKEN = "123456:TEST-token"
VIBER_TOKEN = "4a2b-viber-test-token"


@tagged("post_install", "-at_install")
class TestChatbotBot(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tg_fake = TelegramFake(tokens=(TG_TOKEN,)).start()
        cls.viber_fake = ViberFake(tokens=(VIBER_TOKEN,)).start()
        cls.addClassCleanup(cls.tg_fake.stop)
        cls.addClassCleanup(cls.viber_fake.stop)
        cls.env["ir.config_parameter"].sudo().set_param("crm_chatbot_leads.webhook_base_url", "https://erp.example.com")
        cls.tg_bot = cls.env["chatbot.bot"].create({
            "name": "Shop bot", "token": TG_TOKEN, "api_base_url": f"{cls.tg_fake.url}/bot"})
        cls.viber_bot = cls.env["chatbot.bot"].create({
            "name": "Viber bot", "channel": "viber", "token": VIBER_TOKEN,
            "api_base_url": f"{cls.viber_fake.url}/pa"})

    def test_token_is_system_only(self):
        salesman = new_test_user(self.env, "cb_salesman", groups="sales_team.group_sale_salesman")
        manager = new_test_user(self.env, "cb_manager", groups="sales_team.group_sale_manager")
        self.assertEqual(self.tg_bot.with_user(salesman).name, "Shop bot")
        for user in (salesman, manager):
            for field in ("token", "webhook_secret", "route_token", "api_base_url"):
                with self.assertRaises(AccessError):
                    self.tg_bot.with_user(user).read([field])
        self.assertEqual(self.tg_bot.token, TG_TOKEN)
        self.assertFalse(self.tg_bot.copy().token, "secrets are not copied")

    def test_register_and_remove_telegram_webhook(self):
        self.tg_bot.action_register_webhook()
        hook = self.tg_fake.webhooks[TG_TOKEN]
        self.assertEqual(hook["url"], f"https://erp.example.com/chatbot/telegram/{self.tg_bot.route_token}")
        self.assertEqual(hook["secret_token"], self.tg_bot.webhook_secret)
        self.assertGreaterEqual(len(self.tg_bot.webhook_secret), 32)
        self.assertIn("message", hook["allowed_updates"])
        self.assertEqual(self.tg_bot.webhook_state, "registered")
        first_secret = self.tg_bot.webhook_secret
        self.tg_bot.action_register_webhook()
        self.assertNotEqual(self.tg_bot.webhook_secret, first_secret, "a new random secret every time")
        self.tg_bot.action_remove_webhook()
        self.assertNotIn(TG_TOKEN, self.tg_fake.webhooks)
        self.assertFalse(self.tg_bot.webhook_secret)
        self.assertEqual(self.tg_bot.webhook_state, "none")

    def test_register_viber_webhook(self):
        self.viber_bot.action_register_webhook()
        self.assertEqual(self.viber_fake.webhooks[VIBER_TOKEN]["url"],
                         f"https://erp.example.com/chatbot/viber/{self.viber_bot.route_token}")
        self.assertIn("conversation_started", self.viber_fake.webhooks[VIBER_TOKEN]["event_types"])
        self.viber_bot.action_remove_webhook()
        self.assertNotIn(VIBER_TOKEN, self.viber_fake.webhooks)

    def test_test_token(self):
        result = self.tg_bot.action_test_token()
        self.assertIn("@shop_test_0_bot", result["params"]["message"])
        self.assertEqual(self.viber_bot.action_test_token()["params"]["type"], "success")
        self.tg_bot.token = "999:wrong"
        with self.assertRaisesRegex(UserError, "401"):
            self.tg_bot.action_test_token()
        self.viber_bot.token = False
        with self.assertRaisesRegex(UserError, "token is missing"):
            self.viber_bot.action_test_token()
        self.assertFalse(self.tg_fake.webhooks)


@tagged("post_install", "-at_install")
class TestChatbotSecurity(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Shop B"})
        cls.team_a = cls.env["crm.team"].create({"name": "Team A"})
        cls.team_b = cls.env["crm.team"].create({"name": "Team B"})
        cls.seller_a = new_test_user(cls.env, "cb_seller_a", groups="sales_team.group_sale_salesman")
        cls.seller_b = new_test_user(cls.env, "cb_seller_b", groups="sales_team.group_sale_salesman")
        cls.all_leads = new_test_user(cls.env, "cb_all", groups="sales_team.group_sale_salesman_all_leads")
        cls.team_a.member_ids = [(4, cls.seller_a.id)]
        cls.team_b.member_ids = [(4, cls.seller_b.id)]
        bot_a = cls.env["chatbot.bot"].create({"name": "A", "team_id": cls.team_a.id})
        bot_b = cls.env["chatbot.bot"].create({"name": "B", "team_id": cls.team_b.id})
        bot_c = cls.env["chatbot.bot"].create({"name": "C", "company_id": cls.company_b.id})
        Conversation = cls.env["chatbot.conversation"]
        cls.conv_a = Conversation._chatbot_get_or_create(bot_a, "1", "A")
        cls.conv_b = Conversation._chatbot_get_or_create(bot_b, "2", "B")
        cls.conv_c = Conversation._chatbot_get_or_create(bot_c, "3", "C")
        cls.msg_a = cls.conv_a._chatbot_log_inbound("hello", None)
        cls.msg_b = cls.conv_b._chatbot_log_inbound("hello", None)

    def test_salespeople_see_their_team_conversations(self):
        Conversation = self.env["chatbot.conversation"]
        ids = (self.conv_a | self.conv_b | self.conv_c).ids
        self.assertEqual(Conversation.with_user(self.seller_a).search([("id", "in", ids)]), self.conv_a)
        self.assertEqual(Conversation.with_user(self.seller_b).search([("id", "in", ids)]), self.conv_b)
        self.assertEqual(Conversation.with_user(self.all_leads).search([("id", "in", ids)]), self.conv_a | self.conv_b)
        Message = self.env["chatbot.message"]
        both = (self.msg_a | self.msg_b).ids
        self.assertEqual(Message.with_user(self.seller_a).search([("id", "in", both)]), self.msg_a)
        with self.assertRaises(AccessError):
            self.conv_b.with_user(self.seller_a).read(["phone"])
        with self.assertRaises(AccessError):
            self.env["chatbot.update"].with_user(self.seller_a).search([])

    def test_multi_company(self):
        Conversation = self.env["chatbot.conversation"].with_user(self.all_leads)
        self.assertNotIn(self.conv_c, Conversation.search([]), "user not in company B")
        self.all_leads.write({"company_ids": [(4, self.company_b.id)]})
        main = self.all_leads.company_id
        self.assertNotIn(self.conv_c, Conversation.with_context(allowed_company_ids=[main.id]).search([]))
        self.assertIn(self.conv_c, Conversation.with_context(
            allowed_company_ids=[main.id, self.company_b.id]).search([]))
