{
    "name": "Customer Clustering (k-means)",
    "summary": "RFM k-means segments of customers for targeted mailing",
    "version": "18.0.1.0.0",
    "category": "Marketing/Email Marketing",
    "author": "Omnichannel Retail UA",
    "website": "https://github.com/omnichannel-retail-ua/odoo-addons",
    "license": "LGPL-3",
    "depends": ["sale", "mass_mailing"],
    "external_dependencies": {"python": ["numpy", "scikit-learn"]},
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
