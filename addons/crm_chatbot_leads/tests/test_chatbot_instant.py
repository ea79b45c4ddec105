import time
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from tests.fakes.base import Fault
from tests.fakes.telegram import TelegramFake, callback_update, start_update, text_update

from .common import ChatbotHttpCommon

SLOW_TOKEN = "654321:SLOW-token"


@tagged("post_install", "-at_install")
class TestChatbotInstant(ChatbotHttpCommon):
    """The first answer rides in the webhook response; the queue is sent concurrently within limits and
    within its time budget; a slow bot never delays another."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.slow_fake = TelegramFake(tokens=(SLOW_TOKEN,)).start()
        cls.addClassCleanup(cls.slow_fake.stop)
        cls.slow_bot = cls.env["chatbot.bot"].create({
            "name": "Slow TG", "channel": "telegram", "token": SLOW_TOKEN, "answer_in_webhook": False,
            "api_base_url": f"{cls.slow_fake.url}/bot", "team_id": cls.team.id})

    def setUp(self):
        super().setUp()
        self.slow_fake.reset()
        self.slow_fake.sent.clear()
        self.tg_fake.latency = 0.0

    def test_first_answer_in_the_webhook_response(self):
        self.tg_bot.answer_in_webhook = True
        chat = 885001
        response = self.post_tg(text_update(chat, "Шукаю кухонний стіл"))
        answer = response.json()
        conversation = self.conversation(self.tg_bot, chat)
        lead = conversation.lead_id
        self.assertEqual((answer["method"], answer["chat_id"]), ("sendMessage", chat))
        self.assertIn(lead.chatbot_reference, answer["text"])
        self.assertTrue(answer["reply_markup"]["keyboard"][0][0]["request_contact"])
        reply = conversation.message_ids.filtered(lambda m: m.direction == "out")
        self.assertEqual((reply.state, reply.external_id), ("sent", "webhook"))
        self.assertTrue(lead.chatbot_bot_response_date)
        self.assertEqual(self.send_queue(), 0, "nothing left to send")
        self.assertEqual(self.tg_fake.messages_to(chat), [])
        # a button press is answered (spinner stopped) in the response, the list goes through the queue
        response = self.post_tg(callback_update(chat, "orders"))
        self.assertEqual(response.json()["method"], "answerCallbackQuery")
        self.assertEqual(self.send_queue(), 1)
        # an update that makes no answer gets the plain acknowledgement
        self.assertEqual(self.post_tg(text_update(chat, "")).json()["reason"], "processed")

    def test_webhook_answer_keeps_the_order(self):
        """A chat with an older message still queued gets its answer through the queue, after it."""
        self.tg_bot.answer_in_webhook = True
        chat = 885002
        self.post_tg(start_update(chat))
        conversation = self.conversation(self.tg_bot, chat)
        conversation._chatbot_queue("Older queued message", kind="notification")
        response = self.post_tg(text_update(chat, "Хочу шафу"))
        self.assertEqual(response.json()["reason"], "processed")
        self.send_queue()
        texts = [m["text"] for m in self.tg_fake.messages_to(chat)]
        self.assertEqual(texts[0], "Older queued message")

    def test_queue_sent_concurrently_within_limits(self):
        self.tg_fake.latency = 0.15
        conversations = [self.env["chatbot.conversation"]._chatbot_get_or_create(self.tg_bot, str(886000 + i))
                         for i in range(12)]
        for conversation in conversations:
            conversation._chatbot_queue("Вітаємо!", kind="notification")
        self.assertEqual(self.send_queue(), 12)
        self.assertEqual(len(self.tg_fake.sent), 12)
        self.assertGreater(self.tg_fake.max_in_flight, 1, "sent concurrently")
        self.assertLessEqual(self.tg_fake.max_in_flight, 8, "never more than the per-bot slots")

    def test_send_budget_holds_with_a_hanging_messenger(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_chatbot_leads.send_time_budget", "1.5")
        self.slow_fake.fail_next(Fault.timeout(4.0), times=20)
        for i in range(10):
            conversation = self.env["chatbot.conversation"]._chatbot_get_or_create(self.slow_bot, str(887000 + i))
            conversation._chatbot_queue("Привіт", kind="notification")
        started = time.monotonic()
        self.send_queue()
        self.assertLess(time.monotonic() - started, 3.0, "the cron returns within its budget (+ margin)")
        stuck = self.env["chatbot.message"].search([("bot_id", "=", self.slow_bot.id), ("direction", "=", "out")])
        self.assertEqual(set(stuck.mapped("state")), {"queued"}, "rescheduled, not lost")
        self.assertTrue(all(m.attempts == 1 and m.error for m in stuck.filtered(lambda m: m.error)))

    def test_slow_bot_does_not_delay_another(self):
        self.env["ir.config_parameter"].sudo().set_param("crm_chatbot_leads.send_time_budget", "3")
        self.slow_fake.fail_next(Fault.timeout(4.0), times=20)
        for i in range(10):
            conversation = self.env["chatbot.conversation"]._chatbot_get_or_create(self.slow_bot, str(888000 + i))
            conversation._chatbot_queue("Повільний", kind="notification")
        fast = []
        for i in range(6):
            conversation = self.env["chatbot.conversation"]._chatbot_get_or_create(self.tg_bot, str(889000 + i))
            fast.append(conversation._chatbot_queue("Швидкий", kind="notification"))
        started = time.time()
        self.send_queue()
        sent_after = [m.sent_epoch - started for m in fast]
        self.assertTrue(all(m.state == "sent" for m in fast), [(m.state, m.error) for m in fast])
        self.assertLess(max(sent_after), 1.0, "the healthy bot's messages went out at once")

    def test_remaining_work_reported_to_the_scheduler(self):
        """Odoo 18 drops the triggers created while a cron runs: the sending run reports what is left with
        _notify_progress so the scheduler runs it again at once, and never counts a chat waiting for a retry."""
        cron = self.env.ref("crm_chatbot_leads.ir_cron_chatbot_send_outbound")
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id, "remaining": 0, "done": 0})
        Message = self.env["chatbot.message"].with_context(ir_cron_progress_id=progress.id)
        Conversation = self.env["chatbot.conversation"]
        waiting = Conversation._chatbot_get_or_create(self.tg_bot, "890001")
        older = waiting._chatbot_queue("Спершу це", kind="notification")
        older.next_try = fields.Datetime.now() + timedelta(hours=1)  # in retry: the chat waits as a whole
        waiting._chatbot_queue("Потім це", kind="notification")
        Message._cron_send_outbound()
        self.assertEqual(progress.remaining, 0, "no busy loop on a chat waiting for its retry")
        self.env["ir.config_parameter"].sudo().set_param("crm_chatbot_leads.send_time_budget", "0")
        Conversation._chatbot_get_or_create(self.tg_bot, "890002")._chatbot_queue("Due", kind="notification")
        Message._cron_send_outbound()
        self.assertEqual(progress.remaining, 1, "budget spent with a due message: run again")
        self.assertGreaterEqual(progress.done, 1)

    def test_interrupted_send_is_not_sent_twice(self):
        """Each call's message is marked in flight (committed) before the call starts: one still marked after a
        crashed run may have reached the customer, so it is never re-sent by itself (failed with the reason,
        Retry resends it); one marked by a run still going is left alone, and its chat waits behind it."""
        Conversation = self.env["chatbot.conversation"]
        crashed = Conversation._chatbot_get_or_create(self.tg_bot, "891001")._chatbot_queue(
            "Було в дорозі", kind="notification")
        crashed.in_flight_since = fields.Datetime.now() - timedelta(hours=1)
        running_chat = Conversation._chatbot_get_or_create(self.tg_bot, "891002")
        running = running_chat._chatbot_queue("Ще в дорозі", kind="notification")
        running.in_flight_since = fields.Datetime.now()
        later = running_chat._chatbot_queue("Наступне", kind="notification")
        self.send_queue()
        self.assertEqual(self.tg_fake.sent, [], "nothing sent twice, nothing overtakes a message in flight")
        self.assertEqual(crashed.state, "failed")
        self.assertIn("not sent again automatically", crashed.error)
        self.assertEqual((running.state, later.state), ("queued", "queued"))
        crashed.action_retry()
        self.send_queue()
        self.assertEqual([m["text"] for m in self.tg_fake.messages_to("891001")], ["Було в дорозі"])
        self.assertEqual((crashed.state, crashed.in_flight_since), ("sent", False), "mark cleared with the outcome")

    def test_bot_never_exceeds_its_per_second_limit(self):
        """40 messages to 40 chats of one bot: the fake refuses the 31st message within any second (429), the
        sender never gets there (a call holds its place in the window until 1 s after it returned)."""
        self.tg_fake.global_flood_control = True
        self.addCleanup(setattr, self.tg_fake, "global_flood_control", False)
        self.tg_fake.latency = 0.02
        messages = self.env["chatbot.message"]
        for i in range(40):
            conversation = self.env["chatbot.conversation"]._chatbot_get_or_create(self.tg_bot, str(892000 + i))
            messages |= conversation._chatbot_queue("Ваше замовлення відправлено", kind="notification")
        self.send_queue()
        self.assertEqual(set(messages.mapped("state")), {"sent"}, messages.mapped("error"))
        self.assertEqual(set(messages.mapped("attempts")), {1}, "no 429, no retry")
        times = sorted(m["at"] for m in self.tg_fake.sent)
        peak = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
        self.assertLessEqual(peak, 30)

    def test_flood_wait_is_honoured_exactly(self):
        """A 429 says how long to wait (retry_after): the message is due again then, not after the generic
        backoff (10 s and more), and the cron is triggered for that time."""
        message = self.env["chatbot.conversation"]._chatbot_get_or_create(self.tg_bot, "893001")._chatbot_queue(
            "Привіт", kind="notification")
        self.tg_fake.fail_next(Fault.too_many_requests(payload={
            "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 2",
            "parameters": {"retry_after": 2}}))
        self.send_queue()
        self.assertEqual((message.state, message.attempts), ("queued", 1))
        self.assertLessEqual(message.next_try, fields.Datetime.now() + timedelta(seconds=3))
        time.sleep(2.1)
        self.send_queue()
        self.assertEqual(message.state, "sent")
        self.assertEqual(len(self.tg_fake.messages_to("893001")), 1)
