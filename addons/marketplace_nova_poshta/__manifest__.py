{
    "name": "Marketplace orders shipped with Nova Poshta",
    "summary": "Prom / Rozetka delivery data mapped to Nova Poshta branches, waybills (automatic when the "
               "picking is ready), waybill number back to the marketplace, order flow status",
    "version": "18.0.1.0.0",
    "category": "Inventory/Delivery",
    "author": "Omnichannel Retail UA",
    "website": "https://github.com/omnichannel-retail-ua/odoo-addons",
    "license": "LGPL-3",
    "depends": ["marketplace_connector", "nova_poshta"],
    "data": [
        "data/ir_cron_data.xml",
        "views/marketplace_channel_views.xml",
        "views/stock_picking_views.xml",
        "views/sale_order_views.xml",
    ],
    "installable": True,
    "auto_install": True,
}
