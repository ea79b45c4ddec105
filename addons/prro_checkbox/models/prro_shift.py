from datetime import datetime, timezone

from odoo import api, fields, models

from .. import const
from ..tools.checkbox_api import from_kopecks


def _parse_dt(value):
    """Checkbox ISO datetime (with or without offset) -> naive UTC datetime for Odoo."""
    if not value:
        return False
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


class PrroShift(models.Model):
    _name = "prro.shift"
    _description = "PRRO Shift (Checkbox)"
    _order = "id desc"
    _rec_name = "display_name"

    register_id = fields.Many2one("prro.cash.register", required=True, index=True, ondelete="restrict")
    company_id = fields.Many2one(related="register_id.company_id", store=True)
    checkbox_id = fields.Char(string="Checkbox ID", required=True, index=True, copy=False)
    serial = fields.Integer()
    state = fields.Selection(const.SHIFT_STATES, default="CREATED", required=True)
    cashier_name = fields.Char()
    opened_at = fields.Datetime()
    closed_at = fields.Datetime()
    currency_id = fields.Many2one(related="company_id.currency_id")
    initial = fields.Monetary(string="Initial Cash")
    balance = fields.Monetary(string="Cash in Register")
    cash_sales = fields.Monetary()
    card_sales = fields.Monetary(string="Cashless Sales")
    cash_returns = fields.Monetary()
    card_returns = fields.Monetary(string="Cashless Returns")
    service_in = fields.Monetary(string="Cash Deposits")
    service_out = fields.Monetary(string="Cash Withdrawals")
    z_report_serial = fields.Integer(string="Z Report No.")
    z_report_sell_count = fields.Integer(string="Sale Receipts")
    z_report_return_count = fields.Integer(string="Return Receipts")
    x_report_text = fields.Text(string="Last X Report")
    receipt_ids = fields.One2many("prro.receipt", "shift_id", string="Receipts")
    error_message = fields.Char(readonly=True)

    _sql_constraints = [("checkbox_id_uniq", "unique(checkbox_id)", "A Checkbox shift is stored once.")]

    @api.depends("serial", "register_id", "opened_at")
    def _compute_display_name(self):
        for shift in self:
            shift.display_name = self.env._("%(register)s shift %(serial)s", register=shift.register_id.name or "",
                                            serial=shift.serial or "?")

    @api.model
    def _prro_upsert(self, register, remote):
        """Create or update the local copy of a Checkbox shift dict."""
        balance = remote.get("balance") or {}
        z_report = remote.get("z_report") or {}
        vals = {
            "register_id": register.id, "checkbox_id": remote["id"], "serial": remote.get("serial") or 0,
            "state": remote.get("status") or "CREATED",
            "cashier_name": (remote.get("cashier") or {}).get("full_name"),
            "opened_at": _parse_dt(remote.get("opened_at")), "closed_at": _parse_dt(remote.get("closed_at")),
            "initial": from_kopecks(balance.get("initial")), "balance": from_kopecks(balance.get("balance")),
            "cash_sales": from_kopecks(balance.get("cash_sales")),
            "card_sales": from_kopecks(balance.get("card_sales")),
            "cash_returns": from_kopecks(balance.get("cash_returns")),
            "card_returns": from_kopecks(balance.get("card_returns")),
            "service_in": from_kopecks(balance.get("service_in")),
            "service_out": from_kopecks(balance.get("service_out")),
        }
        if z_report:
            vals.update(z_report_serial=z_report.get("serial") or 0,
                        z_report_sell_count=z_report.get("sell_receipts_count") or 0,
                        z_report_return_count=z_report.get("return_receipts_count") or 0)
        shift = self.search([("checkbox_id", "=", remote["id"])], limit=1)
        if shift:
            shift.write(vals)
            return shift
        if vals["state"] in ("CREATED", "OPENING", "OPENED"):
            # Checkbox has one open shift per register: older local copies are stale
            self.search([("register_id", "=", register.id), ("state", "in", ("CREATED", "OPENING", "OPENED"))]
                        ).write({"state": "CLOSED"})
        return self.create(vals)

    def action_prro_refresh(self):
        for shift in self:
            api_client = shift.register_id._prro_api()
            self._prro_upsert(shift.register_id, api_client.get_shift(shift.checkbox_id))

    def action_prro_cash_operation(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "prro.cash.operation", "view_mode": "form",
            "target": "new", "context": {"default_register_id": self.register_id.id},
        }
