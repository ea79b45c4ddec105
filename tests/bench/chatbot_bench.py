#!/usr/bin/env python3
"""Benchmark of crm_chatbot_leads webhooks against a running Odoo (prints figures, asserts nothing).

1. (re)creates database ``--db`` (from ``--template`` if given) with crm_chatbot_leads (+ website_crm for the
   comparison) unless ``--reuse``;
2. starts the Telegram fake (``--fake-latency`` seconds per Bot API call, Telegram's 30 messages/s per bot
   enforced with 429) and points a bot at it: replies really go out, through the webhook answer or the queue;
3. starts Odoo on ``--port`` with one cron thread and posts Telegram updates at ``--rate`` updates/s for
   ``--duration`` seconds, open loop: new chats start at rate/4 per second, each chat sends /start with
   a deep link, its contact, a request and a follow-up one second apart, like a person;
4. reports webhook latency p50/p95/p99, the **first answer** per new chat (/start posted -> welcome in
   the customer's hands: the webhook response when it carries the answer, else the fake's receipt),
   replies delivered, and the **queue drain rate** (``--drain`` notifications queued at once to as many
   chats, sent by the cron);
5. posts the website contact form ``/website/form/crm.lead`` at the same rate on the same server (its
   "first answer" is the form's HTTP response) and reports the same figures side by side.

    cd <worktree> && /work/tools/newdb.sh i11_bench && \
    PYTHONPATH=$PWD python3 tests/bench/chatbot_bench.py --db i11_bench --port 8011 --data-dir /work/odoo-data
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

from tests.bench.benchlib import odoo_addons_path as addons_path  # noqa: E402
from tests.bench.benchlib import sh  # noqa: E402
from tests.fakes.telegram import TelegramFake, contact_update, start_update, text_update  # noqa: E402

TOKEN = "700000:BENCH-token"
SECRET = "bench_secret-0123456789"


def prepare_db(db, reuse, with_website, template=None):
    if reuse:
        return
    modules = "crm_chatbot_leads" + (",website_crm" if with_website else "")
    origin = f"from {template} " if template else ""
    print(f">> creating {db} {origin}and installing {modules} ...", flush=True)
    sh(f"dropdb --if-exists {db} && createdb {'-T ' + template if template else ''} {db} && "
       f"odoo_cmd -d {db} -i {modules} --stop-after-init --log-level=warn")


def odoo_env_run(db, code, data_dir):
    """Run a snippet with `env` (superuser) in a short-lived odoo process; returns its JSON output."""
    script = f"""
import json, odoo
from odoo.tools import config
config.parse_config(['-c', {os.path.join(ROOT, 'odoo.conf')!r}, '--addons-path', {addons_path()!r},
                     '--data-dir', {data_dir or os.path.expanduser('~/.local/share/Odoo')!r}, '--log-level', 'warn'])
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
    parser.add_argument("--rate", type=float, default=20.0, help="updates per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--drain", type=int, default=600, help="notifications queued at once")
    parser.add_argument("--fake-latency", type=float, default=0.05, help="seconds per Bot API call")
    parser.add_argument("--no-webhook-answer", action="store_true", help="every answer through the queue")
    parser.add_argument("--data-dir", default=os.path.expanduser("~/.local/share/Odoo"))
    parser.add_argument("--reuse", action="store_true", help="keep the existing database")
    parser.add_argument("--template", help="database to copy instead of starting from an empty one")
    parser.add_argument("--no-website", action="store_true")
    args = parser.parse_args()

    prepare_db(args.db, args.reuse, not args.no_website, args.template)
    fake = TelegramFake(tokens=(TOKEN,)).start()
    fake.latency = args.fake_latency
    fake.global_flood_control = True
    setup = odoo_env_run(args.db, data_dir=args.data_dir, code=f"""
bot = env['chatbot.bot'].with_context(active_test=False).search([('name', '=', 'Bench bot')], limit=1)
if not bot:
    bot = env['chatbot.bot'].create({{'name': 'Bench bot', 'channel': 'telegram',
                                     'team_id': env.ref('sales_team.team_sales_department').id,
                                     'user_id': env.ref('base.user_admin').id}})
bot.write({{'token': {TOKEN!r}, 'api_base_url': {fake.url + '/bot'!r}, 'webhook_secret': {SECRET!r}, 'active': True,
           'answer_in_webhook': {not args.no_webhook_answer!r}}})
env.ref('base.user_admin').notification_type = 'inbox'  # the salesperson reads the Odoo inbox (no SMTP here)
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
           f"--data-dir={args.data_dir}", "-d", args.db, f"--db-filter=^{args.db}$",
           f"--http-port={args.port}", "--http-interface=127.0.0.1", "--workers=0", "--max-cron-threads=1", "--db_maxconn=256",
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

        run_id = int(time.time()) % 100000
        update_ids = iter(range(run_id * 10_000_000, run_id * 10_000_000 + 10_000_000))  # unique per run
        chats = max(1, int(args.rate * args.duration / 4))
        chat_ids = [10_000_000 + run_id * 1000 + n for n in range(chats)]
        latencies, errors, first_posted, first_inline, answered_inline = [], [], {}, {}, []
        lock = threading.Lock()

        def run_chat(n):
            chat = chat_ids[n]
            session = requests.Session()
            updates = [
                start_update(chat, payload="bench__wave_%d" % (n % 5), update_id=next(update_ids)),
                contact_update(chat, "38067%07d" % ((run_id * 1000 + n) % 10_000_000), update_id=next(update_ids)),
                text_update(chat, f"Потрібен товар №{n}: диван сірий, доставка Новою поштою",
                            update_id=next(update_ids)),
                text_update(chat, "І ще журнальний столик", update_id=next(update_ids)),
            ]
            for index, update in enumerate(updates):
                started = time.monotonic()
                response = session.post(url, data=json.dumps(update, ensure_ascii=False).encode(), headers=headers,
                                        timeout=60)
                done = time.monotonic()
                with lock:
                    latencies.append(done - started)
                    if response.status_code != 200:
                        errors.append(response.status_code)
                    inline = '"method"' in response.text
                    answered_inline.append(inline)  # the bot's answer rides in the webhook response
                    if index == 0:
                        first_posted[chat] = started
                        if inline:
                            first_inline[chat] = done
                time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))  # a person: one message a second

        print(f">> {chats} chats x 4 updates at {args.rate:.0f} updates/s for {args.duration:.0f} s "
              f"(webhook answer {'off' if args.no_webhook_answer else 'on'}, fake latency "
              f"{args.fake_latency * 1000:.0f} ms) ...", flush=True)
        t0 = time.monotonic()
        with ThreadPoolExecutor(64) as pool:
            futures = []
            for n in range(chats):
                time.sleep(max(0.0, t0 + n * 4 / args.rate - time.monotonic()))
                futures.append(pool.submit(run_chat, n))
            for future in futures:
                future.result()
        elapsed = time.monotonic() - t0
        bench_chats = {str(c) for c in chat_ids}

        def received():
            return [m for m in list(fake.sent) if str(m["chat_id"]) in bench_chats]

        expected_queued = chats * 4 - sum(answered_inline)
        deadline = time.monotonic() + 120
        while len(received()) < expected_queued and time.monotonic() < deadline:
            time.sleep(0.2)
        first_answer = []
        for chat in chat_ids:
            if chat in first_inline:
                first_answer.append(first_inline[chat] - first_posted[chat])
                continue
            times = [m["at"] for m in fake.sent if str(m["chat_id"]) == str(chat)]
            if times and chat in first_posted:
                first_answer.append(min(times) - first_posted[chat])
        report("Telegram webhook (/chatbot/telegram/<route>)", latencies, elapsed, {
            "updates/s offered": f"{args.rate:.1f} (open loop)",
            "non-200 answers": len(errors),
            "first answer": (f"p50 {percentile(first_answer, 50):.3f} s, p95 {percentile(first_answer, 95):.3f} s, "
                             f"max {max(first_answer):.3f} s (n={len(first_answer)}, {len(first_inline)} in the "
                             f"webhook response)") if first_answer else "n/a",
            "replies delivered": f"{len(received()) + sum(answered_inline)} / {chats * 4} ({sum(answered_inline)} in "
                                 f"webhook responses, {len(received())} through the queue)",
        })

        # queue drain: many notifications queued at once (e.g. a status change on many orders)
        drain_ids = [30_000_000 + run_id * 1000 + n for n in range(args.drain)]
        fake.sent.clear()
        calls_before = len(fake.requests_to(r"/bot[^/]+/sendMessage"))
        odoo_env_run(args.db, data_dir=args.data_dir, code=f"""
bot = env['chatbot.bot'].browse({setup['bot_id']})
Conversation = env['chatbot.conversation']
for chat in {[str(c) for c in drain_ids]!r}:
    Conversation._chatbot_get_or_create(bot, chat)._chatbot_queue('Ваше замовлення відправлено', kind='notification')
""")
        queued_at = time.monotonic()
        deadline = queued_at + 300
        while len(fake.sent) < args.drain and time.monotonic() < deadline:
            time.sleep(0.1)
        times = sorted(m["at"] for m in fake.sent)
        if times:
            span = max(times[-1] - times[0], 1e-6)
            peak, first = 0, 0
            for index, at in enumerate(times):
                while at - times[first] >= 1.0:
                    first += 1
                peak = max(peak, index - first + 1)
            refused = len(fake.requests_to(r"/bot[^/]+/sendMessage")) - calls_before - len(times)
            print(f"   queue drain        : {len(times)} / {args.drain} notifications to {args.drain} chats of one bot in "
                  f"{times[-1] - queued_at:.1f} s after commit -> {len(times) / span:.1f} messages/s "
                  f"(first to last; one bot: Telegram allows ~30/s); peak {peak} in 1 s, {refused} refused (429)")

        if setup["website"] and not args.no_website:
            form_url = f"{base}/website/form/crm.lead"
            count = chats * 4  # the same number of requests, at the same rate
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

            form_before = odoo_env_run(args.db, data_dir=args.data_dir, code="result = env['crm.lead']"
                                       ".with_context(active_test=False).search_count([('name', '=like', 'Website request %')])")
            run_form([count])  # warm-up
            form_before += 1
            form_latencies.clear()
            t0 = time.monotonic()
            with ThreadPoolExecutor(64) as pool:
                futures = []
                for n in range(count):
                    time.sleep(max(0.0, t0 + n / args.rate - time.monotonic()))
                    futures.append(pool.submit(run_form, [n]))
                for future in futures:
                    future.result()
            form_elapsed = time.monotonic() - t0
            after = odoo_env_run(args.db, data_dir=args.data_dir, code="result = env['crm.lead'].with_context(active_test=False).search_count("
                                          "[('name', '=like', 'Website request %')])")
            report("website_crm contact form (/website/form/crm.lead)", form_latencies, form_elapsed, {
                "requests/s offered": f"{args.rate:.1f} (open loop)",
                "first answer": f"p50 {percentile(form_latencies, 50):.3f} s, p95 {percentile(form_latencies, 95):.3f} s "
                                "(the form's HTTP response)",
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
