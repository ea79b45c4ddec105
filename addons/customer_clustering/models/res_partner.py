from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    customer_segment_id = fields.Many2one(
        "customer.segment", string="Customer Segment", index=True, ondelete="set null", copy=False
    )
