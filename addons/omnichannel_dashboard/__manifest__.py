{
    "name": "Omnichannel",
    "summary": "The shop at a glance: chats, marketplace orders, stock push, Nova Poshta waybills, COD and "
               "fiscal receipts on one dashboard",
    "description": """
Omnichannel dashboard
=====================
The first screen of the omnichannel suite. Each tile counts what needs attention this morning and opens
the list behind it:

* unanswered messenger chats and the oldest waiting time (crm_chatbot_leads);
* marketplace orders today and in exception per channel, stock-push health and the last error per
  channel (marketplace_connector);
* Nova Poshta waybills to create and to put on a scan sheet, cash on delivery to collect (nova_poshta);
* fiscal receipts in error (prro_checkbox);
* customer segments of the last segmentation run (customer_clustering).

The app depends only on the web client: a tile appears when the module behind it is installed and the
user may read its records, so every module of the suite still installs and works alone.
""",
    "version": "18.0.1.0.0",
    "category": "Sales/Omnichannel",
    "author": "Omnichannel Retail UA",
    "website": "https://github.com/omnichannel-retail-ua/odoo-addons",
    "license": "LGPL-3",
    "images": ["static/description/screenshot_uk.png"],
    "depends": ["web"],
    "data": [
        "security/ir.model.access.csv",
        "data/omnichannel_tile_data.xml",
        "views/omnichannel_tile_views.xml",
        "views/omnichannel_menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "omnichannel_dashboard/static/src/scss/omnichannel_dashboard.scss",
        ],
        "web.assets_tests": [
            "omnichannel_dashboard/static/tests/tours/*.js",
        ],
    },
    "installable": True,
    "application": True,
}
