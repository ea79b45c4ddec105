import logging
import threading

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import const

_logger = logging.getLogger(__name__)


class StockPicking(models.Model):
    _inherit = "stock.picking"

    np_match_state = fields.Selection(
        const.MATCH_STATES, string="Branch Mapping", copy=False, readonly=True,
        help="How the marketplace's delivery data was mapped to a Nova Poshta city and branch.")
    np_match_note = fields.Char(string="Mapping Problem", copy=False, readonly=True)
    np_marketplace_branch = fields.Char(
        string="Branch at the Marketplace", copy=False, readonly=True,
        help="The city and branch as the marketplace sent them.")
    np_branch_candidate_ids = fields.Many2many(
        "nova_poshta.warehouse", string="Branches to Choose From", compute="_compute_np_branch_candidates")
    np_waybill_error = fields.Char(string="Waybill Error", copy=False, readonly=True)

    @api.depends("np_match_state", "nova_poshta_city_id", "np_marketplace_branch")
    def _compute_np_branch_candidates(self):
        Warehouse = self.env["nova_poshta.warehouse"]
        for picking in self:
            if picking.np_match_state in (False, "matched", "manual") or not picking.nova_poshta_city_id:
                picking.np_branch_candidate_ids = Warehouse
                continue
            branches = Warehouse.search([("city_id", "=", picking.nova_poshta_city_id.id)])
            wanted = "".join(ch for ch in (picking.np_marketplace_branch or "") if ch.isdigit())
            wanted = int(wanted[-6:]) if wanted else 0
            picking.np_branch_candidate_ids = branches.sorted(
                lambda w, wanted=wanted: (abs(w.number_int - wanted), w.number_int))[:const.CANDIDATES_SHOWN]

    # -- mapping -------------------------------------------------------------------------
    def _np_map_marketplace_delivery(self, binding):
        """Set the recipient city, branch (or parcel locker) and cash on delivery from the marketplace
        order. Nothing is guessed: an unknown or ambiguous city or branch is left empty and the picking
        says why, with the branches of the city to choose from.
        """
        self.ensure_one()
        data = binding._np_delivery_data()
        if data is None:
            self.write({"np_match_state": "not_nova_poshta", "np_match_note": self.env._(
                "The marketplace order is not delivered by Nova Poshta: check the delivery method.")})
            return
        City, Warehouse = self.env["nova_poshta.city"], self.env["nova_poshta.warehouse"]
        label = ", ".join(x for x in (data["city"], data["branch_ref"] or data["branch_number"]) if x)
        vals = {"np_marketplace_branch": label or "-", "np_match_note": False}
        branch = Warehouse.search([("ref", "=", data["branch_ref"])], limit=1) if data["branch_ref"] else Warehouse
        cities = branch.city_id if branch else (
            City.search([("name", "=ilike", data["city"])]) if data["city"] else City)
        if len(cities) > 1 and data["branch_number"]:  # same name in several regions: the branch decides
            with_branch = Warehouse.search([("city_id", "in", cities.ids), ("number", "=", data["branch_number"])])
            if len(with_branch.city_id) == 1:
                cities, branch = with_branch.city_id, with_branch[:1]
        if not cities:
            vals.update(np_match_state="no_city", nova_poshta_city_id=False, nova_poshta_warehouse_id=False,
                        np_match_note=self.env._(
                            "Nova Poshta has no city '%(city)s': choose the city and the branch.",
                            city=data["city"] or "-"))
        elif len(cities) > 1:
            vals.update(np_match_state="ambiguous_city", nova_poshta_city_id=False, nova_poshta_warehouse_id=False,
                        np_match_note=self.env._(
                            "Several Nova Poshta cities are called '%(city)s' (%(areas)s): choose the city "
                            "and the branch.", city=data["city"], areas=", ".join(cities.mapped("display_name"))))
        else:
            if not branch and data["branch_number"]:
                branch = Warehouse.search([("city_id", "=", cities.id), ("number", "=", data["branch_number"])],
                                          limit=1)
            vals["nova_poshta_city_id"] = cities.id
            vals["nova_poshta_warehouse_id"] = branch.id
            if branch:
                vals["np_match_state"] = "matched"
            else:
                vals.update(np_match_state="no_branch", np_match_note=self.env._(
                    "%(city)s has no Nova Poshta branch or parcel locker '%(branch)s': choose one from the list.",
                    city=cities.name, branch=data["branch_number"] or data["branch_ref"] or "-"))
        if binding._marketplace_paid_online():
            vals["nova_poshta_cod_amount"] = 0.0  # paid at the marketplace: no cash on delivery
        elif self.carrier_id.nova_poshta_cod_mode != "none":
            # what the buyer saw at the marketplace, in hryvnias
            vals["nova_poshta_cod_amount"] = self.carrier_id._nova_poshta_uah(
                binding.amount_total, binding.currency_id, self.company_id)
        self.write(vals)

    def write(self, vals):
        # the branch chosen by hand settles a mapping problem
        if vals.get("nova_poshta_warehouse_id") and "np_match_state" not in vals:
            unmatched = self.filtered(lambda p: p.np_match_state and p.np_match_state not in const.MATCH_OK)
            if unmatched:
                super(StockPicking, unmatched).write({"np_match_state": "manual", "np_match_note": False})
        if vals.get("nova_poshta_number"):
            vals.setdefault("np_waybill_error", False)
        return super().write(vals)

    # -- waybill ---------------------------------------------------------------------------
    def _np_ready_for_waybill(self):
        self.ensure_one()
        return (self.is_nova_poshta and not self.nova_poshta_document_ref and self.state == "assigned"
                and self.picking_type_code == "outgoing"
                and (not self.np_match_state or self.np_match_state in const.MATCH_OK))

    def action_np_create_waybill(self):
        """Create the waybill of a ready delivery. A refusal by Nova Poshta is kept on the delivery (and the
        order's flow) and shown; pressing again, or the flow cron, retries without a second waybill."""
        self.ensure_one()
        if self.nova_poshta_document_ref:
            raise UserError(self.env._("%(picking)s already has the waybill %(number)s.",
                                       picking=self.name, number=self.nova_poshta_number))
        if self.np_match_state and self.np_match_state not in const.MATCH_OK:
            raise UserError(self.np_match_note)
        if self.state not in ("assigned", "done"):
            raise UserError(self.env._("%(picking)s is not ready: its products are not reserved yet.",
                                       picking=self.name))
        error = self._np_send_waybill()
        if error:
            return {"type": "ir.actions.client", "tag": "display_notification", "params": {
                "type": "danger", "sticky": True, "title": self.env._("Nova Poshta"), "message": error}}
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "success", "title": self.env._("Nova Poshta"), "next": {"type": "ir.actions.client",
                                                                             "tag": "soft_reload"},
            "message": self.env._("Waybill %(number)s created.", number=self.nova_poshta_number)}}

    def _np_send_waybill(self):
        """send_to_shipper in a savepoint. :return: the error message, or False when the waybill exists."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self.send_to_shipper()
        except (UserError, ValidationError) as error:
            message = error.args[0] if error.args else str(error)
            self.write({"np_waybill_error": message})
            self.sale_id._flow_note(self.env._("Waybill not created: %(error)s", error=message))
            return message
        self.sale_id._flow_note(self.env._("Nova Poshta waybill %(number)s created (%(branch)s).",
                                           number=self.nova_poshta_number,
                                           branch=self.nova_poshta_warehouse_id.display_name or "-"))
        self._np_trigger_flow()
        return False

    def _np_trigger_flow(self):
        self.env.ref("marketplace_nova_poshta.ir_cron_marketplace_nova_poshta_flow")._trigger()

    # -- tracking: Nova Poshta has the parcel -> the delivery is done ---------------------
    def _nova_poshta_apply_status(self, row):
        changed = super()._nova_poshta_apply_status(row)
        if (changed and self.state == "assigned" and self.sale_id.marketplace_order_id
                and self.nova_poshta_state in const.NP_HAS_PARCEL):
            for move in self.move_ids:
                move.quantity = move.product_uom_qty
            self.move_ids.picked = True
            self.with_context(skip_backorder=True, cancel_backorder=True)._action_done()
            self.sale_id._flow_note(self.env._("Nova Poshta took the parcel %(number)s: delivery %(picking)s done.",
                                               number=self.nova_poshta_number, picking=self.name))
        return changed

    # -- the flow cron: automatic waybills, waybill numbers to the marketplace ---------------
    @api.model
    def _np_auto_waybill_domain(self):
        return [("picking_type_code", "=", "outgoing"), ("state", "=", "assigned"),
                ("carrier_id.delivery_type", "=", "nova_poshta"), ("nova_poshta_document_ref", "=", False),
                ("sale_id.marketplace_order_id.channel_id.nova_poshta_auto_waybill", "=", True),
                ("np_match_state", "in", list(const.MATCH_OK))]

    @api.model
    def _np_status_pending_domain(self):
        return [("picking_type_code", "=", "outgoing"), ("nova_poshta_number", "!=", False),
                ("sale_id.marketplace_order_id.state", "=", "imported"),
                ("sale_id.marketplace_order_id.last_status_sent", "not in", ["shipped", "delivered"])]

    @api.model
    def _cron_marketplace_nova_poshta_flow(self, limit=200):
        """Automatic waybills of ready deliveries, then the waybill numbers to the marketplaces.

        One record at a time (own savepoint, committed outside tests); a failure is kept on the record
        (waybill error, marketplace status error), the record is skipped and tried again on the next run
        (the cron runs every 15 minutes and when an order arrives or a waybill is created, never in a loop).
        """
        testing = getattr(threading.current_thread(), "testing", False)
        waybills = 0
        for picking in self.search(self._np_auto_waybill_domain(), limit=limit, order="id"):
            if not picking._np_send_waybill():
                waybills += 1
            if not testing:
                self.env.cr.commit()  # pylint: disable=invalid-commit  # cron: one delivery per transaction
        told = 0
        for picking in self.search(self._np_status_pending_domain(), limit=limit, order="id"):
            binding = picking.sale_id.marketplace_order_id
            binding._send_status("shipped", ttn=picking.nova_poshta_number)
            if binding.last_status_sent == "shipped":
                told += 1
                picking.sale_id._flow_note(self.env._("Waybill %(number)s sent to %(channel)s.",
                                                      number=picking.nova_poshta_number,
                                                      channel=binding.channel_id.name))
            else:
                picking.sale_id._flow_note(self.env._("%(channel)s did not take the waybill number: %(error)s",
                                                      channel=binding.channel_id.name, error=binding.status_error))
            if not testing:
                self.env.cr.commit()  # pylint: disable=invalid-commit  # cron: one order per transaction
        return waybills, told


class NovaPoshtaWarehouse(models.Model):
    _inherit = "nova_poshta.warehouse"

    def action_np_choose_for_picking(self):
        """'Choose' on a branch of the list shown by a delivery whose branch was not found."""
        self.ensure_one()
        picking = self.env["stock.picking"].browse(self.env.context.get("np_picking_id")).exists()
        if not picking or picking.nova_poshta_document_ref:
            raise UserError(self.env._("This delivery cannot take another branch."))
        picking.write({"nova_poshta_city_id": self.city_id.id, "nova_poshta_warehouse_id": self.id})
        picking.sale_id._flow_note(self.env._("Branch %(branch)s chosen by %(user)s.",
                                              branch=self.display_name, user=self.env.user.name))
        picking._np_trigger_flow()
        return True
