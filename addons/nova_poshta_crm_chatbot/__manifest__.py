{
    "name": "Nova Poshta parcels told in the messenger",
    "summary": "Waybill number, 'at the branch' and 'received' told to the customer once each (Telegram / "
               "Viber conversation, else e-mail with the tracking link); 'how did it go?' 1-5 after delivery, "
               "stored as the order's rating",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "Omnichannel Retail UA",
    "website": "https://github.com/omnichannel-retail-ua/odoo-addons",
    "license": "LGPL-3",
    "depends": ["nova_poshta", "crm_chatbot_leads", "rating"],
    "data": [
        "data/mail_template_data.xml",
        "data/mail_activity_type_data.xml",
        "data/ir_cron_data.xml",
        "views/sale_order_views.xml",
        "views/stock_picking_views.xml",
    ],
    "installable": True,
    # installed with the two modules it glues (rating is a plain dependency, installed with it)
    "auto_install": ["nova_poshta", "crm_chatbot_leads"],
}
