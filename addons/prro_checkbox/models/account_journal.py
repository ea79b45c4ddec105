from odoo import fields, models

from .. import const


class AccountJournal(models.Model):
    _inherit = "account.journal"

    prro_payment_type = fields.Selection(
        const.PAYMENT_TYPES, string="Fiscal Payment Type",
        help="Payments received in this journal are fiscalized through Checkbox as this payment type. "
             "Leave empty for non-fiscal journals (e.g. transfers between companies).")
    prro_cash_register_id = fields.Many2one(
        "prro.cash.register", string="PRRO Cash Register", check_company=True,
        help="Cash register that fiscalizes payments of this journal (default: the company's first one).")


class AccountPaymentMethodLine(models.Model):
    _inherit = "account.payment.method.line"

    prro_payment_type = fields.Selection(
        const.PAYMENT_TYPES, string="Fiscal Payment Type",
        help="Overrides the journal's fiscal payment type for payments made with this method "
             "(e.g. card vs bank transfer in the same bank journal).")
