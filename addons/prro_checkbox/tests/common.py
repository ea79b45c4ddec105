from odoo import Command
from odoo.tests import TransactionCase

from tests.fakes.checkbox import PREFIX, CheckboxFake

LICENSE = "lic-test-0001"


class PrroCommon(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = CheckboxFake().start()
        cls.addClassCleanup(cls.fake.stop)
        cls.fake.add_cashier("cashier1", "secret1", pin="1111", full_name="Олена Касир")
        cls.fake.add_cashier("cashier2", "secret2", full_name="Інший Касир")
        cls.fake.add_register(LICENSE, fiscal_number="4000123456")
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("prro_checkbox.api_url", cls.fake.url + PREFIX)
        params.set_param("prro_checkbox.timeout", "1")
        cls.company = cls.env.company
        cls.env["prro.cash.register"].search([]).active = False
        cls.register = cls.env["prro.cash.register"].create({
            "name": "Інтернет-магазин", "license_key": LICENSE, "cashier_login": "cashier1",
            "cashier_password": "secret1", "company_id": cls.company.id, "close_time": 23.99,
        })
        cls.tax20 = cls.env["account.tax"].create({"name": "ПДВ 20%", "amount": 20, "type_tax_use": "sale",
                                                   "price_include_override": "tax_included"})
        cls.tax_unmapped = cls.env["account.tax"].create({"name": "Акциз 5%", "amount": 5, "type_tax_use": "sale"})
        cls.register._prro_load_taxes(cls.register._prro_api())
        cls.register.tax_mapping_ids.filtered(lambda m: m.checkbox_code == 1).tax_ids = cls.tax20
        cls.cash_journal = cls.env["account.journal"].search(
            [("type", "=", "cash"), ("company_id", "=", cls.company.id)], limit=1)
        cls.bank_journal = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", cls.company.id)], limit=1)
        cls.cash_journal.write({"prro_payment_type": "cash", "prro_cash_register_id": cls.register.id})
        cls.bank_journal.write({"prro_payment_type": "card", "prro_cash_register_id": cls.register.id})
        cls.customer = cls.env["res.partner"].create({"name": "Петренко Олена", "email": "olena@example.com"})
        cls.product = cls.env["product.product"].create({
            "name": "Футболка біла", "list_price": 550.0, "default_code": "TS-1", "prro_uktzed": "6109100010",
            "taxes_id": [Command.set(cls.tax20.ids)]})
        cls.shipping = cls.env["product.product"].create({
            "name": "Доставка", "type": "service", "list_price": 60.0, "taxes_id": [Command.clear()]})
        cls.Receipt = cls.env["prro.receipt"]

    def setUp(self):
        super().setUp()
        self.fake.reset_state()

    def _invoice(self, lines=None, partner=None, move_type="out_invoice"):
        lines = lines or [(self.product, 2, 550.0, 0.0, self.tax20)]
        move = self.env["account.move"].create({
            "move_type": move_type, "partner_id": (partner or self.customer).id,
            "invoice_line_ids": [Command.create({
                "product_id": product.id, "quantity": qty, "price_unit": price, "discount": discount,
                "tax_ids": [Command.set(taxes.ids)]}) for product, qty, price, discount, taxes in lines],
        })
        move.action_post()
        return move

    def _pay(self, move, journal=None, amount=None):
        wizard = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids).create({
                "journal_id": (journal or self.cash_journal).id,
                **({"amount": amount} if amount else {})})
        wizard._create_payments()
        return move

    def _sells(self):
        return self.fake.requests_to(PREFIX + "/receipts/sell", "POST")

    def _run_cron(self):
        return self.Receipt._cron_send()
