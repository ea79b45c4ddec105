from odoo import fields, models


class NovaPoshtaCity(models.Model):
    _name = "nova_poshta.city"
    _description = "Nova Poshta City"
    _order = "name"

    name = fields.Char(required=True, index="trigram")
    ref = fields.Char(string="Ref", required=True, index=True)
    area = fields.Char()
    active = fields.Boolean(default=True)

    _sql_constraints = [("ref_uniq", "unique(ref)", "A Nova Poshta city with this Ref already exists.")]
