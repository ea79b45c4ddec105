from odoo import fields
from odoo.tests import tagged

from odoo.addons.marketplace_connector.tests.common import MarketplaceCommon

from tests.fakes.telegram import TelegramFake

TG_TOKEN = "888:mp-bridge-token"


@tagged("post_install", "-at_install")
class TestMarketplaceConversation(MarketplaceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tg = TelegramFake(tokens=(TG_TOKEN,)).start()
        cls.addClassCleanup(cls.tg.stop)
        cls.env["ir.config_parameter"].sudo().set_param("crm_chatbot_leads.per_chat_interval", "0")
        cls.env["chatbot.message"].search([("state", "=", "queued")]).state = "cancelled"
        cls.bot = cls.env["chatbot.bot"].create({
            "name": "Shop TG", "channel": "telegram", "token": TG_TOKEN, "api_base_url": f"{cls.tg.url}/bot"})

    def setUp(self):
        super().setUp()
        self.tg.sent.clear()
        self._import_offers()

    def _conversation(self, phone, chat_id, lead=True):
        conversation = self.env["chatbot.conversation"].create({
            "bot_id": self.bot.id, "company_id": self.env.company.id, "chat_id": chat_id, "state": "open",
            "phone": phone, "last_message_date": fields.Datetime.now()})
        if lead:
            lead = self.env["crm.lead"].create({"name": "Кросівки 42", "chatbot_conversation_id": conversation.id,
                                                "phone": phone})
            conversation.lead_id = lead
        return conversation

    def _prom_order(self, oid, phone):
        self.prom.add_order(oid, [{"id": 101, "sku": "SKU-1", "name": "Товар 1", "quantity": 1, "price": 100}],
                            phone=phone)
        self.prom_channel._import_orders()
        return self.env["marketplace.order"].search([("external_id", "=", str(oid))]).sale_order_id

    def test_buyer_with_a_conversation_is_linked_and_told(self):
        conversation = self._conversation("+380671230001", "4401")
        order = self._prom_order(8101, "+38 (067) 123-00-01")  # the marketplace writes it its own way
        self.assertEqual(order.opportunity_id, conversation.lead_id)
        self.assertEqual(conversation.partner_id, order.partner_id)
        self.assertEqual(order._chatbot_conversation(), conversation)
        self.env["chatbot.message"]._cron_send_outbound()
        texts = [m["text"] for m in self.tg.messages_to("4401")]
        self.assertEqual(len(texts), 1)
        self.assertIn(order.name, texts[0])
        self.assertTrue(order.message_ids.filtered(lambda m: "Shop TG" in (m.body or "")))

    def test_conversation_without_lead_still_linked_to_the_partner(self):
        conversation = self._conversation("+380671230002", "4402", lead=False)
        order = self._prom_order(8102, "0671230002")
        self.assertFalse(order.opportunity_id)
        self.assertEqual(conversation.partner_id, order.partner_id)

    def test_unknown_buyer_not_linked(self):
        self._conversation("+380671230003", "4403")
        order = self._prom_order(8103, "+380509999999")
        self.assertFalse(order.opportunity_id)
        self.assertFalse(self.env["chatbot.conversation"].search([("partner_id", "=", order.partner_id.id)]))
