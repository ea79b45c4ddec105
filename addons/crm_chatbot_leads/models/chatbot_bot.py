from odoo import fields, models


class ChatbotBot(models.Model):
    _name = "chatbot.bot"
    _description = "Chatbot"
    _check_company_auto = True

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    channel = fields.Selection(
        [("telegram", "Telegram"), ("viber", "Viber")], required=True, default="telegram"
    )
    token = fields.Char(groups="base.group_system", copy=False)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", check_company=True)
    user_id = fields.Many2one("res.users", string="Salesperson")
