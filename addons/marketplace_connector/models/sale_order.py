from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    marketplace_order_id = fields.Many2one("marketplace.order", string="Marketplace Order", copy=False,
                                           index=True, readonly=True)
    marketplace_channel_id = fields.Many2one(related="marketplace_order_id.channel_id", store=True,
                                             string="Marketplace")

    def _action_cancel(self):
        result = super()._action_cancel()
        if not self.env.context.get("marketplace_no_status"):
            # queued, sent after commit; the binding shows "cancelled" only once the marketplace accepted it
            bindings = self.marketplace_order_id.filtered(lambda b: b.state != "cancelled")
            bindings._queue_status("cancelled", reason=self.env.context.get("marketplace_cancel_reason"))
        return result


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        for picking in self.filtered(lambda p: p.picking_type_code == "outgoing"):
            binding = picking.sale_id.marketplace_order_id
            if binding and binding.state != "cancelled" and binding.last_status_sent not in ("shipped", "delivered"):
                binding._queue_status("shipped", ttn=picking.carrier_tracking_ref or None)
        return result

    def write(self, vals):
        result = super().write(vals)
        if vals.get("carrier_tracking_ref"):
            # a waybill entered (or corrected) after the delivery was validated goes to the marketplace too
            for picking in self.filtered(lambda p: p.picking_type_code == "outgoing" and p.state == "done"):
                picking.sale_id.marketplace_order_id._queue_waybill(picking.carrier_tracking_ref)
        # soft link to carrier tracking (nova_poshta sets this field from its tracking cron); no dependency
        if vals.get("nova_poshta_state") == "delivered":
            self._marketplace_delivered()
        return result

    def _marketplace_delivered(self):
        """Report to the marketplace that the parcel reached the customer. Carrier tracking modules call it."""
        for picking in self.filtered(lambda p: p.picking_type_code == "outgoing" and p.state == "done"):
            binding = picking.sale_id.marketplace_order_id
            if binding and binding.state != "cancelled" and binding.last_status_sent != "delivered" and not \
                    binding.status_ids.filtered(lambda s: s.event == "delivered" and s.state in ("pending", "sent")):
                binding._queue_status("delivered", ttn=picking.carrier_tracking_ref or None)
