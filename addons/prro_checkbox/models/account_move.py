from collections import defaultdict

from odoo import api, fields, models

from .prro_receipt import PrroBuildError

FISCAL_STATES = [("none", "Not Fiscal"), ("to_send", "To Send"), ("sending", "Sending"), ("done", "Fiscalized"),
                 ("error", "Fiscal Error")]


def _fiscal_state(receipts):
    if not receipts:
        return "none"
    states = set(receipts.mapped("state"))
    for state in ("error", "sending", "to_send"):
        if state in states:
            return state
    return "done"


class AccountMove(models.Model):
    _inherit = "account.move"

    prro_receipt_ids = fields.One2many("prro.receipt", "move_id", string="Fiscal Receipts")
    prro_state = fields.Selection(FISCAL_STATES, string="Fiscal State", compute="_compute_prro_state",
                                  search="_search_prro_state")
    prro_error = fields.Text(string="Fiscal Error", compute="_compute_prro_state")

    @api.depends("prro_receipt_ids.state")
    def _compute_prro_state(self):
        for move in self:
            receipts = move.sudo().prro_receipt_ids
            move.prro_state = _fiscal_state(receipts)
            move.prro_error = "\n".join(receipts.filtered(lambda r: r.state == "error").mapped("error_message") or [])

    def _search_prro_state(self, operator, value):
        if operator not in ("=", "in"):
            return []
        values = [value] if operator == "=" else value
        receipts = self.env["prro.receipt"].sudo().search([("move_id", "!=", False), ("state", "in", values)])
        return [("id", "in", receipts.move_id.ids)]

    # -- trigger --------------------------------------------------------------------------------
    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        for move in self.filtered(lambda m: m.move_type in ("out_invoice", "out_refund")):
            move._prro_fiscalize_paid()
        return res

    def _prro_fiscal_payments(self):
        """{(journal, fiscal payment type): amount in the invoice currency} of the fiscal payments reconciled
        with this invoice (the payment method's type overrides the journal's)."""
        self.ensure_one()
        paid = defaultdict(float)
        for line in self.line_ids.filtered(lambda ln: ln.account_type in ("asset_receivable", "liability_payable")):
            counterparts = [(p.credit_move_id, p.debit_amount_currency) for p in line.matched_credit_ids]
            counterparts += [(p.debit_move_id, p.credit_amount_currency) for p in line.matched_debit_ids]
            for counterpart, amount in counterparts:
                journal = counterpart.journal_id
                method = counterpart.move_id.origin_payment_id.payment_method_line_id
                payment_type = method.prro_payment_type or journal.prro_payment_type
                if payment_type:
                    paid[journal, payment_type] += amount
        return dict(paid)

    def _prro_fiscalize_paid(self):
        """Queue the sale (invoice) or return (credit note) receipt of a paid document, once."""
        self.ensure_one()
        payments = self._prro_fiscal_payments()
        if not payments:
            return self.env["prro.receipt"]
        key = f"move:{self.id}"
        Receipt = self.env["prro.receipt"].sudo()
        existing = Receipt.search([("key", "=", key)], limit=1)
        if existing:
            return existing
        journals = [journal for journal, _type in payments if journal.prro_cash_register_id]
        register = (journals[0].prro_cash_register_id if journals
                    else self.env["prro.cash.register"].sudo()._prro_default_register(self.company_id))
        amounts = defaultdict(float)
        for (_journal, payment_type), amount in payments.items():
            amounts[payment_type] += amount
        last_payment = max((p.date for p in self._get_reconciled_payments()), default=False)
        vals = {
            "key": key, "company_id": self.company_id.id, "register_id": register.id,
            "receipt_type": "sell" if self.move_type == "out_invoice" else "return",
            "move_id": self.id, "partner_id": self.partner_id.id,
            "email": self.partner_id.email or False,
            "sale_order_id": self.sudo().line_ids.sale_line_ids.order_id[:1].id,
            "amount_cash": amounts["cash"], "amount_card": amounts["card"], "amount_cashless": amounts["cashless"],
            "rounding": bool(self.invoice_cash_rounding_id) and bool(amounts["cash"]),
            "paid_at": fields.Datetime.now() if not last_payment or last_payment >= fields.Date.today()
            else fields.Datetime.to_datetime(last_payment),
        }
        if self.move_type == "out_refund":
            original = Receipt.search([("move_id", "=", self.reversed_entry_id.id), ("receipt_type", "=", "sell"),
                                       ("state", "=", "done")], limit=1) if self.reversed_entry_id else Receipt
            vals["related_receipt_id"] = original.id
        if not register:
            vals.update(state="error", error_message=self.env._(
                "No PRRO cash register is configured for %(company)s.", company=self.company_id.name))
        else:
            try:
                vals["line_ids"] = [(0, 0, line) for line in Receipt._prro_lines_from_invoice(register, self)]
            except PrroBuildError as error:
                vals.update(state="error", error_message=str(error))
        return Receipt._prro_create_once(vals)

    def action_prro_fiscalize(self):
        """Queue the fiscal receipt of paid invoices that have none (reconciliation, manual)."""
        receipts = self.env["prro.receipt"]
        for move in self.filtered(lambda m: m.payment_state in ("paid", "in_payment")):
            receipts |= move._prro_fiscalize_paid()
        return receipts

    def action_prro_retry(self):
        self.sudo().prro_receipt_ids.filtered(lambda r: r.state == "error").action_prro_retry()
        return True

    def action_prro_view_receipts(self):
        return {
            "type": "ir.actions.act_window", "res_model": "prro.receipt", "name": self.env._("Fiscal Receipts"),
            "view_mode": "list,form", "domain": [("move_id", "in", self.ids)],
        }
