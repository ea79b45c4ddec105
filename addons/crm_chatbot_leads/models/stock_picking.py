from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        self._chatbot_notify_shipped()
        return result

    def _chatbot_notify_shipped(self):
        """Tell the customer of a chat-born order that it left the warehouse.

        Runs for whoever validates the delivery, typically a storekeeper with Inventory rights only,
        who may read neither the order's lead nor the chat: the lookup and the queueing are the
        module's own work and run as superuser on these pickings only (nothing is returned to the user).
        """
        pickings_sudo = self.sudo().filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
            and p.sale_id.opportunity_id.chatbot_conversation_id)
        has_tracking = "carrier_tracking_ref" in self._fields
        for picking_sudo in pickings_sudo:
            order_sudo = picking_sudo.sale_id
            conversation_sudo = order_sudo._chatbot_conversation()
            _ = conversation_sudo._chatbot_env_lang().env._
            tracking = picking_sudo.carrier_tracking_ref if has_tracking else False
            if tracking:
                text = _("Your order %(order)s has been shipped. Tracking number: %(tracking)s.",
                         order=order_sudo.name, tracking=tracking)
            else:
                text = _("Your order %(order)s has been shipped.", order=order_sudo.name)
            conversation_sudo._chatbot_queue(text, kind="notification", lead=order_sudo.opportunity_id)
