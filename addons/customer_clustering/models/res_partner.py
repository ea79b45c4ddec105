from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    customer_birthdate = fields.Date(
        string="Birth Date", copy=False,
        help="Optional; gives the customer's age to the segmentation (import it or fill it from the bot).",
    )
    customer_age = fields.Integer(string="Age", compute="_compute_customer_age")
    # written in bulk by the segmentation run (SQL, committed batches): current segment of the commercial partner
    customer_segment_id = fields.Many2one(
        "customer.segment", string="Customer Segment", index=True, ondelete="set null", copy=False, readonly=True
    )
    customer_segment_distance = fields.Float(
        string="Distance to Segment Centre", digits=(16, 3), copy=False, readonly=True,
        help="0 = the typical customer of the segment; larger = further from it.",
    )
    customer_segment_features = fields.Json(copy=False, readonly=True)
    customer_segment_why = fields.Char(string="Why this segment", compute="_compute_customer_segment_why",
                                       help="The three features that place the customer in the segment.")
    customer_segment_history_ids = fields.One2many(
        "customer.segment.membership", "partner_id", string="Segment History", readonly=True)

    @api.depends("customer_birthdate")
    def _compute_customer_age(self):
        today = fields.Date.context_today(self)
        for partner in self:
            born = partner.customer_birthdate
            partner.customer_age = (
                today.year - born.year - ((today.month, today.day) < (born.month, born.day)) if born else 0
            )

    @api.depends("customer_segment_features", "customer_segment_id")
    def _compute_customer_segment_why(self):
        Segment = self.env["customer.segment"]
        for partner in self:
            keys = partner.customer_segment_features or []
            if not keys or not partner.customer_segment_id:
                partner.customer_segment_why = False
                continue
            run = partner.customer_segment_id.last_result_id.run_id
            labels = Segment._feature_labels(keys, run.feature_meta)
            partner.customer_segment_why = ", ".join(labels[k] for k in keys)
