"""Generated shops with known customer types, for the segmentation tests (small: tens of customers)."""

import random
from datetime import date, datetime, timedelta

from odoo.tests import TransactionCase

# three true customer types: (brand, category, price per order, orders, days since last order, age)
TYPES = (
    ("Zara", "Dresses", 4000.0, 5, 5, 25),
    ("Mango", "Shoes", 900.0, 2, 60, 45),
    ("NoName", "Socks", 90.0, 1, 300, 65),
)


class ClusteringCommon(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "Clustering Co"})
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company.id], tracking_disable=True))
        cls.brand_attribute = cls.env["product.attribute"].create({"name": "Бренд", "create_variant": "always"})
        cls.brands = cls.env["product.attribute.value"].create([
            {"name": t[0], "attribute_id": cls.brand_attribute.id} for t in TYPES
        ])
        cls.categories = cls.env["product.category"].create([{"name": t[1]} for t in TYPES])
        cls.products = cls.env["product.product"].browse([
            cls.env["product.template"].create({
                "name": f"{t[1]} by {t[0]}", "type": "service", "list_price": t[2],
                "categ_id": cls.categories[i].id,
                "attribute_line_ids": [(0, 0, {"attribute_id": cls.brand_attribute.id,
                                               "value_ids": [(6, 0, cls.brands[i].ids)]})],
            }).product_variant_id.id
            for i, t in enumerate(TYPES)
        ])

    @classmethod
    def _make_customers(cls, per_type=12, seed=1, prefix="Customer", birthdates=True):
        """Create ``per_type`` customers of each true type with confirmed orders.

        :return: (partners recordset, list of true type index per partner)
        """
        rng = random.Random(seed)
        partners = cls.env["res.partner"].create([
            {"name": f"{prefix} {t}-{i}", "email": f"{prefix.lower()}.{t}.{i}.{seed}@example.com",
             "customer_birthdate": (date.today() - timedelta(days=int(365.25 * (TYPES[t][5] + rng.uniform(-3, 3)))))
             if birthdates else False}
            for t in range(len(TYPES)) for i in range(per_type)
        ])
        truth = [t for t in range(len(TYPES)) for _i in range(per_type)]
        order_vals, dates = [], []
        for partner, t in zip(partners, truth, strict=True):
            _brand, _categ, price, n_orders, days, _age = TYPES[t]
            for n in range(n_orders):
                order_vals.append({
                    "partner_id": partner.id, "company_id": cls.company.id,
                    "order_line": [(0, 0, {"product_id": cls.products[t].id, "product_uom_qty": 1,
                                           "price_unit": round(price * rng.uniform(0.85, 1.15), 2)})],
                })
                dates.append(datetime.now() - timedelta(days=days * rng.uniform(0.8, 1.2) + 20 * n))
        orders = cls.env["sale.order"].create(order_vals)
        orders.action_confirm()
        for order, when in zip(orders, dates, strict=True):
            order.date_order = when
        return partners, truth

    @classmethod
    def _website_available(cls):
        return cls.env["customer.clustering.run"]._website_views_available()

    @classmethod
    def _make_views(cls, partners, truth, per_customer=3):
        """Each customer looks at products of its own type on the website (website_sale's visitor tracking)."""
        visitors = cls.env["website.visitor"].sudo().create([{"access_token": str(p.id)} for p in partners])
        cls.env["website.track"].sudo().create([
            {"visitor_id": visitor.id, "product_id": cls.products[t].id,
             "visit_datetime": datetime.now() - timedelta(days=n + 1)}
            for visitor, t in zip(visitors, truth, strict=True) for n in range(per_customer)
        ])

    def _run(self, **vals):
        defaults = {"company_id": self.company.id, "k_mode": "fixed", "n_clusters": 3,
                    "brand_attribute_id": self.brand_attribute.id}
        run = self.env["customer.clustering.run"].create({**defaults, **vals})
        run._execute()
        return run

    def _labels(self, partners):
        return [p.customer_segment_id.id for p in partners]
