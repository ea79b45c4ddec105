from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.nova_poshta.tests.common import NovaPoshtaCommon

from tests.fakes.telegram import TelegramFake
from tests.fakes.viber import ViberFake

TG_TOKEN = "777:np-bridge-token"
VIBER_TOKEN = "np-bridge-viber-token"


@tagged("post_install", "-at_install")
class TestNovaPoshtaCustomerTold(NovaPoshtaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tg = TelegramFake(tokens=(TG_TOKEN,)).start()
        cls.viber = ViberFake(tokens=(VIBER_TOKEN,)).start()
        cls.addClassCleanup(cls.tg.stop)
        cls.addClassCleanup(cls.viber.stop)
        cls.env["res.lang"]._activate_lang("uk_UA")
        cls.env["ir.module.module"].search([("name", "=", "nova_poshta_crm_chatbot")])._update_translations("uk_UA")
        cls.env["ir.config_parameter"].sudo().set_param("crm_chatbot_leads.per_chat_interval", "0")
        cls.env["chatbot.message"].search([("state", "=", "queued")]).state = "cancelled"
        cls.env.company.stock_move_email_validation = False
        cls.salesman = cls.env["res.users"].create({
            "name": "Sales Iryna", "login": "np_cb_iryna", "email": "iryna@example.com",
            "groups_id": [(6, 0, [cls.env.ref("sales_team.group_sale_salesman").id])]})
        cls.bot = cls.env["chatbot.bot"].create({
            "name": "Shop TG", "channel": "telegram", "token": TG_TOKEN, "api_base_url": f"{cls.tg.url}/bot"})
        cls.viber_bot = cls.env["chatbot.bot"].create({
            "name": "Shop Viber", "channel": "viber", "token": VIBER_TOKEN, "sender_name": "Shop",
            "api_base_url": f"{cls.viber.url}/pa"})
        cls.conversation = cls.env["chatbot.conversation"].create({
            "bot_id": cls.bot.id, "company_id": cls.env.company.id, "chat_id": "5551001", "state": "open",
            "lang": "uk_UA", "partner_id": cls.customer.id, "last_message_date": fields.Datetime.now()})

    def setUp(self):
        super().setUp()
        self.tg.reset()
        self.tg.sent.clear()
        self.viber.sent.clear()

    def send(self):
        self.env["chatbot.message"]._cron_send_outbound()
        self.env.invalidate_all()

    def shipped_order(self, partner=None):
        order = self._order(partner)
        order.user_id = self.salesman
        picking = order.picking_ids
        self._validate(picking)  # rate_and_ship: the waybill is created right after the validation commits
        self.assertTrue(picking.nova_poshta_number)
        return order, picking

    def track(self, picking, code):
        self.fake.set_status(picking.nova_poshta_number, code)
        picking.nova_poshta_checked_at = False
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()
        self.env.invalidate_all()

    def test_messenger_customer_told_once_per_event(self):
        _order, picking = self.shipped_order()
        self.send()
        texts = [m["text"] for m in self.tg.messages_to("5551001")]
        self.assertEqual(len(texts), 1, texts)
        self.assertIn(picking.nova_poshta_number, texts[0])
        self.assertIn("novaposhta.ua/tracking", texts[0])
        self.assertIn("Новою Поштою", texts[0], "Ukrainian conversation: Ukrainian text")
        self.track(picking, 7)
        self.track(picking, 8)  # still at the branch: told once
        self.send()
        self.assertEqual(len(self.tg.messages_to("5551001")), 2)
        self.assertIn("відділення", self.tg.messages_to("5551001")[-1]["text"].lower())
        self.track(picking, 9)
        self.track(picking, 11)  # COD paid out: not a new event for the customer
        self.send()
        texts = [m["text"] for m in self.tg.messages_to("5551001")]
        self.assertEqual(len(texts), 3, texts)
        self.assertTrue(picking.np_told_delivered and picking.np_delivered_at)

    def test_storekeeper_validating_tells_the_customer(self):
        storekeeper = self.env["res.users"].create({
            "name": "Storekeeper Taras", "login": "np_cb_taras",
            "groups_id": [(6, 0, [self.env.ref("stock.group_stock_user").id])]})
        order = self._order()
        picking = order.picking_ids
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.with_user(storekeeper).button_validate()
        self.assertEqual(picking.nova_poshta_waybill_state, "queued", "the waybill comes right after the commit")
        self._create_waybills()
        self.assertTrue(picking.nova_poshta_number)
        self.send()
        self.assertEqual(len(self.tg.messages_to("5551001")), 1)
        self.assertIn(picking.nova_poshta_number, self.tg.messages_to("5551001")[0]["text"],
                      "told with the waybill number, once it exists")

    def test_email_with_tracking_link_when_no_conversation(self):
        partner = self.customer.copy({"name": "Іваненко Петро", "email": "petro@example.com",
                                      "mobile": "+380671112200"})
        _order, picking = self.shipped_order(partner)
        mails = self.env["mail.mail"].search([("model", "=", "stock.picking"), ("res_id", "=", picking.id)])
        self.assertEqual(len(mails), 1)
        self.assertIn(partner, mails.recipient_ids)
        self.assertIn(f"cargo_number={picking.nova_poshta_number}", mails.body_html)
        self.track(picking, 7)
        self.track(picking, 7)
        mails = self.env["mail.mail"].search([("model", "=", "stock.picking"), ("res_id", "=", picking.id)])
        self.assertEqual(len(mails), 2)
        self.assertFalse(self.tg.sent)

    def test_viber_outside_session_falls_back_to_email(self):
        partner = self.customer.copy({"name": "Бондар Марія", "email": "maria@example.com",
                                      "mobile": "+380671112201"})
        self.env["chatbot.conversation"].create({
            "bot_id": self.viber_bot.id, "company_id": self.env.company.id, "chat_id": "viber-42",
            "state": "open", "partner_id": partner.id,
            "last_inbound_date": fields.Datetime.now() - timedelta(days=3)})
        _order, picking = self.shipped_order(partner)
        self.send()
        self.send()
        self.assertFalse(self.viber.sent, "a paid message is not sent")
        mails = self.env["mail.mail"].search([("model", "=", "stock.picking"), ("res_id", "=", picking.id)])
        self.assertEqual(len(mails), 1, "told by e-mail instead, once")

    def test_rating_asked_after_delivery_and_low_score_opens_activity(self):
        order, picking = self.shipped_order()
        self.track(picking, 9)
        self.send()
        self.tg.sent.clear()
        Order = self.env["sale.order"]
        self.assertEqual(Order._cron_np_ask_rating(), 0, "not before the delay")
        picking.np_delivered_at = fields.Datetime.now() - timedelta(days=4)
        self.assertEqual(Order._cron_np_ask_rating(), 1)
        self.assertEqual(Order._cron_np_ask_rating(), 0, "asked once")
        self.send()
        asked = self.tg.messages_to("5551001")
        self.assertEqual(len(asked), 1)
        buttons = [row[0]["text"] for row in asked[0]["reply_markup"]["keyboard"]]
        self.assertEqual(buttons, ["⭐ 5", "⭐ 4", "⭐ 3", "⭐ 2", "⭐ 1"])
        self.conversation._chatbot_on_text("⭐ 2", None)
        rating = order.rating_ids.filtered("consumed")
        self.assertEqual(rating.rating, 2)
        self.assertEqual(order.np_rating, 2)
        activity = order.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("nova_poshta_crm_chatbot.mail_activity_type_low_rating"))
        self.assertEqual(activity.user_id, self.salesman)
        # a second answer is a normal message, not a second rating
        self.conversation._chatbot_on_text("5", None)
        self.assertEqual(len(order.rating_ids.filtered("consumed")), 1)
        self.env.flush_all()
        groups = self.env["sale.report"]._read_group([("order_reference", "=", f"sale.order,{order.id}")],
                                                     ["np_rating"], ["__count"])
        self.assertEqual(groups[0][0], 2.0)

    def test_good_score_no_activity(self):
        order, picking = self.shipped_order()
        self.track(picking, 9)
        picking.np_delivered_at = fields.Datetime.now() - timedelta(days=4)
        self.env["sale.order"]._cron_np_ask_rating()
        self.conversation._chatbot_on_text("5", None)
        self.assertEqual(order.np_rating, 5)
        self.assertFalse(order.activity_ids)

    def test_chat_born_order_learns_the_waybill_made_after_the_validation(self):
        # crm_chatbot_leads says "shipped" at the validation; the waybill only exists right after it
        lead = self.env["crm.lead"].create({"name": "Chat lead", "type": "opportunity",
                                            "partner_id": self.customer.id,
                                            "chatbot_conversation_id": self.conversation.id})
        order = self._order()
        order.opportunity_id = lead
        picking = order.picking_ids
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertFalse(picking.nova_poshta_number)
        self._create_waybills()
        self.assertTrue(picking.nova_poshta_number)
        self.send()
        texts = [m["text"] for m in self.tg.messages_to("5551001")]
        self.assertEqual(len(texts), 2, texts)
        self.assertNotIn(picking.nova_poshta_number, texts[0], "the validation's message had no number yet")
        self.assertIn(picking.nova_poshta_number, texts[1], "the number follows as soon as the waybill exists")
        self.assertIn("novaposhta.ua/tracking", texts[1])
