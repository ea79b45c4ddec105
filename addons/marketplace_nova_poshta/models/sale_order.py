from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.nova_poshta import const as np_const

from .. import const


class SaleOrder(models.Model):
    _inherit = "sale.order"

    np_match_state = fields.Selection(
        const.MATCH_STATES, string="Branch Mapping", copy=False, readonly=True,
        help="How the marketplace's delivery data was mapped to a Nova Poshta city and branch.")
    np_match_note = fields.Char(string="Mapping Problem", copy=False, readonly=True)
    np_marketplace_branch = fields.Char(
        string="Branch at the Marketplace", copy=False, readonly=True,
        help="The city and branch as the marketplace sent them.")
    np_branch_candidate_ids = fields.Many2many(
        "nova_poshta.warehouse", string="Branches to Choose From", compute="_compute_np_branch_candidates")
    flow_stage = fields.Selection(
        const.FLOW_STAGES, string="Flow", compute="_compute_flow", store=True, index=True,
        help="Where the order is between the marketplace and the customer.")
    flow_issue = fields.Char(
        string="Stuck Because", compute="_compute_flow", store=True,
        help="What keeps the order from going on; empty when nothing does.")
    flow_stuck = fields.Boolean(string="Stuck", compute="_compute_flow", store=True, index=True)

    @api.depends("np_match_state", "nova_poshta_city_id", "np_marketplace_branch")
    def _compute_np_branch_candidates(self):
        Warehouse = self.env["nova_poshta.warehouse"]
        for order in self:
            if order.np_match_state in (False, *const.MATCH_OK) or not order.nova_poshta_city_id:
                order.np_branch_candidate_ids = Warehouse
                continue
            branches = Warehouse.search([("city_id", "=", order.nova_poshta_city_id.id)])
            digits = "".join(ch for ch in (order.np_marketplace_branch or "") if ch.isdigit())
            wanted = int(digits[-6:]) if digits else 0
            order.np_branch_candidate_ids = branches.sorted(
                lambda w, wanted=wanted: (abs(w.number_int - wanted), w.number_int))[:const.CANDIDATES_SHOWN]

    def write(self, vals):
        # the branch chosen by hand settles a mapping problem
        if vals.get("nova_poshta_warehouse_id") and "np_match_state" not in vals:
            unmatched = self.filtered(lambda o: o.np_match_state and o.np_match_state not in const.MATCH_OK)
            if unmatched:
                super(SaleOrder, unmatched).write({"np_match_state": "manual", "np_match_note": False})
        return super().write(vals)

    def _nova_poshta_prepaid_amount(self):
        # paid at the marketplace: no cash on delivery for what the buyer paid there
        prepaid = super()._nova_poshta_prepaid_amount()
        binding = self.marketplace_order_id
        if binding and binding._is_paid_online():
            paid = binding.channel_id._convert_amount(binding._get_paid_amount() or binding.amount_total,
                                                      binding.currency_id, self.currency_id)
            prepaid = max(prepaid, min(paid, self.amount_total))
        return prepaid

    def _np_delivery_picking(self):
        """The order's delivery to the customer (outgoing, not cancelled, not a return), or empty."""
        self.ensure_one()
        return self.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing" and p.state != "cancel"
            and not p.nova_poshta_origin_picking_id)[:1]

    @api.depends("state", "np_match_state", "np_match_note", "marketplace_order_id.status_state",
                 "marketplace_order_id.status_error", "picking_ids.state", "picking_ids.nova_poshta_state",
                 "picking_ids.nova_poshta_number", "picking_ids.np_waybill_error",
                 "picking_ids.nova_poshta_waybill_error", "picking_ids.nova_poshta_waybill_state")
    def _compute_flow(self):
        for order in self:
            # stored text: in the shop's language, whoever (a cron, a user) changed the order
            _ = order._np_shop_lang_env()._
            stage, issue = False, False
            binding = order.marketplace_order_id
            picking = order._np_delivery_picking() if binding else self.env["stock.picking"]
            if not binding or not order.carrier_id:
                pass
            elif order.state == "cancel":
                stage = "cancelled"
            elif picking.nova_poshta_number:
                stage = const.STAGE_BY_NP_STATE.get(picking.nova_poshta_state, "waybill")
                if binding.status_state in ("refused", "failed") or (
                        binding.status_state == "pending" and binding.status_error):
                    issue = _("The marketplace did not take the last update: %(error)s",
                                       error=binding.status_error or "-")
            elif picking.state == "assigned" and picking.nova_poshta_waybill_state in np_const.WAYBILL_IN_PROGRESS:
                stage = "waybill_queued"  # the waybill cron is on it: no "Create waybill" button to press again
            elif picking.state == "assigned":
                stage = "ready"
                if order.np_match_state and order.np_match_state not in const.MATCH_OK:
                    issue = order.np_match_note
                elif picking.np_waybill_error or picking.nova_poshta_waybill_state == "error":
                    # refused at the click, or by Nova Poshta / no answer in the waybill cron
                    issue = _("Waybill: %(error)s",
                              error=picking.np_waybill_error or picking.nova_poshta_waybill_error or "-")
            elif picking.state == "done":
                stage = "shipped"
            elif picking:
                stage = "reserving"
                issue = _("Not all products are reserved: receive stock or check the delivery.")
            order.flow_stage, order.flow_issue, order.flow_stuck = stage, issue, bool(issue)

    def _np_shop_lang_env(self):
        """Environment in the shop's language (company partner's), for texts stored on the order."""
        lang = self.company_id.partner_id.lang or self.env.company.partner_id.lang
        return self.with_context(lang=lang).env if lang else self.env

    def action_np_create_waybill(self):
        """'Create waybill' on the order: the waybill of its ready delivery."""
        self.ensure_one()
        picking = self._np_delivery_picking()
        if not picking or not picking.is_nova_poshta:
            raise UserError(self.env._("This order has no delivery shipped with Nova Poshta."))
        return picking.action_np_create_waybill()

    def action_np_view_delivery(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "stock.picking",
                "res_id": self._np_delivery_picking().id, "view_mode": "form"}

    def _flow_note(self, body):
        """A step of the flow on the order's chatter (the message's date is the step's time)."""
        for order in self:
            order.message_post(body=Markup("🚚 %s") % body, subtype_xmlid="mail.mt_note")
