from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from tests.fakes.telegram import contact_update, text_update
from tests.fakes.viber import contact_event, message_event

from .common import ChatbotHttpCommon


@tagged("post_install", "-at_install")
class TestChatbotRights(ChatbotHttpCommon):
    """Real users with real groups: a storekeeper, salespeople of two teams, a sales manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["product.product"].create({
            "name": "Крісло", "type": "consu", "is_storable": True, "list_price": 3000})
        cls.storekeeper = cls.env["res.users"].create({
            "name": "Storekeeper Petro", "login": "cb_petro", "email": "petro@example.com",
            "groups_id": [(6, 0, [cls.env.ref("stock.group_stock_user").id])]})
        cls.other_team = cls.env["crm.team"].create({"name": "Second Team"})
        cls.other_salesman = cls.env["res.users"].create({
            "name": "Sales Ivan", "login": "cb_ivan", "email": "ivan@example.com",
            "groups_id": [(6, 0, [cls.env.ref("sales_team.group_sale_salesman").id])]})
        cls.other_team.member_ids = [(4, cls.other_salesman.id)]
        cls.manager = cls.env["res.users"].create({
            "name": "Sales Manager Iryna", "login": "cb_iryna", "email": "iryna@example.com",
            "groups_id": [(6, 0, [cls.env.ref("sales_team.group_sale_manager").id])]})

    def _chat_lead(self, chat):
        self.post_tg(contact_update(chat, "380670001122"))
        self.post_tg(text_update(chat, "Потрібне крісло"))
        self.send_queue()
        return self.conversation(self.tg_bot, chat).lead_id

    def _order(self, lead=None):
        order = self.env["sale.order"].create({
            "partner_id": self.partner.id, "opportunity_id": lead.id if lead else False,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})]})
        order.action_confirm()
        picking = order.picking_ids
        self.env["stock.quant"]._update_available_quantity(self.product, picking.location_id, 1)
        picking.action_assign()
        return order, picking

    def _validate_as(self, user, picking):
        self.env.invalidate_all()  # the user's request starts with an empty cache: reads are access-checked
        picking = picking.with_user(user)
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")

    def test_storekeeper_validates_deliveries(self):
        """Inventory rights only: the delivery of a chat-born order and of any other order can be validated;
        the customer still hears that the order is shipped."""
        chat = 881001
        lead = self._chat_lead(chat)
        order, picking = self._order(lead)
        self.assertFalse(self.env["crm.lead"].with_user(self.storekeeper).has_access("read"))
        self._validate_as(self.storekeeper, picking)
        shipped = lead.chatbot_message_ids.filtered(lambda m: m.kind == "notification" and order.name in m.body)
        self.assertEqual(len(shipped), 2, "confirmation and shipping notices")
        _other_order, other_picking = self._order()
        self._validate_as(self.storekeeper, other_picking)

    def test_routing_fields_not_writable_by_rpc(self):
        chat = 881003
        lead = self._chat_lead(chat)
        conversation = lead.chatbot_conversation_id
        for user in (self.salesman, self.manager):
            for vals in ({"chat_id": "999"}, {"bot_id": self.viber_bot.id}, {"state": "open"},
                         {"phone_verified": True}, {"last_inbound_date": "2020-01-01 00:00:00"},
                         {"company_id": self.env.company.id}, {"user_id": user.id}):
                with self.assertRaises(AccessError, msg=f"{user.name} wrote {vals}"):
                    conversation.with_user(user).write(vals)
        self.assertEqual(conversation.chat_id, str(chat))
        self.assertEqual(conversation.user_id, self.salesman)

    def test_conversation_follows_its_lead(self):
        chat = 881004
        lead = self._chat_lead(chat)
        conversation = lead.chatbot_conversation_id
        self.assertEqual((conversation.team_id, conversation.user_id), (self.team, self.salesman))
        lead.write({"team_id": self.other_team.id, "user_id": self.other_salesman.id})
        self.assertEqual((conversation.team_id, conversation.user_id), (self.other_team, self.other_salesman))
        # the new owner sees the chat and its messages and answers from the lead
        conversation.with_user(self.other_salesman).check_access("read")
        self.assertTrue(self.env["chatbot.message"].with_user(self.other_salesman).search(
            [("conversation_id", "=", conversation.id)]))
        wizard = Form(self.env(user=self.other_salesman)["chatbot.reply"].with_context(
            active_model="crm.lead", active_id=lead.id))
        wizard.body = "Вітаю, я ваш новий менеджер"
        wizard.save().action_send()
        self.send_queue()
        self.assertEqual(self.tg_fake.messages_to(chat)[-1]["text"], "Вітаю, я ваш новий менеджер")
        # the old one no longer can
        with self.assertRaises(AccessError):
            conversation.with_user(self.salesman).check_access("read")
        self.assertFalse(self.env["chatbot.message"].with_user(self.salesman).search(
            [("conversation_id", "=", conversation.id)]))
        with self.assertRaises(AccessError):
            self.env["chatbot.reply"].with_user(self.salesman).create(
                {"conversation_id": conversation.id, "body": "Hi"}).action_send()

    def test_viber_shared_contact_is_not_identity(self):
        """Viber does not say whose contact card was shared: no partner is matched from it and "where is my
        order" needs the order number and its phone together."""
        user = "vident="
        order = self.env["sale.order"].create({
            "partner_id": self.partner.id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})]})
        order.action_confirm()
        draft = self.env["sale.order"].create({
            "partner_id": self.partner.id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 3})]})
        self.post_viber(contact_event(user, "380670001122"))  # somebody else's number, as far as we know
        conversation = self.conversation(self.viber_bot, user)
        self.assertEqual(conversation.phone, "+380670001122")
        self.assertFalse(conversation.phone_verified)
        self.assertFalse(conversation.partner_id)
        self.assertFalse(self.partner.chatbot_viber_id)
        self.post_viber(message_event(user, "Мої замовлення"))
        self.send_queue()
        answer = self.viber_fake.messages_to(user)[-1]["text"]
        self.assertNotIn(order.name, answer)
        self.assertIn("S00042", answer, "asks for the order number and phone together")
        self.post_viber(message_event(user, f"{order.name} 067 000 99 99"))  # wrong phone
        self.send_queue()
        self.assertNotIn(self.product.name, self.viber_fake.messages_to(user)[-1]["text"])
        self.assertNotIn("12", self.viber_fake.messages_to(user)[-1]["text"].split(order.name)[-1][:3])
        self.post_viber(message_event(user, f"{order.name} 067 000 11 22"))
        self.send_queue()
        answer = self.viber_fake.messages_to(user)[-1]["text"]
        self.assertIn(order.name, answer)
        self.post_viber(message_event(user, f"{draft.name} 067 000 11 22"))
        self.send_queue()
        self.assertNotIn(f"• {draft.name}", self.viber_fake.messages_to(user)[-1]["text"],
                         "a draft quotation is not an order")

    def test_where_is_my_order_lists_confirmed_orders_only(self):
        chat = 881005
        self._chat_lead(chat)
        order = self.env["sale.order"].create({
            "partner_id": self.partner.id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})]})
        order.action_confirm()
        quotation = self.env["sale.order"].create({
            "partner_id": self.partner.id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 2})]})
        self.post_tg(text_update(chat, "/orders"))
        self.send_queue()
        answer = self.tg_fake.messages_to(chat)[-1]["text"]
        self.assertIn(order.name, answer)
        self.assertNotIn(quotation.name, answer)
