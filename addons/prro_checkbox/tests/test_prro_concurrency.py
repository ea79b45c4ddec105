"""Two workers at once, with real separate cursors and transactions (data committed, removed afterwards)."""

import threading

import psycopg2

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import TransactionCase, tagged

from tests.fakes.checkbox import PREFIX, CheckboxFake

LICENSE = "lic-concurrency"


@tagged("post_install", "-at_install")
class TestPrroConcurrency(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = CheckboxFake(process_delay=0.05).start()
        cls.addClassCleanup(cls.fake.stop)
        cls.fake.add_cashier("worker", "pw")
        cls.fake.add_register(LICENSE)

    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {})

    def setUp(self):
        super().setUp()
        created = {}
        with self.registry.cursor() as cr:
            env = self._env(cr)
            params = env["ir.config_parameter"]
            created["params"] = {k: params.get_param(k) for k in ("prro_checkbox.api_url", "prro_checkbox.timeout")}
            params.set_param("prro_checkbox.api_url", self.fake.url + PREFIX)
            params.set_param("prro_checkbox.timeout", "5")
            company = env.ref("base.main_company")
            created["others"] = env["prro.cash.register"].search([("company_id", "=", company.id)])
            created["others"].active = False
            register = env["prro.cash.register"].create({
                "name": "Concurrency", "license_key": LICENSE, "cashier_login": "worker",
                "cashier_password": "pw", "company_id": company.id, "sequence": 0})
            journal = env["account.journal"].search([("type", "=", "cash"), ("company_id", "=", company.id)], limit=1)
            created["journal"] = (journal.id, journal.prro_payment_type, journal.prro_cash_register_id.id)
            journal.write({"prro_payment_type": False})  # pay first, fiscalize concurrently afterwards
            partner = env["res.partner"].create({"name": "Concurrent Buyer"})
            product = env["product.product"].create({"name": "Concurrent good", "taxes_id": [Command.clear()]})
            invoice = env["account.move"].create({
                "move_type": "out_invoice", "partner_id": partner.id,
                "invoice_line_ids": [Command.create({"product_id": product.id, "quantity": 1, "price_unit": 99.5,
                                                     "tax_ids": [Command.clear()]})]})
            invoice.action_post()
            env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
                {"journal_id": journal.id})._create_payments()
            journal.write({"prro_payment_type": "cash", "prro_cash_register_id": register.id})
            created.update(register=register.id, partner=partner.id, product=product.id, invoice=invoice.id,
                           payments=invoice._get_reconciled_payments().ids)
            cr.commit()  # pylint: disable=invalid-commit
        self.created = created
        self.addCleanup(self._cleanup)
        self.fake.reset_state()

    def _cleanup(self):
        c = self.created
        with self.registry.cursor() as cr:
            env = self._env(cr)
            env["prro.receipt"].search([("register_id", "=", c["register"])]).with_context(
                active_test=False).line_ids.unlink()
            cr.execute("DELETE FROM prro_receipt WHERE register_id = %s OR move_id = %s", [c["register"], c["invoice"]])
            cr.execute("DELETE FROM prro_shift WHERE register_id = %s", [c["register"]])
            payments = env["account.payment"].browse(c["payments"])
            payments.action_draft()
            payments.unlink()
            invoice = env["account.move"].browse(c["invoice"])
            invoice.button_draft()
            invoice.with_context(force_delete=True).unlink()
            journal_id, payment_type, register_id = c["journal"]
            env["account.journal"].browse(journal_id).write(
                {"prro_payment_type": payment_type, "prro_cash_register_id": register_id})
            env["prro.cash.register"].browse(c["register"]).unlink()
            cr.execute("DELETE FROM account_payment_register WHERE partner_id = %s", [c["partner"]])
            env["product.product"].browse(c["product"]).unlink()
            env["res.partner"].browse(c["partner"]).unlink()
            c["others"].with_env(env).active = True
            for key, value in c["params"].items():
                env["ir.config_parameter"].set_param(key, value or False)
            cr.commit()  # pylint: disable=invalid-commit

    def _in_threads(self, target, count=2):
        barrier = threading.Barrier(count)
        errors, results = [], []

        def run():
            try:
                with self.registry.cursor() as cr:
                    env = self._env(cr)
                    barrier.wait(timeout=10)
                    results.append(target(env))
                    cr.commit()  # pylint: disable=invalid-commit
            except psycopg2.Error as error:  # the loser of a race on the unique key
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        return results, errors

    def test_two_workers_fiscalize_same_invoice_exactly_one_receipt(self):
        invoice_id = self.created["invoice"]
        # two workers (e.g. the reconciliation button and the daily cron) queue the invoice at once
        results, errors = self._in_threads(
            lambda env: env["account.move"].browse(invoice_id).action_prro_fiscalize().ids)
        with self.registry.cursor() as cr:
            receipts = self._env(cr)["prro.receipt"].search([("move_id", "=", invoice_id)])
            self.assertEqual(len(receipts), 1, (results, errors))
            receipt_id = receipts.id
        # two cron workers send it at once
        results, errors = self._in_threads(
            lambda env: env["prro.receipt"]._prro_process_ids([receipt_id], env.cr.commit))
        self.assertFalse(errors)
        self.assertEqual(sorted(results), [0, 1], "one worker sends, the other skips the leased receipt")
        with self.registry.cursor() as cr:
            receipt = self._env(cr)["prro.receipt"].browse(receipt_id)
            self.assertEqual(receipt.state, "done", receipt.error_message)
        self.assertEqual(len(self.fake.sells()), 1)
        self.assertEqual(len(self.fake.requests_to(PREFIX + "/receipts/sell", "POST")), 1)

    def test_state_is_committed_before_the_call(self):
        """While Checkbox holds the POST, another transaction already sees posted=True: a crash here
        would be followed by a lookup, not by a second receipt."""
        invoice_id = self.created["invoice"]
        with self.registry.cursor() as cr:
            receipt_id = self._env(cr)["account.move"].browse(invoice_id).action_prro_fiscalize().id
            cr.commit()  # pylint: disable=invalid-commit
        self.fake.late_after_store(1.0)
        seen = {}

        def peek():
            for _ in range(100):
                if self.fake.requests_to(PREFIX + "/receipts/sell", "POST"):
                    break
                threading.Event().wait(0.02)
            with self.registry.cursor() as cr:
                cr.execute("SELECT posted, state, uuid FROM prro_receipt WHERE id = %s", [receipt_id])
                seen["row"] = cr.fetchone()

        watcher = threading.Thread(target=peek)
        watcher.start()
        self._in_threads(lambda env: env["prro.receipt"]._prro_process_ids([receipt_id], env.cr.commit), count=1)
        watcher.join(timeout=30)
        self.assertEqual(seen["row"][:2], (True, "sending"))
        self.assertEqual(seen["row"][2], self.fake.sells()[0]["id"])
