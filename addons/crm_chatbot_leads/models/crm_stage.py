from odoo import fields, models


class CrmStage(models.Model):
    _inherit = "crm.stage"

    chatbot_notify = fields.Boolean(
        string="Notify Chatbot Customers",
        help="When a lead coming from a Telegram/Viber bot reaches this stage, the customer gets a message.")
    chatbot_template = fields.Text(
        string="Chatbot Message", translate=True,
        help="Placeholders: {reference}, {stage}, {name}. Empty: a default text.")
