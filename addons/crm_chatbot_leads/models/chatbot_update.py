import logging
from datetime import timedelta

import psycopg2.errors

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

KEEP_DAYS = 30
PG_CONCURRENCY_ERRORS = (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable,
                         psycopg2.errors.DeadlockDetected)


class ChatbotUpdate(models.Model):
    _name = "chatbot.update"
    _description = "Chatbot Inbound Update"
    _order = "id desc"
    _rec_name = "external_id"

    bot_id = fields.Many2one("chatbot.bot", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    external_id = fields.Char(string="Update ID", required=True, help="Telegram update_id / Viber message_token.")
    kind = fields.Char()
    payload = fields.Text(string="Raw Update")
    state = fields.Selection(
        [("received", "Received"), ("done", "Processed"), ("ignored", "Ignored"), ("error", "Error")],
        default="received", required=True, index=True)
    error = fields.Text()
    conversation_id = fields.Many2one("chatbot.conversation", index="btree_not_null", ondelete="set null")

    _sql_constraints = [
        ("bot_external_uniq", "unique(bot_id, external_id)", "This update was already received."),
    ]

    def _process(self, parsed):
        """Process one stored update inside a savepoint; errors are recorded, never raised.

        :return: optional dict to answer in the webhook response body (Viber welcome)
        """
        self.ensure_one()
        Conversation = self.env["chatbot.conversation"]
        try:
            with self.env.cr.savepoint():
                if self.bot_id.channel == "telegram":
                    result = Conversation._chatbot_handle_telegram(self, parsed)
                else:
                    result = Conversation._chatbot_handle_viber(self, parsed)
        except PG_CONCURRENCY_ERRORS:
            # another transaction (the sending cron, a parallel update of the same lead) changed
            # what we touched: let Odoo roll back and replay the whole request, update included
            raise
        except Exception as error:  # noqa: BLE001 - recorded on the update, the webhook still answers 200
            _logger.exception("Chatbot update %s (bot %s) failed", self.external_id, self.bot_id.id)
            self.write({"state": "error", "error": str(error)[:2000]})
            return None
        state, conversation, answer = result
        vals = {"state": state}
        if conversation:
            vals["conversation_id"] = conversation.id
        self.write(vals)
        return answer

    @api.autovacuum
    def _gc_processed_updates(self):
        """Raw updates are only kept for diagnosis: drop processed/ignored ones after KEEP_DAYS."""
        limit = fields.Datetime.now() - timedelta(days=KEEP_DAYS)
        self.search([("state", "in", ("done", "ignored")), ("create_date", "<", limit)]).unlink()
