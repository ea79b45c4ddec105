from odoo.tests import tagged

from odoo.addons.nova_poshta.tests.common import NovaPoshtaCommon

from tests.fakes.checkbox import PREFIX, CheckboxFake

LICENSE = "lic-np-cod-0001"


@tagged("post_install", "-at_install")
class TestCodFiscalized(NovaPoshtaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.checkbox = CheckboxFake().start()
        cls.addClassCleanup(cls.checkbox.stop)
        cls.checkbox.add_cashier("np-cashier", "np-secret", full_name="Олена Касир")
        cls.checkbox.add_register(LICENSE, fiscal_number="4000999001")
        cls.env["ir.config_parameter"].sudo().set_param("prro_checkbox.api_url", cls.checkbox.url + PREFIX)
        cls.env["prro.cash.register"].search([]).active = False
        (cls.product | cls.carrier.product_id).taxes_id = False
        cls.Receipt = cls.env["prro.receipt"]
        # parcels already in the database (demo data), which NovaPoshtaCommon marks as paid out to keep them
        # out of tracking, are not this test's money: keep them out of the COD fiscalization cron too
        cls.env["stock.picking"].search([("nova_poshta_cod_received", "=", True),
                                         ("np_cod_receipt_id", "=", False)]).nova_poshta_cod_amount = 0.0

    def setUp(self):
        super().setUp()
        self.checkbox.reset_state()

    def _register(self):
        return self.env["prro.cash.register"].create({
            "name": "Інтернет-магазин", "license_key": LICENSE, "cashier_login": "np-cashier",
            "cashier_password": "np-secret", "company_id": self.env.company.id, "close_time": 23.99})

    def _paid_out(self, picking):
        self.fake.set_status(picking.nova_poshta_number, 11)
        picking.nova_poshta_checked_at = False
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()
        self.env.invalidate_all()

    def _delivered_cod_parcel(self):
        order = self._order()
        picking = order.picking_ids
        self._validate(picking)
        self.assertTrue(picking.nova_poshta_number and picking.nova_poshta_cod_amount > 0)
        return order, picking

    def test_cod_paid_out_fiscalized_once(self):
        self._register()
        order, picking = self._delivered_cod_parcel()
        self.assertFalse(order.prro_receipt_ids, "nothing before the money is paid out")
        self._paid_out(picking)
        receipt = picking.np_cod_receipt_id
        self.assertEqual(receipt.key, f"np_cod:{picking.nova_poshta_document_ref}")
        self.assertEqual(receipt.state, "to_send", receipt.error_message)
        self.assertEqual(receipt.sale_order_id, order)
        # the COD NP paid out (hryvnias), in the order currency: the goods; the delivery was paid to NP
        self.assertAlmostEqual(receipt.amount_cashless, order._nova_poshta_goods_value(), places=2)
        self._paid_out(picking)  # Nova Poshta reports 11 again
        self.env["stock.picking"]._cron_np_fiscalize_cod()
        self.assertEqual(self.Receipt.search_count([("key", "like", "np_cod:")]), 1)
        self.Receipt._cron_send()
        self.assertEqual(len(self.checkbox.requests_to(PREFIX + "/receipts/sell", "POST")), 1)

    def test_no_register_leaves_a_visible_error_and_retry_completes(self):
        order, picking = self._delivered_cod_parcel()
        self._paid_out(picking)
        receipt = picking.np_cod_receipt_id
        self.assertEqual(receipt.state, "error", "the order shows why the money is not fiscalized")
        self.assertIn("error", "\n".join(order.message_ids.mapped("body")))
        self._register()
        receipt.action_prro_retry()
        self.Receipt._cron_send()
        self.assertEqual(self.Receipt.search_count([("key", "like", "np_cod:")]), 1)
        self.assertEqual(len(self.checkbox.requests_to(PREFIX + "/receipts/sell", "POST")), 1)
