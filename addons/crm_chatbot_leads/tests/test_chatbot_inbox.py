from datetime import timedelta

from odoo import fields
from odoo.tests import Form, tagged

from tests.fakes.telegram import contact_update, my_chat_member_update, text_update

from .common import ChatbotHttpCommon


@tagged("post_install", "-at_install")
class TestChatbotInbox(ChatbotHttpCommon):
    """The salesperson hears every customer message in the Odoo inbox; the bot steps aside once they answer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman.notification_type = "inbox"

    def _needaction(self, lead):
        return self.env["mail.message"].with_user(self.salesman).search_count(
            [("needaction", "=", True), ("model", "=", "crm.lead"), ("res_id", "=", lead.id)])

    def _reply(self, lead, body):
        wizard = Form(self.env(user=self.salesman)["chatbot.reply"].with_context(
            active_model="crm.lead", active_id=lead.id))
        wizard.body = body
        wizard.save().action_send()

    def _bot_lines(self, conversation):
        return conversation.message_ids.filtered(lambda m: m.direction == "out" and not m.author_id)

    def test_every_customer_message_is_an_inbox_notification(self):
        chat = 882001
        self.post_tg(text_update(chat, "Шукаю шафу-купе"))
        lead = self.conversation(self.tg_bot, chat).lead_id
        first = self._needaction(lead)
        self.post_tg(text_update(chat, "Ширина 2 метри"))
        self.post_tg(text_update(chat, "І дзеркало на дверях"))
        self.assertEqual(self._needaction(lead), first + 2, "every follow-up, not only the first")
        inbound = lead.chatbot_message_ids.filtered(lambda m: m.direction == "in")
        self.assertEqual(len(inbound), 3)
        notified = self.env["mail.notification"].search([
            ("res_partner_id", "=", self.salesman.partner_id.id),
            ("mail_message_id", "in", inbound.mail_message_id.ids)])
        self.assertEqual(len(notified), 3, "each customer message is in the salesperson's inbox")
        self.assertTrue(all(n.notification_type == "inbox" and not n.is_read for n in notified))
        self.assertIn("Ширина 2 метри", " ".join(notified.mail_message_id.mapped("body")))
        # internal: nobody else is notified (no e-mail back to the customer); the bot's own lines notify nobody
        self.assertEqual(set(notified.mail_message_id.notification_ids.res_partner_id.ids),
                         {self.salesman.partner_id.id})
        self.send_queue()
        self.assertEqual(self._needaction(lead), first + 2)

    def test_handoff_bot_quiet_after_salesperson_answers(self):
        chat = 882002
        self.post_tg(contact_update(chat, "380670001122"))
        self.post_tg(text_update(chat, "Потрібен стіл"))
        conversation = self.conversation(self.tg_bot, chat)
        lead = conversation.lead_id
        self.post_tg(text_update(chat, "Дубовий"))
        self.assertIn("Added to your request", self._bot_lines(conversation)[-1].body)
        bot_lines = len(self._bot_lines(conversation))
        self._reply(lead, "Маємо два варіанти, надішлю фото")
        self.assertTrue(conversation.handoff_active)
        self.assertTrue(lead.chatbot_handoff_active)
        self.post_tg(text_update(chat, "Дякую, чекаю"))
        self.post_tg(text_update(chat, "А ціна?"))
        self.assertEqual(len(self._bot_lines(conversation)), bot_lines, "the bot keeps quiet")
        # quiet time over: the bot speaks again
        conversation.sudo().handoff_date = fields.Datetime.now() - timedelta(minutes=self.tg_bot.handoff_minutes + 1)
        self.post_tg(text_update(chat, "Алло?"))
        self.assertEqual(len(self._bot_lines(conversation)), bot_lines + 1)
        # the salesperson answers again, then gives the chat back explicitly
        self._reply(lead, "Ціна 8 000 грн")
        self.post_tg(text_update(chat, "Добре"))
        self.assertEqual(len(self._bot_lines(conversation)), bot_lines + 1)
        lead.with_user(self.salesman).action_chatbot_close_handoff()
        self.assertFalse(conversation.handoff_active)
        self.post_tg(text_update(chat, "Ще одне питання"))
        self.assertEqual(len(self._bot_lines(conversation)), bot_lines + 2)

    def test_operator_command_hands_the_chat_to_a_human(self):
        chat = 882003
        self.post_tg(text_update(chat, "/operator"))
        conversation = self.conversation(self.tg_bot, chat)
        lead = conversation.lead_id
        self.assertTrue(lead, "the salesperson gets a lead to answer from")
        self.assertTrue(conversation.handoff_active)
        self.assertGreaterEqual(self._needaction(lead), 1)
        self.send_queue()
        self.assertIn("manager", self.tg_fake.messages_to(chat)[-1]["text"])
        lines = len(self._bot_lines(conversation))
        self.post_tg(text_update(chat, "Хочу повернути товар"))
        self.assertEqual(len(self._bot_lines(conversation)), lines)
        self.assertGreaterEqual(self._needaction(lead), 2)

    def test_first_response_counts_the_human(self):
        chat = 882004
        self.post_tg(text_update(chat, "Є доставка у Львів?"))
        self.send_queue()
        lead = self.conversation(self.tg_bot, chat).lead_id
        self.assertTrue(lead.chatbot_bot_response_date, "the bot answered")
        self.assertFalse(lead.chatbot_first_response_date, "but no human yet")
        self._reply(lead, "Так, Новою поштою")
        self.send_queue()
        self.assertTrue(lead.chatbot_first_response_date)
        self.assertEqual(lead.chatbot_first_response_user_id, self.salesman)
        self.assertGreaterEqual(lead.chatbot_first_response_seconds, lead.chatbot_bot_response_seconds)

    def test_blocking_the_bot_unsubscribes(self):
        chat = 882005
        self.post_tg(text_update(chat, "Привіт"))
        conversation = self.conversation(self.tg_bot, chat)
        queued = conversation.message_ids.filtered(lambda m: m.state == "queued")
        self.assertEqual(self.post_tg(my_chat_member_update(chat, "kicked")).status_code, 200)
        self.assertEqual(conversation.state, "unsubscribed")
        self.assertEqual(queued.state, "cancelled")
        self.post_tg(my_chat_member_update(chat, "member"))
        self.assertNotEqual(conversation.state, "unsubscribed")
