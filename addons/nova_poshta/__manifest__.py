{
    "name": "Nova Poshta Shipping",
    "summary": "Nova Poshta as a delivery carrier: rates, waybills (TTN), labels, tracking",
    "version": "18.0.1.0.0",
    "category": "Inventory/Delivery",
    "author": "Omnichannel Retail UA",
    "website": "https://github.com/omnichannel-retail-ua/odoo-addons",
    "license": "LGPL-3",
    "depends": ["stock_delivery", "sale_stock"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/ir.model.access.csv",
        "views/delivery_carrier_views.xml",
        "views/nova_poshta_city_views.xml",
        "views/nova_poshta_menus.xml",
    ],
    "installable": True,
    "application": False,
}
