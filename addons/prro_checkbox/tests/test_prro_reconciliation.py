from odoo.tests import tagged

from tests.fakes.checkbox import PREFIX

from .common import PrroCommon


@tagged("post_install", "-at_install")
class TestPrroReconciliation(PrroCommon):
    def test_daily_reconciliation_lists_and_fiscalizes_missing(self):
        # paid through the cash desk before it was marked fiscal: no receipt
        self.cash_journal.prro_payment_type = False
        forgotten = self._pay(self._invoice())
        self.cash_journal.prro_payment_type = "cash"
        self.assertFalse(forgotten.prro_receipt_ids)
        # one with an unmapped tax (error), one fine
        broken = self._pay(self._invoice([(self.product, 1, 100.0, 0.0, self.tax_unmapped)]))
        fine = self._pay(self._invoice())
        self._run_cron()
        wizard = self.env["prro.reconciliation"].create({})
        wizard.action_check()
        missing = wizard.line_ids.filtered(lambda ln: ln.kind == "missing")
        self.assertEqual(set(missing.move_id.ids), {forgotten.id, broken.id})
        self.assertIn("no Checkbox tax code", missing.filtered(lambda ln: ln.move_id == broken).note)
        self.assertNotIn(fine, wizard.line_ids.move_id)
        # mapping fixed, one click fiscalizes what is missing (queued, sent by the cron)
        self.register.tax_mapping_ids.filtered(lambda m: m.checkbox_code == 8).tax_ids = self.tax_unmapped
        wizard.action_fiscalize_missing()
        self.assertEqual(forgotten.prro_state, "to_send")
        self._run_cron()
        self.assertEqual((forgotten.prro_state, broken.prro_state), ("done", "done"))
        wizard.action_check()
        self.assertFalse(wizard.line_ids)
        # a receipt fiscalized for another amount and a shift whose totals disagree are listed
        fine.prro_receipt_ids.total_sum -= 1.0
        self.fake.shifts[self.register._prro_current_shift().checkbox_id]["balance"]["cash_sales"] += 500
        wizard.action_check()
        self.assertEqual(sorted(wizard.line_ids.mapped("kind")), ["mismatch", "shift"])
        self.assertEqual(wizard.mismatch_count, 2)
        # Checkbox unreachable: an open shift's totals cannot be verified, so they are not compared
        self.env["ir.config_parameter"].sudo().set_param("prro_checkbox.api_url", "http://127.0.0.1:9/api/v1")
        wizard.action_check()
        self.assertEqual(wizard.line_ids.mapped("kind"), ["mismatch"])
        self.env["ir.config_parameter"].sudo().set_param("prro_checkbox.api_url", self.fake.url + PREFIX)
        # the daily cron queues what is missing without duplicates
        self.env["prro.reconciliation"]._cron_reconcile()
        self.assertEqual(len(fine.prro_receipt_ids), 1)

    def test_email_and_pdf_through_checkbox(self):
        invoice = self._pay(self._invoice())
        self._run_cron()
        receipt = invoice.prro_receipt_ids
        receipt.email = "other@example.com"
        receipt.action_prro_send_email()
        self.assertEqual(self.fake.requests_to(PREFIX + f"/receipts/{receipt.uuid}/email")[0].json,
                         ["other@example.com"])
        action = receipt.action_prro_download_pdf()
        self.assertTrue(receipt.receipt_pdf)
        self.assertIn("/receipt_pdf/", action["url"])

    def test_no_email_when_partner_has_none(self):
        self.customer.email = False
        invoice = self._pay(self._invoice())
        self._run_cron()
        self.assertNotIn("delivery", self._sells()[0].json)
        self.assertFalse(invoice.prro_receipt_ids.email_sent)
