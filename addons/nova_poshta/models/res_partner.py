from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    nova_poshta_city_id = fields.Many2one("nova_poshta.city", string="Nova Poshta City")
    nova_poshta_warehouse_id = fields.Many2one(
        "nova_poshta.warehouse", string="Nova Poshta Branch", domain="[('city_id', '=', nova_poshta_city_id)]")
    nova_poshta_risk = fields.Float(
        string="COD Refusal Risk (%)", compute="_compute_nova_poshta_risk", digits=(16, 1),
        help="Share of this customer's past cash-on-delivery parcels that were refused or returned.")
    nova_poshta_cod_parcels = fields.Integer(string="Past COD Parcels", compute="_compute_nova_poshta_risk")

    @api.onchange("nova_poshta_city_id")
    def _onchange_nova_poshta_city_id(self):
        if self.nova_poshta_warehouse_id.city_id != self.nova_poshta_city_id:
            self.nova_poshta_warehouse_id = False

    @api.depends_context("uid")
    def _compute_nova_poshta_risk(self):
        commercial = self.commercial_partner_id
        groups = self.env["stock.picking"].sudo()._read_group(
            [("partner_id.commercial_partner_id", "in", commercial.ids), ("nova_poshta_cod_amount", ">", 0),
             ("nova_poshta_state", "in", ("delivered", "refused", "returned"))],
            ["partner_id", "nova_poshta_state"], ["__count"])
        totals, bad = {}, {}
        for partner, state, count in groups:
            key = partner.commercial_partner_id.id
            totals[key] = totals.get(key, 0) + count
            if state in ("refused", "returned"):
                bad[key] = bad.get(key, 0) + count
        for partner in self:
            key = partner.commercial_partner_id.id
            partner.nova_poshta_cod_parcels = totals.get(key, 0)
            partner.nova_poshta_risk = 100.0 * bad.get(key, 0) / totals[key] if totals.get(key) else 0.0
