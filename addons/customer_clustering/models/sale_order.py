from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # the customer's segment, stored so orders can be filtered and grouped by it; the segmentation run
    # refreshes it in bulk (SQL) when segments change
    customer_segment_id = fields.Many2one(
        "customer.segment", string="Customer Segment", compute="_compute_customer_segment_id", store=True,
        index="btree_not_null", readonly=True, copy=False,
    )

    @api.depends("partner_id")
    def _compute_customer_segment_id(self):
        for order in self:
            order.customer_segment_id = order.partner_id.commercial_partner_id.customer_segment_id
