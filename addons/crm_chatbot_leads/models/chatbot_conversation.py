import logging
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..const import (
    CALLBACK_DATA_MAX_BYTES,
    COMMAND_ORDERS,
    COMMAND_START,
    OPERATOR_KEYWORDS,
    ORDER_STATES,
    ORDERS_KEYWORDS,
    ORDERS_LIMIT,
    TELEGRAM_CAPTION_LIMIT,
    TELEGRAM_DOWNLOAD_MAX,
    TELEGRAM_TEXT_LIMIT,
    VIBER_CALLBACK_PREFIX,
    VIBER_CAPTION_LIMIT,
    VIBER_FILE_MAX,
    VIBER_SESSION_HOURS,
    VIBER_TEXT_LIMIT,
)
from ..tools.phone import find_phone, normalize_ua_phone, typed_phone
from ..tools.telegram_api import webhook_answer
from ..tools.text import split_text

_logger = logging.getLogger(__name__)

STATES = [
    ("new", "New"),
    ("awaiting_phone", "Waiting for Phone"),
    ("awaiting_request", "Waiting for Request"),
    ("open", "Open"),
    ("unsubscribed", "Unsubscribed"),
]


# set by the module's code only (webhooks, lead assignment): see ChatbotConversation.write
PROTECTED_FIELDS = (
    "bot_id", "chat_id", "company_id", "channel", "state", "phone", "phone_verified", "partner_id", "lead_id",
    "team_id", "user_id", "last_message_date", "last_inbound_date", "start_payload", "source_id", "campaign_id",
    "handoff_date", "handoff_user_id",
)


class ChatbotConversation(models.Model):
    _name = "chatbot.conversation"
    _description = "Chatbot Conversation"
    _order = "last_message_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    bot_id = fields.Many2one("chatbot.bot", required=True, ondelete="cascade", index=True)
    channel = fields.Selection(related="bot_id.channel", store=True)
    company_id = fields.Many2one("res.company", required=True, index=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", index=True, check_company=True)
    user_id = fields.Many2one("res.users", string="Salesperson", index=True)
    chat_id = fields.Char(string="Chat ID", required=True, help="Telegram chat id / Viber user id.")
    customer_name = fields.Char()
    username = fields.Char()
    lang = fields.Char(string="Language")
    state = fields.Selection(STATES, default="new", required=True)
    phone = fields.Char()
    phone_verified = fields.Boolean(help="The number was shared with the messenger's contact button.")
    partner_id = fields.Many2one("res.partner", string="Customer", index="btree_not_null")
    lead_id = fields.Many2one("crm.lead", string="Current Lead", index="btree_not_null")
    lead_ids = fields.One2many("crm.lead", "chatbot_conversation_id", string="Leads")
    start_payload = fields.Char(string="Deep-link Payload")
    source_id = fields.Many2one("utm.source")
    campaign_id = fields.Many2one("utm.campaign")
    message_ids = fields.One2many("chatbot.message", "conversation_id")
    message_count = fields.Integer(compute="_compute_message_count")
    last_message_date = fields.Datetime(index=True)
    last_inbound_date = fields.Datetime(help="Last customer message (opens Viber's free 24-hour session).")
    handoff_date = fields.Datetime(
        string="Salesperson Active Since", readonly=True,
        help="Last answer of a salesperson (or the customer's request for a human): the bot keeps quiet "
             "until the chat is given back to it or the bot's quiet time has passed.")
    handoff_user_id = fields.Many2one("res.users", string="Answered By", readonly=True)
    handoff_active = fields.Boolean(string="Salesperson Answering", compute="_compute_handoff_active")

    _sql_constraints = [
        ("bot_chat_uniq", "unique(bot_id, chat_id)", "One conversation per chat and bot."),
    ]

    def write(self, vals):
        """Routing fields are the module's: only its own code (running as superuser) changes them, never
        a user through the UI or RPC, whatever their group (salespeople have no write access at all)."""
        if not self.env.su and set(vals) & set(PROTECTED_FIELDS):
            raise AccessError(self.env._(
                "The chat's routing fields (%(fields)s) are managed by the chatbot itself and cannot be changed.",
                fields=", ".join(sorted(set(vals) & set(PROTECTED_FIELDS)))))
        return super().write(vals)

    @api.depends("customer_name", "chat_id", "channel")
    def _compute_name(self):
        labels = dict(self._fields["channel"]._description_selection(self.env))
        for conversation in self:
            who = conversation.customer_name or conversation.chat_id or ""
            conversation.name = f"{who} ({labels.get(conversation.channel, '')})"

    def _compute_message_count(self):
        counts = dict(self.env["chatbot.message"]._read_group(
            [("conversation_id", "in", self.ids)], ["conversation_id"], ["__count"]))
        for conversation in self:
            conversation.message_count = counts.get(conversation, 0)

    @api.depends("handoff_date", "bot_id.handoff_minutes")
    def _compute_handoff_active(self):
        for conversation in self:
            conversation.handoff_active = conversation._chatbot_in_handoff()

    def _chatbot_in_handoff(self):
        """True while a salesperson handles the chat: the bot does not send its canned lines."""
        self.ensure_one()
        if not self.handoff_date:
            return False
        minutes = self.sudo().bot_id.handoff_minutes
        return not minutes or self.handoff_date > fields.Datetime.now() - timedelta(minutes=minutes)

    def _chatbot_start_handoff(self, user=None):
        self.sudo().write({"handoff_date": fields.Datetime.now(), "handoff_user_id": user.id if user else False})

    def action_chatbot_close_handoff(self):
        """Give the chat back to the bot (button for the salesperson who sees the chat)."""
        self.check_access("read")
        self.sudo().write({"handoff_date": False, "handoff_user_id": False})
        return True

    def action_view_lead(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "crm.lead", "res_id": self.lead_id.id,
                "view_mode": "form", "views": [(False, "form")]}

    # -- lookup ---------------------------------------------------------------------------
    @api.model
    def _chatbot_get_or_create(self, bot, chat_id, customer_name=None, username=None, lang_code=None):
        """Conversation of `chat_id` on `bot`, created at most once (ON CONFLICT), locked FOR UPDATE
        so concurrent updates of one chat are processed one after another."""
        self.env.cr.execute(SQL(
            """INSERT INTO chatbot_conversation (bot_id, chat_id, company_id, channel, state, team_id, user_id,
                                                create_uid, write_uid, create_date, write_date)
               VALUES (%s, %s, %s, %s, 'new', %s, %s, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')
               ON CONFLICT (bot_id, chat_id) DO NOTHING RETURNING id""",
            bot.id, chat_id, bot.company_id.id, bot.channel, bot.team_id.id or None, bot.user_id.id or None,
            self.env.uid, self.env.uid))
        created = bool(self.env.cr.fetchone())
        self.env.cr.execute(SQL(
            "SELECT id FROM chatbot_conversation WHERE bot_id = %s AND chat_id = %s FOR UPDATE", bot.id, chat_id))
        conversation = self.browse(self.env.cr.fetchone()[0])
        vals = {}
        if customer_name and conversation.customer_name != customer_name:
            vals["customer_name"] = customer_name
        if username and conversation.username != username:
            vals["username"] = username
        lang = self._chatbot_lang_from_code(lang_code)
        if lang and conversation.lang != lang:
            vals["lang"] = lang
        if created:
            self.env.add_to_compute(self._fields["name"], conversation)
            partner = self.env["res.partner"]._chatbot_find_by_messenger(bot.channel, chat_id)
            if partner:
                vals.update(partner_id=partner.id, phone=partner.phone or partner.mobile or False)
        if vals:
            conversation.write(vals)
        return conversation

    @api.model
    def _chatbot_lang_from_code(self, code):
        if not code:
            return False
        installed = [lang for lang, _name in self.env["res.lang"].get_installed()]
        for lang in installed:
            if lang.split("_")[0] == code.split("-")[0].lower():
                return lang
        return False

    def _chatbot_env_lang(self):
        """Self in the customer's language (texts sent to the customer)."""
        self.ensure_one()
        lang = self.lang or self.partner_id.lang or self.company_id.partner_id.lang
        return self.with_context(lang=lang) if lang else self

    # -- message log ----------------------------------------------------------------------------
    def _chatbot_log_inbound(self, body, update, date=None, extra=None):
        self.ensure_one()
        now = fields.Datetime.now()
        message = self.env["chatbot.message"].create(dict(extra or {}, **{
            "conversation_id": self.id,
            "direction": "in",
            "body": body,
            "external_id": update.external_id if update else False,
            "state": "received",
            "date": now,
            "date_epoch": time.time(),
            "lead_id": self.lead_id.id or False,
        }))
        self.write({"last_message_date": now, "last_inbound_date": now})
        message._chatbot_post_on_lead()
        return message

    def _chatbot_viber_session_closed(self):
        """True when a message the customer did not just ask for would be a paid Viber message: a Viber
        bot without paid messages, and no customer message in the last 24 hours."""
        self.ensure_one()
        bot, last = self.bot_id, self.last_inbound_date
        return (bot.channel == "viber" and not bot.viber_paid_messages
                and (not last or last < fields.Datetime.now() - timedelta(hours=VIBER_SESSION_HOURS)))

    def _chatbot_buttons(self, keyboard):
        if keyboard not in ("phone", "menu"):
            return None
        conv = self._chatbot_env_lang()
        _ = conv.env._
        if keyboard == "phone":
            return [{"text": _("📱 Share phone number"), "contact": True}, {"text": _("📦 My orders")}]
        if keyboard == "menu":
            return [{"text": _("📦 My orders")}]
        return None

    def _chatbot_queue(self, text, keyboard=False, kind="reply", lead=None, external_id=False, author=None,
                       inline_buttons=None, attachment=None):
        """Queue an outbound message (sent by the cron, woken at once by ``_trigger``).

        A text longer than the messenger accepts (Telegram 4096, Viber 7000 characters) is split into
        several messages at paragraph/line/word boundaries, never cut; the keyboard goes with the last.

        :param str text: text for the customer (the caption of `attachment`)
        :param str keyboard: ``phone`` (share-phone + orders buttons), ``menu``, ``remove`` or False
        :param str kind: ``reply`` (answer to a customer message), ``notification`` (bot-initiated),
            ``callback`` (Telegram answerCallbackQuery, external_id = callback query id)
        :param author: ``res.users`` who wrote the message (a salesperson's answer), None for the bot
        :param list inline_buttons: rows of ``{"text": str, "data": str}`` buttons under the message; the
            customer's press comes back to :meth:`_chatbot_on_callback` with ``data`` (1-64 bytes)
        :param attachment: ``ir.attachment`` (photo or document) to send with `text` as its caption
        :return: the ``chatbot.message`` records, in sending order
        """
        self.ensure_one()
        rows = self._chatbot_normalize_buttons(inline_buttons)
        if kind == "callback":
            parts = [text or ""]
        elif attachment:
            caption_limit = TELEGRAM_CAPTION_LIMIT if self.channel == "telegram" else VIBER_CAPTION_LIMIT
            parts = split_text(text, caption_limit) or [""]
            parts = [parts[0]] + split_text("\n".join(parts[1:]), self._chatbot_text_limit()) if len(parts) > 1 \
                else parts
        else:
            parts = split_text(text, self._chatbot_text_limit()) or [""]
        now = fields.Datetime.now()
        vals_list = []
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            vals_list.append({
                "conversation_id": self.id,
                "direction": "out",
                "kind": kind,
                "body": part,
                "keyboard": (keyboard or False) if last else False,
                "inline_buttons": rows if last and rows else False,
                "attachment_id": attachment.id if attachment and index == 0 else False,
                "state": "queued",
                "next_try": now,
                "date": now,
                "date_epoch": time.time(),
                "lead_id": (lead or self.lead_id).id or False,
                "external_id": external_id,
                "author_id": author.id if author else False,
            })
        messages = self.env["chatbot.message"].create(vals_list)
        self.last_message_date = now
        self.env["chatbot.message"]._chatbot_trigger_send()
        return messages

    def _chatbot_webhook_answer(self, after_id):
        """Take the first message queued for this chat while processing the current update (id above
        `after_id`) out of the queue and return it as the webhook's answer body (Telegram), provided no
        older message of the chat is still waiting (order) and it is a plain text or a callback answer.

        :return: dict for the HTTP response, or None
        """
        self.ensure_one()
        Message = self.env["chatbot.message"]
        first = Message.search([("conversation_id", "=", self.id), ("direction", "=", "out"),
                                ("state", "=", "queued")], order="id", limit=1)
        if not first or first.id <= after_id or first.attachment_id or self.state == "unsubscribed":
            return None
        if first.kind == "callback":
            answer = webhook_answer(None, callback_query_id=first.external_id)
        else:
            answer = webhook_answer(int(self.chat_id), first.body, buttons=self._chatbot_buttons(first.keyboard),
                                    remove_keyboard=first.keyboard == "remove",
                                    inline_buttons=first.inline_buttons or None)
        first.write({"external_id": first.external_id or "webhook"})
        first._chatbot_mark_sent()
        first._chatbot_after_sent()
        return answer

    def _chatbot_text_limit(self):
        return TELEGRAM_TEXT_LIMIT if self.channel == "telegram" else VIBER_TEXT_LIMIT

    @api.model
    def _chatbot_normalize_buttons(self, buttons):
        """Inline buttons as rows of ``{"text", "data"}``; a flat list gives one button per row.

        :raises UserError: a button without text, or data outside 1-64 bytes (Telegram's callback_data)
        """
        if not buttons:
            return []
        rows = [row if isinstance(row, (list, tuple)) else [row] for row in buttons]
        for row in rows:
            for button in row:
                data = (button.get("data") or "").encode("utf-8")
                if not button.get("text") or not 1 <= len(data) <= CALLBACK_DATA_MAX_BYTES:
                    raise UserError(self.env._(
                        "A chat button needs a text and a value of 1 to %(max)s bytes.", max=CALLBACK_DATA_MAX_BYTES))
        return [[{"text": b["text"], "data": b["data"]} for b in row] for row in rows]

    # -- API for other modules ------------------------------------------------------------------
    @api.model
    def chatbot_find_customer_conversation(self, partner=None, phone=None, company=None):
        """The chat where a customer can be reached: the latest subscribed conversation of the partner
        (or its company's contacts), else of a chat whose phone is `phone` (verified chats first).

        :param partner: ``res.partner`` or None
        :param str phone: phone number in any format, or None
        :param company: restrict to this company's bots (default: any)
        :return: ``chatbot.conversation`` (sudo) or an empty recordset
        """
        Conversation = self.sudo()
        base = [("state", "!=", "unsubscribed"), ("bot_id.active", "=", True)]
        if company:
            base.append(("company_id", "=", company.id))
        order = "phone_verified desc, last_inbound_date desc nulls last, id desc"
        if partner:
            found = Conversation.search(
                base + [("partner_id", "child_of", partner.commercial_partner_id.id)], order=order, limit=1)
            if found:
                return found
        normalized = normalize_ua_phone(phone) if phone else False
        if normalized:
            return Conversation.search(base + [("phone", "=", normalized)], order=order, limit=1)
        return Conversation

    @api.model
    def chatbot_queue_outbound(self, text, partner=None, phone=None, buttons=None, lead=None,
                               kind="notification", company=None):
        """Queue a message to a customer's chat (public entry point for bridge modules: waybill numbers,
        tracking, rating requests). Nothing is sent in the caller's transaction: the message is a queue
        row sent after commit by the outbound cron, with retries; long texts are split.

        :param str text: the message
        :param partner: ``res.partner`` to reach (its chat, or one of its company's contacts')
        :param str phone: alternatively a phone number (matched against chats that shared it)
        :param list buttons: optional inline buttons, rows of ``{"text": str, "data": str}`` (data 1-64
            bytes); a press arrives in :meth:`_chatbot_on_callback` with that data
        :param lead: ``crm.lead`` to log the message on (default: the chat's current lead)
        :param str kind: ``notification`` (default; cancelled outside Viber's free 24 h session unless the
            bot allows paid messages) or ``reply``
        :return: the queued ``chatbot.message`` records, empty when the customer has no chat with us
        """
        conversation = self.chatbot_find_customer_conversation(partner=partner, phone=phone, company=company)
        if not conversation:
            return self.env["chatbot.message"]
        return conversation._chatbot_queue(text, kind=kind, lead=lead.sudo() if lead else None,
                                           inline_buttons=buttons)

    def _chatbot_on_callback(self, data, update):
        """Hook: the customer pressed an inline button whose data is `data`.

        Override in bridge modules (call ``super()`` for data that is not yours)::

            def _chatbot_on_callback(self, data, update):
                if data.startswith("rate:"):
                    ...  # record the rating, maybe self._chatbot_queue(...)
                    return True
                return super()._chatbot_on_callback(data, update)

        Runs as superuser inside the webhook's transaction (no outbound HTTP: queue answers).

        :param str data: the button's ``data`` (Telegram callback_data / Viber reply ActionBody)
        :param update: the ``chatbot.update`` being processed
        :return: True when handled
        """
        self.ensure_one()
        if data == "orders":
            self._chatbot_on_orders("📦", update)
            return True
        return False

    # -- conversation steps ---------------------------------------------------------------------
    def _chatbot_on_start(self, payload, update, inline=False):
        """/start (Telegram, with deep-link payload) or conversation_started (Viber, context).

        Deep-link payload ``<source>`` or ``<source>__<campaign>`` becomes the UTM source/campaign.
        :param bool inline: return the welcome as a dict instead of queueing it (Viber answers
            conversation_started in the HTTP response, before the user is subscribed)
        """
        self.ensure_one()
        self._chatbot_log_inbound(COMMAND_START + (f" {payload}" if payload else ""), update)
        vals = {"state": "open" if self.phone else "awaiting_phone"}
        if payload:
            vals["start_payload"] = payload[:64]
        self.write(vals)
        self._chatbot_resolve_utm()
        text = self._chatbot_env_lang().bot_id.welcome_text
        keyboard = "menu" if self.phone_verified else "phone"
        if inline:
            return self._chatbot_log_inline(text, keyboard)
        self._chatbot_queue(text, keyboard)
        return None

    def _chatbot_resolve_utm(self):
        """UTM source/campaign from the deep-link payload ``<source>`` or ``<source>__<campaign>``.

        Anybody can open ``t.me/<bot>?start=<anything>``: the payload only selects records that already
        exist (the marketing team creates its sources and campaigns). An unknown source maps to the
        single "Unknown deep link" source and an unknown campaign to none; the raw payload stays on
        the conversation (``start_payload``). Nothing is ever created from a stranger's payload.
        """
        for conversation in self.filtered(lambda c: c.start_payload and not c.source_id):
            source_name, _sep, campaign_name = conversation.start_payload.partition("__")
            source = self._chatbot_known_utm("utm.source", source_name)
            campaign = self._chatbot_known_utm("utm.campaign", campaign_name)
            if not source:
                source = self.env.ref("crm_chatbot_leads.utm_source_unknown_deep_link", raise_if_not_found=False)
            conversation.write({"source_id": source.id if source else False,
                                "campaign_id": campaign.id or conversation.campaign_id.id or False})

    @api.model
    def _chatbot_known_utm(self, model, name):
        """The existing utm.source / utm.campaign called `name` (``_`` read as spaces, case-insensitive)."""
        name = (name or "").replace("_", " ").strip()[:64]
        if not name:
            return self.env[model]
        Model = self.env[model].sudo()
        domain = [("name", "=ilike", name)]
        if model == "utm.campaign":
            domain = ["|", ("name", "=ilike", name), ("title", "=ilike", name)]
        return Model.search(domain, limit=1)

    def _chatbot_log_inline(self, text, keyboard):
        """Record a message answered in the webhook response body (already delivered)."""
        now = fields.Datetime.now()
        message = self.env["chatbot.message"].create({
            "conversation_id": self.id, "direction": "out", "kind": "reply", "body": text,
            "keyboard": keyboard or False, "state": "sent", "date": now, "date_epoch": time.time(),
            "sent_date": now, "sent_epoch": time.time(), "lead_id": self.lead_id.id or False,
        })
        message._chatbot_after_sent()
        return message

    def _chatbot_on_contact(self, raw_phone, verified, update):
        """The customer shared a phone: normalise, match the partner, update the open lead."""
        self.ensure_one()
        phone = normalize_ua_phone(raw_phone) or raw_phone
        self._chatbot_log_inbound(f"📱 {phone}", update)
        vals = {"phone": phone, "phone_verified": verified or self.phone_verified}
        if verified:
            partner = self.env["res.partner"]._chatbot_find_by_phone(phone, self.company_id)
            if partner:
                vals["partner_id"] = partner.id
                partner._chatbot_link_messenger(self.channel, self.chat_id)
        vals["state"] = "open" if self.lead_id else "awaiting_request"
        self.write(vals)
        conv = self._chatbot_env_lang()
        _ = conv.env._
        lead = self.lead_id
        if lead:
            lead._chatbot_lock()
            lead_vals = {"phone": phone}
            if self.partner_id and not lead.partner_id:
                lead_vals["partner_id"] = self.partner_id.id
            lead.write(lead_vals)
            text = _("Thank you, we saved your number %(phone)s to request %(reference)s.",
                     phone=phone, reference=lead.chatbot_reference)
        else:
            text = _("Thank you! Now tell us what you are looking for.")
        self._chatbot_queue(text, "menu")

    def _chatbot_on_text(self, text, update):
        """Free text: a typed phone while we wait for one, otherwise the customer's request."""
        self.ensure_one()
        conv = self._chatbot_env_lang()
        _ = conv.env._
        phone = typed_phone(text) if self.state == "awaiting_phone" else False
        if phone:
            self._chatbot_log_inbound(text, update)
            self.write({"phone": phone, "state": "open" if self.lead_id else "awaiting_request"})
            if self.lead_id:
                self.lead_id._chatbot_lock()
                self.lead_id.phone = phone
                reply = _("Thank you, we saved your number %(phone)s to request %(reference)s.",
                          phone=phone, reference=self.lead_id.chatbot_reference)
            else:
                reply = _("Thank you! Now tell us what you are looking for.")
            self._chatbot_queue(reply, "menu")
            return
        self._chatbot_log_inbound(text, update)
        order_answer = self._chatbot_order_by_reference(text)
        if order_answer:
            self._chatbot_queue(order_answer, "menu")
            return
        lead, created = self.env["crm.lead"]._chatbot_intake(self, text)
        self._chatbot_answer_request(lead, created)

    def _chatbot_answer_request(self, lead, created):
        """The bot's line after a request: the confirmation for a new lead, "added to your request" for a
        follow-up (not while a salesperson handles the chat)."""
        conv = self._chatbot_env_lang()
        _ = conv.env._
        if created:
            reply = conv.bot_id.confirmation_text or ""
            reply = reply.replace("{reference}", lead.chatbot_reference).replace("{name}", self.customer_name or "")
            keyboard = "menu"
            if not self.phone:
                reply += "\n" + _("Please share your phone number so that the manager can call you back.")
                keyboard = "phone"
                self.state = "awaiting_phone"
            else:
                self.state = "open"
            self._chatbot_queue(reply, keyboard, lead=lead)
        elif not self._chatbot_in_handoff():
            self._chatbot_queue(_("Added to your request %(reference)s.", reference=lead.chatbot_reference),
                                lead=lead)
        # during a hand-off the salesperson hears the message (inbox notification) and answers it

    def _chatbot_on_media(self, media, location, caption, update):
        """A photo, document, voice note, video or location from the customer.

        The file is stored as an attachment of the lead by the media cron (downloading is an outbound
        call: never inside the webhook); a caption is a request like a text. A file over the messenger's
        download limit is refused with a clear answer.
        """
        self.ensure_one()
        _ = self._chatbot_env_lang().env._
        extra = {}
        if location:
            latitude, longitude = location
            body = f"📍 {latitude:.6f}, {longitude:.6f} https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}"
            extra["media_type"] = "location"
        else:
            limit = TELEGRAM_DOWNLOAD_MAX if self.channel == "telegram" else VIBER_FILE_MAX
            too_large = bool(media["file_size"]) and media["file_size"] > limit
            icon = {"photo": "🖼", "document": "📎", "voice": "🎤", "video": "🎬"}.get(media["type"], "📎")
            body = f"{icon} {media['file_name']}"
            extra.update(media_type=media["type"], media_ref=media["file_id"], media_name=media["file_name"],
                         media_size=media["file_size"] or 0, media_state="too_large" if too_large else "pending")
        if caption:
            body += "\n" + caption
        message = self._chatbot_log_inbound(body, update, extra=extra)
        lead, created = self.env["crm.lead"]._chatbot_intake(self, caption or body)
        if message.media_state == "too_large":
            self._chatbot_queue(_(
                "The file %(name)s is too large (%(size)s MB): we can receive files up to %(limit)s MB. "
                "Please send a smaller file or a link.", name=media["file_name"],
                size=round(media["file_size"] / 1048576, 1), limit=round(limit / 1048576)), lead=lead)
        else:
            self._chatbot_answer_request(lead, created)
        if message.media_state == "pending":
            self.env["chatbot.message"]._chatbot_trigger_media()

    def _chatbot_on_operator(self, body, update):
        """The customer asks for a human: the salesperson is notified and the bot steps aside."""
        self.ensure_one()
        _ = self._chatbot_env_lang().env._
        self._chatbot_log_inbound(body, update)
        lead = self.lead_id if self.lead_id.active else self.env["crm.lead"]
        if lead:
            lead._chatbot_notify_salesperson(follow_up=True)
        else:
            # the lead's text is for the staff: in the shop's language (the processing's), not the customer's
            lead, _created = self.env["crm.lead"]._chatbot_intake(
                self, self.env._("The customer asked for a manager."))
        self._chatbot_start_handoff()
        self._chatbot_queue(_("A manager will answer you here shortly."), lead=lead)

    def _chatbot_unsubscribe(self, reason):
        """The customer left (Viber unsubscribed, Telegram blocked the bot): nothing more is sent."""
        self.ensure_one()
        self.state = "unsubscribed"
        self.message_ids.filtered(lambda m: m.state == "queued").write({"state": "cancelled", "error": reason})

    def _chatbot_on_member_status(self, status):
        """Telegram ``my_chat_member``: ``kicked`` = the user blocked the bot, ``member`` = back again."""
        self.ensure_one()
        if status == "kicked":
            self._chatbot_unsubscribe(self.env._("Not sent: the customer blocked the bot in Telegram."))
        elif status == "member" and self.state == "unsubscribed":
            self.state = "open" if self.phone else "awaiting_phone"

    def _chatbot_on_orders(self, body, update):
        self.ensure_one()
        self._chatbot_log_inbound(body, update)
        text, keyboard = self._chatbot_orders_answer()
        self._chatbot_queue(text, keyboard)

    def _chatbot_on_help(self, body, update):
        self.ensure_one()
        self._chatbot_log_inbound(body, update)
        _ = self._chatbot_env_lang().env._
        self._chatbot_queue(_("Write your request as a message, share your phone with the button, "
                              "or send %(command)s to see your orders.", command=COMMAND_ORDERS),
                            "menu" if self.phone_verified else "phone")

    def _chatbot_orders_answer(self):
        """Text listing the recent orders of the partner matched to this chat (never anybody else's).

        :return: (text, keyboard)
        """
        self.ensure_one()
        conv = self._chatbot_env_lang()
        _ = conv.env._
        if not self.partner_id:
            if self.channel == "viber":
                # Viber does not say whose contact card was shared: it proves nothing about the sender
                return _("Send your order number and the phone number of the order in one message, "
                         "for example: S00042 067 123 45 67."), "menu"
            return _("Please share your phone number with the button below so that we can find your orders."), "phone"
        commercial = self.partner_id.commercial_partner_id
        orders = conv.env["sale.order"].search(
            [("partner_id", "child_of", commercial.id), ("state", "in", ORDER_STATES),
             ("company_id", "=", self.company_id.id)],
            order="date_order desc, id desc", limit=ORDERS_LIMIT)
        if not orders:
            return _("We have no orders for you yet."), "menu"
        lines = [_("Your recent orders:")] + [conv._chatbot_order_line(order) for order in orders]
        return "\n".join(lines), "menu"

    def _chatbot_order_line(self, order):
        """One line of "where is my order" for a confirmed order (state, total, delivery, tracking)."""
        _ = self.env._
        states = dict(order._fields["state"]._description_selection(self.env))
        delivery = dict(order._fields["delivery_status"]._description_selection(self.env))
        has_tracking = "carrier_tracking_ref" in self.env["stock.picking"]._fields
        line = "• %s — %s — %s" % (order.name, states.get(order.state, order.state),
                                   order.currency_id.format(order.amount_total))
        if order.delivery_status:
            line += " — " + delivery.get(order.delivery_status, order.delivery_status)
        pickings = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing" and p.state != "cancel")
        refs = [p.carrier_tracking_ref for p in pickings if has_tracking and p.carrier_tracking_ref]
        if refs:
            line += " — " + _("tracking: %(refs)s", refs=", ".join(refs))
        return line

    def _chatbot_order_by_reference(self, text):
        """Answer "order number + phone" written together (the way to ask when the messenger cannot prove
        whose number was shared): the order's line when the phone is the order customer's own.

        :return: text to send, or False when the message is not such a query
        """
        self.ensure_one()
        phone = find_phone(text)
        if not phone:
            return False
        tokens = {t.strip(".,;:#№").upper() for t in (text or "").split()}
        tokens = [t for t in tokens
                  if 4 <= len(t) <= 32 and any(c.isdigit() for c in t) and any(c.isalpha() for c in t)]
        if not tokens:
            return False
        conv = self._chatbot_env_lang()
        orders = conv.env["sale.order"].sudo().search(
            [("name", "in", tokens), ("state", "in", ORDER_STATES), ("company_id", "=", self.company_id.id)])
        if not orders:
            return False  # digits and a phone, but no order number: an ordinary request
        for order in orders:
            partner = order.partner_id
            numbers = {normalize_ua_phone(n) for n in (partner.phone, partner.mobile,
                                                       partner.commercial_partner_id.phone,
                                                       partner.commercial_partner_id.mobile) if n}
            if phone in numbers:
                return "\n".join([conv.env._("Your order:"), conv._chatbot_order_line(order)])
        return conv.env._("We found no order with this number and phone. Check both and send them again.")

    # -- channel handlers --------------------------------------------------------------------------
    @api.model
    def _chatbot_is_orders_request(self, text, command=None):
        if command == COMMAND_ORDERS:
            return True
        if not text:
            return False
        cleaned = text.strip().lower().lstrip("📦").strip()
        labels = {b["text"].lower().lstrip("📦").strip() for b in self._chatbot_orders_labels()}
        return cleaned in ORDERS_KEYWORDS or cleaned in labels

    @api.model
    def _chatbot_is_operator_request(self, text):
        cleaned = (text or "").strip().lower().split("@")[0]
        return cleaned in OPERATOR_KEYWORDS

    @api.model
    def _chatbot_orders_labels(self):
        labels = []
        for lang in [lang for lang, _name in self.env["res.lang"].get_installed()]:
            labels.append({"text": self.with_context(lang=lang).env._("📦 My orders")})
        return labels

    @api.model
    def _chatbot_handle_telegram(self, update, p):
        """Route one parsed Telegram update. :return: (update state, conversation, inline answer)"""
        bot = update.bot_id
        if p["kind"] not in ("message", "callback_query", "my_chat_member"):
            _logger.info("Chatbot %s: Telegram update %s of kind %s ignored", bot.id, p["update_id"], p["kind"])
            return "ignored", None, None
        if p.get("chat_type") and p["chat_type"] != "private":
            _logger.info("Chatbot %s: update %s from a %s chat ignored", bot.id, p["update_id"], p["chat_type"])
            return "ignored", None, None
        name = " ".join(filter(None, [p.get("first_name"), p.get("last_name")]))
        conversation = self._chatbot_get_or_create(bot, str(p["chat_id"]), name, p.get("username"), p.get("language"))
        if p["kind"] == "my_chat_member":
            conversation._chatbot_on_member_status(p.get("member_status"))
            return "done", conversation, None
        if p["kind"] == "callback_query":
            conversation._chatbot_queue("", kind="callback", external_id=p["callback_id"])
            if p.get("callback_data"):
                conversation._chatbot_on_callback(p["callback_data"], update)
            return "done", conversation, None
        if p.get("contact_phone"):
            conversation._chatbot_on_contact(p["contact_phone"], p.get("contact_is_own"), update)
        elif p.get("command") == COMMAND_START:
            conversation._chatbot_on_start(p.get("start_payload"), update)
        elif self._chatbot_is_orders_request(p.get("text"), p.get("command")):
            conversation._chatbot_on_orders(p["text"], update)
        elif self._chatbot_is_operator_request(p.get("text")):
            conversation._chatbot_on_operator(p["text"], update)
        elif p.get("command"):
            conversation._chatbot_on_help(p["text"], update)
        elif p.get("media") or p.get("location"):
            conversation._chatbot_on_media(p.get("media"), p.get("location"), p.get("text"), update)
        elif p.get("text"):
            conversation._chatbot_on_text(p["text"], update)
        else:
            _logger.info("Chatbot %s: update %s carries no text or contact, ignored", bot.id, p["update_id"])
            return "ignored", conversation, None
        return "done", conversation, None

    @api.model
    def _chatbot_handle_viber(self, update, p):
        """Route one parsed Viber callback. :return: (update state, conversation, inline answer)"""
        bot = update.bot_id
        event = p["event"]
        if event == "failed":
            failed = self.env["chatbot.message"].search(
                [("bot_id", "=", bot.id), ("direction", "=", "out"), ("external_id", "=", p.get("message_token"))])
            failed.write({"state": "failed",
                          "error": self.env._("Viber could not deliver the message to the customer.")})
            return "done", failed.conversation_id[:1] or None, None
        if not p.get("user_id"):
            return "ignored", None, None
        conversation = self._chatbot_get_or_create(bot, p["user_id"], p.get("name"), None, p.get("language"))
        if event == "unsubscribed":
            conversation._chatbot_unsubscribe(self.env._("Not sent: the customer unsubscribed from the bot in Viber."))
            return "done", conversation, None
        if event == "subscribed":
            if conversation.state == "unsubscribed":
                conversation.state = "open" if conversation.phone else "awaiting_phone"
            return "done", conversation, None
        if event == "conversation_started":
            message = conversation._chatbot_on_start(p.get("context"), update, inline=True)
            return "done", conversation, message._chatbot_viber_inline_payload()
        if event != "message":
            return "ignored", conversation, None
        if p.get("media") or p.get("location"):
            conversation._chatbot_on_media(p.get("media"), p.get("location"), p.get("text"), update)
        elif p.get("contact_phone"):
            # a Viber contact card does not say whose number it is: never proof of the sender's identity
            conversation._chatbot_on_contact(p["contact_phone"], False, update)
        elif p.get("text") and p["text"].startswith(VIBER_CALLBACK_PREFIX):
            # a press on an inline button: Viber sends its ActionBody back as the user's message
            conversation._chatbot_on_callback(p["text"][len(VIBER_CALLBACK_PREFIX):], update)
        elif p.get("text") and p["text"].strip().split(" ")[0].lower() == COMMAND_START:
            payload = p["text"].strip()[len(COMMAND_START):].strip() or None
            conversation._chatbot_on_start(payload, update)
        elif self._chatbot_is_orders_request(p.get("text")):
            conversation._chatbot_on_orders(p["text"], update)
        elif self._chatbot_is_operator_request(p.get("text")):
            conversation._chatbot_on_operator(p["text"], update)
        elif p.get("text"):
            conversation._chatbot_on_text(p["text"], update)
        else:
            return "ignored", conversation, None
        return "done", conversation, None

