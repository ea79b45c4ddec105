from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.exceptions import AccessError


@tagged("post_install", "-at_install")
class TestChatbotBot(TransactionCase):
    def test_token_is_system_only(self):
        bot = self.env["chatbot.bot"].create({"name": "Shop bot", "token": "123:ABC"})
        salesman = new_test_user(self.env, "cb_salesman", groups="sales_team.group_sale_salesman")
        self.assertEqual(bot.with_user(salesman).name, "Shop bot")
        with self.assertRaises(AccessError):
            bot.with_user(salesman).read(["token"])
        self.assertEqual(bot.token, "123:ABC")
