from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _chatbot_conversation(self):
        self.ensure_one()
        return self.opportunity_id._chatbot_current_conversation() if self.opportunity_id else self.env[
            "chatbot.conversation"]

    def action_confirm(self):
        result = super().action_confirm()
        for order in self.filtered(lambda o: o.state == "sale" and o.opportunity_id.chatbot_conversation_id):
            conversation = order._chatbot_conversation()
            conv = conversation._chatbot_env_lang()
            text = conv.env._("Your order %(order)s is confirmed. Total: %(amount)s.",
                              order=order.name, amount=order.currency_id.format(order.amount_total))
            conversation._chatbot_queue(text, kind="notification", lead=order.opportunity_id)
        return result
