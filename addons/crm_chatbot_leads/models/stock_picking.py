from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        has_tracking = "carrier_tracking_ref" in self._fields
        for picking in self.filtered(lambda p: p.state == "done" and p.picking_type_code == "outgoing"
                                     and p.sale_id.opportunity_id.chatbot_conversation_id):
            order = picking.sale_id
            conversation = order._chatbot_conversation()
            _ = conversation._chatbot_env_lang().env._
            tracking = picking.carrier_tracking_ref if has_tracking else False
            if tracking:
                text = _("Your order %(order)s has been shipped. Tracking number: %(tracking)s.",
                         order=order.name, tracking=tracking)
            else:
                text = _("Your order %(order)s has been shipped.", order=order.name)
            conversation._chatbot_queue(text, kind="notification", lead=order.opportunity_id)
        return result
