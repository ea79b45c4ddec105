{
    "name": "Marketplace Connector (Rozetka, Prom)",
    "summary": "Stock, price and order sync with Rozetka and Prom without over-selling",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "author": "Omnichannel Retail UA",
    "website": "https://github.com/omnichannel-retail-ua/odoo-addons",
    "license": "LGPL-3",
    "depends": ["sale_stock"],
    "external_dependencies": {"python": ["requests", "zeep"]},
    "data": [
        "security/ir.model.access.csv",
        "views/marketplace_channel_views.xml",
        "views/marketplace_connector_menus.xml",
    ],
    "installable": True,
    "application": False,
}
