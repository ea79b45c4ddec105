from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestMarketplaceChannel(TransactionCase):
    def test_credentials_are_system_only(self):
        channel = self.env["marketplace.channel"].create(
            {"name": "Prom", "channel_type": "prom", "api_token": "secret"}
        )
        salesman = new_test_user(self.env, "mp_salesman", groups="sales_team.group_sale_salesman")
        self.assertEqual(channel.with_user(salesman).channel_type, "prom")
        with self.assertRaises(AccessError):
            channel.with_user(salesman).read(["api_token"])
