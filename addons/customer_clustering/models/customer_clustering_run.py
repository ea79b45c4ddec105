import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import kmeans

_logger = logging.getLogger(__name__)


class CustomerClusteringRun(models.Model):
    _name = "customer.clustering.run"
    _description = "Customer Clustering Run"
    _order = "create_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, default=lambda self: self.env._("New segmentation"))
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    n_clusters = fields.Integer(string="Number of Segments", default=4, required=True)
    lookback_days = fields.Integer(
        string="Look-back (days)", default=365, required=True,
        help="Only confirmed sales orders of this period are used.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Done"), ("failed", "Failed")], default="draft", required=True
    )
    run_date = fields.Datetime(readonly=True)
    customer_count = fields.Integer(readonly=True)
    inertia = fields.Float(readonly=True, digits=(16, 3))
    message = fields.Text(readonly=True)
    segment_ids = fields.One2many("customer.segment", "run_id")

    _sql_constraints = [
        ("n_clusters_range", "CHECK(n_clusters BETWEEN 2 AND 12)", "Use between 2 and 12 segments."),
        ("lookback_positive", "CHECK(lookback_days > 0)", "The look-back period must be positive."),
    ]

    def _prepare_features(self):
        """Return ({partner_id: (recency_days, frequency, monetary)}) from confirmed orders."""
        self.ensure_one()
        now = fields.Datetime.now()
        groups = self.env["sale.order"]._read_group(
            [
                ("state", "=", "sale"),
                ("company_id", "=", self.company_id.id),
                ("date_order", ">=", now - timedelta(days=self.lookback_days)),
            ],
            groupby=["partner_id"],
            aggregates=["date_order:max", "__count", "amount_total:sum"],
        )
        return {
            partner.commercial_partner_id.id: ((now - last).days, count, total)
            for partner, last, count, total in groups
        }

    def action_run(self):
        for run in self:
            features = run._prepare_features()
            if len(features) < run.n_clusters:
                raise UserError(self.env._(
                    "Only %(count)s customers have confirmed orders in the period: not enough for %(k)s segments.",  # noqa: E501
                    count=len(features), k=run.n_clusters,
                ))
            partner_ids = list(features)
            try:
                result = kmeans.segment([features[p] for p in partner_ids], run.n_clusters)
            except ValueError:
                raise UserError(self.env._(
                    "The customers' purchase histories are too alike to form %(k)s distinct segments: use fewer segments or a longer look-back period.",  # noqa: E501
                    k=run.n_clusters,
                ))
            run.segment_ids.unlink()
            segments = self.env["customer.segment"].create([
                {
                    "run_id": run.id,
                    "rank": rank,
                    "name": self.env["customer.segment"]._default_segment_name(rank, run.n_clusters),
                    "avg_recency": center["recency_days"],
                    "avg_frequency": center["frequency"],
                    "avg_monetary": center["monetary"],
                }
                for rank, center in enumerate(result.centers)
            ])
            segments._set_name_translations(run.n_clusters)
            partners = self.env["res.partner"].browse(partner_ids)
            for rank, segment in enumerate(segments):
                members = partners.browse(
                    [pid for pid, label in zip(partner_ids, result.labels, strict=True) if label == rank]
                )
                members.write({"customer_segment_id": segment.id})
            run.write({
                "state": "done",
                "run_date": fields.Datetime.now(),
                "customer_count": len(partner_ids),
                "inertia": result.inertia,
                "message": False,
            })
            _logger.info("Customer clustering run %s: %s customers, %s segments",
                         run.id, len(partner_ids), run.n_clusters)
        return True

    @api.model
    def _cron_run_segmentation(self):
        for company in self.env["res.company"].search([]):
            run = self.create({"company_id": company.id, "name": self.env._("Scheduled segmentation")})
            try:
                with self.env.cr.savepoint():
                    run.action_run()
            except UserError as error:
                run.write({"state": "failed", "message": str(error)})
