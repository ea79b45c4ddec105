from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import const


class SaleOrder(models.Model):
    _inherit = "sale.order"

    flow_stage = fields.Selection(
        const.FLOW_STAGES, string="Flow", compute="_compute_flow", store=True, index=True,
        help="Where the order is between the marketplace and the customer.")
    flow_issue = fields.Char(
        string="Stuck Because", compute="_compute_flow", store=True,
        help="What keeps the order from going on; empty when nothing does.")
    flow_stuck = fields.Boolean(string="Stuck", compute="_compute_flow", store=True, index=True)

    @api.model_create_multi
    def create(self, vals_list):
        bindings = self.env["marketplace.order"].browse(
            [vals["marketplace_order_id"] for vals in vals_list if vals.get("marketplace_order_id")])
        carriers = {b.id: b.channel_id.nova_poshta_carrier_id for b in bindings}
        for vals in vals_list:
            carrier = carriers.get(vals.get("marketplace_order_id"))
            if carrier and not vals.get("carrier_id"):
                vals["carrier_id"] = carrier.id
        return super().create(vals_list)

    def _np_delivery_picking(self):
        """The order's delivery to the customer (outgoing, not cancelled), or an empty recordset."""
        self.ensure_one()
        return self.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state != "cancel")[:1]

    @api.depends("state", "marketplace_order_id.status_error", "marketplace_order_id.last_status_sent",
                 "picking_ids.state", "picking_ids.nova_poshta_state", "picking_ids.nova_poshta_number",
                 "picking_ids.np_match_state", "picking_ids.np_match_note", "picking_ids.np_waybill_error")
    def _compute_flow(self):
        for order in self:
            stage, issue = False, False
            picking = order._np_delivery_picking() if order.marketplace_order_id else False
            binding = order.marketplace_order_id
            if not binding:
                pass
            elif order.state == "cancel":
                stage = "cancelled"
            elif picking and picking.nova_poshta_number:
                stage = const.STAGE_BY_NP_STATE.get(picking.nova_poshta_state, "waybill")
                if binding.status_error and binding.last_status_sent not in ("shipped", "delivered"):
                    issue = self.env._("The marketplace did not take the waybill number: %(error)s",
                                       error=binding.status_error)
            elif picking and picking.state == "assigned":
                stage = "ready"
                if picking.np_match_state and picking.np_match_state not in const.MATCH_OK:
                    issue = picking.np_match_note
                elif picking.np_waybill_error:
                    issue = self.env._("Waybill: %(error)s", error=picking.np_waybill_error)
            elif picking and picking.state == "done":
                stage = "shipped"
            elif picking:
                stage = "reserving"
                issue = self.env._("Not all products are reserved: receive stock or check the delivery.")
            order.flow_stage, order.flow_issue, order.flow_stuck = stage, issue, bool(issue)

    def _np_apply_marketplace_delivery(self):
        """Recipient branch and cash on delivery of the order's delivery, from the marketplace order."""
        for order in self:
            picking = order._np_delivery_picking()
            if picking and picking.carrier_id.delivery_type == "nova_poshta":
                picking._np_map_marketplace_delivery(order.marketplace_order_id)

    def action_np_create_waybill(self):
        """'Create waybill' on the order: the waybill of its ready delivery."""
        self.ensure_one()
        picking = self._np_delivery_picking()
        if not picking or not picking.is_nova_poshta:
            raise UserError(self.env._("This order has no delivery shipped with Nova Poshta."))
        return picking.action_np_create_waybill()

    def action_np_view_delivery(self):
        self.ensure_one()
        picking = self._np_delivery_picking()
        return {"type": "ir.actions.act_window", "res_model": "stock.picking", "res_id": picking.id,
                "view_mode": "form"}

    def _flow_note(self, body):
        """A step of the flow on the order's chatter (the message's date is the step's time)."""
        for order in self:
            order.message_post(body=Markup("🚚 %s") % body, subtype_xmlid="mail.mt_note")
