from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.checkbox_api import CheckboxError


class PrroCashOperation(models.TransientModel):
    _name = "prro.cash.operation"
    _description = "PRRO Cash Operation (X report, cash deposit / withdrawal)"

    register_id = fields.Many2one("prro.cash.register", required=True,
                                  default=lambda self: self.env["prro.cash.register"].search(
                                      [("company_id", "=", self.env.company.id)], limit=1))
    operation = fields.Selection(
        [("x_report", "X Report"), ("service_in", "Cash Deposit (service in)"),
         ("service_out", "Cash Withdrawal (service out)")], required=True, default="x_report")
    currency_id = fields.Many2one(related="register_id.company_id.currency_id")
    amount = fields.Monetary()
    report_text = fields.Text(readonly=True)

    @api.constrains("amount", "operation")
    def _check_amount(self):
        for wizard in self:
            if wizard.operation != "x_report" and wizard.amount <= 0:
                raise UserError(self.env._("Enter a positive amount of cash."))

    def action_confirm(self):
        self.ensure_one()
        if self.operation == "x_report":
            # an X report changes nothing in Odoo: the operator waits for it and reads it here
            api_client = self.register_id._prro_api()
            try:
                shift = self.register_id._prro_ensure_shift(api_client)
                report = api_client.create_x_report()
                text = api_client.report_text(report["id"])
            except CheckboxError as error:
                raise UserError(self.env._("Checkbox: %(message)s", message=error.message)) from error
            shift.x_report_text = text
            self.report_text = text
            return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
                    "view_mode": "form", "target": "new"}
        receipt = self.env["prro.receipt"]._prro_create_once({
            "receipt_type": self.operation, "register_id": self.register_id.id,
            "company_id": self.register_id.company_id.id, "amount_cash": self.amount,
        })
        return {"type": "ir.actions.act_window", "res_model": "prro.receipt", "res_id": receipt.id,
                "view_mode": "form", "target": "current"}
