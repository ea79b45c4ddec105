from odoo import fields, models


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    delivery_type = fields.Selection(
        selection_add=[("nova_poshta", "Nova Poshta")],
        ondelete={"nova_poshta": "set default"},
    )
    nova_poshta_api_key = fields.Char(
        string="Nova Poshta API Key", groups="base.group_system", copy=False
    )
