import base64

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.mimetypes import guess_mimetype

from ..const import TELEGRAM_DOCUMENT_UPLOAD_MAX, TELEGRAM_PHOTO_UPLOAD_MAX, VIBER_FILE_MAX, VIBER_PICTURE_MAX
from ..models.chatbot_message import PHOTO_MIMETYPES


class ChatbotReply(models.TransientModel):
    """A salesperson's answer to the customer, sent through the bot of the lead's chat."""

    _name = "chatbot.reply"
    _description = "Reply to the Customer in the Messenger"

    lead_id = fields.Many2one("crm.lead", readonly=True)
    conversation_id = fields.Many2one("chatbot.conversation", string="Chat", required=True, readonly=True)
    channel = fields.Selection(related="conversation_id.channel")
    customer_name = fields.Char(related="conversation_id.name", string="Customer")
    body = fields.Text(string="Message")
    attachment_file = fields.Binary(string="Photo or Document", attachment=False)
    attachment_name = fields.Char(string="File Name")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        model, res_id = self.env.context.get("active_model"), self.env.context.get("active_id")
        if model == "crm.lead" and res_id:
            lead = self.env["crm.lead"].browse(res_id)
            values.setdefault("lead_id", lead.id)
            values.setdefault("conversation_id", lead._chatbot_current_conversation().id)
        elif model == "chatbot.conversation" and res_id:
            conversation = self.env["chatbot.conversation"].browse(res_id)
            values.setdefault("conversation_id", conversation.id)
            values.setdefault("lead_id", conversation.lead_id.id)
        return values

    def _check_can_send(self):
        self.ensure_one()
        _ = self.env._
        conversation = self.conversation_id
        if not conversation:
            raise UserError(_("This lead did not come from a chatbot: there is no chat to answer in."))
        # the salesperson must see the chat (team record rules) and be allowed to edit the lead
        conversation.check_access("read")
        if self.lead_id:
            self.lead_id.check_access("write")
        if not (self.body or "").strip() and not self.attachment_file:
            raise UserError(_("Write the message to send."))
        bot = conversation.sudo().bot_id
        if not bot.active:
            raise UserError(_("The bot %(bot)s is archived: messages cannot be sent through it.", bot=bot.name))
        if conversation.state == "unsubscribed":
            raise UserError(_("The customer unsubscribed from the bot: messages can no longer be delivered to them."))
        if self.attachment_file:
            self._check_attachment_size()
        if conversation.sudo()._chatbot_viber_session_closed():
            raise UserError(_(
                "The customer last wrote more than 24 hours ago. Viber delivers free messages only within 24 "
                "hours of the customer's message: enable paid messages on the bot or wait until the customer "
                "writes again."))

    def _check_attachment_size(self):
        """The messengers' upload limits, with a clear answer (Telegram: photo 10 MB, document 50 MB;
        Viber: picture 1 MB, file 50 MB)."""
        _ = self.env._
        size = len(base64.b64decode(self.attachment_file))
        mimetype = guess_mimetype(base64.b64decode(self.attachment_file)[:1024])
        photo = mimetype in PHOTO_MIMETYPES
        if self.channel == "telegram":
            limit = TELEGRAM_PHOTO_UPLOAD_MAX if photo else TELEGRAM_DOCUMENT_UPLOAD_MAX
        else:
            limit = VIBER_PICTURE_MAX if photo else VIBER_FILE_MAX
        if size > limit:
            raise UserError(_(
                "%(name)s is %(size)s MB: %(channel)s accepts at most %(limit)s MB for a %(what)s.",
                name=self.attachment_name or _("The file"), size=round(size / 1048576, 1),
                channel=dict(self._fields["channel"]._description_selection(self.env)).get(self.channel),
                limit=round(limit / 1048576, 1), what=_("photo") if photo else _("document")))

    def action_send(self):
        """Queue the message (the outbound cron sends it at once, with retries); the chatter shows it
        with the salesperson as author once sent."""
        for wizard in self:
            wizard._check_can_send()
            # salespeople may not create queue rows themselves: the checks above stand for them
            conversation = wizard.conversation_id.sudo()
            attachment = None
            if wizard.attachment_file:
                record = wizard.lead_id or conversation.lead_id
                attachment = self.env["ir.attachment"].sudo().create({
                    "name": wizard.attachment_name or "file",
                    "datas": wizard.attachment_file,
                    "res_model": "crm.lead" if record else False,
                    "res_id": record.id if record else False,
                })
            conversation._chatbot_queue((wizard.body or "").strip(), kind="reply",
                                        lead=wizard.lead_id.sudo() or None, author=self.env.user,
                                        attachment=attachment)
            conversation._chatbot_start_handoff(self.env.user)
            # the lead's "Answer the customer" activity is done, if this user may edit the lead
            lead = wizard.lead_id or wizard.conversation_id.lead_id
            if lead and lead.has_access("write"):
                lead._chatbot_mark_answered()
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "success", "title": self.env._("Reply queued"),
            "message": self.env._("The bot sends your answer now and tries again if the messenger is down; "
                                  "the lead's chatter shows it once sent."),
            "next": {"type": "ir.actions.act_window_close"}}}
