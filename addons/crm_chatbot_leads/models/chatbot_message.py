import collections
import concurrent.futures
import logging
import math
import re
import threading
import time
from datetime import timedelta

import psycopg2
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import SQL

from ..const import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    DEFAULT_BATCH_SIZE,
    DEFAULT_CRON_BUDGET,
    DEFAULT_TIMEOUT,
    ERROR_ACCOUNT,
    ERROR_BLOCKED,
    ERROR_CHAT_NOT_FOUND,
    ERROR_FLOOD,
    ERROR_NETWORK,
    ERROR_TOKEN,
    ERROR_TOO_LARGE,
    ERROR_UNSUBSCRIBED,
    IN_FLIGHT_GRACE,
    MAX_ATTEMPTS,
    PARAM_BATCH_SIZE,
    PARAM_CHAT_INTERVAL,
    PARAM_CRON_BUDGET,
    PER_BOT_IN_FLIGHT,
    SEND_POOL_SIZE,
    TELEGRAM_DOWNLOAD_MAX,
    TELEGRAM_GLOBAL_PER_SECOND,
    TELEGRAM_PER_CHAT_INTERVAL,
    VIBER_FILE_MAX,
    VIBER_GLOBAL_PER_SECOND,
    error_family,
)
from ..tools.telegram_api import TelegramApiError
from ..tools.viber_api import ViberApiError

_logger = logging.getLogger(__name__)

PHOTO_MIMETYPES = ("image/jpeg", "image/png", "image/gif")
# anything shaped like a Telegram bot token (<bot id>:<35-character secret>) is masked in stored errors
TOKEN_RE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")



class ChatbotMessage(models.Model):
    _name = "chatbot.message"
    _description = "Chatbot Message"
    _order = "id"
    _rec_name = "body"

    conversation_id = fields.Many2one("chatbot.conversation", required=True, ondelete="cascade", index=True)
    bot_id = fields.Many2one(related="conversation_id.bot_id", store=True, index=True)
    channel = fields.Selection(related="conversation_id.channel", store=True)
    company_id = fields.Many2one(related="conversation_id.company_id", store=True, index=True)
    team_id = fields.Many2one(related="conversation_id.team_id")
    user_id = fields.Many2one(related="conversation_id.user_id")
    lead_id = fields.Many2one("crm.lead", index="btree_not_null", ondelete="set null")
    direction = fields.Selection([("in", "Customer"), ("out", "Bot")], required=True)
    kind = fields.Selection(
        [("reply", "Reply"), ("notification", "Notification"), ("callback", "Callback Answer")], default="reply")
    body = fields.Text()
    keyboard = fields.Selection([("phone", "Share Phone"), ("menu", "Menu"), ("remove", "Remove Keyboard")])
    inline_buttons = fields.Json(help="Rows of {text, data} buttons under the message (callback answers).")
    attachment_id = fields.Many2one(
        "ir.attachment", string="Attachment", ondelete="set null",
        help="Outbound: photo/document sent with the text as caption. Inbound: the customer's file, on the lead.")
    media_type = fields.Selection(
        [("photo", "Photo"), ("document", "Document"), ("voice", "Voice"), ("video", "Video"),
         ("location", "Location")], help="Inbound media sent by the customer.")
    media_ref = fields.Char(help="Telegram file_id / Viber media URL of the customer's file (kept until downloaded).")
    media_name = fields.Char(string="File Name")
    media_size = fields.Integer(string="File Size")
    media_state = fields.Selection(
        [("pending", "To Download"), ("done", "Stored"), ("too_large", "Too Large"), ("error", "Error")],
        index="btree_not_null")
    external_id = fields.Char(help="Inbound: update_id / message_token. Outbound: id given by the messenger.")
    date = fields.Datetime(default=fields.Datetime.now, required=True)
    date_epoch = fields.Float(help="Precise creation time (unix seconds) for response-time metrics.")
    state = fields.Selection(
        [("received", "Received"), ("queued", "Queued"), ("sent", "Sent"), ("failed", "Failed"),
         ("cancelled", "Cancelled")], required=True, default="received", index=True)
    attempts = fields.Integer(readonly=True)
    next_try = fields.Datetime(index=True)
    in_flight_since = fields.Datetime(
        readonly=True, index="btree_not_null",
        help="Set (and committed) just before the messenger call starts, cleared with its outcome: a message "
             "still marked after a crash is not sent twice.")
    sent_date = fields.Datetime(readonly=True)
    sent_epoch = fields.Float(readonly=True)
    error = fields.Text(readonly=True)
    author_id = fields.Many2one("res.users", string="Sent By", readonly=True, ondelete="set null",
                                help="The salesperson who wrote this answer; empty for the bot's own messages.")
    mail_message_id = fields.Many2one("mail.message", string="Chatter Message", ondelete="set null", readonly=True)

    # -- chatter ------------------------------------------------------------------------------
    def _chatbot_post_on_lead(self):
        """Post customer messages, and bot messages once sent, on their lead's chatter (once)."""
        to_post = self.filtered(lambda m: m.lead_id and not m.mail_message_id and m.kind != "callback"
                                and (m.direction == "in" or m.state == "sent"))
        labels = dict(self._fields["channel"]._description_selection(self.env))
        for message in to_post.sorted("id"):
            conversation = message.conversation_id
            if message.direction == "in":
                header = Markup("💬 <b>%s</b> · %s") % (
                    conversation.customer_name or conversation.chat_id, labels.get(message.channel, ""))
                author = conversation.partner_id.id or False
            elif message.author_id:
                header = Markup("👤 <b>%s</b> · %s") % (message.author_id.name, labels.get(message.channel, ""))
                author = message.author_id.partner_id.id
            else:
                header = Markup("🤖 <b>%s</b> · %s") % (conversation.bot_id.name, labels.get(message.channel, ""))
                author = self.env.ref("base.partner_root").id
            body = header + Markup("<br/>") + Markup("<br/>").join((message.body or "").splitlines())
            # a customer's message is for the salesperson's inbox (needaction, unread counter), like a
            # mention in a note: internal, so the customer never gets it back by e-mail
            recipients = message._chatbot_inbox_partners() if message.direction == "in" else []
            mail_message = message.lead_id.with_context(mail_create_nosubscribe=True).message_post(
                body=body, message_type="comment", subtype_xmlid="mail.mt_note", partner_ids=recipients,
                author_id=author or self.env.ref("base.partner_root").id,
                attachment_ids=message.attachment_id.ids)
            message.mail_message_id = mail_message

    def _chatbot_inbox_partners(self):
        """Partners who hear a customer's message: the lead's salesperson, else its team leader."""
        self.ensure_one()
        lead = self.lead_id
        user = lead.user_id or lead.team_id.user_id
        return user.partner_id.ids if user and user.active else []

    def _chatbot_viber_inline_payload(self):
        """Body of the webhook answer to Viber's conversation_started (one free welcome message)."""
        self.ensure_one()
        bot = self.bot_id
        payload = {"sender": {"name": (bot.sender_name or bot.name)[:28]}, "type": "text", "text": self.body}
        buttons = self.conversation_id._chatbot_buttons(self.keyboard)
        if buttons:
            payload["min_api_version"] = 3
            payload["keyboard"] = {"Type": "keyboard", "DefaultHeight": False, "Buttons": [{
                "Columns": 6, "Rows": 1, "ActionType": "share-phone" if b.get("contact") else "reply",
                "ActionBody": "phone" if b.get("contact") else b["text"], "Text": b["text"]} for b in buttons]}
        return payload

    # -- outbound queue -------------------------------------------------------------------------
    @api.model
    def _chatbot_trigger_send(self, at=None):
        cron = self.env.ref("crm_chatbot_leads.ir_cron_chatbot_send_outbound", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at)

    @api.model
    def _chatbot_trigger_media(self, at=None):
        cron = self.env.ref("crm_chatbot_leads.ir_cron_chatbot_fetch_media", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at)

    @api.model
    def _cron_fetch_media(self, limit=50):
        """Download the files customers sent and store them as attachments of their leads (convention 7:
        batch, one savepoint and commit per file, errors recorded on the message, never raised).

        Telegram: getFile + download (≤ 20 MB for bots); Viber: the ``media`` URL of the callback.
        The attachment is linked to the customer's message on the lead's chatter.
        """
        testing = getattr(threading.current_thread(), "testing", False)
        messages = self.search([("media_state", "=", "pending"), ("direction", "=", "in")], limit=limit, order="id")
        for message in messages:
            try:
                with self.env.cr.savepoint():
                    message._chatbot_fetch_one_media()
            except (TelegramApiError, ViberApiError) as error:
                message._chatbot_media_failed(error)
            except Exception as error:  # noqa: BLE001 - recorded on the message, the others go on
                _logger.exception("Chatbot message %s: file could not be stored", message.id)
                message.write({"media_state": "error", "error": message._chatbot_error_words(error)})
            if not testing:
                # one file per transaction
                self.env.cr.commit()  # pylint: disable=invalid-commit
        if len(messages) == limit:
            self._chatbot_trigger_media()
        return len(messages)

    def _chatbot_fetch_one_media(self):
        self.ensure_one()
        bot = self.bot_id
        api = bot._chatbot_api()
        if self.channel == "telegram":
            content, _path = api.download_file(self.media_ref, TELEGRAM_DOWNLOAD_MAX)
        else:
            content = api.download_media(self.media_ref, VIBER_FILE_MAX)
        lead = self.lead_id or self.conversation_id.lead_id
        attachment = self.env["ir.attachment"].create({
            "name": self.media_name or "file",
            "raw": content,
            "res_model": "crm.lead" if lead else "chatbot.conversation",
            "res_id": lead.id if lead else self.conversation_id.id,
        })
        self.write({"attachment_id": attachment.id, "media_state": "done", "media_size": len(content),
                    "error": False})
        if self.mail_message_id:
            self.mail_message_id.sudo().write({"attachment_ids": [Command.link(attachment.id)]})
        return attachment

    def _chatbot_media_failed(self, error):
        attempts = self.attempts + 1
        limit = TELEGRAM_DOWNLOAD_MAX if self.channel == "telegram" else VIBER_FILE_MAX
        retry_at = fields.Datetime.now() + timedelta(seconds=BACKOFF_BASE * 2 ** attempts)
        retry = error.retryable and attempts < 5
        reason = self._chatbot_error_words(error, next_try=retry and retry_at, limit=limit)
        if error_family(self.channel, error.code, error.message) == ERROR_TOO_LARGE:
            self.write({"media_state": "too_large", "error": reason, "attempts": attempts})
            conversation = self.conversation_id
            _ = conversation._chatbot_env_lang().env._
            conversation._chatbot_queue(_(
                "The file %(name)s is too large for us to receive. Please send a smaller file or a link.",
                name=self.media_name or ""), lead=self.lead_id or None)
        elif retry:
            self.write({"attempts": attempts, "error": reason})
            self._chatbot_trigger_media(retry_at)
        else:
            self.write({"media_state": "error", "error": reason, "attempts": attempts})

    def action_retry(self):
        self.filtered(lambda m: m.direction == "out" and m.state in ("failed", "cancelled")).write(
            {"state": "queued", "next_try": fields.Datetime.now(), "error": False, "attempts": 0,
             "in_flight_since": False})
        self._chatbot_trigger_send()

    @api.model
    def _cron_send_outbound(self):
        """Send queued messages (convention 7) concurrently, keeping the first answer fast.

        The cron thread does all the database work; the HTTP calls run in a small thread pool (no ORM
        in the pool: each job gets its client and plain arguments), so one run sends many messages at
        once within the messengers' limits:

        * Telegram's 1 message/s per chat (a chat inside its interval waits, others go on) and ~30/s per
          bot (a sliding window per bot in which a call counts from its start until 1 s after it returned,
          so the messenger never sees more than the limit in a second; a 429 pauses the bot for its
          ``retry_after``); a chat's messages stay in order (one in flight per chat);
        * at most ``PER_BOT_IN_FLIGHT`` calls in flight per bot, so a slow or hanging messenger keeps
          only its own slots busy and never delays another bot's messages;
        * the time budget is checked inside the loop and caps every call's timeout: a hanging messenger
          holds the run at most the budget; calls still in flight then are rescheduled (retry);
        * chats never answered first, first (the first answer is what keeps the customer).

        Each pass of the loop is one transaction: the outcomes of the calls that returned since the last
        pass (each message in its own savepoint) and the in-flight mark of the calls about to start are
        committed together *before* those calls start. A message still marked in flight after a crash is
        therefore never sent twice (:meth:`_chatbot_settle_interrupted`); transient errors are retried
        with exponential backoff, permanent ones stop. The lead side (chatter, metrics) of the sent
        messages runs while the next calls are in flight.

        :return: number of messages handled (sent, failed, cancelled or rescheduled)
        """
        ICP = self.env["ir.config_parameter"].sudo()
        batch_size = int(ICP.get_param(PARAM_BATCH_SIZE, DEFAULT_BATCH_SIZE))
        interval = float(ICP.get_param(PARAM_CHAT_INTERVAL, TELEGRAM_PER_CHAT_INTERVAL))
        budget = float(ICP.get_param(PARAM_CRON_BUDGET, DEFAULT_CRON_BUDGET))
        started = time.monotonic()
        deadline = started + budget
        testing = getattr(threading.current_thread(), "testing", False)
        self._chatbot_settle_interrupted(budget)
        limits = {
            "window": collections.defaultdict(dict),  # bot id -> {message id: end of its place in the window}
            "paused": {},  # bot id -> monotonic time its flood wait (429 retry_after) ends
            "interval": interval,
        }
        in_flight = {}  # future -> (message id, bot id, conversation id)
        results = []  # ((message id, bot id, conversation id), future or None, tries) to record
        handled = 0
        work_left = False
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=SEND_POOL_SIZE, thread_name_prefix="chatbot-send")
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    work_left = True
                    break
                for future in [f for f in in_flight if f.done()]:
                    ids = in_flight.pop(future)
                    limits["window"][ids[1]][ids[0]] = time.monotonic() + 1.0
                    results.append((ids, future, 0))
                recorded = len(results)
                sent, results = self._chatbot_record_results(results, limits["paused"])
                handled += recorded - len(results)
                jobs, settled, next_wait, due_left = self._chatbot_select_due(in_flight, limits, batch_size, deadline)
                handled += settled
                if not testing:
                    # outcomes and in-flight marks are persisted before the calls start
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                for message_id, bot_id, conversation_id, job in jobs:
                    in_flight[pool.submit(job)] = (message_id, bot_id, conversation_id)
                if sent:
                    self._chatbot_run_after_sent(sent, testing)  # while the new calls are running
                # the next pass reads a new snapshot (a bot archived, a chat blocked meanwhile)
                self.env.invalidate_all()
                if in_flight:
                    concurrent.futures.wait(list(in_flight), timeout=min(remaining, 0.5),
                                            return_when=concurrent.futures.FIRST_COMPLETED)
                    continue
                if jobs or settled or recorded:
                    continue  # a cancelled message may hide the next one of its chat
                if next_wait is not None and next_wait < remaining:
                    time.sleep(min(next_wait, 1.0) + 0.01)
                    continue
                work_left = due_left or next_wait is not None
                break
        finally:
            # calls still running at the deadline: their messages are rescheduled, not waited for (each
            # call's own timeout was capped to the budget, so the threads end by then anyway)
            results += [(ids, future if future.done() else None, 0) for future, ids in in_flight.items()]
            pool.shutdown(wait=False, cancel_futures=True)
            if results:
                recorded = len(results)
                sent, results = self._chatbot_record_results(results, limits["paused"])
                handled += recorded - len(results)
                if not testing:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
                self._chatbot_run_after_sent(sent, testing)
        self._chatbot_catch_up_after_sent(testing)
        if handled:
            _logger.info("Chatbot: %s outbound messages handled in %.1fs", handled, time.monotonic() - started)
        if not testing:
            self.env.cr.commit()  # pylint: disable=invalid-commit
        # chats whose oldest queued message is due (a chat waiting for a retry waits as a whole)
        self.env.cr.execute(SQL(
            """SELECT count(*) FROM (SELECT DISTINCT ON (conversation_id) next_try, in_flight_since
                                       FROM chatbot_message
                                      WHERE direction = 'out' AND state = 'queued'
                                      ORDER BY conversation_id, id) f
                WHERE f.next_try <= %s AND f.in_flight_since IS NULL""",
            fields.Datetime.now()))
        due = self.env.cr.fetchone()[0]
        # Odoo 18 scheduler: remaining work makes it run the job again at once (triggers created while
        # this run was going are dropped when it ends)
        self.env["ir.cron"]._notify_progress(done=max(handled, 1) if due else handled, remaining=due)
        if work_left or due:
            self._chatbot_trigger_send()  # budget spent with work left: run again at once
        pending = self.search([("direction", "=", "out"), ("state", "=", "queued"),
                               ("next_try", ">", fields.Datetime.now())], order="next_try", limit=1)
        if pending:
            self._chatbot_trigger_send(pending.next_try)  # next retry
        return handled

    @api.model
    def _chatbot_settle_interrupted(self, budget):
        """Messages still marked in flight by a sending run that ended without recording their outcome
        (crash, killed worker): the messenger may or may not have delivered them and Telegram/Viber have
        no idempotency key, so they are not sent again by themselves; they are marked failed with the
        reason, and a salesperson can press Retry.

        :param float budget: seconds a sending run lasts (a run still going is never taken for a crash)
        :return: number of messages settled
        """
        stale = fields.Datetime.now() - timedelta(seconds=budget + DEFAULT_TIMEOUT + IN_FLIGHT_GRACE)
        interrupted = self.search([("direction", "=", "out"), ("state", "=", "queued"),
                                   ("in_flight_since", "!=", False), ("in_flight_since", "<", stale)])
        for lang in set(interrupted.bot_id.mapped(lambda bot: bot._chatbot_company_lang())):
            group = interrupted.filtered(lambda m, lang=lang: m.bot_id._chatbot_company_lang() == lang)
            group.write({
                "state": "failed", "in_flight_since": False, "attempts": 0,
                "error": self.with_context(lang=lang).env._(
                    "The sending run stopped while this message was being sent: it may or may not have reached "
                    "the customer, so it is not sent again automatically (press Retry to resend).")})
        if interrupted:
            _logger.warning("Chatbot: %s messages interrupted in flight marked failed: %s",
                            len(interrupted), interrupted.ids)
        return len(interrupted)

    @api.model
    def _chatbot_select_due(self, in_flight, limits, batch_size, deadline):
        """Prepare the calls of due messages that the limits allow and mark them in flight.

        :param dict limits: ``window`` (bot id -> {message id: end of its place in the 1-second window,
            inf while in flight}), ``paused`` (bot id -> end of its
            flood wait), ``interval`` (seconds between two messages of a chat)
        :return: (list of ``(message id, bot id, conversation id, job)`` to start after the commit, number
            of messages settled without a call (cancelled, failed), seconds until a chat or bot waiting for
            its interval is due or None, whether due messages were left for lack of slots)
        """
        busy_conversations = {conversation_id for _m, _b, conversation_id in in_flight.values()}
        per_bot = collections.Counter(bot_id for _m, bot_id, _c in in_flight.values())
        if len(in_flight) >= SEND_POOL_SIZE:
            return [], 0, None, True
        self.env.flush_all()
        # per chat, only its oldest queued message is a candidate (keeps the order; a chat whose
        # oldest message waits for a retry, or is in flight, waits as a whole), with its last send time
        self.env.cr.execute(SQL(
            """SELECT c.id, c.conversation_id, c.bot_id, c.last_sent
                 FROM (SELECT f.id, f.conversation_id, f.bot_id, f.next_try,
                              (SELECT coalesce(max(s.sent_epoch), 0) FROM chatbot_message s
                                WHERE s.conversation_id = f.conversation_id AND s.direction = 'out'
                                  AND s.state = 'sent') AS last_sent
                         FROM (SELECT DISTINCT ON (m.conversation_id) m.id, m.conversation_id, cv.bot_id, m.next_try,
                                      m.in_flight_since
                                 FROM chatbot_message m
                                 JOIN chatbot_conversation cv ON cv.id = m.conversation_id
                                WHERE m.direction = 'out' AND m.state = 'queued'
                                ORDER BY m.conversation_id, m.id) f
                        WHERE f.next_try <= %(now)s AND f.in_flight_since IS NULL) c
                -- chats never answered first: the first answer is what keeps the customer
                ORDER BY (c.last_sent = 0) DESC, c.next_try, c.id LIMIT %(limit)s""",
            now=fields.Datetime.now(), limit=batch_size))
        rows = self.env.cr.fetchall()
        candidates = self.browse([row[0] for row in rows])  # read together (prefetch), not one by one
        jobs, settled, next_wait, left = [], 0, None, False
        now_db = fields.Datetime.now()
        for message, (message_id, conversation_id, bot_id, last_sent) in zip(candidates, rows, strict=True):
            if conversation_id in busy_conversations:
                continue
            wait = last_sent + limits["interval"] - time.time()
            if wait <= 0:
                wait = limits["paused"].get(bot_id, 0) - time.monotonic()  # the bot's flood wait (429)
            if wait > 0:
                next_wait = wait if next_wait is None else min(next_wait, wait)
                continue
            if len(in_flight) + len(jobs) >= SEND_POOL_SIZE or per_bot[bot_id] >= PER_BOT_IN_FLIGHT:
                left = True
                continue
            # a call counts in its bot's window from its start until 1 s after it returned: whenever the
            # messenger received it, no 1-second window there holds more than the limit
            releases = limits["window"][bot_id]
            now = time.monotonic()
            for expired in [key for key, release in releases.items() if release <= now]:
                del releases[expired]
            limit = TELEGRAM_GLOBAL_PER_SECOND if message.channel == "telegram" else VIBER_GLOBAL_PER_SECOND
            if len(releases) >= limit:
                finished = [release for release in releases.values() if release != math.inf]
                if finished:
                    wait = min(finished) - now
                    next_wait = wait if next_wait is None else min(next_wait, wait)
                continue
            timeout = min(DEFAULT_TIMEOUT, max(0.1, deadline - time.monotonic()))
            try:
                with self.env.cr.savepoint():
                    job = message._chatbot_prepare_send(timeout)
                    if job is not None:
                        message.in_flight_since = now_db
            except psycopg2.errors.SerializationFailure:
                # changed by a webhook meanwhile (e.g. cancelled): seen again in the next snapshot
                message.invalidate_recordset()
                continue
            except Exception as error:  # noqa: BLE001 - config errors (missing token) are kept on the message
                _logger.warning("Chatbot message %s could not be prepared: %s", message_id, error)
                message.invalidate_recordset()
                if not message.bot_id.sudo().token:  # told as the token family, never with a token
                    error = TelegramApiError("Missing bot token", code=401)
                with self.env.cr.savepoint():
                    message.write({"state": "failed", "error": message._chatbot_error_words(error),
                                   "attempts": message.attempts + 1})
                job = None
            if job is None:  # cancelled / failed without a call
                settled += 1
                continue
            releases[message_id] = math.inf  # until the call returns
            jobs.append((message_id, bot_id, conversation_id, job))
            busy_conversations.add(conversation_id)
            per_bot[bot_id] += 1
        return jobs, settled, next_wait, left

    @api.model
    def _chatbot_record_results(self, results, paused):
        """Record the outcome of returned calls, each message in its own savepoint, in the current
        transaction (the caller commits once for the batch).

        :param list results: ``((message id, bot id, conversation id), future or None, tries)``; None when
            the call was still running at the deadline
        :param dict paused: bot id -> end of its flood wait, extended by a 429's ``retry_after``
        :return: (sent ``chatbot.message`` records, results to record again in the next transaction
            because a webhook changed the message meanwhile)
        """
        messages = self.browse([ids[0] for ids, _future, _tries in results])  # read together
        sent = self.browse()
        again = []
        for message, (ids, future, tries) in zip(messages, results, strict=True):
            try:
                with self.env.cr.savepoint():
                    outcome = message._chatbot_record_outcome(future, paused)
            except psycopg2.errors.SerializationFailure:
                message.invalidate_recordset()
                if tries < 3:
                    again.append((ids, future, tries + 1))
                else:
                    _logger.warning("Chatbot message %s: outcome not recorded (concurrent updates)", message.id)
                continue
            if outcome == "sent":
                sent |= message
        return sent, again

    def _chatbot_record_outcome(self, future, paused):
        """Write one call's outcome on the message.

        :return: ``sent``, ``retry`` or ``failed``
        """
        self.ensure_one()
        if future is None:
            return self._chatbot_send_failed(TelegramApiError(
                "Still waiting for the messenger when the send budget ran out", code=0, retryable=True))
        try:
            external_id = future.result()
        except (TelegramApiError, ViberApiError) as error:
            if getattr(error, "retry_after", 0):
                bot_id = self.bot_id.id
                paused[bot_id] = max(paused.get(bot_id, 0), time.monotonic() + error.retry_after)
            return self._chatbot_send_failed(error)
        except Exception as error:  # noqa: BLE001 - kept on the message
            _logger.warning("Chatbot message %s could not be sent: %r", self.id, error)
            self.write({"state": "failed", "error": self._chatbot_error_words(error), "attempts": self.attempts + 1,
                        "in_flight_since": False})
            return "failed"
        self._chatbot_mark_sent(external_id)
        return "sent"

    @api.model
    def _chatbot_run_after_sent(self, messages, testing):
        """Lead side of sent messages (first-response metrics, chatter) in one transaction; on a conflict
        with a webhook writing one of the leads it is left for :meth:`_chatbot_catch_up_after_sent`."""
        messages = messages.filtered(lambda m: m.lead_id and m.kind != "callback" and not m.mail_message_id)
        if not messages:
            return
        try:
            if not testing:
                messages.lead_id._chatbot_lock(nowait=True)  # a webhook writing a lead: do it later
            messages._chatbot_after_sent()
            if not testing:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        except (psycopg2.errors.SerializationFailure, psycopg2.errors.LockNotAvailable):
            self.env.cr.rollback()
            self.env.invalidate_all()
            _logger.info("Chatbot messages %s: chatter/metrics postponed (concurrent update)", messages.ids)

    @api.model
    def _chatbot_catch_up_after_sent(self, testing, limit=200):
        late = self.search([("direction", "=", "out"), ("state", "=", "sent"), ("kind", "!=", "callback"),
                            ("lead_id", "!=", False), ("mail_message_id", "=", False)], limit=limit)
        for message in late:  # one by one: a lead still locked by a webhook only holds back its own message
            self._chatbot_run_after_sent(message, testing)

    def _chatbot_prepare_send(self, timeout):
        """Everything a call needs, read now in the cron thread; cancels what must not be sent.

        :param float timeout: seconds the call may take (capped by the cron's budget)
        :return: a callable doing the HTTP call only (run in the pool, returns the external id), or None
            when the message was cancelled
        """
        self.ensure_one()
        conversation = self.conversation_id
        bot = self.bot_id
        if not bot.active or conversation.state == "unsubscribed":
            _ = self._chatbot_staff().env._
            self.write({"state": "cancelled", "error": _("Not sent: the bot is archived.") if not bot.active
                        else _("Not sent: the customer unsubscribed from the bot.")})
            return None
        if (self.kind == "notification" or self.author_id) and conversation._chatbot_viber_session_closed():
            self.write({"state": "cancelled", "error": self._chatbot_staff().env._(
                "Not sent: the customer last wrote more than 24 hours ago (Viber's 24-hour session) and paid "
                "messages are disabled on this bot.")})
            return None
        api = bot._chatbot_api(timeout=timeout)
        buttons = conversation._chatbot_buttons(self.keyboard)
        inline = self.inline_buttons or None
        attachment = self.attachment_id.sudo()
        body, kind, external_id, chat_id = self.body or "", self.kind, self.external_id, conversation.chat_id
        if self.channel == "telegram":
            if kind == "callback":
                return lambda: api.answer_callback_query(external_id) and external_id
            if attachment:
                content, name, photo = attachment.raw, attachment.name, self._chatbot_is_photo(attachment)
                return lambda: str(api.send_file(int(chat_id), content, name, photo=photo, caption=body,
                                                 inline_buttons=inline).get("message_id") or "")
            remove = self.keyboard == "remove"
            return lambda: str(api.send_message(int(chat_id), body, buttons=buttons, remove_keyboard=remove,
                                                inline_buttons=inline).get("message_id") or "")
        if attachment:
            url, name, size = self._chatbot_public_url(attachment), attachment.name, attachment.file_size
            photo = self._chatbot_is_photo(attachment)
            return lambda: str(api.send_media(chat_id, url, name, size, picture=photo, text=body,
                                              inline_buttons=inline).get("message_token") or "")
        tracking = "awaiting_phone" if self.keyboard == "phone" else None
        return lambda: str(api.send_message(chat_id, body, buttons=buttons, inline_buttons=inline,
                                            tracking_data=tracking).get("message_token") or "")

    def _chatbot_mark_sent(self, external_id=None):
        self.ensure_one()
        self.write({"state": "sent", "sent_date": fields.Datetime.now(), "sent_epoch": time.time(),
                    "external_id": external_id or self.external_id, "error": False, "attempts": self.attempts + 1,
                    "in_flight_since": False,
                    "lead_id": (self.lead_id or self.conversation_id.lead_id).id or False})

    @api.model
    def _chatbot_is_photo(self, attachment):
        return (attachment.mimetype or "") in PHOTO_MIMETYPES

    def _chatbot_public_url(self, attachment):
        """URL Viber downloads the file from: the attachment with an access token (no login)."""
        token = attachment.generate_access_token()[0]
        base = self.bot_id._chatbot_webhook_base()
        return f"{base}/web/content/{attachment.id}?access_token={token}&download=true"

    def _chatbot_send_failed(self, error):
        attempts = self.attempts + 1
        message = f"[{error.code}] {error.message}"[:1000]
        if error.retryable and attempts < MAX_ATTEMPTS:
            # a flood wait says exactly how long to wait (Telegram 429 retry_after); otherwise back off
            delay = error.retry_after or min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_MAX)
            next_try = fields.Datetime.now() + timedelta(seconds=delay)
            self.write({"attempts": attempts, "error": self._chatbot_error_words(error, next_try=next_try),
                        "in_flight_since": False, "next_try": next_try})
            _logger.info("Chatbot message %s: retry %s in %ss (%s)", self.id, attempts, delay, message)
            return "retry"
        self.write({"state": "failed", "attempts": attempts, "error": self._chatbot_error_words(error),
                    "in_flight_since": False})
        _logger.warning("Chatbot message %s failed permanently: %s", self.id, message)
        return "failed"

    # -- errors in the staff's words ------------------------------------------------------------
    def _chatbot_staff(self):
        """Self in the shop's language and time zone (company partner's): a message's error is read later by
        the staff, whoever wrote it (the sending cron runs as an English user)."""
        self.ensure_one()
        bot = self.bot_id
        partner = (bot.company_id[:1] or self.env.company).partner_id
        return self.with_context(lang=bot._chatbot_company_lang(), tz=partner.tz or self.env.user.tz or "UTC")

    def _chatbot_error_words(self, error, next_try=None, limit=None):
        """A failed call (or any error) in plain words in the shop's language, the technical detail (code and
        the messenger's own text, never a token) on a second line "Details: …".

        :param error: TelegramApiError / ViberApiError, or any exception (unexpected error)
        :param datetime next_try: when it is tried again (UTC), if it is
        :param int limit: the messenger's size limit in bytes, for a file too large
        :return: text for ``error`` (≤ 1000 characters)
        """
        self.ensure_one()
        staff = self._chatbot_staff()
        _ = staff.env._
        labels = dict(self._fields["channel"]._description_selection(staff.env))
        messenger = labels.get(self.channel) or _("the messenger")
        if isinstance(error, (TelegramApiError, ViberApiError)):
            family = error_family(self.channel, error.code, error.message, error.retryable)
            detail = f"[{error.code}] {error.message}"
        else:
            family, detail = None, str(error) or repr(error)
        when = next_try and fields.Datetime.context_timestamp(staff, next_try).strftime("%H:%M")
        if family == ERROR_NETWORK:
            words = _("No connection with %(messenger)s; we will try again at %(time)s.",
                      messenger=messenger, time=when) if when else _(
                "No connection with %(messenger)s; no more automatic tries.", messenger=messenger)
        elif family == ERROR_FLOOD:
            words = _("%(messenger)s asked us to slow down (too many messages); we will try again at %(time)s.",
                      messenger=messenger, time=when) if when else _(
                "%(messenger)s asked us to slow down (too many messages).", messenger=messenger)
        elif family == ERROR_TOKEN:
            words = _("%(messenger)s refused the bot's token: the token is wrong, ask the administrator.",
                      messenger=messenger)
        elif family == ERROR_BLOCKED:
            words = _("%(messenger)s refused the message: the customer blocked the bot.", messenger=messenger)
        elif family == ERROR_UNSUBSCRIBED:
            words = _("%(messenger)s refused the message: the customer is no longer subscribed to the bot.",
                      messenger=messenger)
        elif family == ERROR_CHAT_NOT_FOUND:
            words = _("%(messenger)s refused the message: the chat was not found (the customer never started the "
                      "bot or deleted the chat).", messenger=messenger)
        elif family == ERROR_ACCOUNT:
            words = _("%(messenger)s refused the message: the bot's account is blocked, suspended or not found; "
                      "ask the administrator.", messenger=messenger)
        elif family == ERROR_TOO_LARGE:
            words = _("The file is too large for %(messenger)s (limit %(limit)s MB).", messenger=messenger,
                      limit=round(limit / 1048576)) if limit else _(
                "The file is too large for %(messenger)s.", messenger=messenger)
        elif family:
            words = _("%(messenger)s refused the request.", messenger=messenger)
        else:
            words = _("An unexpected error stopped this message; ask the administrator.")
        token = self.bot_id.sudo().token
        if token:
            detail = detail.replace(token, "***")
        detail = TOKEN_RE.sub("***", detail)[:500]
        return _("%(words)s\nDetails: %(detail)s", words=words, detail=detail)[:1000]

    def _chatbot_after_sent(self):
        """First-response metric on the lead, then the chatter."""
        for message in self:
            lead = message.lead_id
            if lead and message.kind != "callback":
                lead._chatbot_register_response(message)
        self._chatbot_post_on_lead()
