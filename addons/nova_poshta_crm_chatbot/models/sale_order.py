import logging
import threading
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models

from .. import const

_logger = logging.getLogger(__name__)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    np_rating_asked = fields.Datetime(string="Rating Asked On", copy=False, readonly=True)
    np_rating_conversation_id = fields.Many2one("chatbot.conversation", string="Rating Asked In", copy=False,
                                                readonly=True, index="btree_not_null")
    np_rating = fields.Float(string="Customer Rating", copy=False, readonly=True, aggregator="avg",
                             help="The customer's answer (1-5) to 'how did it go?' after the delivery.")

    def _np_conversation(self):
        """The customer's messenger conversation: the order's lead's, else the partner's latest one."""
        self.ensure_one()
        conversation = self._chatbot_conversation()
        if conversation and conversation.state != "unsubscribed":
            return conversation
        partner = self.partner_id.commercial_partner_id
        return self.env["chatbot.conversation"].sudo().search(
            [("partner_id", "child_of", partner.id), ("state", "!=", "unsubscribed")],
            order="last_message_date desc, id desc", limit=1)

    def _np_salesperson(self):
        """Who follows up: the order's salesperson, else (orders made by a cron or a bot) the team leader."""
        self.ensure_one()
        user = self.user_id
        if not user or user._is_superuser() or not user.active or user.share:
            user = self.team_id.user_id or self.env.ref("base.user_admin")
        return user

    # -- "how did it go?" -------------------------------------------------------------------
    @api.model
    def _np_rating_due_domain(self):
        params = self.env["ir.config_parameter"].sudo()
        days = int(params.get_param(const.PARAM_RATING_DELAY, const.DEFAULT_RATING_DELAY_DAYS))
        return [("state", "=", "sale"), ("np_rating_asked", "=", False),
                ("picking_ids.np_delivered_at", "<=", fields.Datetime.now() - timedelta(days=days))]

    @api.model
    def _cron_np_ask_rating(self, limit=const.RATING_BATCH):
        """Ask 'how did it go?' (1-5) in the messenger N days after Nova Poshta delivered the order.

        Each order once; one that cannot be asked (no conversation) is stamped too and skipped.
        """
        testing = getattr(threading.current_thread(), "testing", False)
        orders = self.search(self._np_rating_due_domain(), limit=limit, order="id")
        for order in orders:
            lang = order.company_id.partner_id.lang  # the chatter note is for the shop's staff, in its language
            try:
                with self.env.cr.savepoint():
                    (order.with_context(lang=lang) if lang else order)._np_ask_rating()
            except Exception:  # one broken order must not block the batch; it is retried next run
                _logger.exception("Rating request for %s failed", order.name)
            if not testing:
                self.env.cr.commit()  # pylint: disable=invalid-commit  # cron: one order per transaction
        return len(orders)

    def _np_ask_rating(self):
        self.ensure_one()
        conversation = self._np_conversation()
        now = fields.Datetime.now()
        if not conversation:
            self.write({"np_rating_asked": now})
            return False
        self._rating_get_access_token()  # the pending rating.rating of the customer (Odoo's rating request)
        conv = conversation._chatbot_env_lang()
        text = conv.env._("How did it go with your order %(order)s? Rate us from 1 to 5.", order=self.name)
        conversation._chatbot_queue(text, keyboard="rating", kind="notification",
                                    lead=self.opportunity_id or None)
        self.write({"np_rating_asked": now, "np_rating_conversation_id": conversation.id})
        self.message_post(body=Markup("⭐ %s") % self.env._("Rating asked in %(bot)s.", bot=conversation.bot_id.name),
                          subtype_xmlid="mail.mt_note")
        return True

    def _np_apply_rating(self, rate, conversation):
        """The customer's answer: Odoo's rating on the order; a low score opens an activity."""
        self.ensure_one()
        partner = self._rating_get_partner()
        rating = self.rating_ids.sudo().filtered(lambda r: r.partner_id == partner and not r.consumed)[:1]
        if not rating:
            token = self._rating_get_access_token()
            rating = self.env["rating.rating"].sudo().search([("access_token", "=", token)], limit=1)
        self.sudo().rating_apply(rate, rating=rating, subtype_xmlid="mail.mt_note")
        self.np_rating = rate
        low = int(self.env["ir.config_parameter"].sudo().get_param(const.PARAM_LOW_RATING,
                                                                    const.DEFAULT_LOW_RATING))
        if rate <= low:
            self.sudo().activity_schedule(
                "nova_poshta_crm_chatbot.mail_activity_type_low_rating",
                user_id=self._np_salesperson().id,
                summary=self.env._("Low rating: %(rate)s/5", rate=rate),
                note=self.env._("%(customer)s rated order %(order)s %(rate)s/5 in %(bot)s. Call them back.",
                                customer=self.partner_id.name, order=self.name, rate=rate,
                                bot=conversation.bot_id.name))
        return rating
