from odoo import api, fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # the customer's segment, stored for filters / group-by; refreshed in bulk by each segmentation run
    customer_segment_id = fields.Many2one(
        "customer.segment", string="Customer Segment", compute="_compute_customer_segment_id", store=True,
        index="btree_not_null", readonly=True, copy=False,
    )

    @api.depends("partner_id")
    def _compute_customer_segment_id(self):
        for lead in self:
            lead.customer_segment_id = lead.partner_id.commercial_partner_id.customer_segment_id
