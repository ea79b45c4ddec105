{
    "name": "PRRO Checkbox Fiscal Receipts",
    "summary": "Fiscal receipts through the Checkbox software cash register (PRRO)",
    "version": "18.0.1.0.0",
    "category": "Accounting/Localizations",
    "author": "Omnichannel Retail UA",
    "website": "https://github.com/omnichannel-retail-ua/odoo-addons",
    "license": "LGPL-3",
    "depends": ["account", "sale"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/ir.model.access.csv",
        "views/prro_cash_register_views.xml",
        "views/prro_checkbox_menus.xml",
    ],
    "installable": True,
    "application": False,
}
