{
    "name": "Marketplace orders linked to messenger conversations",
    "summary": "A Prom / Rozetka order of a customer who talks to the shop's Telegram / Viber bot is linked to "
               "that conversation and its lead (matched by phone)",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "Omnichannel Retail UA",
    "website": "https://github.com/omnichannel-retail-ua/odoo-addons",
    "license": "LGPL-3",
    "depends": ["marketplace_connector", "crm_chatbot_leads"],
    "data": [],
    "installable": True,
    "auto_install": True,
}
