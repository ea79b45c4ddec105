#!/usr/bin/env python3
"""Order pipeline benchmark: N marketplace orders through the whole flow. Prints figures, asserts nothing.

Works on a throw-away copy of DB (a database with the five modules and their bridges installed), dropped at
the end, against the local fakes of Prom, Rozetka, Nova Poshta and Telegram (and Checkbox when the PRRO
bridges are installed). Half the orders come from Rozetka with automatic waybills, half from Prom with the
"Create waybill" click; half the customers talk to the shop's Telegram bot, the others get e-mails.

For each stage: wall time (total and per order); API calls per order to each service; manual steps left per
order (target: 0 with automatic waybills, 1 without).

    PYTHONPATH=. python3 tests/bench/pipeline_bench.py --db DB [--orders 500]
"""

import argparse
import collections
import os
import subprocess
import sys
import time
from datetime import timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--orders", type=int, default=500)
    args = parser.parse_args()

    import odoo
    from odoo.tools import config

    from tests.bench.benchlib import odoo_addons_path

    bench_db = f"{args.db}_flowbench_{os.getpid()}"
    subprocess.run(["createdb", "-T", args.db, bench_db], check=True)
    fakes = []
    try:
        config.parse_config(["-d", bench_db, f"--addons-path={odoo_addons_path()}", "--log-level=warn"])
        from odoo import fields

        from tests.fakes.checkbox import PREFIX as CHECKBOX_PREFIX
        from tests.fakes.checkbox import CheckboxFake
        from tests.fakes.nova_poshta import PATH, NovaPoshtaFake
        from tests.fakes.prom import PREFIX, PromFake
        from tests.fakes.rozetka import RozetkaFake
        from tests.fakes.telegram import TelegramFake

        token = "4242:bench-token"
        np_fake, prom, rozetka, tg = (NovaPoshtaFake(api_key="b" * 32).start(), PromFake().start(),
                                      RozetkaFake().start(), TelegramFake(tokens=(token,)).start())
        checkbox = CheckboxFake().start()
        checkbox.add_cashier("bench", "bench-secret")
        checkbox.add_register("lic-bench", fiscal_number="4000555001")
        fakes = [np_fake, prom, rozetka, tg, checkbox]
        rozetka.per_page = 100
        np_fake.add_city("city-kyiv", "Київ")
        np_fake.add_city("city-lviv", "Львів", "Львівська")
        for number in range(1, 51):
            np_fake.add_warehouse(f"wh-kyiv-{number}", "city-kyiv", number)
            np_fake.add_warehouse(f"wh-lviv-{number}", "city-lviv", number)
        registry = odoo.modules.registry.Registry(bench_db)
        n = args.orders
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            installed = set(env["ir.module.module"].search([("state", "=", "installed")]).mapped("name"))
            for xmlid in ("marketplace_connector.ir_cron_marketplace_import_orders",
                          "marketplace_connector.ir_cron_marketplace_push_stock"):
                cron = env.ref(xmlid, raise_if_not_found=False)
                if cron:
                    cron.active = False
            env["stock.picking"].search(env["stock.picking"]._nova_poshta_open_domain()).write(
                {"nova_poshta_state": "delivered"})
            env["chatbot.message"].search([("state", "=", "queued")]).state = "cancelled"
            params = env["ir.config_parameter"].sudo()
            params.set_param("nova_poshta.api_url", np_fake.url + PATH)
            params.set_param("crm_chatbot_leads.per_chat_interval", "0")
            env.company.stock_move_email_validation = False
            if "stock_move_sms_validation" in env.company._fields:
                env.company.stock_move_sms_validation = False  # no SMS through IAP from a benchmark
            fiscal = "prro_checkbox" in installed
            if fiscal:
                params.set_param("prro_checkbox.api_url", checkbox.url + CHECKBOX_PREFIX)
                env["prro.cash.register"].search([]).active = False
                env["prro.cash.register"].create({
                    "name": "Bench register", "license_key": "lic-bench", "cashier_login": "bench",
                    "cashier_password": "bench-secret", "company_id": env.company.id, "close_time": 23.99})
            uah = env.ref("base.UAH")
            uah.active = True
            carrier = env["delivery.carrier"].create({
                "name": "NP bench", "delivery_type": "nova_poshta", "integration_level": "rate_and_ship",
                "product_id": env["product.product"].create({"name": "NP", "type": "service"}).id,
                "nova_poshta_api_key": "b" * 32, "nova_poshta_sender_phone": "+380501112233",
                "nova_poshta_cod_mode": "backward"})
            env["delivery.carrier"].search([("delivery_type", "=", "nova_poshta"), ("id", "!=", carrier.id)]
                                           ).active = False
            env["nova_poshta.city"]._nova_poshta_sync(carrier)
            kyiv = env["nova_poshta.city"].search([("ref", "=", "city-kyiv")])
            carrier.write({"nova_poshta_sender_city_id": kyiv.id, "nova_poshta_sender_warehouse_id":
                           env["nova_poshta.warehouse"].search([("ref", "=", "wh-kyiv-1")]).id})
            carrier.action_nova_poshta_test_connection()
            warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
            common = {"warehouse_id": warehouse.id, "currency_id": uah.id, "nova_poshta_carrier_id": carrier.id}
            prom_channel = env["marketplace.channel"].create(dict(
                common, name="Bench Prom", channel_type="prom", api_token="prom-token", base_url=prom.url + PREFIX))
            rozetka_channel = env["marketplace.channel"].create(dict(
                common, name="Bench Rozetka", channel_type="rozetka", login="seller", password="pa$$",
                base_url=rozetka.url, nova_poshta_auto_waybill=True))
            products = env["product.product"].create([
                {"name": f"Flow {i}", "default_code": f"FLOW-{i}", "is_storable": True, "list_price": 100,
                 "weight": 0.5, "taxes_id": False} for i in range(20)])
            for product in products:
                env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 10 * n)
            for i, product in enumerate(products):
                prom.add_product(10000 + i, sku=product.default_code, name=product.name)
                rozetka.add_item(20000 + i, article=product.default_code, name=product.name)
            prom_channel.action_import_offers()
            rozetka_channel.action_import_offers()
            bot = env["chatbot.bot"].create({"name": "Bench TG", "channel": "telegram", "token": token,
                                             "api_base_url": f"{tg.url}/bot"})
            conversations = {}
            for k in range(n):
                phone = f"+38067{1000000 + k:07d}"
                if k % 2 == 0:  # half the customers talk to the bot
                    conversations[phone] = env["chatbot.conversation"].create({
                        "bot_id": bot.id, "company_id": env.company.id, "chat_id": str(800000 + k),
                        "state": "open", "phone": phone, "last_message_date": fields.Datetime.now()})
                product = k % 20
                if k < n // 2:
                    rozetka.add_order(30000 + k, [{"item_id": 20000 + product, "name": f"Flow {product}",
                                                   "quantity": 1, "price": 100, "article": f"FLOW-{product}"}],
                                      phone=phone[1:], user_title={"full_name": f"Коваль Іван{k}"},
                                      delivery={"delivery_service_name": "Нова Пошта", "place_number": str(1 + k % 50),
                                                "city": {"name_ua": "Київ"}},
                                      payment={"payment_method_name": "Оплата при отриманні"
                                               if k % 4 < 2 else "Rozetka Pay"}, is_payed=k % 4 >= 2)
                else:
                    prom.add_order(40000 + k, [{"id": 10000 + product, "sku": f"FLOW-{product}",
                                                "name": f"Flow {product}", "quantity": 1, "price": 100}],
                                   phone=phone, email=f"buyer{k}@example.com",
                                   delivery_address=f"Львів, Відділення №{1 + k % 50}",
                                   delivery_provider_data={"provider": "nova_poshta",
                                                           "recipient_warehouse_id": str(1 + k % 50)})
            cr.commit()
            for fake in fakes:
                fake.requests.clear()

            timings = collections.OrderedDict()
            calls = collections.OrderedDict()
            manual = collections.Counter()

            def stage(name, func):
                before = {f: len(f.requests) for f in fakes}
                t0 = time.perf_counter()
                func()
                env.cr.commit()
                timings[name] = time.perf_counter() - t0
                calls[name] = {label: len(f.requests) - before[f]
                               for label, f in zip(("nova_poshta", "prom", "rozetka", "telegram", "checkbox"), fakes,
                                                   strict=True)}
                env.invalidate_all()

            Picking = env["stock.picking"]

            def import_orders():
                for channel in (rozetka_channel, prom_channel):
                    channel._import_orders(commit_each=True)
                send_statuses()  # 'confirmed' to the marketplaces
                env["chatbot.message"]._cron_send_outbound()

            def prepaid_receipts():
                send_receipts()

            def waybills():
                Picking._cron_marketplace_nova_poshta_flow(limit=n)  # automatic (Rozetka)
                for order in env["sale.order"].search([("marketplace_channel_id", "=", prom_channel.id),
                                                       ("flow_stage", "=", "ready")]):
                    order.action_np_create_waybill()  # the one click per Prom order
                    manual[order.marketplace_channel_id.name] += 1
                    env.cr.commit()

            Status = env["marketplace.order.status"]

            def send_statuses():
                while Status.search_count([("state", "=", "pending"), ("next_attempt", "<=", fields.Datetime.now())]):
                    Status._cron_send_status()
                    env.cr.commit()

            def send_receipts():
                if fiscal:
                    Receipt = env["prro.receipt"]
                    for _round in range(60):  # the cron works in batches of 50 and re-polls pending receipts
                        waiting = Receipt.search([("state", "in", ("to_send", "sending"))])
                        if not waiting:
                            break
                        waiting.write({"next_try": fields.Datetime.now(), "lease_until": False})
                        env.cr.commit()
                        Receipt._cron_send()
                        env.cr.commit()

            def status_back():
                Picking._cron_marketplace_nova_poshta_flow(limit=n)
                send_statuses()

            def tracking(code):
                def run():
                    for number in list(np_fake.statuses):
                        np_fake.set_status(number, code)
                    Picking.search(Picking._nova_poshta_open_domain()).write({"nova_poshta_checked_at": False})
                    while Picking._cron_nova_poshta_update_tracking():
                        env.cr.commit()
                        if not Picking.search_count(Picking._nova_poshta_open_domain() + [
                                ("nova_poshta_checked_at", "=", False)]):
                            break
                    env["chatbot.message"]._cron_send_outbound()
                    send_statuses()
                    if code == 11:
                        send_receipts()
                return run

            def rating():
                Picking.search([("np_delivered_at", "!=", False)]).write(
                    {"np_delivered_at": fields.Datetime.now() - timedelta(days=5)})
                env["sale.order"]._cron_np_ask_rating(limit=n)
                env.cr.commit()
                env["chatbot.message"]._cron_send_outbound()
                for k, conversation in enumerate(conversations.values()):
                    conversation._chatbot_on_text(f"⭐ {1 + k % 5}", None)
                env["chatbot.message"]._cron_send_outbound()

            stage("1 import + confirm + reserve + confirmed", import_orders)
            stage("1b prepaid orders fiscalized", prepaid_receipts)
            stage("2 waybills (auto Rozetka, click Prom)", waybills)
            stage("3 waybill number to marketplace", status_back)
            stage("4 NP took the parcel: done + customer told", tracking(5))
            stage("5 at the branch: customer told", tracking(7))
            stage("6 received: customer told", tracking(9))
            stage("7 COD paid out (+ fiscal receipt)", tracking(11))
            stage("8 rating asked + answered", rating)

            orders = env["sale.order"].search([("marketplace_order_id", "!=", False),
                                               ("marketplace_channel_id", "in",
                                                (prom_channel | rozetka_channel).ids)])
            stuck = orders.filtered("flow_stuck")
            print(f"\n== {len(orders)} orders through the flow (modules: "
                  f"{', '.join(sorted(m for m in installed if '_' in m and m.split('_')[0] in ('marketplace', 'nova', 'prro')))})")
            labels = ("nova_poshta", "prom", "rozetka", "telegram", "checkbox")
            print(f"{'stage':45} {'wall s':>8} {'ms/order':>9}   API calls per order "
                  "(NP / Prom / Rozetka / Telegram / Checkbox)")
            for name, seconds in timings.items():
                c = calls[name]
                print(f"{name:45} {seconds:8.1f} {1000 * seconds / max(len(orders), 1):9.1f}   "
                      + " / ".join(f"{c[k] / n:.2f}" for k in labels))
            total = sum(timings.values())
            totals = {k: sum(c[k] for c in calls.values()) for k in labels}
            print(f"{'total':45} {total:8.1f} {1000 * total / max(len(orders), 1):9.1f}   "
                  + " / ".join(f"{totals[k] / n:.2f}" for k in labels))
            by_stage = collections.Counter(orders.mapped("flow_stage"))
            print(f"flow stages at the end: {dict(by_stage)}; stuck: {len(stuck)}")
            print(f"waybills: {len(np_fake.documents)} for {len(orders)} orders (duplicates: "
                  f"{len(np_fake.documents) - len(orders.picking_ids.filtered('nova_poshta_number'))})")
            if fiscal:
                receipts = env["prro.receipt"].search([("sale_order_id", "in", orders.ids)])
                print(f"fiscal receipts: {len(receipts)} ({dict(collections.Counter(receipts.mapped('state')))}), "
                      f"at Checkbox: {len(checkbox.receipts)}; prepaid orders: "
                      f"{len(orders.filtered(lambda o: o.marketplace_order_id.paid_online))}, COD paid out: "
                      f"{len(orders.picking_ids.filtered('nova_poshta_cod_received'))}")
            rated = orders.filtered("np_rating")
            print(f"ratings: {len(rated)} (average {sum(rated.mapped('np_rating')) / max(len(rated), 1):.2f}); "
                  f"e-mails queued: {env['mail.mail'].search_count([('model', '=', 'stock.picking')])}; "
                  f"Telegram messages: {len(tg.sent)}")
            for channel in (rozetka_channel, prom_channel):
                count = len(orders.filtered(lambda o, c=channel: o.marketplace_channel_id == c))
                print(f"manual steps per order, {channel.name} ("
                      f"{'automatic' if channel.nova_poshta_auto_waybill else 'manual'} waybills): "
                      f"{manual[channel.name] / max(count, 1):.2f}")
    finally:
        for fake in fakes:
            fake.stop()
        odoo.modules.registry.Registry.delete(bench_db)
        odoo.sql_db.close_db(bench_db)
        subprocess.run(["dropdb", "--if-exists", bench_db], check=False)


if __name__ == "__main__":
    main()
