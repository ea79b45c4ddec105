import base64
import io
import json
import logging
import threading
import time
from datetime import timedelta

import numpy as np
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..tools import picture
from ..tools import segmentation as seg
from .customer_segment import FEATURE_GROUPS

_logger = logging.getLogger(__name__)

# partners / memberships written per committed batch by the cron (short row locks on res_partner)
WRITE_BATCH = 10000
BRAND_ATTRIBUTE_NAMES = ("Brand", "Бренд")


class CustomerClusteringRun(models.Model):
    _name = "customer.clustering.run"
    _description = "Customer Clustering Run"
    _order = "create_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, default=lambda self: self.env._("New segmentation"))
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    state = fields.Selection(
        [("draft", "Draft"), ("queued", "Queued"), ("running", "Running"), ("done", "Done"),
         ("failed", "Failed")],
        default="draft", required=True, readonly=True,
    )
    progress = fields.Integer(readonly=True, help="Percent done of the running segmentation.")
    progress_message = fields.Char(string="Phase", readonly=True)

    # parameters
    k_mode = fields.Selection(
        [("fixed", "Fixed number"), ("auto", "Best silhouette")], string="Number of Segments Mode",
        default="auto", required=True,
        help="Fixed: exactly this many segments. Best silhouette: tries every number in the range and keeps "
             "the one whose segments are the most compact and best separated.",
    )
    n_clusters = fields.Integer(string="Number of Segments", default=4, required=True)
    k_min = fields.Integer(string="From", default=2, required=True)
    k_max = fields.Integer(string="To", default=8, required=True)
    lookback_days = fields.Integer(
        string="Look-back (days)", default=365, required=True,
        help="Only confirmed sales orders (and product views) of this period are used.",
    )
    use_rfm = fields.Boolean(string="Recency, frequency, spend", default=True)
    use_aov = fields.Boolean(string="Average order value", default=True)
    use_age = fields.Boolean(string="Age", default=True)
    use_brand = fields.Boolean(string="Brands bought", default=True)
    use_category = fields.Boolean(string="Categories bought", default=True)
    use_views = fields.Boolean(string="Products viewed on the website", default=True)
    weight_rfm = fields.Float(string="Weight: RFM", default=1.0)
    weight_aov = fields.Float(string="Weight: order value", default=1.0)
    weight_age = fields.Float(string="Weight: age", default=1.0)
    weight_brand = fields.Float(string="Weight: brands", default=1.0)
    weight_category = fields.Float(string="Weight: categories", default=1.0)
    weight_views = fields.Float(string="Weight: website views", default=1.0)
    top_n = fields.Integer(
        string="Top brands / categories", default=5, required=True,
        help="Brands and categories are features one by one for the most sold ones; the rest count as 'other'.",
    )
    brand_attribute_id = fields.Many2one(
        "product.attribute", string="Brand Attribute", default=lambda self: self._default_brand_attribute(),
        help="Odoo has no brand field: the value of this product attribute is the brand.",
    )
    minibatch_threshold = fields.Integer(
        default=seg.MINIBATCH_THRESHOLD, required=True,
        help="Above this many customers the faster MiniBatchKMeans is used.",
    )

    # results
    run_date = fields.Datetime(readonly=True)
    duration = fields.Float(string="Duration (s)", readonly=True, digits=(16, 1))
    customer_count = fields.Integer(readonly=True)
    segment_count = fields.Integer(string="Segments Found", readonly=True)
    algorithm = fields.Char(readonly=True)
    inertia = fields.Float(readonly=True, digits=(16, 3))
    silhouette = fields.Float(readonly=True, digits=(16, 3))
    silhouette_report = fields.Char(string="Silhouette by k", readonly=True)
    aov_low = fields.Float(string="Cheap below", readonly=True, digits=(16, 2))
    aov_high = fields.Float(string="Expensive above", readonly=True, digits=(16, 2))
    currency_id = fields.Many2one(related="company_id.currency_id")
    feature_report = fields.Json(readonly=True, copy=False, help="[(group, customers or reason), ...]")
    groups_report = fields.Text(string="Feature Groups", compute="_compute_groups_report",
                                help="Customers with data per feature group; empty groups are skipped.")
    message = fields.Text(readonly=True)
    feature_meta = fields.Json(readonly=True, copy=False)
    scatter_image = fields.Binary(string="Customers by Segment", readonly=True, attachment=True, copy=False)
    scatter_legend = fields.Html(compute="_compute_visuals", sanitize=False)
    profile_html = fields.Html(string="Segment Profiles", compute="_compute_visuals", sanitize=False)
    result_ids = fields.One2many("customer.clustering.result", "run_id", string="Segments")
    membership_ids = fields.One2many("customer.segment.membership", "run_id", string="Customers")

    _sql_constraints = [
        ("n_clusters_range", "CHECK(n_clusters BETWEEN 2 AND 12)", "Use between 2 and 12 segments."),
        ("k_range", "CHECK(k_min >= 2 AND k_max <= 12 AND k_min <= k_max)",
         "The range of segments must lie between 2 and 12."),
        ("lookback_positive", "CHECK(lookback_days > 0)", "The look-back period must be positive."),
        ("top_n_range", "CHECK(top_n BETWEEN 1 AND 20)", "Use between 1 and 20 top brands / categories."),
        ("weights_positive", "CHECK(weight_rfm >= 0 AND weight_aov >= 0 AND weight_age >= 0 AND "
                             "weight_brand >= 0 AND weight_category >= 0 AND weight_views >= 0)",
         "Feature weights cannot be negative."),
    ]

    @api.model
    def _default_brand_attribute(self):
        return self.env["product.attribute"].search(
            ["|", ("name", "in", BRAND_ATTRIBUTE_NAMES), ("name", "=ilike", "brand")], limit=1
        )

    @api.depends("feature_report")
    def _compute_groups_report(self):
        for run in self:
            run.groups_report = run._format_report(run.feature_report) if run.feature_report else False

    # ------------------------------------------------------------------ visuals
    @api.depends("result_ids", "feature_meta")
    def _compute_visuals(self):
        for run in self:
            run.scatter_legend = run._render_legend()
            run.profile_html = run._render_profiles()

    def _render_legend(self):
        items = [
            Markup('<span class="me-3 text-nowrap"><span style="display:inline-block;width:12px;height:12px;'
                   'border-radius:6px;background:%s"></span> %s (%s)</span>')
            % (picture.color(line.segment_id.color), line.segment_id.display_name, line.size)
            for line in self.result_ids
        ]
        return Markup("").join(items)

    def _render_profiles(self):
        """Centroid profile of each segment: one bar per feature, z-score of the centre (-2..+2 shown)."""
        meta = self.feature_meta or {}
        if not self.result_ids or not meta.get("columns"):
            return False
        labels = self.env["customer.segment"]._feature_labels([c["key"] for c in meta["columns"]], meta)
        blocks = []
        for line in self.result_ids:
            rows = []
            for column, z in zip(meta["columns"], line.centroid_z or [], strict=False):
                width = min(abs(z), 2.0) * 25  # 50% of the half-bar = 2 standard deviations
                side = "left:50%" if z >= 0 else "right:50%"
                colour = "#28a745" if z >= 0 else "#dc3545"
                rows.append(Markup(
                    '<tr><td class="pe-2 text-nowrap small">%s</td><td style="width:60%%">'
                    '<div style="position:relative;height:12px;background:#f1f3f5">'
                    '<div style="position:absolute;left:50%%;top:0;bottom:0;border-left:1px solid #adb5bd"></div>'
                    '<div style="position:absolute;%s;width:%.1f%%;height:12px;background:%s"></div></div></td>'
                    '<td class="ps-2 small text-end">%+.2f</td></tr>'
                ) % (labels.get(column["key"], column["key"]), side, width, colour, z))
            blocks.append(Markup(
                '<div class="col-lg-6 mb-3"><h5><span style="display:inline-block;width:12px;height:12px;'
                'border-radius:6px;background:%s"></span> %s <small class="text-muted">(%s)</small></h5>'
                '<table class="w-100">%s</table></div>'
            ) % (picture.color(line.segment_id.color), line.segment_id.display_name, line.size,
                 Markup("").join(rows)))
        return Markup('<div class="row">%s</div>') % Markup("").join(blocks)

    # ------------------------------------------------------------------ actions
    def action_run(self):
        """Queue the run for the background worker (progress is shown on the run) and wake it up."""
        for run in self:
            if run.state in ("queued", "running"):
                raise UserError(self.env._("This segmentation is already queued or running."))
            run._check_parameters()
        self.write({"state": "queued", "progress": 0, "progress_message": self.env._("Waiting to start"),
                    "message": False})
        self.env.ref("customer_clustering.ir_cron_customer_clustering_process")._trigger()
        return True

    def action_run_now(self):
        """Run at once in the current transaction (small shops, demo data); bad data ends in state 'failed'."""
        for run in self:
            run._check_parameters()
            run._in_company_lang()._execute()
        return True

    def _in_company_lang(self):
        """Self in the shop's language (its company partner's): the run's messages, phases and report are
        read later by the staff, so they are written in it, not in the cron user's nor the clicker's."""
        lang = (self.company_id[:1] or self.env.company).partner_id.lang
        return self.with_context(lang=lang) if lang and lang != self.env.context.get("lang") else self

    def action_reset(self):
        self.filtered(lambda r: r.state in ("failed", "queued")).write({"state": "draft", "progress": 0})
        return True

    def action_view_customers(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customers of %(run)s", run=self.name),
            "res_model": "customer.segment.membership",
            "view_mode": "list,pivot,graph",
            "domain": [("run_id", "=", self.id)],
            "context": {"search_default_group_segment": 1},
        }

    def _check_parameters(self):
        self.ensure_one()
        if not any(self[f"use_{group}"] for group in FEATURE_GROUPS):
            raise UserError(self.env._("Switch on at least one feature group."))
        if self.k_mode == "fixed" and not 2 <= self.n_clusters <= 12:
            raise UserError(self.env._("Use between 2 and 12 segments."))

    # ------------------------------------------------------------------ background
    @api.model
    def _cron_process_runs(self):
        """Run queued segmentations one by one, committing each phase so progress shows and locks are short."""
        runs = self.search([("state", "=", "queued")], order="id")
        for done, run in enumerate(runs):
            run._in_company_lang()._execute(commit=True)
            self.env["ir.cron"]._notify_progress(done=done + 1, remaining=len(runs) - done - 1)

    @api.model
    def _cron_run_segmentation(self):
        """Weekly: one run per company with the parameters of its last successful run (defaults otherwise)."""
        for company in self.env["res.company"].search([]):
            Run = self.with_context(lang=company.partner_id.lang) if company.partner_id.lang else self
            last = self.search([("company_id", "=", company.id), ("state", "=", "done")], limit=1)
            vals = {"company_id": company.id, "name": Run.env._("Scheduled segmentation"),
                    "brand_attribute_id": self._default_brand_attribute().id}
            if last:
                vals.update({name: value for name, value in last.copy_data()[0].items()
                             if name in self._parameter_fields()})
            run = Run.create(vals)
            run._execute(commit=True)

    @api.model
    def _parameter_fields(self):
        """Fields a scheduled run takes over from the company's last successful run."""
        return ["k_mode", "n_clusters", "k_min", "k_max", "lookback_days", "top_n", "brand_attribute_id",
                "minibatch_threshold", *(f"use_{g}" for g in FEATURE_GROUPS), *(f"weight_{g}" for g in FEATURE_GROUPS)]

    def _can_commit(self, commit):
        return commit and not getattr(threading.current_thread(), "testing", False)

    def _set_progress(self, percent, message, commit):
        self.write({"progress": percent, "progress_message": message})
        if self._can_commit(commit):
            # show progress to users while the cron runs (cron only, never under test)
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _execute(self, commit=False):
        """Run the segmentation now: extract features, cluster, match segments, write results.

        Bad data ends the run in state 'failed' with a readable message (no exception), so the cron moves on.
        :param commit: commit between phases and write batches (cron only; never under test)
        """
        self.ensure_one()
        started = time.monotonic()
        self.write({"state": "running", "message": False})
        savepoint = self.env.cr.savepoint()
        try:
            self._check_parameters()
            self._set_progress(5, self.env._("Extracting features"), commit)
            features = self._extract_features()
            self._set_progress(40, self.env._("Clustering"), commit)
            prepared, result = self._cluster(features)
            self._set_progress(70, self.env._("Writing results"), commit)
            self._write_results(features, prepared, result, commit)
        except (UserError, ValidationError) as error:
            savepoint.rollback()
            savepoint.close(rollback=False)
            self.write({"state": "failed", "message": str(error.args[0]), "progress": 0,
                        "progress_message": False, "duration": time.monotonic() - started})
            _logger.info("Customer clustering run %s failed: %s", self.id, error.args[0])
            return False
        savepoint.close(rollback=False)
        self.write({"state": "done", "progress": 100, "progress_message": False,
                    "duration": time.monotonic() - started})
        _logger.info("Customer clustering run %s: %s customers, %s segments in %.1fs",
                     self.id, self.customer_count, self.segment_count, self.duration)
        if self._can_commit(commit):
            # the cron's run is finished (cron only, never under test)
            self.env.cr.commit()  # pylint: disable=invalid-commit
        return True

    # ------------------------------------------------------------------ features (SQL, one pass per group)
    def _since(self):
        return fields.Datetime.now() - timedelta(days=self.lookback_days)

    def _order_scope(self):
        """SQL condition on sale_order ``so`` + partner ``p`` for the run's confirmed orders."""
        return SQL("so.state = 'sale' AND so.company_id = %s AND so.date_order >= %s",
                   self.company_id.id, self._since())

    def _brand_cte(self):
        """CTE ``brand(product_id, brand_id)``: the brand attribute value of each product (variant value first,
        else the single value of the template's attribute line)."""
        attribute = self.brand_attribute_id.id or 0
        return SQL("""
            brand AS (
                SELECT pp.id AS product_id, COALESCE(
                    (SELECT ptav.product_attribute_value_id
                       FROM product_variant_combination pvc
                       JOIN product_template_attribute_value ptav ON ptav.id = pvc.product_template_attribute_value_id
                      WHERE pvc.product_product_id = pp.id AND ptav.attribute_id = %(attr)s LIMIT 1),
                    (SELECT MIN(rel.product_attribute_value_id)
                       FROM product_template_attribute_line ptal
                       JOIN product_attribute_value_product_template_attribute_line_rel rel
                         ON rel.product_template_attribute_line_id = ptal.id
                      WHERE ptal.product_tmpl_id = pp.product_tmpl_id AND ptal.attribute_id = %(attr)s
                            AND ptal.active)) AS brand_id
                  FROM product_product pp
            )""", attr=attribute)

    def _extract_features(self):
        """Read every switched-on feature group with one SQL aggregate each.

        :return: dict with ``partner_ids`` (list), ``columns`` (list of seg.Column), ``values``
                 ({key: (row indexes, values)}), ``raw`` extras (frequency, monetary, aov...), ``names``
                 ({key: label for brand/category keys}), ``report`` (list of (group, count or reason)),
                 ``aov`` thresholds.
        :raises UserError: no confirmed order in the period
        """
        self.env.flush_all()
        cr = self.env.cr
        now = fields.Datetime.now()
        cr.execute(SQL("""
            SELECT COALESCE(p.commercial_partner_id, p.id) AS cp,
                   EXTRACT(EPOCH FROM (%s - MAX(so.date_order))) / 86400.0,
                   COUNT(*),
                   SUM(so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1))
              FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
             WHERE %s
          GROUP BY 1 ORDER BY 1""", now, self._order_scope()))
        rows = cr.fetchall()
        if not rows:
            raise UserError(self.env._(
                "%(company)s has no confirmed sales order in the last %(days)s days: nothing to segment.",
                company=self.company_id.name, days=self.lookback_days,
            ))
        partner_ids = [r[0] for r in rows]
        index = {pid: i for i, pid in enumerate(partner_ids)}
        all_idx = np.arange(len(rows))
        recency = np.array([float(r[1]) for r in rows])
        frequency = np.array([float(r[2]) for r in rows])
        monetary = np.array([float(r[3] or 0.0) for r in rows])
        aov = monetary / np.maximum(frequency, 1)
        aov_thresholds = seg.quantile_thresholds(aov)
        out = {"partner_ids": partner_ids, "columns": [], "values": {}, "names": {}, "report": [],
               "extra": {"recency_days": recency, "frequency": frequency, "monetary": monetary,
                         "avg_order_value": aov}, "aov": aov_thresholds,
               "recency": seg.quantile_thresholds(recency), "frequency_median": float(np.median(frequency))}

        def add(key, group, idx, vals, log=False, default=0.0):
            out["columns"].append(seg.Column(key, group, log=log, default=default))
            out["values"][key] = (np.asarray(idx, dtype=int), np.asarray(vals, dtype=float))

        if self.use_rfm:
            add("recency_days", "rfm", all_idx, recency)
            add("frequency", "rfm", all_idx, frequency, log=True)
            add("monetary", "rfm", all_idx, monetary, log=True)
            out["report"].append(("rfm", len(rows)))
        if self.use_aov:
            add("avg_order_value", "aov", all_idx, aov, log=True)
            out["report"].append(("aov", len(rows)))
        if self.use_age:
            self._extract_age(out, index, add)
        if self.use_brand:
            if not self.brand_attribute_id:
                out["report"].append(("brand", "no_attribute"))
            else:
                self._extract_shares(out, index, add, "brand", SQL("brand.brand_id"),
                                     SQL("LEFT JOIN brand ON brand.product_id = sol.product_id"))
        if self.use_category:
            self._extract_shares(out, index, add, "category", SQL("pt.categ_id"), SQL(
                "JOIN product_product pp ON pp.id = sol.product_id "
                "JOIN product_template pt ON pt.id = pp.product_tmpl_id"))
        if self.use_views:
            self._extract_views(out, index, add)
        return out

    def _extract_age(self, out, index, add):
        today = fields.Date.context_today(self)  # before the query: it may read the user (same cursor)
        self.env.cr.execute(SQL("""
            SELECT id, customer_birthdate FROM res_partner
             WHERE id = ANY(%s) AND customer_birthdate IS NOT NULL""", list(index)))
        rows = [(index[pid], (today - born).days / 365.25) for pid, born in self.env.cr.fetchall()]
        rows = [(i, age) for i, age in rows if 0 < age < 120]
        if not rows:
            out["report"].append(("age", "no_data"))
            return
        # default: the median age of the customers whose birth date is known
        add("age", "age", [r[0] for r in rows], [r[1] for r in rows], default="median")
        out["report"].append(("age", len(rows)))

    def _extract_shares(self, out, index, add, group, key_sql, join_sql):
        """Share of each customer's spend per brand / category: the top-N keys one by one, the rest 'other'."""
        prefix = "brand" if group == "brand" else "categ"
        with_brand = SQL("WITH %s", self._brand_cte()) if group == "brand" else SQL("")
        self.env.cr.execute(SQL(
            """%s
            SELECT COALESCE(p.commercial_partner_id, p.id), %s,
                   SUM(sol.price_subtotal / COALESCE(NULLIF(so.currency_rate, 0), 1))
              FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
              JOIN res_partner p ON p.id = so.partner_id
              %s
             WHERE %s AND sol.display_type IS NULL AND sol.product_id IS NOT NULL
          GROUP BY 1, 2""", with_brand, key_sql, join_sql, self._order_scope()))
        rows = [r for r in self.env.cr.fetchall() if r[0] in index]
        keyed = [r for r in rows if r[1]]
        if not keyed:
            out["report"].append((group, "no_data"))
            return
        totals = np.zeros(len(index))
        for cp, _key, amount in rows:
            totals[index[cp]] += float(amount or 0.0)
        by_key = {}
        for _cp, key, amount in keyed:
            by_key[key] = by_key.get(key, 0.0) + float(amount or 0.0)
        top = sorted(by_key, key=lambda k: (-by_key[k], k))[: self.top_n]
        shares = {key: ([], []) for key in [*top, "other"]}
        other = {}
        for cp, key, amount in keyed:
            i = index[cp]
            if totals[i] <= 0:
                continue
            if key in shares:
                shares[key][0].append(i)
                shares[key][1].append(float(amount or 0.0) / totals[i])
            else:
                other[i] = other.get(i, 0.0) + float(amount or 0.0) / totals[i]
        shares["other"] = (list(other), list(other.values()))
        for key in top:
            add(f"{prefix}:{key}", group, *shares[key])
        if other:
            add(f"{prefix}:other", group, *shares["other"])
        out["names"].update(self._share_names(prefix, top))
        out["report"].append((group, len({cp for cp, _k, _a in keyed})))

    def _share_names(self, prefix, ids):
        model = "product.attribute.value" if prefix in ("brand", "view_brand") else "product.category"
        records = self.env[model].browse(ids).exists()
        field = "name" if model == "product.attribute.value" else "complete_name"
        return {f"{prefix}:{rec.id}": rec[field] for rec in records}

    def _website_views_available(self):
        track = self.env.get("website.track")
        return track is not None and "product_id" in track._fields and "website.visitor" in self.env

    def _extract_views(self, out, index, add):
        """Product views of the website visitors linked to the customers (website_sale's visitor tracking):
        number of views (log), average price of viewed products (default: median of viewers), share of views
        per top-N viewed category and brand."""
        if not self._website_views_available():
            out["report"].append(("views", "no_website"))
            return
        brand_join = SQL("LEFT JOIN brand ON brand.product_id = t.product_id") if self.brand_attribute_id \
            else SQL("")
        brand_key = SQL("brand.brand_id") if self.brand_attribute_id else SQL("NULL::integer")
        with_brand = SQL("WITH %s", self._brand_cte()) if self.brand_attribute_id else SQL("")
        self.env.cr.execute(SQL("""%s
            SELECT COALESCE(p.commercial_partner_id, p.id), pt.categ_id, %s, COUNT(*), SUM(pt.list_price)
              FROM website_track t
              JOIN website_visitor v ON v.id = t.visitor_id
              JOIN res_partner p ON p.id = v.partner_id
              JOIN product_product pp ON pp.id = t.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
              %s
             WHERE t.product_id IS NOT NULL AND t.visit_datetime >= %s
          GROUP BY 1, 2, 3""", with_brand, brand_key, brand_join, self._since()))
        rows = [r for r in self.env.cr.fetchall() if r[0] in index]
        if not rows:
            out["report"].append(("views", "no_data"))
            return
        count = np.zeros(len(index))
        price = np.zeros(len(index))
        for cp, _categ, _brand, views, total in rows:
            count[index[cp]] += views
            price[index[cp]] += float(total or 0.0)
        viewers = np.nonzero(count)[0]
        add("view_count", "views", viewers, count[viewers], log=True)
        add("view_price", "views", viewers, price[viewers] / count[viewers], log=True, default="median")
        for prefix, pos in (("view_categ", 1), ("view_brand", 2)):
            by_key = {}
            for row in rows:
                if row[pos]:
                    by_key[row[pos]] = by_key.get(row[pos], 0) + row[3]
            top = sorted(by_key, key=lambda k: (-by_key[k], k))[: self.top_n]
            for key in top:
                per = {}
                for row in rows:
                    if row[pos] == key:
                        per[index[row[0]]] = per.get(index[row[0]], 0) + row[3]
                idx = np.array(list(per), dtype=int)
                add(f"{prefix}:{key}", "views", idx, np.array(list(per.values())) / count[idx])
            out["names"].update(self._share_names(prefix, top))
        out["report"].append(("views", len(viewers)))

    # ------------------------------------------------------------------ clustering
    def _group_weights(self):
        return {group: self[f"weight_{group}"] for group in FEATURE_GROUPS}

    def _cluster(self, features):
        n = len(features["partner_ids"])
        columns = features["columns"]
        if not columns:
            raise UserError(self.env._(
                "None of the switched-on feature groups has data: %(report)s",
                report=self._format_report(features["report"]),
            ))
        raw, defaults = seg.build_matrix(n, columns, features["values"])
        prepared = seg.prepare(raw, columns, self._group_weights(), defaults)
        k = self.n_clusters if self.k_mode == "fixed" else None
        try:
            result = seg.cluster(prepared, k=k, k_range=(self.k_min, self.k_max),
                                 minibatch_threshold=self.minibatch_threshold)
        except seg.SegmentationError as error:
            raise UserError(self._segmentation_message(error)) from None
        return prepared, result

    def _segmentation_message(self, error):
        params = error.params
        if error.code == "too_few":
            return self.env._(
                "Only %(count)s customers have confirmed orders in the period: not enough for %(k)s segments. "
                "Use fewer segments or a longer look-back period.", count=params["count"], k=params["k"])
        if error.code == "all_alike":
            return self.env._(
                "All %(count)s customers look the same on the chosen features: there is nothing to segment. "
                "Switch on more feature groups or use a longer look-back period.", count=params["count"])
        if error.code == "k_gt_distinct":
            return self.env._(
                "You asked for %(k)s segments but the customers have only %(distinct)s distinct profiles: "
                "use fewer segments.", k=params["k"], distinct=params["distinct"])
        return self.env._("Switch on at least one feature group.")

    def _format_report(self, report):
        labels = self.env["customer.segment"]._group_labels()
        reasons = {
            "no_data": self.env._("skipped, no data"),
            "no_website": self.env._("skipped, website shop (website_sale) not installed"),
            "no_attribute": self.env._("skipped, no brand attribute chosen"),
        }
        lines = []
        for group, value in report:
            if isinstance(value, str):
                lines.append(f"{labels[group]}: {reasons[value]}")
            else:
                lines.append(self.env._("%(group)s: %(count)s customers", group=labels[group], count=value))
        return "\n".join(lines)

    # ------------------------------------------------------------------ results
    def _previous_run(self):
        return self.search([("company_id", "=", self.company_id.id), ("state", "=", "done"),
                            ("id", "!=", self.id)], order="run_date desc, id desc", limit=1)

    def _write_results(self, features, prepared, result, commit):
        Segment = self.env["customer.segment"].with_context(active_test=False)
        previous = self._previous_run()
        old_lines = previous.result_ids.filtered(lambda line: line.segment_id.active)
        mapping = {}
        if old_lines:
            old_centers = prepared.transform([line.centroid or {} for line in old_lines])
            mapping = seg.match_segments(old_centers, result.centers)
        segments = []
        next_code = (max(Segment.search([("company_id", "=", self.company_id.id)]).mapped("code"), default=0))
        for c in range(result.k):
            if c in mapping:
                segments.append(old_lines[mapping[c]].segment_id)
            else:
                next_code += 1
                segments.append(Segment.create({"company_id": self.company_id.id, "code": next_code,
                                                "color": next_code - 1, "name": f"S{next_code}"}))
        kept = Segment.browse([s.id for s in segments])
        Segment.search([("company_id", "=", self.company_id.id), ("id", "not in", kept.ids)]).write(
            {"active": False})
        kept.write({"active": True})
        self._name_segments(segments, result, features)
        lines = []
        for c, segment in enumerate(segments):
            members = result.labels == c
            extra = {key: float(vals[members].mean()) if members.any() else 0.0
                     for key, vals in features["extra"].items()}
            centroid_z = (prepared.transform([result.raw_centers[c]])[0] / np.where(
                prepared.weights == 0, 1, prepared.weights)).round(3).tolist()
            lines.append({
                "run_id": self.id, "segment_id": segment.id, "size": int(members.sum()),
                "identity_kept": c in mapping, "centroid": result.raw_centers[c], "centroid_z": centroid_z,
                "avg_recency": extra["recency_days"], "avg_frequency": extra["frequency"],
                "avg_monetary": extra["monetary"], "avg_order_value": extra["avg_order_value"],
                "aov_band": seg.band(extra["avg_order_value"], features["aov"]),
                "avg_age": result.raw_centers[c].get("age", 0.0),
            })
        for result_line in self.env["customer.clustering.result"].create(lines):
            result_line.segment_id.last_result_id = result_line
        silhouette = result.silhouettes.get(result.k, 0.0)
        self.write({
            "run_date": fields.Datetime.now(),
            "customer_count": len(features["partner_ids"]),
            "segment_count": result.k,
            "algorithm": "MiniBatchKMeans" if result.algorithm == "minibatch" else "KMeans",
            "inertia": result.inertia,
            "silhouette": silhouette,
            "silhouette_report": ", ".join(f"k={k}: {s:.3f}" for k, s in sorted(result.silhouettes.items())),
            "aov_low": features["aov"][0],
            "aov_high": features["aov"][1],
            "feature_report": features["report"],
            "feature_meta": {
                "columns": [{"key": c.key, "group": c.group, "log": c.log} for c in prepared.columns],
                "defaults": prepared.defaults, "names": features["names"],
            },
        })
        self._write_picture(prepared, result, segments)
        self._write_memberships(features, prepared, result, segments, commit)
        Segment.browse([s.id for s in segments]).filtered("mailing_list_id")._sync_mailing_list()

    def _name_segments(self, segments, result, features):
        context = {"aov": features["aov"], "recency": features["recency"],
                   "frequency_median": features["frequency_median"], "names": features["names"]}
        descriptors = []
        for c in range(result.k):
            center = dict(result.raw_centers[c])
            members = result.labels == c
            # the name always speaks of order value / frequency / recency, even when those groups are off
            for key in ("avg_order_value", "frequency", "recency_days"):
                center.setdefault(key, float(features["extra"][key][members].mean()) if members.any() else 0)
            descriptors.append(seg.describe(center, context))
        self.env["customer.segment"]._set_names(segments, descriptors)

    def _write_picture(self, prepared, result, segments):
        coords, labels = seg.pca_points(prepared.matrix, result.labels)
        colors = [picture.color(segments[label].color) for label in labels]
        png = picture.scatter_png(coords, colors)
        self.scatter_image = base64.b64encode(png)

    def _write_memberships(self, features, prepared, result, segments, commit):
        """History rows (COPY) then the current segment on partners / sale orders, in committed batches."""
        cr = self.env.cr
        top = seg.top_features(prepared.matrix, result.labels, result.centers)
        keys = [c.key for c in prepared.columns]
        extra = features["extra"]
        segment_ids = [s.id for s in segments]
        now = fields.Datetime.now()
        uid = self.env.uid
        buffer = io.StringIO()
        for i, partner_id in enumerate(features["partner_ids"]):
            label = int(result.labels[i])
            buffer.write("\t".join((
                str(self.id), str(self.company_id.id), str(partner_id), str(segment_ids[label]),
                f"{result.distances[i]:.6f}", json.dumps([keys[j] for j in top[i]]).replace("\\", "\\\\"),
                f"{extra['recency_days'][i]:.2f}", f"{extra['frequency'][i]:.0f}", f"{extra['monetary'][i]:.2f}",
                f"{extra['avg_order_value'][i]:.2f}", seg.band(extra["avg_order_value"][i], features["aov"]),
                str(now), str(uid), str(now), str(uid), str(now),
            )) + "\n")
        buffer.seek(0)
        cr.flush()
        cr._obj.copy_expert(
            "COPY customer_segment_membership (run_id, company_id, partner_id, segment_id, distance, "
            "top_features, recency_days, frequency, monetary, avg_order_value, aov_band, run_date, create_uid, "
            "create_date, write_uid, write_date) FROM STDIN", buffer)
        self._set_progress(85, self.env._("Updating customers"), commit)
        company_segments = self.env["customer.segment"].with_context(active_test=False).search(
            [("company_id", "=", self.company_id.id)]).ids
        # customers no longer in any segment of this company
        cr.execute(SQL("""
            UPDATE res_partner p SET customer_segment_id = NULL, customer_segment_distance = 0,
                   customer_segment_features = NULL
             WHERE p.customer_segment_id = ANY(%s)
               AND NOT EXISTS (SELECT 1 FROM customer_segment_membership m
                                WHERE m.run_id = %s AND m.partner_id = p.id)""", company_segments, self.id))
        ids = sorted(features["partner_ids"])
        for start in range(0, len(ids), WRITE_BATCH):
            batch = ids[start:start + WRITE_BATCH]
            cr.execute(SQL("""
                UPDATE res_partner p SET customer_segment_id = m.segment_id, customer_segment_distance = m.distance,
                       customer_segment_features = m.top_features
                  FROM customer_segment_membership m
                 WHERE m.run_id = %s AND m.partner_id = p.id AND p.id = ANY(%s)""", self.id, batch))
            if self._can_commit(commit):
                # short row locks on partners, one batch at a time (cron only, never under test)
                self.env.cr.commit()  # pylint: disable=invalid-commit
        self._propagate_segments(company_segments)
        self.env["res.partner"].invalidate_model(
            ["customer_segment_id", "customer_segment_distance", "customer_segment_features",
             "customer_segment_history_ids"])
        self.invalidate_recordset(["membership_ids"])
        self.env["customer.segment"].invalidate_model(["partner_ids"])

    def _propagate_segments(self, company_segments):
        """Copy the customer's segment onto documents that filter / group by it (sale orders; bridges add
        leads). Only rows whose value changes are written."""
        self.env.cr.execute(SQL("""
            UPDATE sale_order so SET customer_segment_id = cp.customer_segment_id
              FROM res_partner p JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)
             WHERE p.id = so.partner_id AND so.company_id = %s
               AND so.customer_segment_id IS DISTINCT FROM cp.customer_segment_id""", self.company_id.id))
        self.env["sale.order"].invalidate_model(["customer_segment_id"])
