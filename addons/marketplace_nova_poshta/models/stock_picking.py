import logging
import threading

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.nova_poshta import const as np_const

from .. import const

_logger = logging.getLogger(__name__)


class StockPicking(models.Model):
    _inherit = "stock.picking"

    np_waybill_error = fields.Char(string="Waybill Error", copy=False, readonly=True)

    def write(self, vals):
        if vals.get("nova_poshta_number"):
            vals = dict(vals, np_waybill_error=False)
        return super().write(vals)

    # -- waybill ---------------------------------------------------------------------------
    def action_np_create_waybill(self):
        """'Create waybill' on a ready delivery (before its validation: the marketplace wants the number as soon
        as the parcel is packed). Nothing is asked of Nova Poshta in this click: what can be checked without it
        is checked now (a problem is kept on the delivery and the order's flow), then the waybill is queued
        on the delivery and created right after this click's transaction commits by nova_poshta's waybill cron,
        which retries network failures by itself; the number then goes to the marketplace
        (:meth:`_nova_poshta_on_waybill_created`). Pressing again never makes a second waybill."""
        self.ensure_one()
        order = self.sale_id
        if self.nova_poshta_document_ref:
            raise UserError(self.env._("%(picking)s already has the waybill %(number)s.",
                                       picking=self.name, number=self.nova_poshta_number))
        if order.np_match_state and order.np_match_state not in const.MATCH_OK:
            raise UserError(order.np_match_note)
        if self.state != "assigned":
            raise UserError(self.env._("%(picking)s is not ready: its products are not reserved yet.",
                                       picking=self.name))
        if not self.is_nova_poshta:
            raise UserError(self.env._("This order has no delivery shipped with Nova Poshta."))
        if self.nova_poshta_waybill_state in np_const.WAYBILL_IN_PROGRESS:
            return {"type": "ir.actions.client", "tag": "display_notification", "params": {
                "type": "info", "title": self.env._("Nova Poshta"),
                "message": self.env._("The waybill of %(picking)s is already being created: its state is shown on "
                                      "the transfer.", picking=self.name),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"}}}
        try:
            with self.env.cr.savepoint():
                queued = self._nova_poshta_queue_waybills()
        except UserError as error:  # bad input: kept on the delivery, the order shows why it is stuck
            message = error.args[0] if error.args else str(error)
            self.write({"np_waybill_error": message})
            order._flow_note(self.env._("Waybill not created: %(error)s", error=message))
            return self._nova_poshta_queued_answer(self.browse(), [f"{self.name}: {message}"])
        self.write({"np_waybill_error": False})
        return self._nova_poshta_queued_answer(queued, [])

    def _np_send_waybill(self):
        """send_to_shipper in a savepoint (the flow cron's automatic waybills); the number then goes to the
        marketplace through :meth:`_nova_poshta_on_waybill_created`.

        :return: the error message, or False when the waybill exists
        """
        self.ensure_one()
        lang = self.company_id.partner_id.lang
        picking = self.with_context(lang=lang) if lang and not self.env.context.get("lang") else self
        try:
            with self.env.cr.savepoint():
                picking.send_to_shipper()
        except (UserError, ValidationError) as error:
            message = error.args[0] if error.args else str(error)
            self.write({"np_waybill_error": message})
            self.sale_id._flow_note(self.env._("Waybill not created: %(error)s", error=message))
            return message
        return False

    def _nova_poshta_on_waybill_created(self):
        # a marketplace order, whoever created it (the flow cron, the waybill cron after a click or a validation):
        # told on the order,
        # and the number queued for the marketplace (outbox, sent after commit)
        result = super()._nova_poshta_on_waybill_created()
        order = self.sale_id
        binding = order.marketplace_order_id
        if not binding or self.picking_type_code != "outgoing" or self.nova_poshta_origin_picking_id:
            return result
        order._flow_note(self.env._("Nova Poshta waybill %(number)s created (%(branch)s).",
                                    number=self.nova_poshta_number,
                                    branch=self.nova_poshta_warehouse_id.display_name or "-"))
        binding._queue_waybill(self.nova_poshta_number)  # idempotent: a done delivery's is queued already
        order._flow_note(self.env._("Waybill %(number)s queued for %(channel)s.",
                                    number=self.nova_poshta_number, channel=binding.channel_id.name))
        return result

    def _nova_poshta_waybill_failed(self, reason, retryable):
        # the waybill cron could not create it: the order's chatter says so too, once per new reason
        new_reason = reason != self.nova_poshta_waybill_error
        result = super()._nova_poshta_waybill_failed(reason, retryable)
        if new_reason and self.sale_id.marketplace_order_id:
            self.sale_id._flow_note(self.env._("Waybill not created: %(error)s", error=reason))
        return result

    def _np_trigger_flow(self):
        self.env.ref("marketplace_nova_poshta.ir_cron_marketplace_nova_poshta_flow")._trigger()

    # -- tracking: Nova Poshta has the parcel -> the delivery is done ---------------------
    def _nova_poshta_on_status_change(self, old_code, new_code):
        result = super()._nova_poshta_on_status_change(old_code, new_code)
        if (self.state == "assigned" and self.picking_type_code == "outgoing"
                and self.sale_id.marketplace_order_id and self.nova_poshta_state in const.NP_HAS_PARCEL):
            for move in self.move_ids:
                move.quantity = move.product_uom_qty
            self.move_ids.picked = True
            self.with_context(cancel_backorder=True)._action_done()
            self.sale_id._flow_note(self.env._("Nova Poshta took the parcel %(number)s: delivery %(picking)s done.",
                                               number=self.nova_poshta_number, picking=self.name))
        return result

    # -- the flow cron: automatic waybills --------------------------------------------------
    @api.model
    def _np_auto_waybill_domain(self):
        return [("picking_type_code", "=", "outgoing"), ("state", "=", "assigned"),
                ("carrier_id.delivery_type", "=", "nova_poshta"), ("nova_poshta_document_ref", "=", False),
                # queued by a click: nova_poshta's waybill cron is on it
                ("nova_poshta_waybill_state", "not in", np_const.WAYBILL_IN_PROGRESS),
                ("sale_id.marketplace_order_id.channel_id.nova_poshta_auto_waybill", "=", True),
                ("sale_id.np_match_state", "in", list(const.MATCH_OK))]

    @api.model
    def _cron_marketplace_nova_poshta_flow(self, limit=200):
        """Automatic waybills of the ready deliveries of channels that want them.

        One delivery at a time (own savepoint, committed outside tests); a refusal is kept on the delivery
        (``np_waybill_error``, shown on the order as the reason it is stuck), the delivery is skipped and tried
        again on the next run (every 15 minutes, and when an order arrives or a branch is chosen, never in a
        loop). The waybill numbers go to the marketplaces through marketplace_connector's outbox.
        :return: number of waybills created
        """
        testing = getattr(threading.current_thread(), "testing", False)
        created = 0
        for picking in self.search(self._np_auto_waybill_domain(), limit=limit, order="id"):
            if not picking._np_send_waybill():
                created += 1
            if not testing:
                self.env.cr.commit()  # pylint: disable=invalid-commit  # cron: one delivery per transaction
        return created


class NovaPoshtaWarehouse(models.Model):
    _inherit = "nova_poshta.warehouse"

    def action_np_choose_for_order(self):
        """'Choose' on a branch of the list shown by an order whose branch was not found."""
        self.ensure_one()
        order = self.env["sale.order"].browse(self.env.context.get("np_order_id")).exists()
        if not order or order._np_delivery_picking().nova_poshta_document_ref:
            raise UserError(self.env._("This order cannot take another branch."))
        order.write({"nova_poshta_city_id": self.city_id.id, "nova_poshta_warehouse_id": self.id})
        order._flow_note(self.env._("Branch %(branch)s chosen by %(user)s.",
                                    branch=self.display_name, user=self.env.user.name))
        order._np_delivery_picking()._np_trigger_flow()
        return True
