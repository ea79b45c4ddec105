from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPrroCashRegister(TransactionCase):
    def test_secrets_are_system_only(self):
        register = self.env["prro.cash.register"].create(
            {"name": "Shop", "license_key": "lic", "cashier_password": "pw"}
        )
        accountant = new_test_user(self.env, "prro_acc", groups="account.group_account_invoice")
        self.assertEqual(register.with_user(accountant).name, "Shop")
        for secret in ("license_key", "cashier_login", "cashier_password"):
            with self.assertRaises(AccessError):
                register.with_user(accountant).read([secret])
