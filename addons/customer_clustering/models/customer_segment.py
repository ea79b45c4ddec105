from odoo import api, fields, models
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

BEST, OTHER, REGULAR = _lt("Best customers"), _lt("Other customers"), _lt("Regular customers")
CHAMPIONS, LOYAL, PROMISING = _lt("Champions"), _lt("Loyal customers"), _lt("Promising")
OCCASIONAL, LAPSING = _lt("Occasional buyers"), _lt("Lapsing customers")
SEGMENT_NAMES = {
    2: (BEST, OTHER),
    3: (BEST, REGULAR, LAPSING),
    4: (CHAMPIONS, LOYAL, OCCASIONAL, LAPSING),
    5: (CHAMPIONS, LOYAL, PROMISING, OCCASIONAL, LAPSING),
}


class CustomerSegment(models.Model):
    _name = "customer.segment"
    _description = "Customer Segment"
    _order = "run_id desc, rank"

    name = fields.Char(required=True, translate=True)
    run_id = fields.Many2one("customer.clustering.run", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    rank = fields.Integer(help="0 = highest average spend.")
    avg_recency = fields.Float(string="Avg. Days Since Last Order", digits=(16, 1))
    avg_frequency = fields.Float(string="Avg. Orders", digits=(16, 2))
    avg_monetary = fields.Float(string="Avg. Revenue", digits=(16, 2))
    partner_ids = fields.One2many("res.partner", "customer_segment_id", string="Customers")
    partner_count = fields.Integer(compute="_compute_partner_count")

    @api.depends("partner_ids")
    def _compute_partner_count(self):
        counts = dict(self.env["res.partner"]._read_group(
            [("customer_segment_id", "in", self.ids)], ["customer_segment_id"], ["__count"]
        ))
        for segment in self:
            segment.partner_count = counts.get(segment, 0)

    @api.model
    def _default_segment_name(self, rank, n_clusters, lang=None):
        """Name of the segment of a given rank, in `lang` (default: the user's language)."""
        lang = lang or self.env.lang or "en_US"
        names = SEGMENT_NAMES.get(n_clusters)
        if names:
            return names[rank]._translate(lang)
        return self.with_context(lang=lang).env._("Segment %(number)s", number=rank + 1)

    def _set_name_translations(self, n_clusters):
        """Store the segment name in every active language, so each user reads it in theirs."""
        langs = [code for code, _name in self.env["res.lang"].get_installed()]
        for segment in self:
            segment.update_field_translations("name", {
                lang: self._default_segment_name(segment.rank, n_clusters, lang) for lang in langs
            })

    def action_view_customers(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("customer_segment_id", "=", self.id)],
        }

    def action_create_mailing(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "mailing.mailing",
            "view_mode": "form",
            "context": {
                "default_subject": self.name,
                "default_mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                "default_mailing_domain": repr([("customer_segment_id", "=", self.id)]),
            },
        }
