from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from tests.fakes.base import Fault
from tests.fakes.telegram import contact_update, text_update
from tests.fakes.viber import message_event

from .common import ChatbotHttpCommon


@tagged("post_install", "-at_install")
class TestChatbotReply(ChatbotHttpCommon):
    """A salesperson answers the customer from the lead; the bot delivers it."""

    def _reply(self, record, body, user=None):
        env = self.env(user=user or self.salesman)
        wizard = Form(env["chatbot.reply"].with_context(active_model=record._name, active_id=record.id))
        wizard.body = body
        return wizard.save()

    def test_salesperson_reply_reaches_the_customer_and_the_chatter(self):
        chat = 889001
        self.post_tg(contact_update(chat, "380670001122"))
        self.post_tg(text_update(chat, "Чи є диван у сірому кольорі?"))
        self.send_queue()
        lead = self.conversation(self.tg_bot, chat).lead_id
        sent_before = len(self.tg_fake.messages_to(chat))
        # the messenger is down when the salesperson answers: the answer waits in the queue, nothing is lost
        self.tg_fake.fail_next(Fault.server_error(
            502, '{"ok":false,"error_code":502,"description":"Bad Gateway"}'), times=1)
        wizard = self._reply(lead, "  Так, є. Доставимо завтра.  ")
        self.assertEqual(wizard.conversation_id, lead.chatbot_conversation_id)
        wizard.action_send()
        self.send_queue()
        message = lead.chatbot_message_ids.filtered(lambda m: m.author_id)
        self.assertEqual((message.state, message.author_id, message.body),
                         ("queued", self.salesman, "Так, є. Доставимо завтра."))
        self.assertFalse(message.mail_message_id, "shown on the chatter only once delivered")
        message.next_try = fields.Datetime.now() - timedelta(seconds=1)
        self.send_queue()
        self.assertEqual(message.state, "sent")
        texts = [m["text"] for m in self.tg_fake.messages_to(chat)]
        self.assertEqual(len(texts), sent_before + 1)
        self.assertEqual(texts[-1], "Так, є. Доставимо завтра.")
        self.assertEqual(message.mail_message_id.author_id, self.salesman.partner_id)
        self.assertIn("Sales Olha", message.mail_message_id.body)
        self.send_queue()
        self.assertEqual(len(self.tg_fake.messages_to(chat)), sent_before + 1, "sent once")

    def test_reply_from_the_conversation_and_bad_input(self):
        chat = 889002
        self.post_tg(text_update(chat, "Добрий день"))
        self.send_queue()
        conversation = self.conversation(self.tg_bot, chat)
        wizard = self._reply(conversation, "Вітаємо! Чим допомогти?")
        wizard.action_send()
        self.send_queue()
        self.assertEqual(self.tg_fake.messages_to(chat)[-1]["text"], "Вітаємо! Чим допомогти?")
        blank = self.env["chatbot.reply"].with_user(self.salesman).create(
            {"conversation_id": conversation.id, "body": "   "})
        with self.assertRaises(UserError):
            blank.action_send()
        # a salesperson of another team does not see the chat, so cannot write in it
        other = self.env["res.users"].create({
            "name": "Other Team", "login": "cb_other", "email": "other@example.com",
            "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])]})
        self.env["crm.team"].create({"name": "Other", "member_ids": [(6, 0, other.ids)]})
        with self.assertRaises(AccessError):
            self.env["chatbot.reply"].with_user(other).create(
                {"conversation_id": conversation.id, "body": "Hi"}).action_send()
        self.assertEqual(len(conversation.message_ids.filtered(lambda m: m.author_id)), 1)

    def test_viber_24h_rule_and_unsubscribed(self):
        user = "vreply="
        self.post_viber(message_event(user, "Коли буде доставка?"))
        self.send_queue()
        conversation = self.conversation(self.viber_bot, user)
        conversation.last_inbound_date = fields.Datetime.now() - timedelta(hours=25)
        wizard = self._reply(conversation, "Завтра")
        with self.assertRaisesRegex(UserError, "24"):
            wizard.action_send()
        self.viber_bot.viber_paid_messages = True
        wizard.action_send()
        self.send_queue()
        self.assertEqual(self.viber_fake.messages_to(user)[-1]["text"], "Завтра")
        conversation.state = "unsubscribed"
        with self.assertRaises(UserError):
            self._reply(conversation, "Ще одне").action_send()
        self.assertEqual(len(conversation.message_ids.filtered(lambda m: m.author_id)), 1)
