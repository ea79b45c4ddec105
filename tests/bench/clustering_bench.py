#!/usr/bin/env python3
"""Benchmark of customer_clustering on a real database (prints figures, asserts nothing).

1. (re)creates database ``--db`` (from ``--template`` if given, e.g. one with website_sale already installed)
   with customer_clustering + website_sale, unless ``--reuse``;
2. bulk-loads with SQL COPY a shop of ``--customers`` (100,000) customers of four latent types, with
   ``--lines`` (1,000,000) confirmed sale order lines over 120 products (12 categories, 10 brands as a
   no_variant "Бренд" attribute) and ``--views`` (300,000) website product views of the customers' visitors,
   plus a second company with a tenth of that (10,000 customers) for the ORM comparison;
3. runs one segmentation (k by silhouette over 2..8, all feature groups) and times each phase - feature
   extraction (SQL), clustering (scikit-learn), writing results (history COPY, partners/orders in batches) -
   with the process's peak RSS after each phase;
4. on the 10,000-customer company, computes the same features with the SQL extraction and with a plain ORM
   loop (search orders per customer, read lines, product brand/category, website views) and prints the ratio.

    cd /work/main && PYTHONPATH=$PWD python3 tests/bench/clustering_bench.py --db cc_bench [--template tmpl18]
"""

import argparse
import io
import os
import resource
import sys
import time
from datetime import datetime, timedelta

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.bench.benchlib import odoo_addons_path, sh  # noqa: E402

N_CATEG, N_BRAND, N_PRODUCTS = 12, 10, 120
# latent customer types: (share, orders mean, price level, favourite categories, favourite brands, age)
TYPES = (
    (0.15, 6.0, 3.0, (0, 1, 2), (0, 1), 30),
    (0.35, 3.0, 1.0, (3, 4, 5), (2, 3, 4), 40),
    (0.30, 1.5, 0.4, (6, 7, 8), (5, 6, 7), 55),
    (0.20, 2.0, 1.5, (9, 10, 11), (8, 9), 25),
)


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def prepare_db(db, template, data_dir):
    origin = f"-T {template}" if template else ""
    print(f">> creating {db} {('from ' + template) if template else ''} and installing customer_clustering, "
          "website_sale ...", flush=True)
    sh(f"dropdb --if-exists {db} && createdb {origin} {db}")
    if template and os.path.isdir(os.path.join(data_dir, "filestore", template)):
        sh(f"rm -rf {data_dir}/filestore/{db} && cp -a {data_dir}/filestore/{template} {data_dir}/filestore/{db}")
    # -i on an already installed module re-loads all its data: ask only for what the template lacks
    sh(f"psql -d {db} -Atc \"select 1 from ir_module_module where name='website_sale' and state='installed'\" "
       f"| grep -q 1 && modules=customer_clustering || modules=customer_clustering,website_sale; "
       f"ODOO_DATA_DIR={data_dir} odoo_cmd -d {db} -i $modules --stop-after-init --log-level=warn")


def copy(cr, table, columns, rows):
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buffer.seek(0)
    cr._obj.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def next_id(cr, table):
    cr.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 - fixed table names
    return cr.fetchone()[0]


def fix_sequence(cr, table):
    cr.execute(f"SELECT setval('{table}_id_seq', (SELECT MAX(id) FROM {table}))")  # noqa: S608


def make_catalogue(env):
    attribute = env["product.attribute"].create({"name": "Бренд", "create_variant": "no_variant"})
    brands = env["product.attribute.value"].create([
        {"name": f"Brand {b}", "attribute_id": attribute.id} for b in range(N_BRAND)])
    categories = env["product.category"].create([{"name": f"Category {c}"} for c in range(N_CATEG)])
    rng = np.random.default_rng(1)
    templates = env["product.template"].create([
        {"name": f"Bench product {p}", "type": "consu", "list_price": float(rng.uniform(200, 3000)),
         "categ_id": categories[p % N_CATEG].id,
         "attribute_line_ids": [(0, 0, {"attribute_id": attribute.id,
                                        "value_ids": [(6, 0, brands[(p // N_CATEG) % N_BRAND].ids)]})]}
        for p in range(N_PRODUCTS)])
    products = templates.product_variant_id
    prices = np.array(templates.mapped("list_price"))
    categ_of = np.array([p % N_CATEG for p in range(N_PRODUCTS)])
    brand_of = np.array([(p // N_CATEG) % N_BRAND for p in range(N_PRODUCTS)])
    return attribute, np.array(products.ids), prices, categ_of, brand_of


def load_shop(env, company, catalogue, n_customers, n_lines, n_views, seed):
    """Bulk-load customers, confirmed orders + lines and website views with COPY. Returns counts."""
    cr = env.cr
    _attribute, product_ids, prices, categ_of, brand_of = catalogue
    rng = np.random.default_rng(seed)
    now = datetime.now()
    shares = np.array([t[0] for t in TYPES])
    types = rng.choice(len(TYPES), n_customers, p=shares / shares.sum())
    # products each type prefers (80 % of its purchases / views)
    preferred = [np.nonzero(np.isin(categ_of, t[3]) & np.isin(brand_of, t[4]))[0] for t in TYPES]
    preferred = [p if len(p) else np.nonzero(np.isin(categ_of, t[3]))[0] for p, t in zip(preferred, TYPES, strict=True)]

    first_partner = next_id(cr, "res_partner")
    partner_ids = np.arange(first_partner, first_partner + n_customers)
    ages = np.array([TYPES[t][5] for t in types]) + rng.normal(0, 4, n_customers)
    has_birth = rng.random(n_customers) < 0.6
    today = now.date()
    copy(cr, "res_partner", ["id", "name", "complete_name", "active", "type", "autopost_bills",
                             "commercial_partner_id", "customer_birthdate", "email", "create_date", "write_date"],
         ((int(pid), f"Bench {seed}-{i}", f"Bench {seed}-{i}", "t", "contact", "ask", int(pid),
           (today - timedelta(days=int(ages[i] * 365.25))) if has_birth[i] else None,
           f"bench{seed}.{i}@example.com", now, now)
          for i, pid in enumerate(partner_ids)))
    fix_sequence(cr, "res_partner")

    freq = np.maximum(1, rng.poisson([TYPES[t][1] for t in types]))
    n_orders = int(freq.sum())
    order_customer = np.repeat(np.arange(n_customers), freq)
    recency_scale = np.array([20, 60, 200, 90])[types]
    order_days = rng.exponential(recency_scale[order_customer]) + rng.uniform(0, 300, n_orders) * (
        rng.random(n_orders) < 0.5)
    order_days = np.minimum(order_days, 360)
    # n_lines distributed over the orders: one each, the rest at random
    lines_per_order = np.ones(n_orders, dtype=int)
    if n_lines > n_orders:
        np.add.at(lines_per_order, rng.integers(0, n_orders, n_lines - n_orders), 1)
    line_order = np.repeat(np.arange(n_orders), lines_per_order)
    line_type = types[order_customer[line_order]]
    pick_pref = rng.random(len(line_order)) < 0.8
    line_product = rng.integers(0, N_PRODUCTS, len(line_order))
    for t in range(len(TYPES)):
        mask = pick_pref & (line_type == t)
        line_product[mask] = rng.choice(preferred[t], mask.sum())
    level = np.array([TYPES[t][2] for t in range(len(TYPES))])[line_type]
    line_price = np.round(prices[line_product] * level * rng.uniform(0.7, 1.3, len(line_order)), 2)
    order_amount = np.bincount(line_order, weights=line_price, minlength=n_orders)

    currency = company.currency_id.id
    first_order = next_id(cr, "sale_order")
    order_ids = np.arange(first_order, first_order + n_orders)
    copy(cr, "sale_order", ["id", "name", "company_id", "partner_id", "partner_invoice_id", "partner_shipping_id",
                            "date_order", "state", "picking_policy", "amount_untaxed", "amount_total", "amount_tax",
                            "currency_id", "currency_rate", "create_date", "write_date"],
         ((int(oid), f"B{seed}-{i}", company.id, int(partner_ids[order_customer[i]]),
           int(partner_ids[order_customer[i]]), int(partner_ids[order_customer[i]]),
           now - timedelta(days=float(order_days[i])), "sale", "direct", f"{order_amount[i]:.2f}",
           f"{order_amount[i]:.2f}", 0, currency, 1.0, now, now)
          for i, oid in enumerate(order_ids)))
    fix_sequence(cr, "sale_order")
    copy(cr, "sale_order_line", ["order_id", "name", "product_id", "product_uom_qty", "price_unit",
                                 "price_subtotal", "price_total", "customer_lead", "state", "company_id",
                                 "currency_id", "order_partner_id", "create_date", "write_date"],
         ((int(order_ids[o]), "bench", int(product_ids[line_product[j]]), 1, f"{line_price[j]:.2f}",
           f"{line_price[j]:.2f}", f"{line_price[j]:.2f}", 0, "sale", company.id, currency,
           int(partner_ids[order_customer[o]]), now, now)
          for j, o in enumerate(line_order)))

    # website: 60 % of the customers have a visitor; views mostly on their type's products
    viewers = np.nonzero(rng.random(n_customers) < 0.6)[0]
    first_visitor = next_id(cr, "website_visitor")
    visitor_ids = np.arange(first_visitor, first_visitor + len(viewers))
    copy(cr, "website_visitor", ["id", "access_token", "partner_id", "create_date", "last_connection_datetime",
                                 "visit_count"],
         ((int(vid), str(int(partner_ids[c])), int(partner_ids[c]), now, now, 1)
          for vid, c in zip(visitor_ids, viewers, strict=True)))
    fix_sequence(cr, "website_visitor")
    view_visitor = rng.integers(0, len(viewers), n_views)
    view_type = types[viewers[view_visitor]]
    view_product = rng.integers(0, N_PRODUCTS, n_views)
    pref = rng.random(n_views) < 0.8
    for t in range(len(TYPES)):
        mask = pref & (view_type == t)
        view_product[mask] = rng.choice(preferred[t], mask.sum())
    copy(cr, "website_track", ["visitor_id", "product_id", "visit_datetime"],
         ((int(visitor_ids[v]), int(product_ids[p]), now - timedelta(days=float(d)))
          for v, p, d in zip(view_visitor, view_product, rng.uniform(0, 300, n_views), strict=True)))
    for table in ("res_partner", "sale_order", "sale_order_line", "website_visitor", "website_track"):
        cr.execute(f"ANALYZE {table}")  # noqa: S608
    return {"customers": n_customers, "orders": n_orders, "lines": len(line_order), "views": n_views}


def orm_features(env, company, since, brand_attribute):
    """The same features as the SQL extraction, by a plain ORM loop over customers (for comparison)."""
    orders_by = {}
    for order in env["sale.order"].search([("state", "=", "sale"), ("company_id", "=", company.id),
                                           ("date_order", ">=", since)]):
        orders_by.setdefault(order.partner_id.commercial_partner_id, env["sale.order"])
        orders_by[order.partner_id.commercial_partner_id] |= order
    features = {}
    now = datetime.now()
    for partner, orders in orders_by.items():
        spend_brand, spend_categ = {}, {}
        total = 0.0
        for line in orders.order_line:
            amount = line.price_subtotal
            total += amount
            tmpl = line.product_id.product_tmpl_id
            brand = tmpl.attribute_line_ids.filtered(lambda lin: lin.attribute_id == brand_attribute).value_ids[:1]
            spend_brand[brand.id] = spend_brand.get(brand.id, 0.0) + amount
            spend_categ[tmpl.categ_id.id] = spend_categ.get(tmpl.categ_id.id, 0.0) + amount
        views = env["website.track"].search([("visitor_id.partner_id", "=", partner.id),
                                             ("product_id", "!=", False), ("visit_datetime", ">=", since)])
        view_prices = views.mapped("product_id.list_price")
        features[partner.id] = {
            "recency": (now - max(orders.mapped("date_order"))).days,
            "frequency": len(orders),
            "monetary": sum(orders.mapped("amount_untaxed")),
            "age": partner.customer_age,
            "brands": {k: v / total for k, v in spend_brand.items()} if total else {},
            "categs": {k: v / total for k, v in spend_categ.items()} if total else {},
            "views": len(views),
            "view_price": sum(view_prices) / len(view_prices) if view_prices else 0.0,
            "view_categs": len(set(views.mapped("product_id.categ_id").ids)),
        }
    return features


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="cc_bench")
    parser.add_argument("--template", help="database to copy (with website_sale installed, to save time)")
    parser.add_argument("--data-dir", default=os.environ.get("ODOO_DATA_DIR", os.path.expanduser(
        "~/.local/share/Odoo")))
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--views", type=int, default=300_000)
    parser.add_argument("--orm-customers", type=int, default=10_000)
    parser.add_argument("--reuse", action="store_true", help="keep the database and data of a previous run")
    parser.add_argument("--skip-orm", action="store_true", help="skip the SQL vs ORM-loop comparison")
    args = parser.parse_args()

    if not args.reuse:
        prepare_db(args.db, args.template, args.data_dir)

    import odoo
    from odoo.tools import config

    config.parse_config(["-c", os.path.join(ROOT, "odoo.conf"), "--addons-path", odoo_addons_path(),
                         "--data-dir", args.data_dir, "--log-level", "warn"])
    registry = odoo.modules.registry.Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        big = env["res.company"].search([("name", "=", "Bench 100k")], limit=1)
        small = env["res.company"].search([("name", "=", "Bench 10k")], limit=1)
        attribute = env["product.attribute"].search([("name", "=", "Бренд")], limit=1)
        if not big:
            t0 = time.perf_counter()
            big = env["res.company"].create({"name": "Bench 100k"})
            small = env["res.company"].create({"name": "Bench 10k"})
            catalogue = make_catalogue(env)
            attribute = catalogue[0]
            env.flush_all()
            counts = load_shop(env, big, catalogue, args.customers, args.lines, args.views, seed=1)
            small_counts = load_shop(env, small, catalogue, args.orm_customers, args.lines * args.orm_customers
                                     // args.customers, args.views * args.orm_customers // args.customers, seed=2)
            cr.commit()
            print(f">> loaded {counts} and {small_counts} with COPY in {time.perf_counter() - t0:.1f}s", flush=True)

        env = env(context={"allowed_company_ids": [big.id]})
        run = env["customer.clustering.run"].create({
            "name": "Bench", "company_id": big.id, "k_mode": "auto", "k_min": 2, "k_max": 8,
            "brand_attribute_id": attribute.id})
        cr.commit()
        print(f">> one run on {args.customers} customers (peak RSS before: {rss_mb():.0f} MB)", flush=True)
        timings = {}
        t0, c0 = time.perf_counter(), time.process_time()
        features = run._extract_features()
        timings["feature extraction (SQL)"] = (time.perf_counter() - t0, time.process_time() - c0, rss_mb())
        t0, c0 = time.perf_counter(), time.process_time()
        prepared, result = run._cluster(features)
        timings["clustering (scikit-learn)"] = (time.perf_counter() - t0, time.process_time() - c0, rss_mb())
        t0, c0 = time.perf_counter(), time.process_time()
        run._write_results(features, prepared, result, commit=True)
        run.write({"state": "done"})
        cr.commit()
        timings["writing results"] = (time.perf_counter() - t0, time.process_time() - c0, rss_mb())
        print(f"   load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall time includes waiting)")
        for phase, (seconds, cpu, peak) in timings.items():
            print(f"   {phase:28s} {seconds:8.2f} s wall  {cpu:8.2f} s CPU (this process)  peak RSS {peak:7.0f} MB")
        print(f"   total {sum(t for t, _c, _m in timings.values()):.2f} s; {run.customer_count} customers, "
              f"{len(prepared.columns)} features, k={result.k} ({run.algorithm}), silhouette {run.silhouette:.3f}; "
              f"groups: {run.groups_report.replace(chr(10), '; ')}")
        print(f"   sizes: {result.sizes}; silhouettes: {run.silhouette_report}")

        if args.skip_orm:
            cr.rollback()
            return
        env = env(context={"allowed_company_ids": [small.id]})
        run_small = env["customer.clustering.run"].create({
            "name": "Bench ORM comparison", "company_id": small.id, "brand_attribute_id": attribute.id})
        t0 = time.perf_counter()
        sql_features = run_small._extract_features()
        sql_time = time.perf_counter() - t0
        env.invalidate_all()
        t0 = time.perf_counter()
        orm = orm_features(env, small, run_small._since(), attribute)
        orm_time = time.perf_counter() - t0
        print(f">> features of {len(sql_features['partner_ids'])} customers: SQL {sql_time:.2f} s, plain ORM loop "
              f"{orm_time:.2f} s ({len(orm)} customers) -> ORM/SQL = {orm_time / sql_time:.0f}x")
        cr.rollback()


if __name__ == "__main__":
    main()
