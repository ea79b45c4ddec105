from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _chatbot_conversation(self):
        self.ensure_one()
        return self.opportunity_id._chatbot_current_conversation() if self.opportunity_id else self.env[
            "chatbot.conversation"]

    def action_confirm(self):
        result = super().action_confirm()
        self._chatbot_notify_confirmed()
        return result

    def _chatbot_notify_confirmed(self):
        """Tell the customer of a chat-born order it is confirmed. The user confirming may not see the
        lead or the chat (another team, Sales-only rights): the module does this as superuser."""
        for order_sudo in self.sudo().filtered(
                lambda o: o.state == "sale" and o.opportunity_id.chatbot_conversation_id):
            conversation_sudo = order_sudo._chatbot_conversation()
            conv = conversation_sudo._chatbot_env_lang()
            text = conv.env._("Your order %(order)s is confirmed. Total: %(amount)s.",
                              order=order_sudo.name, amount=order_sudo.currency_id.format(order_sudo.amount_total))
            conversation_sudo._chatbot_queue(text, kind="notification", lead=order_sudo.opportunity_id)
