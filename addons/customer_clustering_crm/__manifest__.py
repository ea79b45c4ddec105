{
    "name": "Customer Clustering - CRM",
    "summary": "Customer segment filter and group-by on leads, segment reports under CRM > Reporting",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "Omnichannel Retail UA",
    "website": "https://github.com/omnichannel-retail-ua/odoo-addons",
    "license": "LGPL-3",
    "images": ["static/description/screenshot_uk.png"],
    "depends": ["customer_clustering", "crm"],
    "data": [
        "views/crm_lead_views.xml",
    ],
    "installable": True,
    "auto_install": True,
}
