#!/usr/bin/env python3
"""Checkbox (PRRO) benchmark: prints figures, asserts nothing.

N customer invoices are posted and paid in a fiscal cash journal (each payment queues its receipt in the
payment's transaction), then the send cron runs - with its real commits, as in production - against the
Checkbox fake, which drops the answer of DROP % of the sells *after* storing the receipt. Printed:
wall time of the cron, time in HTTP (client side) and in polling pauses, module overhead per receipt
(wall - HTTP - polling pauses) / N, API calls per receipt, and duplicate receipts at "Checkbox" (must be 0).

It COMMITS what it creates: run it on a scratch copy of a database where prro_checkbox is installed:

    /work/tools/newdb.sh i12_bench && odoo -d i12_bench -i prro_checkbox --stop-after-init
    PYTHONPATH=. python3 tests/bench/checkbox_bench.py --db i12_bench [--invoices 500] [--drop 0.1]
"""

import argparse
import collections
import os
import re
import sys
import time

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--drop", type=float, default=0.10)
    parser.add_argument("--process-delay", type=float, default=0.02, help="seconds Checkbox takes to fiscalize")
    parser.add_argument("--addons-path", default=None)
    parser.add_argument("--profile", action="store_true", help="print the cron phase's cProfile top 30")
    args = parser.parse_args()

    import odoo
    from odoo.tools import config

    from tests.bench.benchlib import odoo_addons_path

    args.addons_path = args.addons_path or odoo_addons_path()
    config.parse_config(["-d", args.db, f"--addons-path={args.addons_path}", "--log-level=warn"])
    from odoo import Command

    from odoo.addons.prro_checkbox.tools import checkbox_api

    from tests.fakes.checkbox import PREFIX, CheckboxFake

    stats = collections.Counter()
    original_request = checkbox_api.CheckboxApi._request
    original_sleep = checkbox_api.CheckboxApi._sleep

    def timed_request(self, *a, **kw):
        start = time.perf_counter()
        try:
            return original_request(self, *a, **kw)
        finally:
            if not kw.get("_renewed"):
                stats["http"] += time.perf_counter() - start

    def counted_sleep(self, seconds):
        stats["sleep"] += seconds
        return original_sleep(self, seconds)

    checkbox_api.CheckboxApi._request = timed_request
    checkbox_api.CheckboxApi._sleep = counted_sleep
    registry = odoo.modules.registry.Registry(args.db)
    with CheckboxFake(process_delay=args.process_delay) as fake, registry.cursor() as cr:
        fake.add_cashier("bench", "bench-pw")
        fake.add_register("bench-license")
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["ir.config_parameter"].set_param("prro_checkbox.api_url", fake.url + PREFIX)
        env["ir.config_parameter"].set_param("prro_checkbox.timeout", "5")
        env["ir.config_parameter"].set_param("prro_checkbox.batch_size", str(args.invoices + 10))
        env["prro.cash.register"].search([]).active = False
        register = env["prro.cash.register"].create({
            "name": "Bench register", "license_key": "bench-license", "cashier_login": "bench",
            "cashier_password": "bench-pw", "send_email": True})
        tax = env["account.tax"].create({"name": "Bench VAT 20%", "amount": 20, "type_tax_use": "sale"})
        register._prro_load_taxes(register._prro_api())
        register.tax_mapping_ids.filtered(lambda m: m.checkbox_code == 1).tax_ids = tax
        journal = env["account.journal"].search([("type", "=", "cash"), ("company_id", "=", env.company.id)],
                                                limit=1)
        journal.write({"prro_payment_type": "cash", "prro_cash_register_id": register.id})
        partner = env["res.partner"].create({"name": "Bench customer", "email": "bench@example.com"})
        products = env["product.product"].create([
            {"name": f"Bench good {i}", "default_code": f"B-{i}", "list_price": 10 + i, "taxes_id": [Command.set(tax.ids)]}
            for i in range(5)])
        cr.commit()
        started = time.perf_counter()
        invoices = env["account.move"].create([{
            "move_type": "out_invoice", "partner_id": partner.id,
            "invoice_line_ids": [Command.create({"product_id": p.id, "quantity": 1 + (n + i) % 3,
                                                 "price_unit": 10.5 + i, "discount": 5 if i == 0 else 0,
                                                 "tax_ids": [Command.set(tax.ids)]}) for i, p in enumerate(products)],
        } for n in range(args.invoices)])
        invoices.action_post()
        env["account.payment.register"].with_context(active_model="account.move", active_ids=invoices.ids).create(
            {"journal_id": journal.id, "group_payment": False})._create_payments()
        cr.commit()
        prepare = time.perf_counter() - started
        receipts = invoices.prro_receipt_ids
        print(f"prepared {len(invoices)} paid invoices, {len(receipts)} receipts queued in {prepare:.1f}s")

        fake.reset()
        fake.drop_ratio(args.drop)
        fake.time_in_handlers = 0.0
        Receipt = env["prro.receipt"]
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        runs = 0
        while True:
            runs += 1
            handled = Receipt._cron_send()
            cr.commit()
            pending = Receipt.search_count([("id", "in", receipts.ids), ("state", "in", ("to_send", "sending"))])
            if not pending or runs > 20:
                break
            if not handled:  # only receipts waiting for their next try: make them due (bench only)
                Receipt.search([("id", "in", receipts.ids), ("state", "in", ("to_send", "sending"))]).write(
                    {"next_try": False})
                cr.commit()
        wall = time.perf_counter() - started
        if profiler:
            import pstats

            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        env.invalidate_all()
        states = collections.Counter(receipts.mapped("state"))
        per_header = collections.Counter(r["header"] for r in fake.sells() if r.get("header"))
        duplicates = sum(count - 1 for count in per_header.values() if count > 1)
        dropped = sum(1 for r in fake.requests if r.path == PREFIX + "/receipts/sell") - len(fake.sells())
        n = len(receipts)
        print(f"cron runs: {runs}; receipts: {dict(states)}")
        print(f"Checkbox stored {len(fake.sells())} sale receipts for {n} invoices; duplicates: {duplicates}; "
              f"answers dropped after storing: {fake.dropped}")
        print(f"wall {wall:.2f}s ({n / wall:.1f} receipts/s); HTTP {stats['http']:.2f}s "
              f"(fake handlers {fake.time_in_handlers:.2f}s); polling pauses {stats['sleep']:.2f}s")
        print(f"module overhead per receipt: {(wall - stats['http'] - stats['sleep']) / n * 1000:.1f} ms "
              f"(wall - HTTP - polling pauses); wall per receipt {wall / n * 1000:.1f} ms")
        calls = collections.Counter(f"{r.method} {re.sub(UUID, '{id}', r.path[len(PREFIX):])}" for r in fake.requests)
        print(f"API calls per receipt: {len(fake.requests) / n:.2f} ({dict(calls)}); sells re-posted: {dropped}")


if __name__ == "__main__":
    main()
