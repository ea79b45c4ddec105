#!/usr/bin/env python3
"""Profile the sending cron draining the outbound queue (prints figures and the top of cProfile; asserts nothing).

Queues ``--count`` notifications to as many new chats of one Telegram bot (the fake, ``--fake-latency`` per call,
Telegram's ~30 messages/s per bot enforced with 429), then runs ``chatbot.message._cron_send_outbound`` in this
process like the cron thread does (one commit per step, real HTTP calls) until the queue is empty, and reports
messages/s, 429 answers received and, with ``--profile``, the functions where the cron thread spent its time.

    cd <worktree> && PYTHONPATH=$PWD python3 tests/bench/chatbot_drain_profile.py --db i11_bench --count 400 --profile
"""

import argparse
import cProfile
import os
import pstats
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.bench.benchlib import odoo_addons_path  # noqa: E402
from tests.fakes.telegram import TelegramFake  # noqa: E402

TOKEN = "700001:DRAIN-token"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="database with crm_chatbot_leads installed")
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--chats", type=int, default=0, help="spread over this many chats (default: one each)")
    parser.add_argument("--fake-latency", type=float, default=0.05)
    parser.add_argument("--data-dir", default="/work/odoo-data")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--with-leads", action="store_true",
                        help="each chat has its lead: every sent message is also posted on the lead's chatter")
    args = parser.parse_args()

    import odoo
    from odoo.tools import config
    config.parse_config(["--addons-path", odoo_addons_path(),
                         "--data-dir", args.data_dir, "--log-level", "warn"])
    registry = odoo.modules.registry.Registry(args.db)
    fake = TelegramFake(tokens=(TOKEN,)).start()
    fake.latency = args.fake_latency
    fake.global_flood_control = True
    try:
        run = int(time.time()) % 100000
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            bot = env["chatbot.bot"].with_context(active_test=False).search([("name", "=", "Drain bot")], limit=1)
            if not bot:
                bot = env["chatbot.bot"].create({"name": "Drain bot", "channel": "telegram",
                                                 "team_id": env.ref("sales_team.team_sales_department").id,
                                                 "user_id": env.ref("base.user_admin").id})
            bot.write({"token": TOKEN, "api_base_url": fake.url + "/bot", "active": True})
            # other bots' leftovers must not be sent to the fake
            env["chatbot.message"].search([("direction", "=", "out"), ("state", "=", "queued")]).write(
                {"state": "cancelled"})
            chats = args.chats or args.count
            conversations = [env["chatbot.conversation"]._chatbot_get_or_create(bot, str(40_000_000 + run * 1000 + n))
                             for n in range(chats)]
            if args.with_leads:
                for conversation in conversations:
                    conversation.sudo().lead_id = env["crm.lead"].create({
                        "name": f"Drain lead {conversation.chat_id}", "type": "opportunity",
                        "team_id": bot.team_id.id, "user_id": bot.user_id.id})
            for n in range(args.count):
                conversations[n % chats]._chatbot_queue(f"Ваше замовлення №{n} відправлено", kind="notification",
                                                        lead=conversations[n % chats].lead_id or None)
            conversation_ids = [c.id for c in conversations]
            cr.commit()
        profiler = cProfile.Profile() if args.profile else None
        started = time.monotonic()
        runs = handled = 0
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            Message = env["chatbot.message"]
            while True:
                if profiler:
                    profiler.enable()
                handled += Message._cron_send_outbound()
                if profiler:
                    profiler.disable()
                runs += 1
                cr.commit()
                left = Message.search_count([("bot_id", "=", bot.id), ("state", "=", "queued")])
                if not left or time.monotonic() - started > 600:
                    break
                due = Message.search([("bot_id", "=", bot.id), ("state", "=", "queued")], order="next_try", limit=1)
                wait = (due.next_try - odoo.fields.Datetime.now()).total_seconds() if due.next_try else 0
                time.sleep(max(0.0, min(wait, 30)))
            run_messages = Message.search([("conversation_id", "in", conversation_ids), ("direction", "=", "out")])
            retried = len(run_messages.filtered(lambda m: m.attempts > 1))
            posted = len(run_messages.filtered("mail_message_id"))
        elapsed = time.monotonic() - started
        sent = [m for m in fake.sent if m["token"] == TOKEN]
        times = sorted(m["at"] for m in sent)
        span = max(times[-1] - times[0], 1e-6) if times else 0
        # peak per-bot rate observed by the fake over any 1 s window
        peak = 0
        j = 0
        for i, t in enumerate(times):
            while t - times[j] >= 1.0:
                j += 1
            peak = max(peak, i - j + 1)
        print(f"drain: {len(sent)} / {args.count} messages to {args.chats or args.count} chats, {runs} cron run(s), "
              f"{elapsed:.1f} s -> {len(sent) / elapsed:.1f} messages/s overall, {len(sent) / span if span else 0:.1f} "
              f"first to last; peak {peak} in 1 s at the fake; {retried} retried (429); {posted} posted on leads; load average {os.getloadavg()[0]:.2f}")
        if profiler:
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(35)
            stats.sort_stats("tottime").print_stats(15)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
