from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    nova_poshta_risk = fields.Float(related="partner_id.nova_poshta_risk", string="COD Refusal Risk (%)")
    nova_poshta_cod_parcels = fields.Integer(related="partner_id.nova_poshta_cod_parcels",
                                             string="Past COD Parcels")
