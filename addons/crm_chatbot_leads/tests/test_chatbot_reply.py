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

    def _open_answer_activities(self, lead):
        return self.env["mail.activity"].search([
            ("res_model", "=", "crm.lead"), ("res_id", "=", lead.id),
            ("activity_type_id", "=", self.env.ref("crm_chatbot_leads.activity_type_chatbot_answer").id)])

    def test_reply_marks_the_answer_activity_done(self):
        """Customer writes -> one "Answer the customer" activity for the salesperson (not one per message); the
        reply from the dialog marks it done (gone from the open activities, in the chatter as done by the
        salesperson); the customer's next message opens a new one. The reply waiting / failed shows on the lead."""
        chat = 889010
        answer_type = self.env.ref("crm_chatbot_leads.activity_type_chatbot_answer")
        self.post_tg(contact_update(chat, "380670001133"))
        self.post_tg(text_update(chat, "Чи є шафа-купе на 2 метри?"))
        self.post_tg(text_update(chat, "І яка ціна доставки?"))
        self.send_queue()
        lead = self.conversation(self.tg_bot, chat).lead_id
        activity = self._open_answer_activities(lead)
        self.assertEqual(len(activity), 1, "one open activity however many messages")
        self.assertEqual((activity.user_id, activity.activity_type_id.name), (self.salesman, "Answer the customer"))
        self.assertIn(activity, self.env["mail.activity"].with_user(self.salesman).search(
            [("user_id", "=", self.salesman.id)]), "in the salesperson's own activities")
        # the messenger is down when the salesperson answers: the activity is done all the same (answered)
        self.tg_fake.fail_next(Fault.server_error(
            502, '{"ok":false,"error_code":502,"description":"Bad Gateway"}'), times=1)
        self._reply(lead, "Так, є. Доставка 150 грн.").action_send()
        self.assertFalse(self._open_answer_activities(lead), "gone from the open activities")
        done = lead.message_ids.filtered(lambda m: m.mail_activity_type_id == answer_type)
        self.assertEqual(done.author_id, self.salesman.partner_id)
        self.assertIn("Answered in the messenger", done.body)
        # the reply itself shows on the lead: waiting for a retry, then failed (the customer blocked the bot)
        self.send_queue()
        reply = lead.chatbot_message_ids.filtered(lambda m: m.author_id)
        self.assertEqual(reply.state, "queued")
        self.assertIn("502", reply.error)
        reply.next_try = fields.Datetime.now() - timedelta(seconds=1)
        self.tg_fake.blocked_chats.add(chat)
        self.addCleanup(self.tg_fake.blocked_chats.discard, chat)
        self.send_queue()
        self.assertEqual(reply.state, "failed")
        self.assertIn("403", reply.error)
        self.tg_fake.blocked_chats.discard(chat)
        # the customer writes again (the salesperson is handling the chat): a new activity to answer
        self.post_tg(text_update(chat, "Коли зможете привезти?"))
        self.assertEqual(len(self._open_answer_activities(lead)), 1)

    def test_reply_closes_an_activity_assigned_to_the_team_leader(self):
        """The activity may be the team leader's (lead without salesperson): the salesperson who may edit the lead
        and answers closes it, as themselves; a user who cannot reply closes nothing."""
        chat = 889011
        self.post_tg(text_update(chat, "Потрібен стіл"))
        self.send_queue()
        lead = self.conversation(self.tg_bot, chat).lead_id
        leader = self.env["res.users"].create({
            "name": "Leader Ivan", "login": "cb_leader", "email": "leader@example.com",
            "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_salesman_all_leads").id])]})
        lead.user_id = False
        self._open_answer_activities(lead).user_id = leader
        stranger = self.env["res.users"].create({
            "name": "Stranger", "login": "cb_stranger", "email": "stranger@example.com",
            "groups_id": [(6, 0, [self.env.ref("base.group_user").id])]})
        with self.assertRaises(AccessError):
            self.env["chatbot.reply"].with_user(stranger).create(
                {"conversation_id": lead.chatbot_conversation_id.id, "lead_id": lead.id, "body": "Hi"}).action_send()
        self.assertEqual(self._open_answer_activities(lead).user_id, leader)
        self._reply(lead, "Є, надішлю фото.").action_send()
        self.assertFalse(self._open_answer_activities(lead))
        done = lead.message_ids.filtered(lambda m: m.mail_activity_type_id.name == "Answer the customer")
        self.assertEqual(done.author_id, self.salesman.partner_id)
