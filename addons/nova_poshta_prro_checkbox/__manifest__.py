{
    "name": "Nova Poshta cash on delivery fiscalized with Checkbox",
    "summary": "When Nova Poshta reports the cash on delivery paid out, the money gets its fiscal receipt through "
               "Checkbox, one receipt per waybill",
    "version": "18.0.1.0.0",
    "category": "Accounting/Localizations",
    "author": "Omnichannel Retail UA",
    "website": "https://github.com/omnichannel-retail-ua/odoo-addons",
    "license": "LGPL-3",
    "images": ["static/description/screenshot_uk.png"],
    "depends": ["nova_poshta", "prro_checkbox"],
    "data": [
        "data/ir_cron_data.xml",
        "views/stock_picking_views.xml",
    ],
    "installable": True,
    "auto_install": True,
}
