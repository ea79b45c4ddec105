import json
import logging
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..const import COMMAND_ORDERS, COMMAND_START, ORDERS_KEYWORDS, ORDERS_LIMIT, VIBER_SESSION_HOURS
from ..tools.phone import normalize_ua_phone

_logger = logging.getLogger(__name__)

STATES = [
    ("new", "New"),
    ("awaiting_phone", "Waiting for Phone"),
    ("awaiting_request", "Waiting for Request"),
    ("open", "Open"),
    ("unsubscribed", "Unsubscribed"),
]


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

    _sql_constraints = [
        ("bot_chat_uniq", "unique(bot_id, chat_id)", "One conversation per chat and bot."),
    ]

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
    def _chatbot_log_inbound(self, body, update, date=None):
        self.ensure_one()
        now = fields.Datetime.now()
        message = self.env["chatbot.message"].create({
            "conversation_id": self.id,
            "direction": "in",
            "body": body,
            "external_id": update.external_id if update else False,
            "state": "received",
            "date": now,
            "date_epoch": time.time(),
            "lead_id": self.lead_id.id or False,
        })
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
        conv = self._chatbot_env_lang()
        _ = conv.env._
        if keyboard == "phone":
            return [{"text": _("📱 Share phone number"), "contact": True}, {"text": _("📦 My orders")}]
        if keyboard == "menu":
            return [{"text": _("📦 My orders")}]
        return None

    def _chatbot_queue(self, text, keyboard=False, kind="reply", lead=None, external_id=False, author=None):
        """Queue an outbound message (sent by the cron, woken at once by ``_trigger``).

        :param str text: text for the customer
        :param str keyboard: ``phone`` (share-phone + orders buttons), ``menu``, ``remove`` or False
        :param str kind: ``reply`` (answer to a customer message), ``notification`` (bot-initiated),
            ``callback`` (Telegram answerCallbackQuery, external_id = callback query id)
        :param author: ``res.users`` who wrote the message (a salesperson's answer), None for the bot
        :return: the ``chatbot.message``
        """
        self.ensure_one()
        message = self.env["chatbot.message"].create({
            "conversation_id": self.id,
            "direction": "out",
            "kind": kind,
            "body": text,
            "keyboard": keyboard or False,
            "state": "queued",
            "next_try": fields.Datetime.now(),
            "date": fields.Datetime.now(),
            "date_epoch": time.time(),
            "lead_id": (lead or self.lead_id).id or False,
            "external_id": external_id,
            "author_id": author.id if author else False,
        })
        self.last_message_date = fields.Datetime.now()
        self.env["chatbot.message"]._chatbot_trigger_send()
        return message

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

        Many chats may open the same new deep link at once: the records are created with
        ``INSERT ... ON CONFLICT DO NOTHING``. A chat that loses the race cannot see the winner's
        row in its snapshot, so it keeps only the payload and resolves it again when its lead is
        created, in a later transaction.
        """
        for conversation in self.filtered(lambda c: c.start_payload and not (c.source_id and c.campaign_id)):
            source_name, _sep, campaign_name = conversation.start_payload.partition("__")
            vals = {}
            for field, model, name in (("source_id", "utm.source", source_name),
                                       ("campaign_id", "utm.campaign", campaign_name)):
                name = (name or "").replace("_", " ").strip()[:64]
                if name and not conversation[field]:
                    record_id = self._chatbot_utm_id(model, name)
                    if record_id:
                        vals[field] = record_id
            if vals:
                conversation.write(vals)

    @api.model
    def _chatbot_utm_id(self, model, name):
        """Id of the utm.source / utm.campaign called `name`, created if needed.

        The record is created by ``INSERT ... ON CONFLICT DO NOTHING`` in a separate READ COMMITTED
        transaction (so simultaneous first uses of a new deep link neither fail nor log errors).
        The current transaction may not see it yet (its snapshot is older): then None is
        returned and the payload is resolved again when the lead is created.
        """
        Model = self.env[model].sudo().with_context(active_test=False)
        record = Model.search([("name", "=ilike", name)], limit=1)
        if record:
            return record.id
        if model == "utm.source":
            query = SQL(
                """INSERT INTO utm_source (name, create_uid, write_uid, create_date, write_date)
                   VALUES (%s, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')
                   ON CONFLICT (name) DO NOTHING""", name, self.env.uid, self.env.uid)
        else:
            stage = self.env["utm.stage"].sudo().search([], limit=1)
            query = SQL(
                """INSERT INTO utm_campaign (name, title, user_id, stage_id, is_auto_campaign, active,
                                            create_uid, write_uid, create_date, write_date)
                   VALUES (%s, %s, %s, %s, true, true, %s, %s, now() at time zone 'UTC', now() at time zone 'UTC')
                   ON CONFLICT (name) DO NOTHING""",
                name, json.dumps({"en_US": name}), self.env.uid, stage.id, self.env.uid, self.env.uid)
        if self.env.registry.in_test_mode():
            self.env.cr.execute(query)  # tests share one transaction
        else:
            with self.env.registry.cursor() as cr:
                cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                cr.execute(query)
        Model.invalidate_model(["name"])
        record = Model.search([("name", "=ilike", name)], limit=1)
        if not record:
            _logger.info("Chatbot: %s %r not visible yet, resolved when the lead is created", model, name)
        return record.id or None

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
        typed_phone = normalize_ua_phone(text) if self.state == "awaiting_phone" and len(text) <= 25 else False
        if typed_phone:
            self._chatbot_log_inbound(text, update)
            self.write({"phone": typed_phone, "state": "open" if self.lead_id else "awaiting_request"})
            if self.lead_id:
                self.lead_id._chatbot_lock()
                self.lead_id.phone = typed_phone
                reply = _("Thank you, we saved your number %(phone)s to request %(reference)s.",
                          phone=typed_phone, reference=self.lead_id.chatbot_reference)
            else:
                reply = _("Thank you! Now tell us what you are looking for.")
            self._chatbot_queue(reply, "menu")
            return
        self._chatbot_log_inbound(text, update)
        lead, created = self.env["crm.lead"]._chatbot_intake(self, text)
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
        else:
            self._chatbot_queue(_("Added to your request %(reference)s.", reference=lead.chatbot_reference),
                                lead=lead)

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
            return _("Please share your phone number with the button below so that we can find your orders."), "phone"
        commercial = self.partner_id.commercial_partner_id
        orders = conv.env["sale.order"].search(
            [("partner_id", "child_of", commercial.id), ("state", "in", ("sale", "done", "sent", "draft")),
             ("company_id", "=", self.company_id.id)],
            order="date_order desc, id desc", limit=ORDERS_LIMIT)
        if not orders:
            return _("We have no orders for you yet."), "menu"
        states = dict(orders._fields["state"]._description_selection(conv.env))
        delivery = dict(orders._fields["delivery_status"]._description_selection(conv.env))
        has_tracking = "carrier_tracking_ref" in conv.env["stock.picking"]._fields
        lines = [_("Your recent orders:")]
        for order in orders:
            line = "• %s — %s — %s" % (order.name, states.get(order.state, order.state),
                                       order.currency_id.format(order.amount_total))
            if order.delivery_status:
                line += " — " + delivery.get(order.delivery_status, order.delivery_status)
            pickings = order.picking_ids.filtered(lambda p: p.picking_type_code == "outgoing" and p.state != "cancel")
            refs = [p.carrier_tracking_ref for p in pickings if has_tracking and p.carrier_tracking_ref]
            if refs:
                line += " — " + _("tracking: %(refs)s", refs=", ".join(refs))
            lines.append(line)
        return "\n".join(lines), "menu"

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
    def _chatbot_orders_labels(self):
        labels = []
        for lang in [lang for lang, _name in self.env["res.lang"].get_installed()]:
            labels.append({"text": self.with_context(lang=lang).env._("📦 My orders")})
        return labels

    @api.model
    def _chatbot_handle_telegram(self, update, p):
        """Route one parsed Telegram update. :return: (update state, conversation, inline answer)"""
        bot = update.bot_id
        if p["kind"] not in ("message", "callback_query"):
            _logger.info("Chatbot %s: Telegram update %s of kind %s ignored", bot.id, p["update_id"], p["kind"])
            return "ignored", None, None
        if p.get("chat_type") and p["chat_type"] != "private":
            _logger.info("Chatbot %s: update %s from a %s chat ignored", bot.id, p["update_id"], p["chat_type"])
            return "ignored", None, None
        name = " ".join(filter(None, [p.get("first_name"), p.get("last_name")]))
        conversation = self._chatbot_get_or_create(bot, str(p["chat_id"]), name, p.get("username"), p.get("language"))
        if p["kind"] == "callback_query":
            conversation._chatbot_queue("", kind="callback", external_id=p["callback_id"])
            if p.get("callback_data") == "orders":
                conversation._chatbot_on_orders("📦", update)
            return "done", conversation, None
        if p.get("contact_phone"):
            conversation._chatbot_on_contact(p["contact_phone"], p.get("contact_is_own"), update)
        elif p.get("command") == COMMAND_START:
            conversation._chatbot_on_start(p.get("start_payload"), update)
        elif self._chatbot_is_orders_request(p.get("text"), p.get("command")):
            conversation._chatbot_on_orders(p["text"], update)
        elif p.get("command"):
            conversation._chatbot_on_help(p["text"], update)
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
            failed.write({"state": "failed", "error": "Viber: delivery failed"})
            return "done", failed.conversation_id[:1] or None, None
        if not p.get("user_id"):
            return "ignored", None, None
        conversation = self._chatbot_get_or_create(bot, p["user_id"], p.get("name"), None, p.get("language"))
        if event == "unsubscribed":
            conversation.state = "unsubscribed"
            conversation.message_ids.filtered(lambda m: m.state == "queued").write(
                {"state": "cancelled", "error": "Viber: the user unsubscribed"})
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
        if p.get("contact_phone"):
            conversation._chatbot_on_contact(p["contact_phone"], True, update)
        elif p.get("text") and p["text"].strip().split(" ")[0].lower() == COMMAND_START:
            payload = p["text"].strip()[len(COMMAND_START):].strip() or None
            conversation._chatbot_on_start(payload, update)
        elif self._chatbot_is_orders_request(p.get("text")):
            conversation._chatbot_on_orders(p["text"], update)
        elif p.get("text"):
            conversation._chatbot_on_text(p["text"], update)
        else:
            return "ignored", conversation, None
        return "done", conversation, None

