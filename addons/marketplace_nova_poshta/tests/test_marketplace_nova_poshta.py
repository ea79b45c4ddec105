from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from tests.fakes.base import Fault, Response

from .common import MarketplaceNovaPoshtaCommon

NP_DOWN = Response.json({"success": False, "data": [], "errors": ["Service Unavailable"],
                         "errorCodes": ["20000100016"], "warnings": [], "info": [], "warningCodes": [],
                         "infoCodes": [], "messageCodes": []})


@tagged("post_install", "-at_install")
class TestMarketplaceNovaPoshta(MarketplaceNovaPoshtaCommon):
    def test_prom_delivery_mapped_to_branch_and_cod(self):
        binding = self.prom_order(5001)
        order = binding.sale_order_id
        picking = order._np_delivery_picking()
        self.assertEqual(order.carrier_id, self.carrier)
        self.assertEqual(picking.carrier_id, self.carrier)
        self.assertEqual(picking.state, "assigned", "stock reserved at once")
        self.assertEqual(order.np_match_state, "matched")
        self.assertEqual(picking.nova_poshta_city_id, self.lviv)
        self.assertEqual(picking.nova_poshta_warehouse_id, self.branch["wh-lviv-5"])
        self.assertEqual(picking.nova_poshta_cod_amount, 100.0, "cash on delivery: the order's goods (UAH)")
        self.assertEqual((order.flow_stage, order.flow_stuck), ("ready", False))

    def test_parcel_locker_and_city_in_two_regions(self):
        picking = self.prom_order(5002, branch="3001").sale_order_id._np_delivery_picking()
        self.assertEqual(picking.nova_poshta_warehouse_id, self.branch["wh-lviv-locker"])
        # two cities 'Миколаївка': only one has branch 3, so the branch decides
        picking = self.prom_order(5003, branch="3", city="Миколаївка").sale_order_id._np_delivery_picking()
        self.assertEqual(picking.nova_poshta_warehouse_id, self.branch["wh-mk2-3"])
        # ... and when neither has the branch nothing is guessed
        order = self.prom_order(5004, branch="9", city="Миколаївка").sale_order_id
        self.assertEqual(order.np_match_state, "ambiguous_city")
        self.assertFalse(order._np_delivery_picking().nova_poshta_city_id)
        self.assertTrue(order.flow_stuck)

    def test_paid_online_has_no_cod(self):
        picking = self.prom_order(5005, payment="Пром-оплата", paid=True).sale_order_id._np_delivery_picking()
        self.assertEqual(picking.nova_poshta_cod_amount, 0.0)
        picking = self.rozetka_order(6001, place="1").sale_order_id._np_delivery_picking()
        self.assertEqual(picking.nova_poshta_cod_amount, 0.0, "Rozetka paid online")
        picking = self.rozetka_order(6004, place="1", paid=False).sale_order_id._np_delivery_picking()
        self.assertEqual(picking.nova_poshta_cod_amount, 200.0, "Rozetka cash on delivery: 2 x 100")

    def test_unmatched_branch_is_an_exception_with_a_choice(self):
        order = self.prom_order(5006, branch="77").sale_order_id
        picking = order._np_delivery_picking()
        self.assertEqual(order.np_match_state, "no_branch")
        self.assertFalse(picking.nova_poshta_warehouse_id, "no guess")
        self.assertTrue(order.flow_stuck)
        self.assertIn("77", order.flow_issue)
        self.assertIn(self.branch["wh-lviv-7"], order.np_branch_candidate_ids)
        self.assertEqual(order.np_branch_candidate_ids[0], self.branch["wh-lviv-7"], "closest number first")
        with self.assertRaises(UserError):
            order.action_np_create_waybill()
        self.assertFalse(self.np.calls("save"), "nothing sent to Nova Poshta")
        self.branch["wh-lviv-7"].with_context(np_order_id=order.id).action_np_choose_for_order()
        self.assertEqual(order.np_match_state, "manual")
        self.assertEqual(picking.nova_poshta_warehouse_id, self.branch["wh-lviv-7"])
        self.assertFalse(order.flow_stuck)
        order.action_np_create_waybill()
        self.create_waybills()
        self.assertTrue(picking.nova_poshta_number)
        self.assertEqual(self.np.calls("save")[-1]["methodProperties"]["RecipientAddress"], "wh-lviv-7")

    def test_manual_waybill_back_to_prom_once(self):
        order = self.prom_order(5007).sale_order_id
        picking = order._np_delivery_picking()
        self.flow_cron()
        self.assertFalse(picking.nova_poshta_number, "Prom channel: no automatic waybill")
        order.action_np_create_waybill()
        self.create_waybills()
        self.assertEqual(order.flow_stage, "waybill")
        self.assertEqual(len(self.np.documents), 1)
        self.flow_cron()
        self.flow_cron()
        self.assertEqual([d["declaration_id"] for d in self.prom.declarations], [picking.nova_poshta_number])
        body = self.np.calls("save")[-1]["methodProperties"]
        self.assertEqual(body["BackwardDeliveryData"][0]["RedeliveryString"], "100.0")
        # NP takes the parcel: the delivery is done, the marketplace is not given the number again
        self.tracking(picking, 5)
        self.send_statuses()
        self.assertEqual(picking.state, "done")
        self.assertEqual(len(self.prom.declarations), 1)

    def test_automatic_waybill_failure_then_retry(self):
        self.np.fail_next(NP_DOWN)
        order = self.rozetka_order(6002, place="12").sale_order_id
        picking = order._np_delivery_picking()
        self.flow_cron()
        self.assertFalse(picking.nova_poshta_number)
        self.assertTrue(picking.np_waybill_error)
        self.assertTrue(order.flow_stuck)
        self.assertIn("Waybill", order.flow_issue)
        self.flow_cron()  # Nova Poshta answers again
        self.assertTrue(picking.nova_poshta_number)
        self.assertFalse(order.flow_stuck)
        self.assertEqual(len(self.np.documents), 1, "one waybill")
        ttn = [body for _oid, body in self.rozetka.status_updates if body.get("ttn")]
        self.assertEqual([body["ttn"] for body in ttn], [picking.nova_poshta_number], "told Rozetka once")

    def test_marketplace_refusing_the_waybill_number_is_retried(self):
        order = self.prom_order(5008).sale_order_id
        self.send_statuses()  # 'confirmed' out of the way
        self.prom.fail_next(Fault.server_error(502), path=r".*/delivery/save_declaration_id")
        order.action_np_create_waybill()
        self.flow_cron()
        self.assertTrue(order.flow_stuck)
        self.assertIn("marketplace", order.flow_issue)
        self.send_statuses(retry=True)
        self.assertFalse(order.flow_stuck, order.flow_issue)
        self.assertEqual(len(self.prom.declarations), 1)

    def test_nova_poshta_taking_the_parcel_completes_the_delivery(self):
        order = self.rozetka_order(6003, place="1").sale_order_id
        self.flow_cron()
        picking = order._np_delivery_picking()
        self.tracking(picking, 5)
        self.assertEqual(picking.state, "done")
        self.assertEqual(order.flow_stage, "shipped")
        self.tracking(picking, 7)
        self.assertEqual(order.flow_stage, "at_branch")
        self.tracking(picking, 9)
        self.assertEqual(order.flow_stage, "delivered")
        self.send_statuses()
        ttn = [body for _oid, body in self.rozetka.status_updates if body.get("ttn")]
        self.assertEqual(len(ttn), 1, "waybill told once")

    def test_stored_problem_in_the_shops_language(self):
        self.env["res.lang"]._activate_lang("uk_UA")
        self.env["ir.module.module"].search([("name", "=", "marketplace_nova_poshta")])._update_translations("uk_UA")
        self.env.company.partner_id.lang = "uk_UA"
        order = self.prom_order(5009, branch="77").sale_order_id  # imported by a cron: no user language
        self.assertIn("виберіть зі списку", order.np_match_note)
        self.assertIn("виберіть зі списку", order.flow_issue)

    def test_click_while_nova_poshta_hangs_queues_then_the_cron_makes_one_waybill(self):
        """'Create waybill' on a ready delivery never calls Nova Poshta in the click: it queues, answers at once,
        and the waybill cron creates the waybill right after, once; its number still reaches the marketplace."""
        order = self.prom_order(5010).sale_order_id
        picking = order._np_delivery_picking()
        self.send_statuses()  # 'confirmed' out of the way
        storekeeper = new_test_user(self.env, "np_bridge_storekeeper",
                                    groups="stock.group_stock_user")
        cron = self.env.ref("nova_poshta.ir_cron_nova_poshta_create_waybills")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.np.fail_next(Fault.timeout(11), times=50)  # Nova Poshta hangs on every call
        calls = len(self.np.requests)
        action = picking.with_user(storekeeper).action_np_create_waybill()
        self.assertEqual(len(self.np.requests), calls, "the click does not call Nova Poshta at all")
        self.assertEqual((action["params"]["type"], action["params"]["queued_ids"]), ("success", picking.ids))
        self.assertIn("1", action["params"]["message"])
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")
        self.assertEqual(picking.nova_poshta_waybill_state, "queued")
        self.assertFalse(picking.nova_poshta_number)
        self.assertEqual(picking.state, "assigned", "not validated: the marketplace flow goes on before")
        self.assertEqual(order.flow_stage, "waybill_queued", "the order's Create waybill button is hidden now")
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1,
                         "the waybill cron runs as soon as the click commits")
        # pressing again (or the order's button, or the flow cron) while it is queued makes nothing more
        self.assertEqual(order.action_np_create_waybill()["params"]["type"], "info")
        self.assertEqual(self.env["stock.picking"]._cron_marketplace_nova_poshta_flow(), 0)
        self.assertEqual(len(self.np.requests), calls)
        # Nova Poshta answers again: the cron creates exactly one waybill, the number goes to Prom once
        self.np.reset()
        self.assertEqual(self.create_waybills(), 1)
        self.assertEqual(picking.nova_poshta_waybill_state, "done")
        self.assertTrue(picking.nova_poshta_number)
        self.assertEqual(order.flow_stage, "waybill")
        self.assertEqual(self.create_waybills(), 0)
        self.flow_cron()
        self.flow_cron()
        self.assertEqual(len(self.np.documents), 1, "one waybill")
        self.assertEqual([d["declaration_id"] for d in self.prom.declarations], [picking.nova_poshta_number])
        self.assertIn(picking.nova_poshta_number, "".join(order.message_ids.mapped("body")))
