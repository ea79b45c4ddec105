import logging
from datetime import timedelta

from odoo import api, fields, models

from ..tools.checkbox_api import CheckboxError

_logger = logging.getLogger(__name__)


class PrroReconciliation(models.TransientModel):
    _name = "prro.reconciliation"
    _description = "PRRO Daily Reconciliation"

    date = fields.Date(required=True, default=fields.Date.context_today)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    line_ids = fields.One2many("prro.reconciliation.line", "wizard_id", readonly=True)
    missing_count = fields.Integer(compute="_compute_counts")
    mismatch_count = fields.Integer(compute="_compute_counts")

    @api.depends("date")
    def _compute_display_name(self):
        for wizard in self:
            wizard.display_name = self.env._("Reconciliation %(date)s", date=wizard.date or "")

    @api.depends("line_ids.kind")
    def _compute_counts(self):
        for wizard in self:
            wizard.missing_count = len(wizard.line_ids.filtered(lambda ln: ln.kind == "missing"))
            wizard.mismatch_count = len(wizard.line_ids.filtered(lambda ln: ln.kind != "missing"))

    def _prro_paid_documents(self):
        """Invoices / credit notes paid on the day through a fiscal journal."""
        payments = self.env["account.payment"].search([
            ("company_id", "=", self.company_id.id), ("date", "=", self.date),
            ("state", "not in", ("draft", "canceled")),
            ("journal_id.prro_payment_type", "!=", False), ("partner_type", "=", "customer")])
        return payments.reconciled_invoice_ids.filtered(lambda m: m.move_type in ("out_invoice", "out_refund"))

    def _prro_compute_lines(self):
        self.ensure_one()
        lines = []
        for move in self._prro_paid_documents():
            receipts = move.sudo().prro_receipt_ids
            done = receipts.filtered(lambda r: r.state == "done")
            if not done:
                lines.append({"kind": "missing", "move_id": move.id, "amount": move.amount_total,
                              "receipt_id": receipts[:1].id,
                              "note": receipts[:1].error_message or (receipts[:1].state and dict(
                                  receipts._fields["state"]._description_selection(self.env))[receipts[:1].state])})
            elif move.currency_id.compare_amounts(sum(done.mapped("total_sum")), move.amount_total):
                lines.append({"kind": "mismatch", "move_id": move.id, "receipt_id": done[0].id,
                              "amount": move.amount_total, "receipt_amount": sum(done.mapped("total_sum"))})
        shifts = self.env["prro.shift"].search([("company_id", "=", self.company_id.id),
                                                ("opened_at", ">=", fields.Datetime.to_datetime(self.date)),
                                                ("opened_at", "<", fields.Datetime.to_datetime(self.date)
                                                 + timedelta(days=1))])
        for shift in shifts:
            if shift.state != "CLOSED":
                try:
                    shift.action_prro_refresh()  # read-only: today's totals as Checkbox counts them
                except CheckboxError as error:
                    # totals of an open shift we cannot read now would only be stale: not compared
                    _logger.info("PRRO shift %s not refreshed: %s", shift.id, error.message)
                    continue
            receipts = shift.receipt_ids.filtered(lambda r: r.state == "done" and r.receipt_type == "sell")
            shift_total = shift.cash_sales + shift.card_sales
            if shift.currency_id.compare_amounts(sum(receipts.mapped("total_sum")), shift_total):
                lines.append({"kind": "shift", "shift_id": shift.id, "amount": shift_total,
                              "receipt_amount": sum(receipts.mapped("total_sum"))})
        return lines

    def action_check(self):
        self.ensure_one()
        self.line_ids.unlink()
        self.write({"line_ids": [(0, 0, vals) for vals in self._prro_compute_lines()]})
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id, "view_mode": "form",
                "target": "current"}

    def action_fiscalize_missing(self):
        self.ensure_one()
        missing = self.line_ids.filtered(lambda ln: ln.kind == "missing")
        missing.receipt_id.filtered(lambda r: r.state == "error").action_prro_retry()
        missing.filtered(lambda ln: not ln.receipt_id).move_id.action_prro_fiscalize()
        return self.action_check()

    @api.model
    def _cron_reconcile(self):
        """Daily: queue the receipts missing for yesterday's fiscal payments (never twice: receipt keys)."""
        for company in self.env["prro.cash.register"].search([]).company_id:
            shop = self.with_context(lang=company.partner_id.lang or self.env.lang)  # texts for the staff
            wizard = shop.create({"company_id": company.id, "date": fields.Date.subtract(fields.Date.today(), days=1)})
            wizard.action_check()
            missing = wizard.line_ids.filtered(lambda ln: ln.kind == "missing" and not ln.receipt_id)
            missing.move_id.action_prro_fiscalize()
            _logger.info("PRRO reconciliation %s: %s missing, %s mismatched", company.name, wizard.missing_count,
                         wizard.mismatch_count)


class PrroReconciliationLine(models.TransientModel):
    _name = "prro.reconciliation.line"
    _description = "PRRO Reconciliation Line"

    wizard_id = fields.Many2one("prro.reconciliation", required=True, ondelete="cascade")
    kind = fields.Selection([("missing", "Not Fiscalized"), ("mismatch", "Amount Mismatch"),
                             ("shift", "Shift Total Mismatch")], required=True)
    move_id = fields.Many2one("account.move", string="Document")
    receipt_id = fields.Many2one("prro.receipt")
    shift_id = fields.Many2one("prro.shift")
    currency_id = fields.Many2one(related="wizard_id.company_id.currency_id")
    amount = fields.Monetary(string="Paid")
    receipt_amount = fields.Monetary(string="Fiscalized")
    note = fields.Char()
