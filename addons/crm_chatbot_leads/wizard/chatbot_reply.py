from odoo import api, fields, models
from odoo.exceptions import UserError


class ChatbotReply(models.TransientModel):
    """A salesperson's answer to the customer, sent through the bot of the lead's chat."""

    _name = "chatbot.reply"
    _description = "Reply to the Customer in the Messenger"

    lead_id = fields.Many2one("crm.lead", readonly=True)
    conversation_id = fields.Many2one("chatbot.conversation", string="Chat", required=True, readonly=True)
    channel = fields.Selection(related="conversation_id.channel")
    customer_name = fields.Char(related="conversation_id.name", string="Customer")
    body = fields.Text(string="Message", required=True)

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
        if not (self.body or "").strip():
            raise UserError(_("Write the message to send."))
        bot = conversation.sudo().bot_id
        if not bot.active:
            raise UserError(_("The bot %(bot)s is archived: messages cannot be sent through it.", bot=bot.name))
        if conversation.state == "unsubscribed":
            raise UserError(_("The customer unsubscribed from the bot: messages can no longer be delivered to them."))
        if conversation.sudo()._chatbot_viber_session_closed():
            raise UserError(_(
                "The customer last wrote more than 24 hours ago. Viber delivers free messages only within 24 "
                "hours of the customer's message: enable paid messages on the bot or wait until the customer "
                "writes again."))

    def action_send(self):
        """Queue the message (the outbound cron sends it at once, with retries); the chatter shows it
        with the salesperson as author once sent."""
        for wizard in self:
            wizard._check_can_send()
            # salespeople may not create queue rows themselves: the checks above stand for them
            conversation = wizard.conversation_id.sudo()
            conversation._chatbot_queue(wizard.body.strip(), kind="reply", lead=wizard.lead_id.sudo() or None,
                                        author=self.env.user)
            conversation._chatbot_start_handoff(self.env.user)
        return {"type": "ir.actions.act_window_close"}
