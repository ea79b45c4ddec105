from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestNovaPoshtaCarrier(TransactionCase):
    def test_api_key_is_system_only(self):
        product = self.env["product.product"].create({"name": "NP shipping", "type": "service"})
        carrier = self.env["delivery.carrier"].create(
            {"name": "Nova Poshta", "delivery_type": "nova_poshta", "product_id": product.id,
             "nova_poshta_api_key": "k" * 32}
        )
        user = new_test_user(self.env, "np_stock_user", groups="stock.group_stock_user")
        self.assertEqual(carrier.with_user(user).delivery_type, "nova_poshta")
        with self.assertRaises(AccessError):
            carrier.with_user(user).read(["nova_poshta_api_key"])
