from odoo import models
from odoo.tools import SQL


class CustomerClusteringRun(models.Model):
    _inherit = "customer.clustering.run"

    def _propagate_segments(self, company_segments):
        """Also refresh the segment on the leads of the run's company (or without company)."""
        res = super()._propagate_segments(company_segments)
        self.env.cr.execute(SQL("""
            UPDATE crm_lead l SET customer_segment_id = cp.customer_segment_id
              FROM res_partner p JOIN res_partner cp ON cp.id = COALESCE(p.commercial_partner_id, p.id)
             WHERE p.id = l.partner_id AND (l.company_id = %s OR l.company_id IS NULL)
               AND l.customer_segment_id IS DISTINCT FROM cp.customer_segment_id""", self.company_id.id))
        self.env["crm.lead"].invalidate_model(["customer_segment_id"])
        return res
