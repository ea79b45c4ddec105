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
            bindings = self.marketplace_order_id.filtered(lambda b: b.state != "cancelled")
            bindings._send_status("cancelled", reason=self.env.context.get("marketplace_cancel_reason"))
            bindings.write({"state": "cancelled"})
        return result


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        for picking in self.filtered(lambda p: p.picking_type_code == "outgoing"):
            binding = picking.sale_id.marketplace_order_id
            if binding and binding.last_status_sent not in ("shipped", "delivered"):
                binding._send_status("shipped", ttn=picking.carrier_tracking_ref or None)
        return result

    def write(self, vals):
        result = super().write(vals)
        # soft link to carrier tracking (nova_poshta sets this field from its tracking cron); no dependency
        if vals.get("nova_poshta_state") == "delivered":
            self._marketplace_delivered()
        return result

    def _marketplace_delivered(self):
        """Report to the marketplace that the parcel reached the customer. Carrier tracking modules call it."""
        for picking in self.filtered(lambda p: p.picking_type_code == "outgoing" and p.state == "done"):
            binding = picking.sale_id.marketplace_order_id
            if binding and binding.state != "cancelled" and binding.last_status_sent != "delivered":
                binding._send_status("delivered", ttn=picking.carrier_tracking_ref or None)
