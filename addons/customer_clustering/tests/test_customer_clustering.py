from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCustomerClustering(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "Clustering Co"})
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company.id]))
        product = cls.env["product.product"].create({"name": "Thing", "list_price": 1.0, "type": "service"})
        cls.partners = cls.env["res.partner"].create([{"name": f"Customer {i}"} for i in range(9)])
        # 3 big spenders, 3 medium, 3 small
        for i, partner in enumerate(cls.partners):
            amount = (10000, 1000, 50)[i // 3] + 7 * i
            orders = 5 if i < 3 else 1
            for _n in range(orders):
                order = cls.env["sale.order"].create({
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1,
                                           "price_unit": amount})],
                })
                order.action_confirm()

    def test_run_assigns_segments(self):
        run = self.env["customer.clustering.run"].create({"n_clusters": 3, "company_id": self.company.id})
        run.action_run()
        self.assertEqual(run.state, "done")
        self.assertEqual(run.customer_count, 9)
        self.assertEqual(len(run.segment_ids), 3)
        best = run.segment_ids.filtered(lambda s: s.rank == 0)
        self.assertEqual(best.partner_ids, self.partners[:3])
        self.assertEqual(best.partner_count, 3)
        self.assertEqual(self.partners[8].customer_segment_id.rank, 2)
        action = best.action_create_mailing()
        self.assertIn(str(best.id), action["context"]["default_mailing_domain"])

    def test_not_enough_customers(self):
        run = self.env["customer.clustering.run"].create({"n_clusters": 12, "company_id": self.company.id})
        with self.assertRaises(UserError):
            run.action_run()

    def test_cron_runs_per_company_and_rules_isolate_companies(self):
        self.env["customer.clustering.run"].sudo()._cron_run_segmentation()
        runs = self.env["customer.clustering.run"].sudo().search([("name", "=", "Scheduled segmentation")])
        self.assertEqual(runs.company_id, self.env["res.company"].sudo().search([]))
        mine = runs.filtered(lambda r: r.company_id == self.company)
        self.assertEqual((mine.state, mine.customer_count), ("done", 9))
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
