from datetime import datetime

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.prro_checkbox.models.prro_cash_register import _TOKEN_CACHE

from tests.fakes.base import Fault, Response
from tests.fakes.checkbox import PREFIX

from .common import PrroCommon


@tagged("post_install", "-at_install")
class TestPrroReceipt(PrroCommon):
    def test_paid_invoice_is_fiscalized_once(self):
        invoice = self._pay(self._invoice([(self.product, 2, 550.0, 10.0, self.tax20),
                                           (self.shipping, 1, 60.0, 0.0, self.env["account.tax"])]))
        receipt = invoice.prro_receipt_ids
        self.assertEqual(len(receipt), 1)
        self.assertEqual((receipt.state, invoice.prro_state), ("to_send", "to_send"))
        self.assertFalse(self.fake.requests, "no Checkbox call inside the payment transaction")
        self._run_cron()
        self.assertEqual(receipt.state, "done", receipt.error_message)
        self.assertEqual(invoice.prro_state, "done")
        sent = self._sells()[0]
        self.assertEqual(sent.header("X-Client-Name"), "Odoo prro_checkbox")
        self.assertTrue(sent.header("X-Client-Version"))
        self.assertTrue(sent.header("Authorization").startswith("Bearer "))
        body = sent.json
        self.assertEqual(body["id"], receipt.uuid)
        shirt, ship = body["goods"]
        self.assertEqual(shirt["good"], {"code": "TS-1", "name": "Футболка біла", "price": 55000, "tax": [1],
                                         "uktzed": "6109100010"})
        self.assertEqual(shirt["quantity"], 2000)
        self.assertEqual(shirt["discounts"], [{"type": "DISCOUNT", "mode": "VALUE", "value": 11000}])
        self.assertEqual((ship["good"]["price"], ship["quantity"], "tax" in ship["good"]), (6000, 1000, False))
        self.assertEqual(body["payments"], [{"type": "CASH", "value": 105000, "label": "Cash"}])
        self.assertEqual(body["delivery"], {"email": "olena@example.com"})
        self.assertTrue(receipt.fiscal_code.startswith("TEST-"))
        self.assertEqual(receipt.total_sum, 1050.0)
        self.assertTrue(receipt.serial and receipt.fiscal_date and receipt.tax_url)
        self.assertIn("Футболка біла", receipt.receipt_text)
        self.assertTrue(receipt.email_sent)
        self.assertEqual(self.fake.receipts[receipt.uuid]["_emails"], ["olena@example.com"])
        self.assertEqual(receipt.shift_id.state, "OPENED")
        self.assertEqual(len(self.fake.requests_to(PREFIX + "/shifts", "POST")), 1, "first receipt opens the shift")
        # paid -> in_payment -> paid again, a second hook call, the cron again: still one receipt
        invoice._prro_fiscalize_paid()
        self._run_cron()
        self.assertEqual(len(invoice.prro_receipt_ids), 1)
        self.assertEqual(len(self.fake.sells()), 1)

    def test_card_payment_and_uah_rounding(self):
        invoice = self._pay(self._invoice([(self.product, 3, 33.335, 0.0, self.tax20)]), journal=self.bank_journal)
        self._run_cron()
        receipt = invoice.prro_receipt_ids
        self.assertEqual(receipt.state, "done", receipt.error_message)
        body = self._sells()[0].json
        total = sum(round(g["good"]["price"] * g["quantity"] / 1000) - sum(d["value"] for d in g.get("discounts", []))
                    for g in body["goods"])
        self.assertEqual(body["payments"][0]["type"], "CASHLESS")
        self.assertEqual(body["payments"][0]["value"], total)
        self.assertEqual(total, round(invoice.amount_total * 100))

    def test_payment_method_overrides_journal_type(self):
        method = self.bank_journal.inbound_payment_method_line_ids[:1]
        method.prro_payment_type = "cashless"  # bank transfer in the card journal
        invoice = self._invoice()
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
            {"journal_id": self.bank_journal.id, "payment_method_line_id": method.id})._create_payments()
        receipt = invoice.prro_receipt_ids
        self.assertEqual((receipt.amount_cashless, receipt.amount_card), (invoice.amount_total, 0.0))

    def test_non_fiscal_journal_makes_no_receipt(self):
        self.bank_journal.prro_payment_type = False
        invoice = self._pay(self._invoice(), journal=self.bank_journal)
        self.assertFalse(invoice.prro_receipt_ids)
        self.assertEqual(invoice.prro_state, "none")

    def test_unmapped_tax_clear_error_and_no_call(self):
        invoice = self._pay(self._invoice([(self.product, 1, 100.0, 0.0, self.tax_unmapped)]))
        receipt = invoice.prro_receipt_ids
        self.assertEqual(receipt.state, "error")
        self.assertIn("Акциз 5%", receipt.error_message)
        self.assertIn("no Checkbox tax code", receipt.error_message)
        self.assertEqual(invoice.prro_state, "error")
        self._run_cron()
        self.assertFalse(self._sells(), "nothing is sent for an unmapped tax")
        # the accountant maps the tax and presses Retry on the invoice
        self.register.tax_mapping_ids.filtered(lambda m: m.checkbox_code == 8).tax_ids = self.tax_unmapped
        invoice.action_prro_retry()
        self.assertEqual(receipt.state, "to_send")
        self._run_cron()
        self.assertEqual(receipt.state, "done", receipt.error_message)
        self.assertEqual(self._sells()[0].json["goods"][0]["good"]["tax"], [8])

    def test_timeout_after_checkbox_stored_it_gives_exactly_one_receipt(self):
        invoice = self._pay(self._invoice())
        self.register._prro_ensure_shift(self.register._prro_api())
        self.fake.late_after_store(2.0)  # stored, answer comes after the 1 s client timeout
        self._run_cron()
        receipt = invoice.prro_receipt_ids
        self.assertEqual(receipt.state, "done", receipt.error_message)
        self.assertEqual(len(self.fake.sells()), 1)
        self.assertEqual(len(self._sells()), 1, "never posted twice")
        lookups = self.fake.requests_to(PREFIX + f"/receipts/{receipt.uuid}", "GET")
        self.assertTrue(lookups, "Checkbox is asked for the UUID after the timeout")

    def test_dropped_answer_then_retry_looks_up_first(self):
        invoice = self._pay(self._invoice())
        self.fake.drop_after_store()
        # the lookup right after the drop fails too (Checkbox briefly unreachable)
        receipt = invoice.prro_receipt_ids
        self.fake.fail_next(Fault.server_error(502), path=PREFIX + f"/receipts/{receipt.uuid}")
        self._run_cron()
        self.assertEqual((receipt.state, receipt.posted), ("sending", True))
        self.assertIn("server error", receipt.error_message)
        receipt.next_try = datetime(2000, 1, 1)
        self._run_cron()
        self.assertEqual(receipt.state, "done", receipt.error_message)
        self.assertEqual(len(self._sells()), 1, "the retry found the stored receipt instead of posting again")
        self.assertEqual(len(self.fake.sells()), 1)

    def test_5xx_before_storing_is_posted_again_with_same_uuid(self):
        invoice = self._pay(self._invoice())
        self.fake.fail_next(Fault.server_error(503), path=PREFIX + "/receipts/sell")
        self._run_cron()
        receipt = invoice.prro_receipt_ids
        self.assertEqual(receipt.state, "sending")
        receipt.next_try = datetime(2000, 1, 1)
        self._run_cron()
        self.assertEqual(receipt.state, "done", receipt.error_message)
        sells = self._sells()
        self.assertEqual(len(sells), 2)
        self.assertEqual({s.json["id"] for s in sells}, {receipt.uuid})
        self.assertEqual(len(self.fake.sells()), 1)

    def test_error_families(self):
        # 422 validation: field path in the message, permanent error
        invoice = self._pay(self._invoice())
        self.fake.fail_next(Response.json({"message": "Validation error", "detail": [
            {"loc": ["body", "goods", 0, "good", "price"], "msg": "value is not a valid integer",
             "type": "type_error.integer"}]}, status=422), path=PREFIX + "/receipts/sell")
        self._run_cron()
        receipt = invoice.prro_receipt_ids
        self.assertEqual(receipt.state, "error")
        self.assertIn("goods.0.good.price: value is not a valid integer", receipt.error_message)
        # 400 message
        invoice2 = self._pay(self._invoice())
        self.fake.fail_next(Response.json({"message": "Сума оплати не відповідає сумі чеку"}, status=400),
                            path=PREFIX + "/receipts/sell")
        self._run_cron()
        self.assertEqual(invoice2.prro_receipt_ids.state, "error")
        self.assertIn("Сума оплати", invoice2.prro_receipt_ids.error_message)
        # asynchronous refusal (status ERROR) -> retry issues a new UUID
        self.fake.fail_receipts_with = "ДПС: помилка підпису"
        invoice3 = self._pay(self._invoice())
        self._run_cron()
        receipt3 = invoice3.prro_receipt_ids
        self.assertEqual(receipt3.state, "error")
        self.assertIn("ДПС: помилка підпису", receipt3.error_message)
        self.fake.fail_receipts_with = None
        old_uuid = receipt3.uuid
        receipt3.action_prro_retry()
        self._run_cron()
        self.assertEqual(receipt3.state, "done")
        self.assertNotEqual(receipt3.uuid, old_uuid)
        # wrong credentials: readable, no secret in the message
        self.register.sudo().write({"cashier_password": "wrong", "access_token": False})
        from odoo.addons.prro_checkbox.models import prro_cash_register
        prro_cash_register._TOKEN_CACHE.clear()
        invoice4 = self._pay(self._invoice())
        self._run_cron()
        receipt4 = invoice4.prro_receipt_ids
        self.assertEqual(receipt4.state, "error")
        self.assertIn("Invalid credentials", receipt4.error_message)
        self.assertNotIn("wrong", receipt4.error_message)
        # retry the earlier ones now works
        self.register.sudo().cashier_password = "secret1"
        (receipt | invoice2.prro_receipt_ids | receipt4).action_prro_retry()
        self._run_cron()
        self.assertEqual(set((receipt | invoice2.prro_receipt_ids | receipt4).mapped("state")), {"done"})

    def test_token_expiry_mid_shift(self):
        self._pay(self._invoice())
        self._run_cron()
        signins = len(self.fake.requests_to(PREFIX + "/cashier/signin"))
        self.fake.expire_tokens()
        invoice = self._pay(self._invoice())
        self._run_cron()
        self.assertEqual(invoice.prro_receipt_ids.state, "done", invoice.prro_receipt_ids.error_message)
        self.assertEqual(len(self.fake.requests_to(PREFIX + "/cashier/signin")), signins + 1)
        self.assertEqual(len(self.fake.requests_to(PREFIX + "/shifts", "POST")), 1, "same shift goes on")
        self.assertEqual(len(self.fake.sells()), 2)

    def test_pin_sign_in(self):
        self.register.sudo().write({"cashier_auth": "pin", "cashier_pin": "1111", "access_token": False})
        from odoo.addons.prro_checkbox.models import prro_cash_register
        prro_cash_register._TOKEN_CACHE.clear()
        invoice = self._pay(self._invoice())
        self._run_cron()
        self.assertEqual(invoice.prro_receipt_ids.state, "done", invoice.prro_receipt_ids.error_message)
        pin_calls = self.fake.requests_to(PREFIX + "/cashier/signinPinCode")
        self.assertEqual(pin_calls[0].header("X-License-Key"), "lic-test-0001")

    def test_credit_note_gives_return_receipt_linked_to_sale(self):
        invoice = self._pay(self._invoice())
        self._run_cron()
        sale = invoice.prro_receipt_ids
        self.assertEqual(sale.state, "done")
        reversal = self.env["account.move.reversal"].with_context(
            active_model="account.move", active_ids=invoice.ids).create({
                "journal_id": invoice.journal_id.id, "reason": "повернення"})
        refund = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        refund.action_post()
        self._pay(refund)
        receipt = refund.prro_receipt_ids
        self.assertEqual((receipt.receipt_type, receipt.related_receipt_id), ("return", sale))
        self._run_cron()
        self.assertEqual(receipt.state, "done", receipt.error_message)
        body = self._sells()[-1].json
        self.assertEqual(body["related_receipt_id"], sale.uuid)
        self.assertTrue(all(g["is_return"] for g in body["goods"]))
        self.assertEqual(self.fake.receipts[receipt.uuid]["type"], "RETURN")

    def test_offline_mode_is_shown(self):
        self.fake.registers["lic-test-0001"]["offline_mode"] = True
        invoice = self._pay(self._invoice())
        self._run_cron()
        self.assertTrue(invoice.prro_receipt_ids.is_created_offline)
        self.assertTrue(self.register.offline_mode)
        self.fake.registers["lic-test-0001"]["offline_mode"] = False
        self.env["prro.cash.register"]._cron_close_shifts()  # the shift cron also reads the register's mode
        self.assertFalse(self.register.offline_mode)

    def test_billing_user_registers_payment_receipt_queued(self):
        billing = new_test_user(self.env, "prro_billing", groups="account.group_account_invoice")
        invoice = self._invoice().with_user(billing)
        self.env["account.payment.register"].with_user(billing).with_context(
            active_model="account.move", active_ids=invoice.ids).create(
            {"journal_id": self.cash_journal.id})._create_payments()
        self.assertEqual(invoice.prro_state, "to_send")
        self.assertFalse(self.fake.requests)
        self._run_cron()
        self.assertEqual(invoice.prro_state, "done")
        # the user can read the receipt but not the register's secrets
        self.assertTrue(invoice.prro_receipt_ids.fiscal_code)
        with self.assertRaises(AccessError):
            self.register.with_user(billing).read(["cashier_password"])

    def test_salesperson_sees_fiscal_state_of_order(self):
        salesman = new_test_user(self.env, "prro_sales", groups="sales_team.group_sale_salesman")
        order = self.env["sale.order"].with_user(salesman).create({
            "partner_id": self.customer.id, "order_line": [Command.create({"product_id": self.product.id})]})
        self.assertEqual(order.prro_state, "none")
        order.sudo()._prro_fiscalize_payment(order.amount_total, "card", key="t:1")
        order.invalidate_recordset()
        self.assertEqual(order.prro_state, "to_send")
        self.assertEqual(order.prro_receipt_ids.state, "to_send")


@tagged("post_install", "-at_install")
class TestPrroHook(PrroCommon):
    def _order(self):
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 2, "price_unit": 550.0,
                                           "tax_id": [Command.set(self.tax20.ids)]}),
                           Command.create({"product_id": self.shipping.id, "price_unit": 60.0,
                                           "tax_id": [Command.clear()]})]})
        order.action_confirm()
        return order

    def test_hook_builds_receipt_once_and_cron_sends_it(self):
        order = self._order()
        paid_at = datetime(2026, 11, 20, 10, 15)
        receipt = order._prro_fiscalize_payment(1160.0, "cash", paid_at=paid_at, key="np_cod:20450000000001")
        self.assertEqual((receipt.state, receipt.paid_at, receipt.amount_cash), ("to_send", paid_at, 1160.0))
        self.assertEqual(len(receipt.line_ids), 2)
        self.assertFalse(self.fake.requests, "the hook makes no external call")
        again = order._prro_fiscalize_payment(1160.0, "cash", key="np_cod:20450000000001")
        self.assertEqual(again, receipt)
        self.assertEqual(order.prro_state, "to_send")
        self._run_cron()
        self.assertEqual(receipt.state, "done", receipt.error_message)
        self.assertEqual(order.prro_state, "done")
        body = self._sells()[0].json
        self.assertEqual(body["payments"], [{"type": "CASH", "value": 116000, "label": "Cash"}])

    def test_hook_partial_amount_becomes_discount(self):
        order = self._order()
        receipt = order._prro_fiscalize_payment(1000.0, "cashless", key="marketplace_paid:1:A-1")
        self._run_cron()
        self.assertEqual(receipt.state, "done", receipt.error_message)
        body = self._sells()[0].json
        self.assertEqual(body["discounts"][0]["value"], 16000)
        self.assertEqual(body["payments"], [{"type": "CASHLESS", "value": 100000, "label": "Cashless"}])
        self.assertEqual(receipt.total_sum, 1000.0)

    def test_hook_without_register_returns_error_receipt(self):
        order = self._order()
        self.register.active = False
        receipt = order._prro_fiscalize_payment(1160.0, "card", key="np_cod:X")
        self.assertEqual(receipt.state, "error")
        self.assertIn("No PRRO cash register is configured", receipt.error_message)
        self.assertEqual(order.prro_state, "error")
        # configured later: Retry on the order sends it
        self.register.active = True
        order.action_prro_retry()
        self.assertEqual(receipt.state, "to_send")
        self.assertEqual(len(receipt.line_ids), 2)
        self._run_cron()
        self.assertEqual(receipt.state, "done", receipt.error_message)

    def test_noted_hook_tells_the_outcome_on_the_order(self):
        """The bridges' shared helper: queued / in error / could not be queued, each said once on the order."""
        def notes(order):
            return [m.body for m in order.message_ids if "fiscal receipt" in (m.body or "")]

        order = self._order()
        receipt = order._prro_fiscalize_payment_noted("Prom.ua prepayment", 1160.0, "card", key="t:noted:1")
        self.assertEqual(receipt.state, "to_send")
        self.assertEqual(len(notes(order)), 1)
        self.assertIn("Prom.ua prepayment: fiscal receipt", notes(order)[0])
        self.assertIn("queued", notes(order)[0])

        self.register.active = False
        other = self._order()
        receipt = other._prro_fiscalize_payment_noted("Nova Poshta COD 2045", 1160.0, "cashless", key="t:noted:2")
        self.assertEqual(receipt.state, "error")
        self.assertIn("is in error (No PRRO cash register is configured", notes(other)[0])

        third = self._order()
        count = self.env["prro.receipt"].search_count([])
        self.assertIsNone(third._prro_fiscalize_payment_noted("X prepayment", 10.0, "barter", key="t:noted:3"))
        self.assertEqual(self.env["prro.receipt"].search_count([]), count, "nothing half-written")
        self.assertIn("X prepayment: the fiscal receipt could not be queued", notes(third)[0])

    def test_missing_credentials_said_in_the_shops_language(self):
        """A register without cashier credentials: the cron (English cron user) says so in the shop's language,
        with the register's name, and sends nothing."""
        self.env["res.lang"]._activate_lang("uk_UA")
        self.env["ir.module.module"].search([("name", "=", "prro_checkbox")])._update_translations("uk_UA")
        self.company.partner_id.lang = "uk_UA"
        self.register.write({"cashier_login": False, "cashier_password": False, "access_token": False})
        _TOKEN_CACHE.pop((self.env.cr.dbname, self.register.id), None)
        receipt = self._order()._prro_fiscalize_payment(1160.0, "card", key="t:nocreds:1")
        self.assertEqual(receipt.state, "to_send")
        cron_env = self.env(user=self.env.ref("base.user_root"), context={"lang": "en_US"})
        cron_env["prro.receipt"]._cron_send()
        self.assertEqual(receipt.state, "error")
        self.assertIn("Немає облікових даних касира", receipt.error_message)
        self.assertIn(self.register.name, receipt.error_message)
        self.assertFalse(self._sells(), "nothing reaches Checkbox")
