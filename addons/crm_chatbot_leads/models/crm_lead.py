from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.tools import SQL, plaintext2html

CHATBOT_ANSWER_ACTIVITY = "crm_chatbot_leads.activity_type_chatbot_answer"


class CrmLead(models.Model):
    _inherit = "crm.lead"

    chatbot_conversation_id = fields.Many2one(
        "chatbot.conversation", string="Chatbot Conversation", index="btree_not_null", copy=False,
        ondelete="set null")
    chatbot_channel = fields.Selection(related="chatbot_conversation_id.channel", store=True, string="Chatbot Channel")
    chatbot_bot_id = fields.Many2one(related="chatbot_conversation_id.bot_id", store=True, string="Chatbot")
    chatbot_message_ids = fields.One2many("chatbot.message", "lead_id", string="Chatbot Messages")
    chatbot_handoff_active = fields.Boolean(
        compute="_compute_chatbot_handoff_active", string="Salesperson Answering the Chat")
    chatbot_reference = fields.Char(compute="_compute_chatbot_reference", string="Request Reference")
    chatbot_first_message_date = fields.Datetime(string="First Customer Message", copy=False, readonly=True)
    chatbot_first_message_epoch = fields.Float(copy=False, readonly=True)
    chatbot_first_response_date = fields.Datetime(string="First Response", copy=False, readonly=True)
    chatbot_first_response_seconds = fields.Float(
        string="First Response Time (s)", copy=False, readonly=True, aggregator="avg",
        help="Seconds from the customer's first message to the first answer written by a salesperson "
             "(the bot's automatic answers are counted apart).")
    chatbot_first_response_user_id = fields.Many2one(
        "res.users", string="First Answered By", copy=False, readonly=True)
    chatbot_bot_response_date = fields.Datetime(string="First Bot Answer", copy=False, readonly=True)
    chatbot_bot_response_seconds = fields.Float(
        string="Bot Response Time (s)", copy=False, readonly=True, aggregator="avg",
        help="Seconds from the customer's first message to the bot's first automatic answer.")

    @api.depends("chatbot_conversation_id")
    def _compute_chatbot_handoff_active(self):
        conversations = self.env["chatbot.conversation"].sudo().search([("lead_id", "in", self.ids)])
        active = {c.lead_id.id for c in conversations if c._chatbot_in_handoff()}
        for lead in self:
            lead.chatbot_handoff_active = lead.id in active

    @api.depends()
    def _compute_chatbot_reference(self):
        for lead in self:
            lead.chatbot_reference = f"#{lead.id}" if lead.id else False

    def _chatbot_lock(self, nowait=False):
        """Lock the lead rows before writing them from chatbot code (webhook or sending cron).

        Both sides write leads concurrently; locking first turns a conflict into a quiet
        concurrency error raised here (``log_exceptions=False``), which Odoo replays (webhook
        request) or the cron postpones, instead of a failed UPDATE logged as a bad query.
        """
        if self.ids:
            self.flush_recordset()
            self.env.cr.execute(SQL(
                "SELECT id FROM crm_lead WHERE id IN %s FOR NO KEY UPDATE" + (" NOWAIT" if nowait else ""),
                tuple(self.ids)), log_exceptions=False)

    # -- intake ---------------------------------------------------------------------------------
    def _chatbot_open_lead(self, conversation):
        """The customer's open lead: the conversation's current one, else the partner's latest open chatbot lead."""
        lead = conversation.lead_id
        if lead and lead.active and not lead.stage_id.is_won:
            return lead
        if conversation.partner_id:
            return self.search([
                ("partner_id", "=", conversation.partner_id.id),
                ("chatbot_conversation_id", "!=", False),
                ("stage_id.is_won", "=", False),
                ("company_id", "in", (conversation.company_id.id, False)),
            ], order="id desc", limit=1)
        return self.browse()

    @api.model
    def _prepare_lead_values_from_chat(self, conversation, text, custom_values=None):
        """Values of a lead created from a chat request, shaped like ``message_new``.

        :param conversation: ``chatbot.conversation``
        :param str text: the customer's request
        :param dict custom_values: values overriding the defaults
        :return: dict for ``crm.lead.create``
        """
        bot = conversation.bot_id
        conversation._chatbot_resolve_utm()
        labels = dict(conversation._fields["channel"]._description_selection(self.env))
        first_line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
        if len(first_line) > 60:
            first_line = first_line[:60].rsplit(" ", 1)[0] + "…"
        who = conversation.customer_name or conversation.chat_id
        source = conversation.source_id or bot.source_id or self.env.ref(
            f"crm_chatbot_leads.utm_source_{bot.channel}", raise_if_not_found=False)
        vals = {
            "name": f"{labels.get(bot.channel)}: {who} — {first_line}",
            "contact_name": conversation.customer_name or False,
            "partner_id": conversation.partner_id.id or False,
            "description": plaintext2html(text or ""),
            "team_id": bot.team_id.id or False,
            "user_id": bot.user_id.id or False,
            "tag_ids": [Command.set(bot.tag_ids.ids)],
            "source_id": source.id if source else False,
            "campaign_id": conversation.campaign_id.id or False,
            "medium_id": self.env.ref("crm_chatbot_leads.utm_medium_chatbot", raise_if_not_found=False).id or False,
            "company_id": bot.company_id.id,
            "chatbot_conversation_id": conversation.id,
        }
        if conversation.phone:
            vals["phone"] = conversation.phone
        if conversation.lang:
            lang = self.env["res.lang"]._lang_get(conversation.lang)
            if lang:
                vals["lang_id"] = lang.id
        vals.update(custom_values or {})
        return vals

    @api.model
    def _chatbot_intake(self, conversation, text):
        """Create a lead for a chat request, or add the text to the customer's open lead.

        :return: (lead, created)
        """
        lead = self._chatbot_open_lead(conversation)
        # queued bot messages are the sending cron's: it links them to the lead when it sends them
        pending = conversation.message_ids.filtered(lambda m: not m.lead_id and m.state != "queued")
        if lead:
            lead._chatbot_lock()
            lead.description = (lead.description or Markup()) + plaintext2html(text or "")
            created = False
            lead._chatbot_notify_salesperson(follow_up=True)
        else:
            # one notification for the salesperson: the activity below (not also the assignment mail)
            lead = self.with_context(mail_create_nosubscribe=True, mail_create_nolog=True,
                                     mail_auto_subscribe_no_notify=True).create(
                self._prepare_lead_values_from_chat(conversation, text))
            created = True
            inbound = pending.filtered(lambda m: m.direction == "in")
            first = min(inbound, key=lambda m: m.date_epoch or 0, default=None)
            if first:
                lead.write({"chatbot_first_message_date": first.date, "chatbot_first_message_epoch": first.date_epoch})
            lead._chatbot_notify_salesperson()
        if conversation.lead_id != lead:
            conversation.lead_id = lead
        lead._chatbot_sync_conversation_owner()
        pending.lead_id = lead
        for message in pending.filtered(lambda m: m.state == "sent").sorted("id"):
            lead._chatbot_register_response(message)
        pending.sorted("id")._chatbot_post_on_lead()
        return lead, created

    def _chatbot_notify_salesperson(self, follow_up=False):
        """An "Answer the customer" activity for the lead's salesperson (else the team leader), unless one
        is already open for the lead; the salesperson's reply marks it done (:meth:`_chatbot_mark_answered`).

        :param bool follow_up: the customer wrote again on an existing lead (else a new request)
        """
        activity_type = self.env.ref(CHATBOT_ANSWER_ACTIVITY, raise_if_not_found=False)
        if not activity_type:
            return
        labels = dict(self._fields["chatbot_channel"]._description_selection(self.env))
        open_leads = set(self.env["mail.activity"].sudo().search([
            ("res_model", "=", "crm.lead"), ("res_id", "in", self.ids),
            ("activity_type_id", "=", activity_type.id)]).mapped("res_id"))
        for lead in self:
            user = lead.user_id or lead.team_id.user_id
            if not user or lead.id in open_leads:
                continue
            channel = labels.get(lead.chatbot_channel, lead.chatbot_channel)
            if follow_up:
                summary = self.env._("%(channel)s: the customer wrote again, answer them", channel=channel)
            else:
                summary = self.env._("New %(channel)s request: answer the customer", channel=channel)
            # a follow-up already reaches the salesperson's inbox (the chatter note): no second notification
            lead.with_context(mail_activity_quick_update=follow_up).activity_schedule(
                activity_type_id=activity_type.id, user_id=user.id, summary=summary, note=lead.description)

    def _chatbot_mark_answered(self):
        """The salesperson answered the customer (reply queued from the dialog): the leads' open "Answer the
        customer" activities are marked done, in the chatter as done by the replying user.

        The caller checked that the user may write the lead; the activity may be assigned to someone else
        (the team leader), so only this close runs as superuser, on these leads' activities of this type.
        """
        activity_type = self.env.ref(CHATBOT_ANSWER_ACTIVITY, raise_if_not_found=False)
        if not activity_type or not self:
            return self.env["mail.activity"]
        activities = self.env["mail.activity"].sudo().search([
            ("res_model", "=", "crm.lead"), ("res_id", "in", self.ids),
            ("activity_type_id", "=", activity_type.id)])
        if activities:
            activities.action_feedback(feedback=self.env._("Answered in the messenger"))
        return activities

    def _chatbot_register_response(self, message):
        """Record the first answer sent after the customer's first message: a salesperson's answer
        (message with an author) sets the first-response figure, the bot's own answer the bot figure."""
        self.ensure_one()
        if not self.chatbot_first_message_epoch:
            return
        if not message.sent_epoch or message.sent_epoch < self.chatbot_first_message_epoch:
            return
        seconds = round(message.sent_epoch - self.chatbot_first_message_epoch, 3)
        if message.author_id and not self.chatbot_first_response_date:
            self.write({"chatbot_first_response_date": message.sent_date, "chatbot_first_response_seconds": seconds,
                        "chatbot_first_response_user_id": message.author_id.id})
        elif not message.author_id and not self.chatbot_bot_response_date:
            self.write({"chatbot_bot_response_date": message.sent_date, "chatbot_bot_response_seconds": seconds})

    def action_chatbot_close_handoff(self):
        """Give the lead's chats back to the bot."""
        self.check_access("write")
        self.env["chatbot.conversation"].sudo().search(
            [("lead_id", "in", self.ids)]).write({"handoff_date": False, "handoff_user_id": False})
        return True

    # -- status notifications -----------------------------------------------------------------------
    def write(self, vals):
        notify = self.browse()
        if vals.get("stage_id"):
            stage = self.env["crm.stage"].browse(vals["stage_id"])
            if stage.chatbot_notify:
                notify = self.filtered(lambda lead: lead.chatbot_conversation_id and lead.stage_id != stage)
        result = super().write(vals)
        if "user_id" in vals or "team_id" in vals:
            self._chatbot_sync_conversation_owner()
        for lead in notify:
            lead._chatbot_notify_stage()
        return result

    def _chatbot_sync_conversation_owner(self):
        """The chat follows its lead: the conversations whose current lead is one of these get the
        lead's team and salesperson, so the new owner sees the chat and answers it and the old one
        no longer can (record rules of chatbot.conversation / chatbot.message)."""
        conversations_sudo = self.env["chatbot.conversation"].sudo().search([("lead_id", "in", self.ids)])
        for conversation_sudo in conversations_sudo:
            lead = conversation_sudo.lead_id
            if (conversation_sudo.team_id, conversation_sudo.user_id) != (lead.team_id, lead.user_id):
                conversation_sudo.write({"team_id": lead.team_id.id, "user_id": lead.user_id.id})

    def _chatbot_current_conversation(self):
        """The chat the customer used last for this lead (a lead may collect several chats of one
        partner); notifications go there."""
        self.ensure_one()
        latest = self.env["chatbot.conversation"].sudo().search(
            [("lead_id", "=", self.id), ("state", "!=", "unsubscribed")], order="last_message_date desc", limit=1)
        return latest or self.chatbot_conversation_id.sudo()

    def _chatbot_notify_stage(self):
        self.ensure_one()
        conversation = self._chatbot_current_conversation()
        stage = self.stage_id.with_context(lang=conversation._chatbot_env_lang().env.context.get("lang"))
        template = stage.chatbot_template or self.env._("Your request {reference} is now: {stage}")
        text = (template.replace("{reference}", self.chatbot_reference or "")
                .replace("{stage}", stage.name or "").replace("{name}", self.name or ""))
        conversation._chatbot_queue(text, kind="notification", lead=self)
