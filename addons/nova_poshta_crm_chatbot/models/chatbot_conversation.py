import re

from odoo import models

from .. import const


class ChatbotConversation(models.Model):
    _inherit = "chatbot.conversation"

    def _chatbot_buttons(self, keyboard):
        if keyboard == "rating":
            return [{"text": f"{const.RATING_STARS} {rate}"} for rate in range(5, 0, -1)]
        return super()._chatbot_buttons(keyboard)

    @staticmethod
    def _np_parse_rate(text):
        """'⭐ 4' / '4' / '⭐⭐⭐⭐' / '4/5' -> 4; anything else -> None."""
        cleaned = (text or "").replace("\ufe0f", "").strip()
        match = re.fullmatch(r"(?:⭐|★)?\s*([1-5])\s*(?:/\s*5)?", cleaned)
        if match:
            return int(match.group(1))
        if cleaned and set(cleaned) <= {"⭐", "★"} and len(cleaned) <= 5:
            return len(cleaned)
        return None

    def _np_pending_rating_order(self):
        self.ensure_one()
        orders = self.env["sale.order"].sudo().search(
            [("np_rating_conversation_id", "=", self.id)], order="np_rating_asked desc, id desc", limit=5)
        return orders.filtered(lambda o: any(not r.consumed for r in o.sudo().rating_ids))[:1]

    def _chatbot_on_text(self, text, update):
        rate = self._np_parse_rate(text)
        order = self._np_pending_rating_order() if rate else False
        if not order:
            return super()._chatbot_on_text(text, update)
        self._chatbot_log_inbound(text, update)
        order._np_apply_rating(rate, self)
        _ = self._chatbot_env_lang().env._
        if rate <= int(self.env["ir.config_parameter"].sudo().get_param(const.PARAM_LOW_RATING,
                                                                          const.DEFAULT_LOW_RATING)):
            reply = _("We are sorry it did not go well. A manager will contact you.")
        else:
            reply = _("Thank you for your rating!")
        self._chatbot_queue(reply, "remove")
        return None
