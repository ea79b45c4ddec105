from odoo import fields, models


class SaleReport(models.Model):
    _inherit = "sale.report"

    np_rating = fields.Float(string="Customer Rating", readonly=True, aggregator="avg")

    def _select_additional_fields(self):
        res = super()._select_additional_fields()
        res["np_rating"] = "s.np_rating"
        return res

    def _group_by_sale(self):
        res = super()._group_by_sale()
        res += """,
            s.np_rating"""
        return res
