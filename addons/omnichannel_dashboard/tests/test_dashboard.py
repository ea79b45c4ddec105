from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestOmnichannelDashboard(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Tile = cls.env["omnichannel.tile"]

    def _tile(self, code, user=None):
        tile = self.env.ref(f"omnichannel_dashboard.tile_{code}")
        return tile.with_user(user) if user else tile

    def _need(self, *models):
        missing = [m for m in models if m not in self.env]
        if missing:
            self.skipTest(f"{', '.join(missing)} not installed")

    def test_dashboard_view_and_action_load(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("omnichannel_dashboard.omnichannel_dashboard_action")
        self.assertEqual(action["res_model"], "omnichannel.tile")
        self.assertTrue(self.env["omnichannel.tile"].get_views([(False, "kanban")])["views"]["kanban"]["arch"])
        menu = self.env.ref("omnichannel_dashboard.omnichannel_menu_root")
        self.assertFalse(menu.parent_id)
        self.assertTrue(menu.web_icon)

    def test_tiles_follow_installed_models_and_rights(self):
        """A tile shows only when its model is installed and readable: an employee without sales or
        inventory rights sees none of the suite's tiles; fiscal receipts appear only with prro.receipt."""
        available = self.Tile.search([("available", "=", True)]).mapped("code")
        self.assertEqual("prro_errors" in available, "prro.receipt" in self.env)
        if "chatbot.conversation" in self.env:
            self.assertIn("chats", available)
        employee = new_test_user(self.env, "omni_employee", groups="base.group_user")
        seen = self.Tile.with_user(employee).search([("available", "=", True)]).mapped("code")
        for code in ("chats", "mp_exceptions", "mp_orders_today", "mp_push", "np_to_create", "np_cod"):
            self.assertNotIn(code, seen)
        self.assertFalse(self._tile("chats", employee).action_open())

    def test_unanswered_chats_and_oldest_wait(self):
        self._need("chatbot.conversation")
        bot = self.env["chatbot.bot"].create({"name": "Dashboard bot", "channel": "telegram"})
        before = self._tile("chats").value
        conversation = self.env["chatbot.conversation"].create({
            "bot_id": bot.id, "company_id": self.env.company.id, "chat_id": "555", "customer_name": "Ann",
            "last_inbound_date": fields.Datetime.now() - timedelta(days=3, hours=2)})
        self.env["chatbot.message"].create({"conversation_id": conversation.id, "direction": "in", "body": "Hi?",
                                            "date": conversation.last_inbound_date})
        self.env.invalidate_all()
        tile = self._tile("chats")
        self.assertEqual(tile.value, before + 1)
        self.assertIn("3 d 2 h", tile.details)
        self.assertEqual(tile.level, "danger")
        self.assertIn(conversation, self.env["chatbot.conversation"].search(tile.action_open()["domain"]))
        # a person's reply answers the chat; the bot's automatic answer does not
        self.env["chatbot.message"].create({"conversation_id": conversation.id, "direction": "out",
                                            "body": "Hello", "state": "queued", "author_id": self.env.uid})
        self.env.invalidate_all()
        self.assertEqual(self._tile("chats").value, before)

    def test_marketplace_tiles_per_channel(self):
        self._need("marketplace.order")
        channel = self.env["marketplace.channel"].create({"name": "Dash Prom", "channel_type": "prom"})
        Order = self.env["marketplace.order"]
        now = fields.Datetime.now()
        exception = Order.create({"channel_id": channel.id, "external_id": "D1", "state": "exception",
                                  "exception_reason": "unmapped", "date_order": now})
        Order.create({"channel_id": channel.id, "external_id": "D2", "date_order": now})
        Order.create({"channel_id": channel.id, "external_id": "D3", "date_order": now - timedelta(days=3)})
        today = self._tile("mp_orders_today")
        self.assertIn("Dash Prom: 2, in exception 1", today.details)
        self.assertIn("o_omni_chart", today.chart)
        exceptions = self._tile("mp_exceptions")
        self.assertIn("Dash Prom: 1", exceptions.details)
        self.assertEqual(exceptions.level, "danger")
        self.assertEqual(Order.search(exceptions.action_open()["domain"]) & channel.mapped(
            lambda c: Order.search([("channel_id", "=", c.id)])), exception)
        opened_today = Order.search(today.action_open()["domain"] + [("channel_id", "=", channel.id)])
        self.assertEqual(len(opened_today), 2)
        self.assertEqual(today.action_open_graph()["views"][0][1], "graph")
        # stock-push health: the last error per channel
        channel._record_error(Exception("Prom.ua does not answer"))
        self.env.invalidate_all()
        push = self._tile("mp_push")
        self.assertIn("Dash Prom: error", push.details)
        self.assertIn("Prom.ua does not answer", push.details)
        self.assertEqual(push.level, "danger")

    def test_nova_poshta_tiles_and_cod_with_currency(self):
        self._need("nova_poshta.city")
        uah = self.env.ref("base.UAH")
        uah.active = True
        product = self.env["product.product"].create({"name": "NP delivery", "type": "service"})
        carrier = self.env["delivery.carrier"].create({
            "name": "NP dash", "delivery_type": "nova_poshta", "product_id": product.id,
            "nova_poshta_cod_mode": "backward"})
        partner = self.env["res.partner"].create({"name": "Dash customer"})
        goods = self.env["product.product"].create({"name": "Dash goods", "list_price": 100.0})
        before = {code: self._tile(code).value for code in ("np_to_create", "np_scan_sheet", "np_cod")}
        order = self.env["sale.order"].create({"partner_id": partner.id, "carrier_id": carrier.id, "order_line": [
            (0, 0, {"product_id": goods.id, "product_uom_qty": 1})]})
        order.action_confirm()
        picking = order.picking_ids
        self.env.invalidate_all()
        self.assertEqual(self._tile("np_to_create").value, before["np_to_create"] + 1)
        self.assertIn(picking, self.env["stock.picking"].search(self._tile("np_to_create").action_open()["domain"]))
        if "nova_poshta_waybill_state" in picking._fields:
            # waybills queued at validation count as being created; a refusal needs a person
            picking.write({"nova_poshta_waybill_state": "error", "nova_poshta_waybill_error": "EDRPOU is invalid",
                           "nova_poshta_waybill_next_try": False})
            self.env.invalidate_all()
            tile = self._tile("np_to_create")
            self.assertEqual(tile.value, before["np_to_create"] + 1)
            self.assertEqual(tile.level, "danger")
            self.assertIn("1 refused by Nova Poshta", tile.details)
            self.assertIn(picking, self.env["stock.picking"].search(tile.action_open()["domain"]))
            picking.write({"nova_poshta_waybill_state": "queued", "nova_poshta_waybill_error": False,
                           "nova_poshta_waybill_next_try": fields.Datetime.now()})
            self.env.invalidate_all()
            self.assertIn("being created", self._tile("np_to_create").details)
        picking.write({"nova_poshta_number": "20450000000001", "nova_poshta_document_ref": "doc-1"})
        self.env.invalidate_all()
        self.assertEqual(self._tile("np_to_create").value, before["np_to_create"])
        self.assertEqual(self._tile("np_scan_sheet").value, before["np_scan_sheet"] + 1)
        cod = self._tile("np_cod")
        self.assertEqual(cod.value, before["np_cod"] + 1)
        self.assertIn(uah.symbol, cod.value_display, "money is shown with its currency")

    def test_fiscal_receipts_in_error(self):
        self._need("prro.receipt")
        tile = self._tile("prro_errors")
        before = tile.value
        receipt = self.env["prro.receipt"].create({})
        receipt.write({"state": "error"})
        self.env.invalidate_all()
        tile = self._tile("prro_errors")
        self.assertEqual(tile.value, before + 1)
        self.assertEqual(tile.level, "danger")
        action = tile.action_open()
        self.assertEqual(action["res_model"], "prro.receipt")
        self.assertIn(receipt, self.env["prro.receipt"].search(action["domain"]))
