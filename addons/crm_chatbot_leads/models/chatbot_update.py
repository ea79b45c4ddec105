import json
import logging
import threading
from datetime import timedelta

import psycopg2.errors

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..tools.telegram_api import parse_update
from ..tools.viber_api import parse_event

_logger = logging.getLogger(__name__)

KEEP_DAYS = 30
MAX_REPROCESS = 5
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
    # the update kinds the webhooks store (Telegram Update fields / Viber callback events), shown in words
    kind = fields.Selection([
        ("message", "Message"), ("edited_message", "Edited message"), ("callback_query", "Button pressed"),
        ("my_chat_member", "Bot blocked or unblocked"), ("conversation_started", "Conversation started"),
        ("subscribed", "Subscribed"), ("unsubscribed", "Unsubscribed"), ("failed", "Delivery failed"),
    ])
    payload = fields.Text(string="Raw Update")
    state = fields.Selection(
        [("received", "Received"), ("done", "Processed"), ("ignored", "Ignored"), ("error", "Error")],
        default="received", required=True, index=True)
    error = fields.Text()
    attempts = fields.Integer(string="Processing Attempts", default=1, readonly=True)
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
        vals = {"state": state, "error": False}
        if conversation:
            vals["conversation_id"] = conversation.id
        self.write(vals)
        return answer

    # -- reprocessing ------------------------------------------------------------------------------
    def _parse_payload(self):
        """The stored raw body parsed again, as the webhook did."""
        self.ensure_one()
        data = json.loads(self.payload or "null")
        if self.bot_id.channel == "telegram":
            return parse_update(data)
        return parse_event(data)

    def _reprocess(self):
        """Process failed updates again, each in its own savepoint; a success clears the error."""
        for update in self.filtered(lambda u: u.state == "error"):
            bot = update.bot_id
            update = update.with_company(bot.company_id).with_context(lang=bot._chatbot_company_lang())
            try:
                parsed = update._parse_payload()
            except ValueError as error:
                update.write({"state": "ignored", "error": f"Not a valid update: {error}"[:2000]})
                continue
            update.write({"attempts": update.attempts + 1})
            update._process(parsed)

    def action_reprocess(self):
        """Button: process failed updates again (sales managers; the work is the module's, as superuser)."""
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(self.env._("Only sales managers can reprocess chatbot updates."))
        self.check_access("read")
        self.sudo()._reprocess()
        return True

    @api.model
    def _cron_reprocess_failed(self, limit=100):
        """Failed updates are never left silently in error: retried up to MAX_REPROCESS times (savepoint
        and commit per update); after that they stay in error for a manager to look at."""
        testing = getattr(threading.current_thread(), "testing", False)
        updates = self.search([("state", "=", "error"), ("attempts", "<", MAX_REPROCESS)], limit=limit, order="id")
        for update in updates:
            update._reprocess()
            if not testing:
                # one update per transaction
                self.env.cr.commit()  # pylint: disable=invalid-commit
        if len(updates) == limit:
            self.env.ref("crm_chatbot_leads.ir_cron_chatbot_reprocess_updates")._trigger()
        return len(updates)

    @api.autovacuum
    def _gc_processed_updates(self):
        """Raw updates are only kept for diagnosis: drop processed/ignored ones after KEEP_DAYS."""
        limit = fields.Datetime.now() - timedelta(days=KEEP_DAYS)
        self.search([("state", "in", ("done", "ignored")), ("create_date", "<", limit)]).unlink()
