from datetime import datetime, timedelta

from odoo.tests import tagged

from tests.fakes.checkbox import PREFIX

from .common import LICENSE, PrroCommon


@tagged("post_install", "-at_install")
class TestPrroShift(PrroCommon):
    def test_shift_open_by_another_cashier(self):
        other = self.fake.open_shift_as(LICENSE, "cashier2")
        invoice = self._pay(self._invoice())
        self._run_cron()
        receipt = invoice.prro_receipt_ids
        self.assertEqual(receipt.state, "to_send", "waits, retried by the cron")
        self.assertIn("shift opened by another cashier", receipt.error_message)
        self.assertFalse(self._sells())
        other["status"] = "CLOSED"  # the other cashier closes the shift
        receipt.next_try = datetime(2000, 1, 1)
        self._run_cron()
        self.assertEqual(receipt.state, "done", receipt.error_message)

    def test_shift_closed_at_configured_time_with_z_report(self):
        self._pay(self._invoice())
        self._run_cron()
        shift = self.register._prro_current_shift()
        self.assertEqual(shift.state, "OPENED")
        self.assertEqual(shift.cash_sales, 0.0)
        self.env["prro.cash.register"]._cron_close_shifts()
        self.assertEqual(shift.state, "OPENED", "not yet closing time")
        self.assertEqual(shift.cash_sales, 1100.0, "balances refreshed from Checkbox")
        shift.opened_at = datetime.now() - timedelta(hours=23, minutes=40)  # near the 24-hour limit
        self.env["prro.cash.register"]._cron_close_shifts()
        self.assertEqual(shift.state, "CLOSED")
        self.assertTrue(shift.z_report_serial)
        self.assertEqual(shift.z_report_sell_count, 1)
        self.assertEqual(shift.cash_sales, 1100.0)
        # next receipt opens a new shift
        invoice = self._pay(self._invoice())
        self._run_cron()
        self.assertEqual(invoice.prro_receipt_ids.state, "done")
        self.assertNotEqual(invoice.prro_receipt_ids.shift_id, shift)
        self.assertEqual(len(self.fake.requests_to(PREFIX + "/shifts", "POST")), 2)

    def test_shift_closed_in_cabinet_is_reopened(self):
        self._pay(self._invoice())
        self._run_cron()
        for shift in self.fake.shifts.values():
            shift["status"] = "CLOSED"
        invoice = self._pay(self._invoice())
        self._run_cron()
        self.assertEqual(invoice.prro_receipt_ids.state, "done", invoice.prro_receipt_ids.error_message)

    def test_cash_operations_wizard(self):
        wizard = self.env["prro.cash.operation"].create({"register_id": self.register.id, "operation": "x_report"})
        wizard.action_confirm()
        self.assertIn("X-ЗВІТ", wizard.report_text)
        deposit = self.env["prro.cash.operation"].create({
            "register_id": self.register.id, "operation": "service_in", "amount": 500.0})
        action = deposit.action_confirm()
        receipt = self.env["prro.receipt"].browse(action["res_id"])
        self.assertEqual(receipt.state, "to_send")
        self._run_cron()
        self.assertEqual(receipt.state, "done", receipt.error_message)
        withdrawal = self.env["prro.cash.operation"].create({
            "register_id": self.register.id, "operation": "service_out", "amount": 200.0})
        out = self.env["prro.receipt"].browse(withdrawal.action_confirm()["res_id"])
        self._run_cron()
        self.assertEqual(out.state, "done", out.error_message)
        values = [r.json["payment"]["value"] for r in self.fake.requests_to(PREFIX + "/receipts/service")]
        self.assertEqual(values, [50000, -20000])
        self.register._prro_current_shift().action_prro_refresh()
        self.assertEqual(self.register._prro_current_shift().balance, 300.0)
