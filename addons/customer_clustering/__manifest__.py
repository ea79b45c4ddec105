{
    "name": "Customer Clustering (k-means)",
    "summary": "k-means customer segments on spend, order value, age, brands, categories and website "
               "views; named, stable, pictured, one click to a mailing list",
    "version": "18.0.2.0.0",
    "category": "Marketing/Email Marketing",
    "author": "Omnichannel Retail UA",
    "website": "https://github.com/omnichannel-retail-ua/odoo-addons",
    "license": "LGPL-3",
    "images": ["static/description/screenshot_uk.png"],
    "depends": ["sale", "mass_mailing"],
    "external_dependencies": {"python": ["numpy", "scikit-learn", "scipy"]},
    "data": [
        "security/ir.model.access.csv",
        "security/customer_clustering_security.xml",
        "data/ir_cron_data.xml",
        "views/customer_clustering_run_views.xml",
        "views/res_partner_views.xml",
        "views/customer_clustering_menus.xml",
    ],
    "demo": [
        "demo/customer_clustering_demo.xml",
    ],
    "installable": True,
    "application": False,
}
