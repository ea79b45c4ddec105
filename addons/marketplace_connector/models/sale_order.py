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
