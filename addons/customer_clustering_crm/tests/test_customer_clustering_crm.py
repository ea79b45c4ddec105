from odoo.tests import tagged

from odoo.addons.customer_clustering.tests.common import ClusteringCommon


@tagged("post_install", "-at_install")
class TestLeadSegment(ClusteringCommon):
    def test_leads_filter_and_group_by_segment(self):
        partners, _truth = self._make_customers(per_type=4)
        contact = self.env["res.partner"].create({"name": "Buyer at customer", "parent_id": partners[0].id})
        leads = self.env["crm.lead"].create([
            {"name": "Lead of a customer", "partner_id": contact.id, "company_id": self.company.id},
            {"name": "Lead without company", "partner_id": partners[-1].id},
        ])
        self.assertFalse(leads.customer_segment_id)
        self._run()
        first, last = partners[0].customer_segment_id, partners[-1].customer_segment_id
        self.assertTrue(first and last and first != last)
        # the contact's lead takes its company's segment
        self.assertEqual(leads.mapped("customer_segment_id"), first | last)
        self.assertEqual(self.env["crm.lead"].search([("customer_segment_id", "=", first.id)]), leads[0])
        groups = dict(self.env["crm.lead"]._read_group([("id", "in", leads.ids)], ["customer_segment_id"],
                                                       ["__count"]))
        self.assertEqual(groups, {first: 1, last: 1})
        # a new lead of a segmented customer gets the segment at once
        new = self.env["crm.lead"].create({"name": "Second lead", "partner_id": partners[0].id})
        self.assertEqual(new.customer_segment_id, first)
        self.assertTrue(self.env.ref("customer_clustering_crm.crm_customer_segment_menu").active)
