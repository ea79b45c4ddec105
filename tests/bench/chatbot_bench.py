#!/usr/bin/env python3
"""Benchmark of crm_chatbot_leads webhooks against a running Odoo (prints figures, asserts nothing).

1. (re)creates database ``cb_bench`` (from ``--template`` if given, e.g. a copy with crm/sale already
   installed, to save time) with crm_chatbot_leads (+ website_crm for the comparison) unless ``--reuse``;
2. starts the Telegram fake and points a bot at it (bot replies really go out through the queue);
3. starts Odoo on ``--port`` (8073) with one cron thread and posts ``--updates`` Telegram updates
   to the real webhook (per chat: /start with deep link, shared contact, request, follow-up),
   ``--concurrency`` chats in parallel, each chat's updates in order like Telegram does;
4. reports updates/s, p50/p95/p99 latency, leads created, replies delivered and the time to drain
   the outbound queue, first-response times;
5. posts the same number of requests to the built-in website contact form
   ``/website/form/crm.lead`` on the same server and reports the same figures.

    cd /work/main && PYTHONPATH=$PWD python3 tests/bench/chatbot_bench.py [--reuse] [--updates 1000]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.fakes.telegram import TelegramFake, contact_update, start_update, text_update  # noqa: E402

TOKEN = "700000:BENCH-token"
SECRET = "bench_secret-0123456789"


def sh(cmd):
    return subprocess.run(["bash", "-c", f"cd {ROOT} && source scripts/common.sh && {cmd}"],
                          check=True, capture_output=True, text=True).stdout


def addons_path():
    return sh("odoo_addons_path").strip()


def prepare_db(db, reuse, with_website, template=None):
    if reuse:
        return
    modules = "crm_chatbot_leads" + (",website_crm" if with_website else "")
    origin = f"from {template} " if template else ""
    print(f">> creating {db} {origin}and installing {modules} ...", flush=True)
    sh(f"dropdb --if-exists {db} && createdb {'-T ' + template if template else ''} {db} && "
       f"odoo_cmd -d {db} -i {modules} --stop-after-init --log-level=warn")


def odoo_env_run(db, code):
    """Run a snippet with `env` (superuser) in a short-lived odoo process; returns its JSON output."""
    script = f"""
import json, odoo
from odoo.tools import config
config.parse_config(['-c', {os.path.join(ROOT, 'odoo.conf')!r}, '--addons-path', {addons_path()!r},
                     '--data-dir', {os.path.expanduser('~/.local/share/Odoo')!r}, '--log-level', 'warn'])
registry = odoo.modules.registry.Registry({db!r})
with registry.cursor() as cr:
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {{}})
    result = None
{chr(10).join('    ' + line for line in code.strip().splitlines())}
    cr.commit()
print('@@' + json.dumps(result))
"""
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=ROOT)).stdout
    return json.loads(out.split("@@", 1)[1])


def percentile(values, pct):
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def report(title, latencies, elapsed, extra):
    ms = [x * 1000 for x in latencies]
    print(f"\n== {title}")
    print(f"   requests           : {len(latencies)} in {elapsed:.2f} s  ->  {len(latencies) / elapsed:.1f} req/s")
    print(f"   latency p50/p95/p99: {percentile(ms, 50):.1f} / {percentile(ms, 95):.1f} / {percentile(ms, 99):.1f} ms"
          f"   (mean {statistics.mean(ms):.1f} ms, max {max(ms):.1f} ms)")
    for key, value in extra.items():
        print(f"   {key:<19}: {value}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="cb_bench")
    parser.add_argument("--port", type=int, default=8073)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--reuse", action="store_true", help="keep the existing database")
    parser.add_argument("--template", help="database to copy instead of starting from an empty one")
    parser.add_argument("--no-website", action="store_true")
    args = parser.parse_args()

    prepare_db(args.db, args.reuse, not args.no_website, args.template)
    fake = TelegramFake(tokens=(TOKEN,)).start()
    setup = odoo_env_run(args.db, f"""
bot = env['chatbot.bot'].with_context(active_test=False).search([('name', '=', 'Bench bot')], limit=1)
if not bot:
    bot = env['chatbot.bot'].create({{'name': 'Bench bot', 'channel': 'telegram',
                                     'team_id': env.ref('sales_team.team_sales_department').id,
                                     'user_id': env.ref('base.user_admin').id}})
bot.write({{'token': {TOKEN!r}, 'api_base_url': {fake.url + '/bot'!r}, 'webhook_secret': {SECRET!r}, 'active': True}})
iap = env.ref('crm_iap_enrich.ir_cron_lead_enrichment', raise_if_not_found=False)
if iap:
    iap.active = False  # no IAP account in a sandbox: it would only log errors during the run
website = 'website_form_access' in env['ir.model']._fields and env['ir.model']._get('crm.lead').website_form_access
result = {{'route': bot.route_token, 'bot_id': bot.id, 'website': bool(website),
          'leads_before': env['crm.lead'].with_context(active_test=False).search_count([]),
          'chat_leads_before': env['crm.lead'].with_context(active_test=False).search_count([('chatbot_bot_id', '=', bot.id)])}}
""")
    print(f">> bot {setup['bot_id']} -> fake Telegram at {fake.url}; website_crm form available: {setup['website']}")

    cmd = [sys.executable, "-m", "odoo", "-c", os.path.join(ROOT, "odoo.conf"), f"--addons-path={addons_path()}",
           f"--data-dir={os.path.expanduser('~/.local/share/Odoo')}", "-d", args.db, f"--db-filter=^{args.db}$",
           f"--http-port={args.port}", "--http-interface=127.0.0.1", "--workers=0", "--max-cron-threads=1",
           "--log-level=warn", "--log-handler=odoo.addons.crm_chatbot_leads.models.chatbot_message:INFO"]
    server = subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT), stdout=subprocess.DEVNULL,
                              stderr=open("/tmp/chatbot_bench_server.log", "w"))
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(120):
            try:
                if requests.get(f"{base}/web/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(1)
        else:
            raise SystemExit("Odoo did not start, see /tmp/chatbot_bench_server.log")
        url = f"{base}/chatbot/telegram/{setup['route']}"
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        # warm-up (routing map, registry caches); not measured
        for i in range(5):
            requests.post(url, data=json.dumps(text_update(900000 + i, "warm up", update_id=int(time.time() * 1000) + i)),
                          headers=headers, timeout=30)
        time.sleep(3)
        fake.sent.clear()

        chats = max(1, args.updates // 4)
        run_id = int(time.time()) % 100000
        update_ids = iter(range(run_id * 10_000_000, run_id * 10_000_000 + 10_000_000))  # unique per run
        scripts = []
        for n in range(chats):
            chat = 10_000_000 + run_id * 1000 + n
            scripts.append([
                start_update(chat, payload="bench%d__wave_%d" % (run_id, n % 5), update_id=next(update_ids)),
                contact_update(chat, "38067%07d" % ((run_id * 1000 + n) % 10_000_000), update_id=next(update_ids)),
                text_update(chat, f"Потрібен товар №{n}: диван сірий, доставка Новою поштою",
                            update_id=next(update_ids)),
                text_update(chat, "І ще журнальний столик", update_id=next(update_ids)),
            ])
        chat_ids = [str(10_000_000 + run_id * 1000 + n) for n in range(chats)]
        latencies, errors = [], []
        lock = threading.Lock()

        def run_chat(updates):
            session = requests.Session()
            for update in updates:
                started = time.perf_counter()
                response = session.post(url, data=json.dumps(update, ensure_ascii=False).encode(), headers=headers,
                                        timeout=60)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200:
                        errors.append(response.status_code)

        print(f">> posting {chats * 4} updates ({chats} chats x 4) with {args.concurrency} chats in parallel ...",
              flush=True)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(run_chat, scripts))
        elapsed = time.perf_counter() - t0
        expected_replies = chats * 4
        drain_start = time.perf_counter()
        bench_chats = set(chat_ids)
        def delivered():
            return sum(1 for m in list(fake.sent) if str(m["chat_id"]) in bench_chats)
        last_count, last_change = -1, time.perf_counter()
        while delivered() < expected_replies and time.perf_counter() - drain_start < 300:
            count = delivered()
            if count != last_count:
                last_count, last_change = count, time.perf_counter()
            elif time.perf_counter() - last_change > 20:
                break  # nothing delivered for 20 s: stop waiting
            time.sleep(0.5)
        drained_after = last_change - t0 if delivered() < expected_replies else time.perf_counter() - t0
        stats = odoo_env_run(args.db, f"""
leads = env['crm.lead'].with_context(active_test=False).search([('chatbot_bot_id', '=', {setup['bot_id']}),
    ('chatbot_conversation_id.chat_id', 'in', {chat_ids!r})])
frt = sorted(leads.filtered('chatbot_first_response_date').mapped('chatbot_first_response_seconds'))
updates = env['chatbot.update'].search_count([('bot_id', '=', {setup['bot_id']})])
queued = env['chatbot.message'].search_count([('bot_id', '=', {setup['bot_id']}), ('state', '=', 'queued')])
conversations = env['chatbot.conversation'].search([('bot_id', '=', {setup['bot_id']}), ('chat_id', 'in', {chat_ids!r})])
delivered = env['chatbot.message'].search_count([('conversation_id', 'in', conversations.ids), ('state', '=', 'sent')])
failed = env['chatbot.message'].search_count([('bot_id', '=', {setup['bot_id']}), ('state', '=', 'failed')])
result = {{'leads': len(leads), 'frt': frt, 'updates': updates, 'queued': queued, 'failed': failed, 'delivered': delivered}}
""")
        frt = stats["frt"]
        report("Telegram webhook (/chatbot/telegram/<route>)", latencies, elapsed, {
            "non-200 answers": len(errors),
            "leads created": stats["leads"],
            "replies delivered": f"{delivered()} / {expected_replies} (queue drained {drained_after:.1f} s after "
                                 f"the first update; {stats['queued']} still queued, {stats['failed']} failed)",
            "first response": (f"p50 {percentile(frt, 50):.2f} s, p95 {percentile(frt, 95):.2f} s "
                               f"(/start -> welcome delivered, n={len(frt)})") if frt else "n/a",
        })

        # first answer at normal load: one new customer at a time, queue empty
        idle = []
        for n in range(10):
            chat = 20_000_000 + run_id * 100 + n
            before = len(fake.messages_to(chat))
            started = time.perf_counter()
            requests.post(url, data=json.dumps(start_update(chat, update_id=next(update_ids))), headers=headers,
                          timeout=30)
            while len(fake.messages_to(chat)) == before and time.perf_counter() - started < 30:
                time.sleep(0.005)
            idle.append(time.perf_counter() - started)
            time.sleep(0.5)
        print(f"   first answer, idle : p50 {percentile(idle, 50) * 1000:.0f} ms, max {max(idle) * 1000:.0f} ms "
              f"(new chat /start posted -> welcome received by the fake Telegram, 10 chats one by one)")

        if setup["website"] and not args.no_website:
            form_url = f"{base}/website/form/crm.lead"
            count = chats * 4
            form_latencies, form_errors = [], []

            def run_form(batch):
                session = requests.Session()
                for n in batch:
                    data = {"contact_name": f"Bench {n}", "phone": "+38067%07d" % n,
                            "email_from": f"bench{n}@example.com", "name": f"Website request {n}",
                            "description": "Потрібен диван сірий"}
                    started = time.perf_counter()
                    response = session.post(form_url, data=data, timeout=60)
                    elapsed_one = time.perf_counter() - started
                    with lock:
                        form_latencies.append(elapsed_one)
                        if response.status_code != 200 or "error" in response.text:
                            form_errors.append(response.text[:200])

            batches = [list(range(i, count, args.concurrency)) for i in range(args.concurrency)]
            form_before = odoo_env_run(args.db, "result = env['crm.lead'].with_context(active_test=False)"
                                                ".search_count([('name', '=like', 'Website request %')])")
            run_form([count])  # warm-up
            form_before += 1
            form_latencies.clear()
            t0 = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                list(pool.map(run_form, batches))
            form_elapsed = time.perf_counter() - t0
            after = odoo_env_run(args.db, "result = env['crm.lead'].with_context(active_test=False).search_count("
                                          "[('name', '=like', 'Website request %')])")
            report("website_crm contact form (/website/form/crm.lead)", form_latencies, form_elapsed, {
                "errors": f"{len(form_errors)}" + (f" e.g. {form_errors[0]}" if form_errors else ""),
                "leads created": after - form_before,
            })
        else:
            print("\n(website_crm form not measured: not installed or --no-website)")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        fake.stop()


if __name__ == "__main__":
    main()
