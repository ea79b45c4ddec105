from odoo import api, fields, models
from odoo.exceptions import UserError


class NovaPoshtaScanSheetWizard(models.TransientModel):
    """Hand the day's waybills over to Nova Poshta in one scan sheet (registry) per carrier."""

    _name = "nova_poshta.scan.sheet.wizard"
    _description = "Nova Poshta Scan Sheet"

    date = fields.Date(required=True, default=lambda self: self.env["stock.picking"]._nova_poshta_shop_today(),
                       help="The shop's day (Europe/Kyiv) on which the waybills were created.")
    carrier_id = fields.Many2one("delivery.carrier", string="Shipping Method",
                                 domain="[('delivery_type', '=', 'nova_poshta')]")
    picking_ids = fields.Many2many(
        "stock.picking", string="Waybills", compute="_compute_picking_ids", store=True, readonly=False,
        domain="[('nova_poshta_document_ref', '!=', False), ('nova_poshta_registry_number', '=', False)]")
    picking_count = fields.Integer(compute="_compute_picking_count")

    @api.depends("date", "carrier_id")
    def _compute_picking_ids(self):
        for wizard in self:
            start, end = self.env["stock.picking"]._nova_poshta_day_bounds(wizard.date)
            domain = [
                ("carrier_id.delivery_type", "=", "nova_poshta"), ("nova_poshta_document_ref", "!=", False),
                ("nova_poshta_registry_number", "=", False), ("nova_poshta_state", "=", "created"),
                ("nova_poshta_waybill_date", ">=", start),
                ("nova_poshta_waybill_date", "<", end),
            ]
            if wizard.carrier_id:
                domain.append(("carrier_id", "=", wizard.carrier_id.id))
            wizard.picking_ids = self.env["stock.picking"].search(domain)

    @api.depends("picking_ids")
    def _compute_picking_count(self):
        for wizard in self:
            wizard.picking_count = len(wizard.picking_ids)

    def action_create(self):
        self.ensure_one()
        if not self.picking_ids:
            raise UserError(self.env._("There are no Nova Poshta waybills of %(date)s left to put in a scan sheet.",
                                       date=self.date))
        action = self.picking_ids.action_nova_poshta_scan_sheet()
        action["params"]["next"] = {"type": "ir.actions.act_window_close"}
        return action
