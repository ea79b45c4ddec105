"""One order end to end, in a real Odoo with all the modules and their bridges, against the fakes of every
service: marketplace (Prom / Rozetka) -> confirmed, reserved sale order -> Nova Poshta waybill -> waybill
number to the marketplace and to the customer -> tracking told once per event -> money -> "how did it go?".

Every stage is also made to fail once (the service refuses or is down), and the test checks that the order
shows where it is stuck and that the retry finishes the stage without a second waybill, status, message or
rating.
"""

from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged

from odoo.addons.marketplace_nova_poshta.tests.common import MarketplaceNovaPoshtaSetup

from tests.fakes.base import Fault, Response
from tests.fakes.checkbox import PREFIX as CHECKBOX_PREFIX
from tests.fakes.checkbox import CheckboxFake
from tests.fakes.telegram import TelegramFake

TG_TOKEN = "999:flow-token"
TG_DOWN = Response.json({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status=502)
NP_DOWN = Response.json({"success": False, "data": [], "errors": ["Service Unavailable"],
                         "errorCodes": ["20000100016"], "warnings": [], "info": [], "warningCodes": [],
                         "infoCodes": [], "messageCodes": []})


@tagged("post_install", "-at_install")
class TestOrderFlow(MarketplaceNovaPoshtaSetup, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_marketplace_nova_poshta()
        env = cls.env
        env["res.lang"]._activate_lang("uk_UA")
        env["ir.module.module"].search([("name", "in", [
            "crm_chatbot_leads", "nova_poshta_crm_chatbot", "marketplace_nova_poshta"])])._update_translations(
            "uk_UA")
        env.company.stock_move_email_validation = False
        cls.tg = TelegramFake(tokens=(TG_TOKEN,)).start()
        cls.addClassCleanup(cls.tg.stop)
        env["ir.config_parameter"].sudo().set_param("crm_chatbot_leads.per_chat_interval", "0")
        env["chatbot.message"].search([("state", "=", "queued")]).state = "cancelled"
        cls.salesman = env["res.users"].create({
            "name": "Sales Oksana", "login": "flow_oksana", "email": "oksana@example.com",
            "groups_id": [(6, 0, [env.ref("sales_team.group_sale_salesman").id])]})
        cls.team = env["crm.team"].create({"name": "Marketplaces", "user_id": cls.salesman.id})
        (cls.prom_channel | cls.rozetka_channel).write({"team_id": cls.team.id})
        cls.bot = env["chatbot.bot"].create({
            "name": "Shop TG", "channel": "telegram", "token": TG_TOKEN, "api_base_url": f"{cls.tg.url}/bot"})
        # fiscal receipts: one Checkbox cash register; the goods carry no tax the register would not know
        cls.checkbox = CheckboxFake().start()
        cls.addClassCleanup(cls.checkbox.stop)
        cls.checkbox.add_cashier("flow-cashier", "flow-secret", full_name="Олена Касир")
        cls.checkbox.add_register("lic-flow-0001", fiscal_number="4000777001")
        env["ir.config_parameter"].sudo().set_param("prro_checkbox.api_url", cls.checkbox.url + CHECKBOX_PREFIX)
        env["prro.cash.register"].search([]).active = False
        env["prro.cash.register"].create({
            "name": "Інтернет-магазин", "license_key": "lic-flow-0001", "cashier_login": "flow-cashier",
            "cashier_password": "flow-secret", "company_id": env.company.id, "close_time": 23.99})
        (cls.products | cls.carrier.product_id).write({"taxes_id": False})
        cls.cod_journal = env["account.journal"].create({
            "name": "Nova Poshta transfers", "type": "bank", "code": "NPTR"})
        cls.carrier.nova_poshta_cod_journal_id = cls.cod_journal

    def setUp(self):
        super().setUp()
        self.reset_fakes()
        self.tg.reset()
        self.tg.sent.clear()
        self.checkbox.reset_state()

    # -- helpers -------------------------------------------------------------------------
    def send_messages(self, retry=False):
        if retry:  # the outbound queue's back-off elapsed
            self.env["chatbot.message"].search([("state", "=", "queued")]).next_try = fields.Datetime.now()
        self.env["chatbot.message"]._cron_send_outbound()
        self.env.invalidate_all()

    def send_receipts(self, retry=False):
        Receipt = self.env["prro.receipt"]
        if retry:  # the receipt queue's back-off elapsed
            Receipt.search([("state", "in", ("to_send", "sending"))]).write({"next_try": fields.Datetime.now()})
        Receipt._cron_send()
        self.env.invalidate_all()

    def chat(self, chat_id):
        return [m["text"] for m in self.tg.messages_to(chat_id)]

    def chatter(self, order):
        return "\n".join(order.message_ids.mapped("body"))

    def customer_conversation(self, phone, chat_id):
        conversation = self.env["chatbot.conversation"].create({
            "bot_id": self.bot.id, "company_id": self.env.company.id, "chat_id": chat_id, "state": "open",
            "phone": phone, "lang": "uk_UA", "last_message_date": fields.Datetime.now(),
            "last_inbound_date": fields.Datetime.now()})
        conversation.lead_id = self.env["crm.lead"].create({
            "name": "Питання про товар", "chatbot_conversation_id": conversation.id, "phone": phone})
        return conversation

    # -- the flows -------------------------------------------------------------------------
    def test_rozetka_automatic_messenger_customer(self):
        """Rozetka order, automatic waybill, customer in Telegram: no manual step at all."""
        conversation = self.customer_conversation("+380671234567", "7001")
        self.env["marketplace.channel"]._cron_push_stock()
        before = self.products[0].with_context(warehouse_id=self.warehouse.id).free_qty
        # 1. order in: confirmed, reserved, other channel to be told the new free quantity, linked to the chat
        self.np.fail_next(NP_DOWN)  # stage 2 fails once
        binding = self.rozetka_order(6101, place="12")
        order = binding.sale_order_id
        picking = order._np_delivery_picking()
        self.assertEqual((order.state, picking.state), ("sale", "assigned"))
        self.env["marketplace.channel"]._cron_push_stock()
        self.assertEqual(self.prom.products[701]["quantity_in_stock"], before - 2, "new free quantity on Prom")
        self.assertEqual(order.opportunity_id, conversation.lead_id)
        self.assertEqual(picking.nova_poshta_cod_amount, 0.0, "paid online at Rozetka")
        self.assertEqual(order.np_match_state, "matched")

        # 5 (money, paid online): fiscalized at once; Checkbox down once -> the receipt waits -> sent once
        receipt = order.prro_receipt_ids
        self.assertEqual(receipt.key, f"marketplace_paid:{self.rozetka_channel.id}:6101")
        self.checkbox.fail_next(Fault.server_error(502), method="POST", path=r".*/receipts/sell")
        self.send_receipts()
        self.assertNotEqual(receipt.state, "done")
        self.send_receipts(retry=True)
        self.send_receipts(retry=True)
        self.assertEqual(len(self.checkbox.receipts), 1, "one fiscal receipt")
        self.assertEqual(order.prro_receipt_ids, receipt)

        # 2. automatic waybill: Nova Poshta down -> stuck with the reason -> retry -> one waybill
        self.flow_cron()
        self.assertTrue(order.flow_stuck)
        self.assertEqual(order.flow_stage, "ready")
        self.assertFalse(picking.nova_poshta_number)
        self.rozetka.fail_next(Fault.server_error(502), method="PUT")  # stage 3 (marketplace) fails once
        self.flow_cron()
        self.assertTrue(picking.nova_poshta_number)
        self.assertEqual(len(self.np.documents), 1)
        # 3. waybill number to Rozetka: refused once -> stuck -> retried -> sent once
        self.assertTrue(order.flow_stuck)
        self.assertIn("marketplace", order.flow_issue)
        self.send_statuses(retry=True)
        self.flow_cron()
        self.assertFalse(order.flow_stuck, order.flow_issue)
        ttn_updates = [body["ttn"] for _oid, body in self.rozetka.status_updates if body.get("ttn")]
        self.assertEqual(ttn_updates, [picking.nova_poshta_number])

        # 4. Nova Poshta takes the parcel: delivery done, the customer gets the number in Telegram;
        #    Telegram down once -> the message waits in the queue -> sent once
        self.tg.fail_next(TG_DOWN)
        self.tracking(picking, 5)
        self.assertEqual((picking.state, order.flow_stage), ("done", "shipped"))
        self.send_messages()  # "order confirmed" and "shipped": one of them meets the outage
        self.send_messages(retry=True)
        texts = self.chat("7001")
        shipped = [t for t in texts if picking.nova_poshta_number in t]
        self.assertEqual(len(shipped), 1, texts)
        self.assertEqual(len(texts), 2, "confirmed + shipped, nothing twice")

        # 5. at the branch / received: once each, in Ukrainian
        self.tracking(picking, 7)
        self.tracking(picking, 8)
        self.tracking(picking, 9)
        self.send_messages()
        texts = self.chat("7001")
        self.assertEqual(len(texts), 4, texts)
        self.assertIn("прибуло", texts[2])
        self.assertIn("отримано", texts[3])
        self.assertEqual(order.flow_stage, "delivered")
        self.send_statuses()
        self.assertEqual(len([1 for _oid, body in self.rozetka.status_updates if body.get("ttn")]), 1,
                         "the waybill went to Rozetka once (Rozetka follows the parcel itself from there)")

        # 6. N days later: "how did it go?" (Telegram down once -> retried), 1 -> activity for the salesperson
        picking.np_delivered_at = fields.Datetime.now() - timedelta(days=4)
        self.tg.fail_next(TG_DOWN)
        self.assertEqual(self.env["sale.order"]._cron_np_ask_rating(), 1)
        self.assertEqual(self.env["sale.order"]._cron_np_ask_rating(), 0)
        self.send_messages()
        self.send_messages(retry=True)
        asks = [m for m in self.tg.messages_to("7001") if m["reply_markup"] and "keyboard" in m["reply_markup"]]
        self.assertEqual(len(asks), 1)
        self.assertEqual(len(asks[0]["reply_markup"]["keyboard"]), 5)
        conversation._chatbot_on_text("⭐ 1", None)
        self.assertEqual(order.np_rating, 1)
        self.assertEqual(order.rating_ids.filtered("consumed").rating, 1)
        low = order.activity_ids.filtered(lambda a: a.activity_type_id == self.env.ref(
            "nova_poshta_crm_chatbot.mail_activity_type_low_rating"))
        self.assertEqual(low.user_id, self.salesman)

        # 7. the chatter tells the story
        story = self.chatter(order)
        for step in ("confirmed, stock reserved", "waybill", "Rozetka shop took the waybill", "Shop TG", "⭐",
                     "At the branch", "Delivered"):
            self.assertIn(step, story)

    def test_prom_manual_waybill_email_customer_cod(self):
        """Prom order with an unknown branch, manual waybill (the one click), customer by e-mail, COD."""
        binding = self.prom_order(5101, branch="77", email="buyer@example.com")
        order = binding.sale_order_id
        picking = order._np_delivery_picking()
        # 2. the branch is not guessed: stuck, with the city's branches to choose from
        self.assertTrue(order.flow_stuck)
        self.assertEqual(order.np_match_state, "no_branch")
        self.assertTrue(order.np_branch_candidate_ids)
        self.flow_cron()
        self.assertFalse(self.np.documents, "nothing sent while the branch is unknown")
        self.branch["wh-lviv-7"].with_context(np_order_id=order.id).action_np_choose_for_order()
        self.assertFalse(order.flow_stuck)
        self.flow_cron()
        self.assertFalse(picking.nova_poshta_number, "Prom channel: waybills by hand")
        # the one manual step; Nova Poshta refuses the first time, the second press makes the waybill
        # (each press queues it; the waybill cron creates it right after the click commits)
        self.np.fail_next(NP_DOWN)
        order.action_np_create_waybill()
        self.create_waybills()
        self.assertTrue(order.flow_stuck)
        self.assertIn("Waybill", order.flow_issue)
        order.action_np_create_waybill()
        self.create_waybills()
        self.assertEqual(len(self.np.documents), 1)
        self.assertEqual(picking.nova_poshta_cod_amount, 100.0)
        self.flow_cron()
        self.assertEqual([d["declaration_id"] for d in self.prom.declarations], [picking.nova_poshta_number])
        # 3/4. told by e-mail (no messenger): shipped with the tracking link, at the branch, received
        self.tracking(picking, 5)
        self.tracking(picking, 7)
        self.tracking(picking, 7)
        self.tracking(picking, 9)
        mails = self.env["mail.mail"].search([("model", "=", "stock.picking"), ("res_id", "=", picking.id)])
        self.assertEqual(len(mails), 3)
        self.assertIn(f"cargo_number={picking.nova_poshta_number}", mails.sorted("id")[0].body_html)
        # 5. COD paid out: the payment is registered on the invoice, once
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertFalse(order.prro_receipt_ids, "cash on delivery: nothing fiscalized before the payout")
        self.tracking(picking, 11)
        self.tracking(picking, 11)
        self.assertEqual(invoice.payment_state in ("paid", "in_payment"), True)
        receipt = order.prro_receipt_ids
        self.assertEqual(receipt.key, f"np_cod:{picking.nova_poshta_document_ref}")
        self.assertEqual(receipt.amount_cashless, 100.0)
        self.send_receipts()
        self.send_receipts(retry=True)
        self.assertEqual(len(self.checkbox.receipts), 1)
        self.assertEqual(order.flow_stage, "delivered")

    def test_refused_parcel_comes_back(self):
        order = self.rozetka_order(6102, place="1").sale_order_id
        self.flow_cron()
        picking = order._np_delivery_picking()
        self.tracking(picking, 5)
        self.tracking(picking, 102, UndeliveryReasonsSubtypeDescription="Відмова від отримання",
                      LastCreatedOnTheBasisNumber="20459999999999")
        self.assertEqual(order.flow_stage, "refused")
        self.assertTrue(picking.activity_ids, "the salesperson is asked to act")
        self.tracking(picking, 102, UndeliveryReasonsSubtypeDescription="Відмова від отримання",
                      LastCreatedOnTheBasisNumber="20459999999999")
        returns = order.picking_ids.filtered(lambda p: p.picking_type_code == "incoming")
        self.assertEqual(len(returns), 1, "one return picking")
        self.assertEqual(returns.nova_poshta_number, "20459999999999", "the return waybill is followed")
