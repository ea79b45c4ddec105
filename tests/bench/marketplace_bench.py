#!/usr/bin/env python3
"""Marketplace benchmark: prints figures, asserts nothing.

Works on a throw-away copy of DB (a database with marketplace_connector installed), dropped at the end:
1. full push of N products x 2 channels (Prom + Rozetka fakes): wall time, API calls;
2. one stock change -> time until both fakes received the new quantity, with a real Odoo server
   (cron trigger) running on the copy;
3. a pricelist change touching all N products (a global -10 % rule) with the server running: time until both
   fakes received every new price, API calls, and the cost of marking the offers (SQL) in the user's
   transaction;
4. M marketplace orders imported: orders per second;
5. the last-unit race: R rounds of two channels ordering the last unit at the same moment, in two
   threads with their own transactions, plus (--odoo-sales, on by default) a salesperson confirming a sale
   order for the same unit in a third thread (through Odoo's RPC retry, as a browser request would);
   prints the number of oversells (units reserved more often than they exist).

    PYTHONPATH=. python3 tests/bench/marketplace_bench.py --db DB [--products 10000] [--orders 1000] [--races 200]
        [--no-odoo-sales] [--skip-push] [--only-prices]   # --only-prices: sections 1-3 only
"""

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--products", type=int, default=10000)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--races", type=int, default=200)
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--no-odoo-sales", dest="odoo_sales", action="store_false",
                        help="race the two marketplaces only, without a salesperson's order")
    parser.add_argument("--skip-push", action="store_true", help="skip the stock-change latency part (2.)")
    parser.add_argument("--only-prices", action="store_true", help="stop after the pricelist change")
    parser.add_argument("--jitter", type=float, default=0.3,
                        help="each contender of a race round starts after a random delay of up to this many "
                             "seconds (seeded)")
    parser.add_argument("--head-start", type=float, default=1.0,
                        help="every third round the salesperson starts this many seconds before the imports "
                             "(an import locks the unit early, a sale order confirmation late: without a head start "
                             "the imports would always be first)")
    args = parser.parse_args()

    import odoo
    from odoo.tools import config

    from tests.bench.benchlib import odoo_addons_path

    addons_path = odoo_addons_path()
    bench_db = f"{args.db}_mpbench_{os.getpid()}"
    subprocess.run(["createdb", "-T", args.db, bench_db], check=True)
    server = None
    try:
        config.parse_config(["-d", bench_db, f"--addons-path={addons_path}", "--log-level=warn"])
        from odoo.addons.marketplace_connector.tools.prom_api import PromApi
        from odoo.addons.marketplace_connector.tools.rozetka_api import RozetkaApi

        from tests.fakes.prom import PREFIX, PromFake
        from tests.fakes.rozetka import RozetkaFake

        prom, rozetka = PromFake().start(), RozetkaFake().start()
        rozetka.per_page = 500
        registry = odoo.modules.registry.Registry(bench_db)
        n = args.products
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            env.ref("marketplace_connector.ir_cron_marketplace_import_orders").active = False
            warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
            stock_location_id = warehouse.lot_stock_id.id
            t0 = time.perf_counter()
            products = env["product.product"].create([
                {"name": f"Bench {i}", "default_code": f"B-{i}", "is_storable": True, "list_price": 10 + i % 90}
                for i in range(n)])
            env["stock.quant"].create([{"product_id": p.id, "location_id": stock_location_id,
                                        "quantity": 50} for p in products])
            pricelist = env["product.pricelist"].create({"name": "Bench marketplace prices"})
            channels = env["marketplace.channel"].create([
                {"name": "Bench Prom", "channel_type": "prom", "api_token": "prom-token",
                 "base_url": prom.url + PREFIX, "warehouse_id": warehouse.id, "pricelist_id": pricelist.id},
                {"name": "Bench Rozetka", "channel_type": "rozetka", "login": "seller", "password": "pa$$",
                 "base_url": rozetka.url, "warehouse_id": warehouse.id, "pricelist_id": pricelist.id},
            ])
            for i, product in enumerate(products):
                prom.add_product(i + 1, sku=product.default_code)
                rozetka.add_item(i + 1, article=product.default_code)
            env["marketplace.offer"].create([
                {"channel_id": channel.id, "product_id": p.id, "external_id": str(i + 1), "sku": p.default_code}
                for channel in channels for i, p in enumerate(products)])
            cr.commit()
            print(f"setup: {n} products, {2 * n} offers in {time.perf_counter() - t0:.1f}s")

            # 1. full push
            prom.reset()
            rozetka.reset()
            t0 = time.perf_counter()
            for channel in channels:
                channel.action_full_resync()
            cr.commit()
            wall = time.perf_counter() - t0
            pushed = sum(1 for p in prom.products.values() if p.get("quantity_in_stock") == 50)
            pushed += sum(1 for i in rozetka.items.values() if i.get("stock_quantity") == 50)
            print(f"full push: {pushed} offers on 2 channels in {wall:.2f}s ({pushed / wall:.0f} offers/s), "
                  f"API calls: Prom {len(prom.requests)}, Rozetka {len(rozetka.requests)}")
            prom_channel, rozetka_channel = channels
            first = products[0]

        # 2. one stock change with a running server (its cron thread is woken by the trigger)
        if args.skip_push:
            args.changes = 0
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "odoo", "-d", bench_db, f"--addons-path={addons_path}",
             f"--http-port={port}", "--http-interface=127.0.0.1", "--max-cron-threads=1", "--workers=0",
             "--log-level=info", f"--db-filter=^{bench_db}$", f"--logfile=/tmp/{bench_db}_server.log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(8)
        latencies = []
        for step in range(args.changes):
            prom.received.clear()
            rozetka.received.clear()
            expected = 50 + step + 1
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                product = env["product.product"].browse(first.id)
                env["stock.quant"]._update_available_quantity(
                    product, env["stock.location"].browse(stock_location_id), 1)
                cr.commit()
                t0 = time.perf_counter()
            deadline = t0 + 90
            got = {"prom": None, "rozetka": None}
            while time.perf_counter() < deadline and None in got.values():
                if got["prom"] is None and prom.products[1].get("quantity_in_stock") == expected:
                    got["prom"] = time.perf_counter() - t0
                if got["rozetka"] is None and rozetka.items[1].get("stock_quantity") == expected:
                    got["rozetka"] = time.perf_counter() - t0
                time.sleep(0.01)
            latencies.append(max(v if v is not None else float("inf") for v in got.values()))
            print(f"stock change {step + 1}: Prom after {got['prom']}s, Rozetka after {got['rozetka']}s")
        if latencies:
            print(f"stock change -> both channels: median {statistics.median(latencies):.2f}s, "
                  f"max {max(latencies):.2f}s over {len(latencies)} changes (server cron woken by trigger)")

        # 3. a pricelist change touching every product, pushed by the server's cron
        if not args.skip_push:  # (like 2.) needs the server's cron
            prom.reset()
            rozetka.reset()
            expected = {i + 1: round((10 + i % 90) * 0.9, 2) for i in range(n)}
            with registry.cursor() as cr:
                env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                t_mark = time.perf_counter()
                env["product.pricelist.item"].create({
                    "pricelist_id": pricelist.id, "applied_on": "3_global", "compute_price": "percentage",
                    "percent_price": 10})
                env.flush_all()
                cr.flush()  # the queued (product, channel) rows are written here, as at commit
                cr.execute("SELECT count(*) FROM marketplace_stock_event")
                event_rows = cr.fetchone()[0]
                mark = time.perf_counter() - t_mark
                cr.commit()
                t0 = time.perf_counter()
            deadline = t0 + 600
            done = {"prom": None, "rozetka": None}
            while time.perf_counter() < deadline and None in done.values():
                if done["prom"] is None and all(
                        prom.products[k].get("price") == v for k, v in expected.items()):
                    done["prom"] = time.perf_counter() - t0
                if done["rozetka"] is None and all(
                        rozetka.items[k].get("price") == int(round(v)) for k, v in expected.items()):
                    done["rozetka"] = time.perf_counter() - t0
                time.sleep(0.2)
            prom_calls = len(prom.requests_to(PREFIX + "/products/edit"))
            rozetka_calls = len(rozetka.requests_to("/items/mass-update"))
            print(f"pricelist change on {n} products: marked in the user's transaction in {mark:.2f}s "
                  f"({event_rows} event rows); all new prices at Prom after {done['prom']}s, at Rozetka after "
                  f"{done['rozetka']}s; API calls: Prom {prom_calls} products/edit, Rozetka {rozetka_calls} "
                  f"items/mass-update (+{len(rozetka.requests) - rozetka_calls} other)")
        if args.only_prices:
            return
        server.terminate()
        server.wait(30)
        server = None

        # 4. order import rate
        now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        for oid in range(1, args.orders + 1):
            i = oid % n
            prom.add_order(oid, [{"id": i + 1, "sku": f"B-{i}", "name": "x", "quantity": 1, "price": 10.0}],
                           phone=f"+38067{oid:07d}", date=now)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            channel = env["marketplace.channel"].browse(prom_channel.id)
            t0 = time.perf_counter()
            results = channel._import_orders()
            cr.commit()
            wall = time.perf_counter() - t0
            print(f"order import: {len(results)} orders in {wall:.2f}s = {len(results) / wall:.1f} orders/s "
                  f"({sum(1 for r in results if r.sale_order_id)} confirmed sale orders)")

        # 5. last-unit race
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            race_products = env["product.product"].create([
                {"name": f"Last unit {r}", "default_code": f"L-{r}", "is_storable": True} for r in range(args.races)])
            env["stock.quant"].create([{"product_id": p.id, "location_id": stock_location_id,
                                        "quantity": 1} for p in race_products])
            env["marketplace.offer"].create([
                {"channel_id": c, "product_id": p.id, "external_id": str(100000 + r), "sku": p.default_code}
                for c in (prom_channel.id, rozetka_channel.id) for r, p in enumerate(race_products)])
            cr.commit()
        for r in range(args.races):
            prom.add_product(100000 + r, sku=f"L-{r}")
            rozetka.add_item(100000 + r, article=f"L-{r}")
        from odoo.service.model import retrying

        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            customer_id = env["res.partner"].create({"name": "Bench walk-in customer"}).id
            salesman_id = env.ref("base.user_demo", raise_if_not_found=False).id or odoo.SUPERUSER_ID
            # the salesperson's quotations are ready: each round only confirms one (the reservation then lands
            # at the same moment as the imports', which a quotation created inside the round would miss)
            quotations = env["sale.order"].with_user(salesman_id).create([{
                "partner_id": customer_id, "warehouse_id": warehouse.id,
                "order_line": [(0, 0, {"product_id": p.id, "product_uom_qty": 1})]} for p in race_products]).ids
            cr.commit()
        rng = random.Random(20261203)
        oversells = conflicts = odoo_reserved = marketplace_reserved = 0
        conflict_samples = []
        t0 = time.perf_counter()
        for r, product in enumerate(race_products):
            prom.add_order(500000 + r, [{"id": 100000 + r, "sku": f"L-{r}", "name": "x", "quantity": 1, "price": 1.0}],
                           date=now)
            rozetka.add_order(500000 + r, [{"item_id": 100000 + r, "quantity": 1, "price": 1, "article": f"L-{r}"}])
            prom_order = PromApi._parse_order(prom.orders[500000 + r])
            rozetka_order = RozetkaApi._parse_order(rozetka.orders[500000 + r])
            contenders = 3 if args.odoo_sales else 2
            barrier = threading.Barrier(contenders)
            errors = []

            delays = [rng.uniform(0, args.jitter) for _i in range(3)]
            if args.odoo_sales and r % 3 == 2:
                delays[0] += args.head_start
                delays[1] += args.head_start

            def run(channel_id, order, delay, barrier=barrier, errors=errors):
                try:
                    with registry.cursor() as cr:
                        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
                        barrier.wait()
                        time.sleep(delay)
                        env["marketplace.channel"].browse(channel_id)._import_order_committed(order)
                except Exception as error:  # reported, counted
                    errors.append(error)

            def sell(order_id, delay, barrier=barrier, errors=errors):
                try:
                    with registry.cursor() as cr:
                        env = odoo.api.Environment(cr, salesman_id, {})
                        barrier.wait()
                        time.sleep(delay)

                        def confirm():
                            env["sale.order"].browse(order_id).action_confirm()

                        retrying(confirm, env)
                        cr.commit()
                except Exception as error:  # reported, counted
                    errors.append(error)

            threads = [threading.Thread(target=run, args=(prom_channel.id, prom_order, delays[0])),
                       threading.Thread(target=run, args=(rozetka_channel.id, rozetka_order, delays[1]))]
            if args.odoo_sales:
                threads.append(threading.Thread(target=sell, args=(quotations[r], delays[2])))
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            conflicts += len(errors)
            conflict_samples.extend(repr(e)[:300] for e in errors)
            with registry.cursor() as cr:
                cr.execute("""SELECT COALESCE(sum(sml.quantity), 0), COALESCE(sum(sml.quantity) FILTER (
                                     WHERE so.marketplace_order_id IS NOT NULL), 0)
                                FROM stock_move_line sml JOIN stock_move sm ON sm.id = sml.move_id
                                LEFT JOIN sale_order_line sol ON sol.id = sm.sale_line_id
                                LEFT JOIN sale_order so ON so.id = sol.order_id
                               WHERE sml.product_id = %s AND sml.state NOT IN ('done', 'cancel')""", [product.id])
                reserved, by_marketplace = cr.fetchone()
            oversells += max(0, int(reserved) - 1)
            marketplace_reserved += int(by_marketplace)
            odoo_reserved += int(reserved) - int(by_marketplace)
        if conflict_samples:
            print("failed imports, first errors:", conflict_samples[:3])
        print(f"last-unit race: {args.races} rounds, {contenders} contenders each "
              f"(Prom import, Rozetka import{', salesperson order' if args.odoo_sales else ''}) "
              f"in {time.perf_counter() - t0:.1f}s, oversells: {oversells}, "
              f"unit won by a marketplace {marketplace_reserved}x, by the salesperson {odoo_reserved}x, "
              f"imports/sales that failed after retries: {conflicts}")
        prom.stop()
        rozetka.stop()
    finally:
        if server:
            server.terminate()
            server.wait(30)
        odoo.modules.registry.Registry.delete(bench_db)
        odoo.sql_db.close_db(bench_db)
        subprocess.run(["dropdb", "--if-exists", bench_db], check=False)


if __name__ == "__main__":
    main()
