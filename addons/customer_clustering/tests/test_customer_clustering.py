import base64
from unittest.mock import patch

from sklearn.metrics import adjusted_rand_score

from odoo import SUPERUSER_ID
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import ClusteringCommon


@tagged("post_install", "-at_install")
class TestSegmentation(ClusteringCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners, cls.truth = cls._make_customers(per_type=12)
        cls.has_website = cls._website_available()
        if cls.has_website:
            cls._make_views(cls.partners, cls.truth)

    def test_known_clusters_are_recovered(self):
        run = self._run()
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual((run.customer_count, run.segment_count), (36, 3))
        self.assertGreaterEqual(adjusted_rand_score(self.truth, self._labels(self.partners)), 0.9)
        keys = [c["key"] for c in run.feature_meta["columns"]]
        for key in ("recency_days", "frequency", "monetary", "avg_order_value", "age",
                    f"brand:{self.brands[0].id}", f"categ:{self.categories[2].id}"):
            self.assertIn(key, keys)
        # names from the centres: the Zara customers spend most per order, often, recently
        zara = self.partners[0].customer_segment_id
        self.assertIn("Expensive", zara.name)
        self.assertIn("brand Zara", zara.name)
        socks = self.partners[-1].customer_segment_id
        self.assertTrue(socks.name.startswith("Cheap, one-time"), socks.name)
        # the run's thresholds are the shop's own tertiles of the order value
        self.assertTrue(0 < run.aov_low < run.aov_high)
        self.assertEqual(zara.last_result_id.aov_band, "expensive")
        # visuals: PNG scatter, legend and centroid profile bars
        self.assertEqual(base64.b64decode(run.scatter_image)[:4], b"\x89PNG")
        self.assertIn(zara.display_name, run.scatter_legend)
        self.assertIn("Spend share: Zara", run.profile_html)
        # on the partner: segment, distance, three features that place it there; history row
        partner = self.partners[0]
        self.assertGreaterEqual(partner.customer_segment_distance, 0)
        self.assertEqual(len(partner.customer_segment_features), 3)
        self.assertEqual(partner.customer_segment_why.count(","), 2)
        self.assertEqual(partner.customer_segment_history_ids.segment_id, zara)
        self.assertEqual(len(run.membership_ids), 36)
        # segment filter / group-by on partners and sale orders
        self.assertEqual(self.env["res.partner"].search([("customer_segment_id", "=", zara.id)]),
                         self.partners.filtered(lambda p: p.customer_segment_id == zara))
        groups = self.env["sale.order"]._read_group(
            [("partner_id", "in", self.partners.ids)], ["customer_segment_id"], ["__count"])
        self.assertEqual({segment for segment, _count in groups}, set(run.result_ids.segment_id))
        self.assertEqual(dict(groups)[zara], 12 * 5)

    def test_auto_k_by_silhouette(self):
        run = self._run(k_mode="auto", k_min=2, k_max=6)
        self.assertEqual(run.segment_count, 3, run.silhouette_report)
        self.assertIn("k=2", run.silhouette_report)
        self.assertIn("k=6", run.silhouette_report)
        self.assertEqual(run.algorithm, "KMeans")
        minibatch = self._run(minibatch_threshold=10)
        self.assertEqual(minibatch.algorithm, "MiniBatchKMeans")
        self.assertGreaterEqual(adjusted_rand_score(self.truth, self._labels(self.partners)), 0.9)

    def test_stability_with_five_percent_new_customers(self):
        first = self._run()
        before = dict(zip(self.partners.ids, self._labels(self.partners), strict=True))
        segments = first.result_ids.segment_id
        names = {s.id: s.code for s in segments}
        newcomers, _truth = self._make_customers(per_type=1, seed=9, prefix="New")  # 3 of 39 = 7.7 %
        second = self._run()
        self.assertEqual(second.customer_count, 39)
        kept = sum(before[p.id] == p.customer_segment_id.id for p in self.partners) / len(self.partners)
        self.assertGreaterEqual(kept, 0.9)
        self.assertEqual(second.result_ids.segment_id, segments)
        self.assertTrue(all(second.result_ids.mapped("identity_kept")))
        self.assertEqual({s.id: s.code for s in second.result_ids.segment_id}, names)
        self.assertTrue(newcomers.customer_segment_id)
        history = self.partners[0].customer_segment_history_ids
        self.assertEqual(history.run_id, first | second)
        # a third run with k=4: three segments keep their identity, one is new
        third = self._run(n_clusters=4)
        self.assertEqual(len(third.result_ids.filtered("identity_kept")), 3)
        self.assertEqual(len(third.result_ids.segment_id - segments), 1)
        # back to 3: the extra segment is archived, customers keep being filterable
        fourth = self._run()
        self.assertEqual(len(fourth.result_ids), 3)
        self.assertFalse(all((third.result_ids.segment_id - fourth.result_ids.segment_id).mapped("active")))

    def test_feature_groups_switched_off_and_empty_groups_reported(self):
        run = self._run(use_brand=False, use_category=False, use_views=False, use_age=False)
        self.assertEqual([c["key"] for c in run.feature_meta["columns"]],
                         ["recency_days", "frequency", "monetary", "avg_order_value"])
        self.assertNotIn("Brands", run.groups_report)
        self.assertGreaterEqual(adjusted_rand_score(self.truth, self._labels(self.partners)), 0.9)
        # age switched on but nobody has a birth date: skipped, said so
        self.partners.customer_birthdate = False
        run = self._run()
        self.assertIn("Age: skipped, no data", run.groups_report)
        self.assertNotIn("age", [c["key"] for c in run.feature_meta["columns"]])
        # every group off: refused with a message
        run = self.env["customer.clustering.run"].create({
            "company_id": self.company.id, "use_rfm": False, "use_aov": False, "use_age": False,
            "use_brand": False, "use_category": False, "use_views": False})
        with self.assertRaisesRegex(UserError, "at least one feature group"):
            run.action_run()

    def test_run_as_cron_user_with_cold_cache(self):
        """The cron runs as superuser with an empty context: reading the user's time zone for 'today' must not
        clobber the birth-date query's result (it did: age was reported as 'no data')."""
        env = self.env(user=SUPERUSER_ID, context={"allowed_company_ids": [self.company.id]})
        run = env["customer.clustering.run"].create({
            "company_id": self.company.id, "k_mode": "fixed", "n_clusters": 3,
            "brand_attribute_id": self.brand_attribute.id})
        env.invalidate_all()
        self.assertIn(("age", 36), run._extract_features()["report"])

    def test_website_views_present(self):
        if not self.has_website:
            self.skipTest("website_sale is not installed in this database")
        run = self._run()
        keys = [c["key"] for c in run.feature_meta["columns"]]
        self.assertIn("view_count", keys)
        self.assertIn("view_price", keys)
        self.assertIn(f"view_categ:{self.categories[0].id}", keys)
        self.assertIn(f"view_brand:{self.brands[1].id}", keys)
        self.assertIn("Products viewed on the website: 36 customers", run.groups_report)
        # views alone separate the three types
        views_only = self._run(use_rfm=False, use_aov=False, use_age=False, use_brand=False, use_category=False)
        self.assertEqual({c["group"] for c in views_only.feature_meta["columns"]}, {"views"})
        self.assertGreaterEqual(adjusted_rand_score(self.truth, self._labels(self.partners)), 0.9)

    def test_website_views_absent(self):
        if self.has_website:
            self.env["website.track"].sudo().search([("visitor_id.partner_id", "in", self.partners.ids)]).unlink()
        run = self._run()
        reason = "skipped, no data" if self.has_website else "skipped, website shop (website_sale) not installed"
        self.assertIn(f"Products viewed on the website: {reason}", run.groups_report)
        self.assertNotIn("view_count", [c["key"] for c in run.feature_meta["columns"]])
        self.assertGreaterEqual(adjusted_rand_score(self.truth, self._labels(self.partners)), 0.9)
        # without website_sale at all (module not installed): skipped with that reason
        with patch.object(type(self.env["customer.clustering.run"]), "_website_views_available",
                          return_value=False):
            run = self._run()
        self.assertIn("website_sale", run.groups_report)

    def test_mailing_list_kept_in_sync(self):
        self._run()
        zara = self.partners[0].customer_segment_id
        zara.action_sync_mailing_list()
        members = self.partners.filtered(lambda p: p.customer_segment_id == zara)
        self.assertEqual(set(zara.mailing_list_id.contact_ids.mapped("email")), set(members.mapped("email")))
        # a customer whose orders are cancelled leaves the segment and the list; a newcomer joins
        leaver = members[0]
        self.env["sale.order"].search([("partner_id", "=", leaver.id)])._action_cancel()
        newcomers, _truth = self._make_customers(per_type=1, seed=5, prefix="Joiner")
        self._run()
        self.assertFalse(leaver.customer_segment_id)
        self.assertEqual(newcomers[0].customer_segment_id, zara)
        emails = set(zara.mailing_list_id.contact_ids.mapped("email"))
        self.assertNotIn(leaver.email, emails)
        self.assertIn(newcomers[0].email, emails)
        action = zara.action_create_mailing()
        self.assertEqual(action["context"]["default_contact_list_ids"], [(6, 0, zara.mailing_list_id.ids)])
        # issue 14: a segment's name describes customers for the staff; it is never a mail's subject
        mailing = self.env["mailing.mailing"].with_context(**action["context"]).new({})
        self.assertNotEqual(mailing.subject, zara.name)
        self.assertFalse(mailing.subject)

    def test_button_queues_and_cron_runs_it(self):
        run = self.env["customer.clustering.run"].create({
            "company_id": self.company.id, "brand_attribute_id": self.brand_attribute.id})
        run.action_run()
        self.assertEqual(run.state, "queued")
        cron = self.env.ref("customer_clustering.ir_cron_customer_clustering_process")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        with self.assertRaises(UserError):
            run.action_run()
        self.env["customer.clustering.run"]._cron_process_runs()
        self.assertEqual((run.state, run.progress), ("done", 100))

    def test_salesman_reads_mailing_user_syncs(self):
        self._run()
        salesman = new_test_user(self.env, "cc_sales", groups="sales_team.group_sale_salesman",
                                 company_id=self.company.id, company_ids=[(6, 0, self.company.ids)])
        segment = self.partners[0].customer_segment_id.with_user(salesman)
        self.assertTrue(segment.name)
        self.assertTrue(self.partners[0].with_user(salesman).customer_segment_why)
        with self.assertRaises(UserError.__mro__[1]):  # AccessError
            self.env["customer.clustering.run"].with_user(salesman).create({"company_id": self.company.id})
        marketer = new_test_user(self.env, "cc_mail", groups="mass_mailing.group_mass_mailing_user",
                                 company_id=self.company.id, company_ids=[(6, 0, self.company.ids)])
        segment.with_user(marketer).action_sync_mailing_list()
        self.assertTrue(segment.mailing_list_id.contact_ids)


@tagged("post_install", "-at_install")
class TestBadData(ClusteringCommon):
    def _failed(self, **vals):
        run = self._run(**vals)
        self.assertEqual(run.state, "failed")
        return run.message

    def test_company_without_orders(self):
        self.assertIn("has no confirmed sales order", self._failed())

    def test_too_few_customers_for_k(self):
        self._make_customers(per_type=1)
        self.assertIn("not enough for 5 segments", self._failed(n_clusters=5))

    def test_all_customers_alike(self):
        partners = self.env["res.partner"].create([{"name": f"Twin {i}"} for i in range(4)])
        orders = self.env["sale.order"].create([
            {"partner_id": p.id, "company_id": self.company.id,
             "order_line": [(0, 0, {"product_id": self.products[0].id, "price_unit": 100})]} for p in partners])
        orders.action_confirm()
        orders.date_order = "2026-01-01 10:00:00"
        self.assertIn("look the same", self._failed(n_clusters=2))

    def test_k_larger_than_distinct_profiles(self):
        self._make_customers(per_type=1)
        # three customers, three distinct profiles, four segments asked: first the count check...
        self.assertIn("not enough", self._failed(n_clusters=4))
        # ... and with twins added, the distinct-profile check
        self._make_customers(per_type=1)
        message = self._failed(n_clusters=5, use_age=False)
        self.assertIn("distinct profiles", message)


@tagged("post_install", "-at_install")
class TestDemoAndCron(ClusteringCommon):
    def test_end_to_end_on_demo_data(self):
        """The demo company's confirmed orders, default settings, through the cron as a user would."""
        main = self.env.ref("base.main_company")
        env = self.env(context=dict(self.env.context, allowed_company_ids=[main.id]))
        run = env["customer.clustering.run"].create({"company_id": main.id, "k_mode": "auto"})
        run.action_run()
        env["customer.clustering.run"]._cron_process_runs()
        self.assertEqual(run.state, "done", run.message)
        self.assertGreaterEqual(run.segment_count, 2)
        self.assertTrue(run.groups_report)
        self.assertEqual(sum(run.result_ids.mapped("size")), run.customer_count)
        customers = env["res.partner"].search([("customer_segment_id", "in", run.result_ids.segment_id.ids)])
        self.assertEqual(len(customers), run.customer_count)

    def test_cron_per_company_and_rules_isolate_companies(self):
        self._make_customers(per_type=4)
        self.env["customer.clustering.run"].sudo()._cron_run_segmentation()
        runs = self.env["customer.clustering.run"].sudo().search([("name", "=", "Scheduled segmentation")])
        self.assertEqual(runs.company_id, self.env["res.company"].sudo().search([]))
        mine = runs.filtered(lambda r: r.company_id == self.company)
        self.assertEqual((mine.state, mine.customer_count), ("done", 12))
        self.assertTrue(all(r.state in ("done", "failed") for r in runs))
        main = self.env.ref("base.main_company")
        plain_env = self.env(context={})
        other_company_user = new_test_user(
            plain_env, "cc_other", groups="sales_team.group_sale_manager",
            company_id=main.id, company_ids=[(6, 0, main.ids)],
        )
        visible = plain_env["customer.clustering.run"].with_user(other_company_user).search([])
        self.assertNotIn(mine, visible)
        self.assertIn(runs.filtered(lambda r: r.company_id == main), visible)
        segments = plain_env["customer.segment"].with_user(other_company_user).search([])
        self.assertFalse(segments & mine.result_ids.segment_id)
