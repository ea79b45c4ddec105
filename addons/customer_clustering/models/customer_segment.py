from odoo import api, fields, models
from odoo.tools import email_normalize
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

FEATURE_GROUPS = ("rfm", "aov", "age", "brand", "category", "views")
GROUP_LABELS = {
    "rfm": _lt("Recency, frequency, spend"),
    "aov": _lt("Average order value"),
    "age": _lt("Age"),
    "brand": _lt("Brands bought"),
    "category": _lt("Categories bought"),
    "views": _lt("Products viewed on the website"),
}
# words of a segment name, built from its centre (tools.segmentation.describe)
NAME_TERMS = {
    "cheap": _lt("cheap"),
    "budget": _lt("budget"),
    "expensive": _lt("expensive"),
    "frequent": _lt("frequent"),
    "regular": _lt("regular"),
    "one_time": _lt("one-time"),
    "recent": _lt("recent"),
    "lapsing": _lt("lapsing"),
    "brand": _lt("brand %(name)s"),
    "category": _lt("%(name)s"),
    "age": _lt("about %(age)s y.o."),
    "viewer": _lt("looks at %(name)s"),
}
FEATURE_LABELS = {
    "recency_days": _lt("Days since last order"),
    "frequency": _lt("Orders"),
    "monetary": _lt("Spend"),
    "avg_order_value": _lt("Average order value"),
    "age": _lt("Age"),
    "view_count": _lt("Product views"),
    "view_price": _lt("Average price viewed"),
    "brand:other": _lt("Spend share: other brands"),
    "categ:other": _lt("Spend share: other categories"),
}
PREFIX_LABELS = {
    "brand": _lt("Spend share: %(name)s"),
    "categ": _lt("Spend share: %(name)s"),
    "view_categ": _lt("Views: %(name)s"),
    "view_brand": _lt("Views: %(name)s"),
}
AOV_BANDS = [("cheap", "Cheap"), ("budget", "Budget"), ("expensive", "Expensive")]


class CustomerSegment(models.Model):
    """A segment keeps its identity (id, number, mailing list) across runs: each run matches its clusters to the
    previous run's segments by their centres (Hungarian matching); the name follows the current centre."""

    _name = "customer.segment"
    _description = "Customer Segment"
    _order = "company_id, code"

    name = fields.Char(required=True, translate=True)
    code = fields.Integer(string="Number", readonly=True, help="Stays the same across re-runs.")
    color = fields.Integer(readonly=True)
    active = fields.Boolean(default=True, help="Archived when a re-run no longer finds this segment.")
    company_id = fields.Many2one("res.company", required=True, index=True,
                                 default=lambda self: self.env.company)
    partner_ids = fields.One2many("res.partner", "customer_segment_id", string="Customers")
    partner_count = fields.Integer(string="Number of Customers", compute="_compute_partner_count")
    result_ids = fields.One2many("customer.clustering.result", "segment_id", string="Runs")
    last_result_id = fields.Many2one("customer.clustering.result", readonly=True, copy=False,
                                     ondelete="set null", help="This segment as found by the latest run.")
    avg_recency = fields.Float(related="last_result_id.avg_recency", string="Avg. Days Since Last Order")
    avg_frequency = fields.Float(related="last_result_id.avg_frequency", string="Avg. Orders")
    avg_monetary = fields.Float(related="last_result_id.avg_monetary", string="Avg. Spend")
    avg_order_value = fields.Float(related="last_result_id.avg_order_value")
    aov_band = fields.Selection(related="last_result_id.aov_band")
    mailing_list_id = fields.Many2one("mailing.list", readonly=True, copy=False, ondelete="set null",
                                      help="Kept in sync with the segment's customers after every run.")

    _sql_constraints = [
        ("code_company_unique", "UNIQUE(company_id, code)", "Segment numbers are unique per company."),
    ]

    @api.depends("code")
    def _compute_display_name(self):
        for segment in self:
            segment.display_name = f"S{segment.code} · {segment.name}" if segment.code else segment.name

    def _compute_partner_count(self):
        counts = dict(self.env["res.partner"]._read_group(
            [("customer_segment_id", "in", self.ids)], ["customer_segment_id"], ["__count"]
        ))
        for segment in self:
            segment.partner_count = counts.get(segment, 0)

    # ---------------------------------------------------------------- names and labels
    @api.model
    def _group_labels(self, lang=None):
        lang = lang or self.env.lang or "en_US"
        return {group: label._translate(lang) for group, label in GROUP_LABELS.items()}

    @api.model
    def _compose_name(self, descriptors, code, lang):
        parts = [NAME_TERMS[term]._translate(lang) % params if params else NAME_TERMS[term]._translate(lang)
                 for term, params in descriptors]
        if not parts:
            return self.with_context(lang=lang).env._("Segment %(number)s", number=code)
        name = ", ".join(parts)
        return name[:1].upper() + name[1:]

    def _set_names(self, segments, descriptors):
        """Name each segment from its centre's descriptors, in every installed language (the user reads it in
        theirs); equal names get the segment number appended."""
        langs = [code for code, _name in self.env["res.lang"].get_installed()]
        names = {lang: [self._compose_name(d, s.code, lang) for s, d in zip(segments, descriptors, strict=True)]
                 for lang in langs}
        for lang, values in names.items():
            for i, value in enumerate(values):
                if values.count(value) > 1:
                    names[lang][i] = f"{value} ({segments[i].code})"
        for i, segment in enumerate(segments):
            segment.with_context(lang="en_US").name = names.get("en_US", names[langs[0]])[i]
            segment.update_field_translations("name", {lang: names[lang][i] for lang in langs})

    @api.model
    def _feature_labels(self, keys, meta=None, lang=None):
        """Readable label of feature keys in the user's language."""
        lang = lang or self.env.lang or "en_US"
        names = (meta or {}).get("names", {})
        labels = {}
        for key in keys:
            if key in FEATURE_LABELS:
                labels[key] = FEATURE_LABELS[key]._translate(lang)
            elif ":" in key:
                prefix, _id = key.split(":", 1)
                label = PREFIX_LABELS.get(prefix)
                labels[key] = label._translate(lang) % {"name": names.get(key, key)} if label else key
            else:
                labels[key] = key
        return labels

    # ---------------------------------------------------------------- actions
    def action_view_customers(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.display_name,
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("customer_segment_id", "=", self.id)],
        }

    def action_sync_mailing_list(self):
        """Create the segment's mailing list if needed and fill it with the segment's customers; later runs keep
        it in sync (customers who left the segment are removed, opt-outs are respected)."""
        for segment in self:
            if not segment.mailing_list_id:
                segment.mailing_list_id = self.env["mailing.list"].create({
                    "name": self.env._("Segment: %(name)s", name=segment.display_name),
                })
        self._sync_mailing_list()
        if len(self) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": "mailing.list",
                "res_id": self.mailing_list_id.id,
                "view_mode": "form",
            }
        return True

    def _sync_mailing_list(self):
        Contact = self.env["mailing.contact"].sudo()
        for segment in self.filtered("mailing_list_id"):
            mailing_list = segment.mailing_list_id.sudo()
            wanted = {}
            for partner in segment.partner_ids.filtered("email"):
                email = email_normalize(partner.email)
                if email:
                    wanted.setdefault(email, partner)
            subscriptions = mailing_list.subscription_ids
            present = {}
            for sub in subscriptions:
                present.setdefault(sub.contact_id.email_normalized, sub)
            stale = subscriptions.filtered(lambda s, keep=wanted: s.contact_id.email_normalized not in keep)
            stale.unlink()
            Contact.create([
                {"name": partner.name, "email": partner.email, "list_ids": [(4, mailing_list.id)]}
                for email, partner in wanted.items() if email not in present
            ])

    def action_create_mailing(self):
        """A new mailing to the segment's list. The subject is left to the writer: a segment's name is an
        internal description of customers ("Cheap, rare buyers"), never something to send them."""
        self.ensure_one()
        if not self.mailing_list_id:
            self.action_sync_mailing_list()
        return {
            "type": "ir.actions.act_window",
            "res_model": "mailing.mailing",
            "view_mode": "form",
            "context": {
                "default_mailing_model_id": self.env["ir.model"]._get_id("mailing.list"),
                "default_contact_list_ids": [(6, 0, self.mailing_list_id.ids)],
            },
        }


class CustomerClusteringResult(models.Model):
    """One segment as found by one run: size, centre and averages (the run's centroid profile)."""

    _name = "customer.clustering.result"
    _description = "Customer Segment in a Run"
    _order = "run_id desc, segment_code"

    run_id = fields.Many2one("customer.clustering.run", required=True, ondelete="cascade", index=True)
    segment_id = fields.Many2one("customer.segment", required=True, ondelete="cascade", index=True)
    segment_code = fields.Integer(related="segment_id.code", store=True, string="Number")
    company_id = fields.Many2one(related="run_id.company_id", store=True)
    run_date = fields.Datetime(related="run_id.run_date", store=True)
    size = fields.Integer(string="Customers", aggregator="sum")
    identity_kept = fields.Boolean(help="Matched to the same segment of the previous run.")
    centroid = fields.Json(help="Mean raw value of every feature, keyed by feature.")
    centroid_z = fields.Json(help="Centre in standard deviations from the shop's mean, per feature.")
    avg_recency = fields.Float(string="Avg. Days Since Last Order", digits=(16, 1), aggregator="avg")
    avg_frequency = fields.Float(string="Avg. Orders", digits=(16, 2), aggregator="avg")
    avg_monetary = fields.Float(string="Avg. Spend", digits=(16, 2), aggregator="avg")
    avg_order_value = fields.Float(string="Avg. Order Value", digits=(16, 2), aggregator="avg")
    avg_age = fields.Float(string="Avg. Age", digits=(16, 1), aggregator="avg")
    aov_band = fields.Selection(AOV_BANDS, string="Order Value Band")


class CustomerSegmentMembership(models.Model):
    """Partner -> segment, one row per run (the history); written in bulk by the run."""

    _name = "customer.segment.membership"
    _description = "Customer Segment Membership"
    _order = "run_id desc, id"
    _log_access = True

    run_id = fields.Many2one("customer.clustering.run", required=True, ondelete="cascade", index=True)
    run_date = fields.Datetime(readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    segment_id = fields.Many2one("customer.segment", required=True, ondelete="cascade", index=True)
    distance = fields.Float(string="Distance to Centre", digits=(16, 3), aggregator="avg")
    top_features = fields.Json()
    top_features_label = fields.Char(string="Why this segment", compute="_compute_top_features_label")
    recency_days = fields.Float(string="Days Since Last Order", digits=(16, 1), aggregator="avg")
    frequency = fields.Integer(string="Orders", aggregator="sum")
    monetary = fields.Float(string="Spend", digits=(16, 2), aggregator="sum")
    avg_order_value = fields.Float(string="Avg. Order Value", digits=(16, 2), aggregator="avg")
    aov_band = fields.Selection(AOV_BANDS, string="Order Value Band")

    def _compute_top_features_label(self):
        segment = self.env["customer.segment"]
        for row in self:
            keys = row.top_features or []
            labels = segment._feature_labels(keys, row.run_id.feature_meta)
            row.top_features_label = ", ".join(labels[k] for k in keys)
