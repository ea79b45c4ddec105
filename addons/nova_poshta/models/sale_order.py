from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    nova_poshta_risk = fields.Float(related="partner_id.nova_poshta_risk", string="COD Refusal Risk (%)")
    nova_poshta_cod_parcels = fields.Integer(related="partner_id.nova_poshta_cod_parcels")
    nova_poshta_city_id = fields.Many2one(related="partner_shipping_id.nova_poshta_city_id", readonly=False)
    nova_poshta_warehouse_id = fields.Many2one(related="partner_shipping_id.nova_poshta_warehouse_id",
                                               readonly=False)
