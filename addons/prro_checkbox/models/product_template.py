from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    prro_code = fields.Char(
        string="Fiscal Code", help="Good code sent to Checkbox (default: the internal reference).")
    prro_uktzed = fields.Char(
        string="UKTZED", help="Ukrainian goods classification code (УКТ ЗЕД), printed on the fiscal receipt.")
