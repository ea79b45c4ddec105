from odoo import fields, models


class PrroCashRegister(models.Model):
    _name = "prro.cash.register"
    _description = "PRRO Cash Register (Checkbox)"
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    fiscal_number = fields.Char(help="Fiscal number of the cash register issued by the tax service.")
    license_key = fields.Char(groups="base.group_system", copy=False)
    cashier_login = fields.Char(groups="base.group_system", copy=False)
    cashier_password = fields.Char(groups="base.group_system", copy=False)
    prod_environment = fields.Boolean(
        string="Production Environment", help="Off: receipts go to the Checkbox test server."
    )
