#!/usr/bin/env python3
"""Nova Poshta benchmark: prints figures, asserts nothing.

1. N pickings -> waybills in one batch action: wall time, API calls, time spent in the fake (HTTP),
   and the module's own overhead per waybill (wall time minus HTTP time, divided by N).
2. Directory import of M branches (in ~M/80 cities) from the fake: wall time and peak Python memory,
   then a second, unchanged resync.

Runs against a database where nova_poshta is installed; everything it writes is rolled back.

    PYTHONPATH=. python3 tests/bench/nova_poshta_bench.py --db DB [--pickings 200] [--branches 40000]
"""

import argparse
import os
import sys
import threading
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--pickings", type=int, default=200)
    parser.add_argument("--branches", type=int, default=40000)
    parser.add_argument("--addons-path", default=None)
    args = parser.parse_args()

    import odoo
    from odoo.tools import config

    from tests.bench.benchlib import odoo_addons_path

    args.addons_path = args.addons_path or odoo_addons_path()
    config.parse_config(["-d", args.db, f"--addons-path={args.addons_path}", "--log-level=warn"])
    from odoo.addons.nova_poshta.tools import nova_poshta_api

    from tests.fakes.base import Fault
    from tests.fakes.nova_poshta import PATH, NovaPoshtaFake

    http_seconds = [0.0]
    original_call = nova_poshta_api.NovaPoshtaApi.call

    def timed_call(self, *a, **kw):
        start = time.perf_counter()
        try:
            return original_call(self, *a, **kw)
        finally:
            http_seconds[0] += time.perf_counter() - start

    nova_poshta_api.NovaPoshtaApi.call = timed_call
    key = "b" * 32
    registry = odoo.modules.registry.Registry(args.db)
    # everything is rolled back at the end: the waybill cron must not commit per picking as it does in
    # production (it skips its commits under tests, which is what this flag tells it)
    threading.current_thread().testing = True
    with NovaPoshtaFake(api_key=key) as fake, registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["ir.config_parameter"].set_param("nova_poshta.api_url", fake.url + PATH)
        if "stock_move_sms_validation" in env.company._fields:  # no SMS to customers from a benchmark
            env.company.stock_move_sms_validation = False
        fake.add_city("c-kyiv", "Київ")
        fake.add_city("c-lviv", "Львів")
        fake.add_warehouse("w-kyiv", "c-kyiv", 1)
        fake.add_warehouse("w-lviv", "c-lviv", 2)
        product = env["product.product"].create({"name": "NP bench delivery", "type": "service"})
        carrier = env["delivery.carrier"].create({
            "name": "NP bench", "delivery_type": "nova_poshta", "product_id": product.id,
            "nova_poshta_api_key": key, "nova_poshta_sender_phone": "380501112233",
            "nova_poshta_cod_mode": "backward", "integration_level": "rate",
        })
        env["nova_poshta.city"]._nova_poshta_sync(carrier)
        city = env["nova_poshta.city"].search([("ref", "=", "c-lviv")])
        carrier.write({
            "nova_poshta_sender_city_id": env["nova_poshta.city"].search([("ref", "=", "c-kyiv")]).id,
            "nova_poshta_sender_warehouse_id": env["nova_poshta.warehouse"].search([("ref", "=", "w-kyiv")]).id,
        })
        carrier.action_nova_poshta_test_connection()
        item = env["product.product"].create({"name": "Bench item", "is_storable": True, "weight": 0.8,
                                             "list_price": 900})
        env["stock.quant"]._update_available_quantity(item, env.ref("stock.stock_location_stock"), 10 ** 6)
        partners = env["res.partner"].create([{
            "name": f"Покупець{i} Тест", "mobile": f"+38067{i:07d}", "nova_poshta_city_id": city.id,
            "nova_poshta_warehouse_id": env["nova_poshta.warehouse"].search([("ref", "=", "w-lviv")]).id,
        } for i in range(args.pickings)])
        def ship(label):
            orders = env["sale.order"].create([{
                "partner_id": p.id, "carrier_id": carrier.id,
                "order_line": [(0, 0, {"product_id": item.id, "product_uom_qty": 1})]} for p in partners])
            orders.action_confirm()
            pickings = orders.picking_ids
            for move in pickings.move_ids:
                move.quantity = move.product_uom_qty
            pickings.move_ids.picked = True
            pickings._action_done()
            env.flush_all()

            fake.reset()
            http_seconds[0] = 0.0
            start = time.perf_counter()
            pickings.action_nova_poshta_create_waybills()  # queues them (no call)
            env.flush_all()
            queued = time.perf_counter() - start
            # what runs right after the click commits: the waybill cron, in batches
            while env["stock.picking"].search_count(env["stock.picking"]._nova_poshta_waybill_due_domain()):
                env["stock.picking"]._cron_nova_poshta_create_waybills()
            env.flush_all()
            wall = time.perf_counter() - start
            print(f"waybills ({label}): {len(pickings)} queued by the click in {queued * 1000:.0f} ms")
            created = len(pickings.filtered("nova_poshta_number"))
            calls = len(fake.requests)
            print(f"waybills ({label}): {created}/{len(pickings)} created in {wall:.2f}s "
                  f"({created / wall:.1f}/s), {calls} API calls ({calls / max(created, 1):.2f} per waybill)")
            print(f"waybills ({label}): time in the fake (HTTP) {http_seconds[0]:.2f}s; module overhead "
                  f"{(wall - http_seconds[0]) / max(created, 1) * 1000:.1f} ms per waybill")

        # first orders of new customers (recipient counterparty saved once each), then the same customers
        # again (the counterparty and contact are reused: one InternetDocument.save per waybill)
        ship("new customers")
        ship("repeat customers")

        # validation while Nova Poshta hangs (every call would wait for the client timeout): the waybills are
        # queued, the validation does not call Nova Poshta at all
        carrier.integration_level = "rate_and_ship"
        orders = env["sale.order"].create([{
            "partner_id": p.id, "carrier_id": carrier.id,
            "order_line": [(0, 0, {"product_id": item.id, "product_uom_qty": 1})]} for p in partners])
        orders.action_confirm()
        pickings = orders.picking_ids
        pickings.picking_type_id.print_label = True
        for move in pickings.move_ids:
            move.quantity = move.product_uom_qty
        pickings.move_ids.picked = True
        fake.reset()
        fake.fail_next(Fault.timeout(60), times=10 ** 6)
        start = time.perf_counter()
        pickings._action_done()
        env.flush_all()
        wall = time.perf_counter() - start
        queued = len(pickings.filtered(lambda p: p.nova_poshta_waybill_state == "queued"))
        print(f"validation while Nova Poshta hangs: {len(pickings)} deliveries validated in {wall:.2f}s "
              f"({wall / len(pickings) * 1000:.1f} ms each), {len(fake.requests)} API calls, {queued} waybills queued")
        fake.reset()

        # directory import
        fake.cities.clear()
        fake.warehouses.clear()
        n_cities = max(1, args.branches // 80)
        for c in range(n_cities):
            fake.add_city(f"city-{c}", f"Місто {c}")
        for w in range(args.branches):
            fake.add_warehouse(f"wh-{w}", f"city-{w % n_cities}", w + 1,
                               category="Postomat" if w % 3 == 0 else "Branch")
        fake.reset()
        tracemalloc.start()
        start = time.perf_counter()
        summary = env["nova_poshta.city"]._nova_poshta_sync(carrier)
        env.flush_all()
        wall = time.perf_counter() - start
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"directory: {args.branches} branches in {n_cities} cities imported in {wall:.2f}s "
              f"(with tracemalloc on), {len(fake.requests)} API calls, peak Python memory {peak / 2**20:.1f} MiB; "
              f"{summary['cities']} cities, {summary['warehouses']} branches; created {summary['created']}, "
              f"updated {summary['updated']}, archived {summary['archived']}")
        Warehouse = env["nova_poshta.warehouse"]
        env.invalidate_all()
        queries = ["12", "3456", "Відділення №789", "вул. Тестова, 20001", "Місто 42"]
        start = time.perf_counter()
        rounds = 20
        for _i in range(rounds):
            for query in queries:
                Warehouse.name_search(query, limit=8)
        per_call = (time.perf_counter() - start) / (rounds * len(queries)) * 1000
        print(f"directory: branch name_search over {args.branches} branches: {per_call:.1f} ms per call "
              f"(number, name, address queries; limit 8)")
        start = time.perf_counter()
        summary = env["nova_poshta.city"]._nova_poshta_sync(carrier)
        env.flush_all()
        print(f"directory: unchanged resync in {time.perf_counter() - start:.2f}s, "
              f"created {summary['created']}, updated {summary['updated']}, archived {summary['archived']}")
        cr.rollback()
    with registry.cursor() as cr:
        cr.execute("DELETE FROM nova_poshta_attempt WHERE client_ref LIKE %s", ["%/%"])


if __name__ == "__main__":
    main()
