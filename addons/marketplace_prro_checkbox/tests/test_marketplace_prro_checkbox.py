from odoo.tests import tagged

from odoo.addons.marketplace_connector.tests.common import MarketplaceCommon

from tests.fakes.checkbox import PREFIX, CheckboxFake

LICENSE = "lic-mp-paid-0001"


@tagged("post_install", "-at_install")
class TestPrepaymentFiscalized(MarketplaceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.checkbox = CheckboxFake().start()
        cls.addClassCleanup(cls.checkbox.stop)
        cls.checkbox.add_cashier("mp-cashier", "mp-secret", full_name="Олена Касир")
        cls.checkbox.add_register(LICENSE, fiscal_number="4000999002")
        cls.env["ir.config_parameter"].sudo().set_param("prro_checkbox.api_url", cls.checkbox.url + PREFIX)
        cls.env["prro.cash.register"].search([]).active = False
        cls.products.write({"taxes_id": False})
        cls.env["prro.cash.register"].create({
            "name": "Інтернет-магазин", "license_key": LICENSE, "cashier_login": "mp-cashier",
            "cashier_password": "mp-secret", "company_id": cls.env.company.id, "close_time": 23.99})
        cls.Receipt = cls.env["prro.receipt"]

    def setUp(self):
        super().setUp()
        self.checkbox.reset_state()
        self._import_offers()

    def _prom_order(self, oid, paid):
        extra = {"payment_data": {"type": "evopay", "status": "paid" if paid else "unpaid",
                                  "status_modified": "2026-12-01T10:00:00"}}
        self.prom.add_order(oid, [{"id": 101, "sku": "SKU-1", "name": "Товар 1", "quantity": 1, "price": 100}],
                            phone=f"+38067555{oid:04d}", **extra)
        self.prom_channel._import_orders()
        return self.env["marketplace.order"].search([("external_id", "=", str(oid))])

    def test_paid_online_fiscalized_at_once_and_once(self):
        binding = self._prom_order(8201, paid=True)
        order = binding.sale_order_id
        receipt = binding.prro_receipt_id
        self.assertEqual(receipt.key, f"marketplace_paid:{self.prom_channel.id}:8201")
        self.assertEqual(receipt.sale_order_id, order)
        self.assertEqual(receipt.state, "to_send")
        self.assertAlmostEqual(receipt.amount_card, order.amount_total, places=2)
        self.Receipt._cron_send()
        self.env["marketplace.order"]._cron_prro_fiscalize_prepayments()
        self.assertEqual(self.Receipt.search_count([("key", "like", "marketplace_paid:")]), 1)
        self.assertEqual(len(self.checkbox.requests_to(PREFIX + "/receipts/sell", "POST")), 1)

    def test_cash_on_delivery_not_fiscalized_at_import(self):
        binding = self._prom_order(8202, paid=False)
        self.assertTrue(binding.sale_order_id)
        self.assertFalse(binding.prro_receipt_id)
        self.assertFalse(binding.sale_order_id.prro_receipt_ids)
