{
    "name": "CRM Chatbot Leads (Telegram, Viber)",
    "summary": "Telegram and Viber bots that turn customer requests into CRM leads",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "Omnichannel Retail UA",
    "website": "https://github.com/omnichannel-retail-ua/odoo-addons",
    "license": "LGPL-3",
    "depends": ["crm", "sale_crm", "sale_stock"],
    "external_dependencies": {"python": ["python-telegram-bot", "requests"]},
    "data": [
        "security/ir.model.access.csv",
        "views/chatbot_bot_views.xml",
        "views/crm_chatbot_leads_menus.xml",
    ],
    "installable": True,
    "application": False,
}
