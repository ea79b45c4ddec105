{
    "name": "Marketplace prepayments fiscalized with Checkbox",
    "summary": "An order paid online at Prom / Rozetka gets its fiscal receipt through Checkbox at once, one "
               "receipt per marketplace order",
    "version": "18.0.1.0.0",
    "category": "Accounting/Localizations",
    "author": "Omnichannel Retail UA",
    "website": "https://github.com/omnichannel-retail-ua/odoo-addons",
    "license": "LGPL-3",
    "depends": ["marketplace_connector", "prro_checkbox"],
    "data": [
        "data/ir_cron_data.xml",
        "views/marketplace_order_views.xml",
    ],
    "installable": True,
    "auto_install": True,
}
