"""Validating a delivery never waits on, or fails because of, Nova Poshta: the waybill is queued on the
picking and created right after the validation commits by the cron it triggers."""

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from tests.fakes.base import Fault

from .common import NovaPoshtaCommon


@tagged("post_install", "-at_install")
class TestNovaPoshtaWaybillQueue(NovaPoshtaCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cron = cls.env.ref("nova_poshta.ir_cron_nova_poshta_create_waybills")
        cls.storekeeper = new_test_user(cls.env, "np_queue_storekeeper", groups="stock.group_stock_user")

    def _documents_saved(self):
        return len([c for c in self.fake.calls("save") if c["modelName"] == "InternetDocument"])

    def _validate_only(self, picking, user=None):
        """The storekeeper's click, without what happens after the commit."""
        picking = picking.with_user(user or self.storekeeper)
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        return picking.button_validate()

    def _due_now(self, pickings):
        """Time passes: the planned retry is due."""
        pickings.nova_poshta_waybill_next_try = fields.Datetime.subtract(fields.Datetime.now(), seconds=1)

    def test_validation_while_nova_poshta_hangs_then_the_cron_creates_one_waybill(self):
        picking = self._order().picking_ids
        self.fake.fail_next(Fault.timeout(11), times=50)  # Nova Poshta hangs on every call
        calls = len(self.fake.requests)
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])
        self._validate_only(picking)
        self.assertEqual(len(self.fake.requests), calls, "the validation does not call Nova Poshta at all")
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.nova_poshta_waybill_state, "queued")
        self.assertFalse(picking.nova_poshta_number)
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]), triggers + 1,
                         "the cron is triggered: it runs as soon as the validation commits")
        # Nova Poshta answers again: the cron creates exactly one waybill and says so in the chatter
        self.fake.reset()
        self.assertEqual(self.env["stock.picking"]._cron_nova_poshta_create_waybills(), 1)
        self.assertEqual(picking.nova_poshta_waybill_state, "done")
        self.assertTrue(picking.nova_poshta_number)
        self.assertEqual(picking.carrier_tracking_ref, picking.nova_poshta_number)
        self.assertEqual(self._documents_saved(), 1)
        self.assertTrue(any(picking.nova_poshta_number in (m.body or "") for m in picking.message_ids),
                        "the result is in the chatter")
        self.assertEqual(self.env["stock.picking"]._cron_nova_poshta_create_waybills(), 0)
        self.assertEqual(self._documents_saved(), 1, "never a second waybill")

    def test_network_failure_is_retried_later_with_the_reason_shown(self):
        picking = self._order().picking_ids
        self._validate_only(picking)
        self.fake.fail_next(Fault.server_error(503))
        Picking = self.env["stock.picking"]
        before = fields.Datetime.now()
        Picking._cron_nova_poshta_create_waybills()
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.nova_poshta_waybill_state, "error")
        self.assertIn("unreachable right now (HTTP 503)", picking.nova_poshta_waybill_error)
        self.assertGreaterEqual(picking.nova_poshta_waybill_next_try, fields.Datetime.add(before, seconds=59))
        self.assertIn("next try", picking.message_ids[0].body)
        # not due yet: nothing is sent in a loop
        calls = len(self.fake.requests)
        Picking._cron_nova_poshta_create_waybills()
        self.assertEqual(len(self.fake.requests), calls)
        # the cron is triggered again for the planned retry
        trigger = self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)], order="id desc", limit=1)
        self.assertEqual(trigger.call_at, picking.nova_poshta_waybill_next_try)
        self._due_now(picking)
        Picking._cron_nova_poshta_create_waybills()
        self.assertEqual(picking.nova_poshta_waybill_state, "done")
        self.assertFalse(picking.nova_poshta_waybill_error)
        self.assertEqual(picking.nova_poshta_waybill_tries, 2)
        self.assertEqual(self._documents_saved(), 1)

    def test_refusal_marks_the_picking_and_the_others_are_still_processed(self):
        company = self.env["res.partner"].create({
            "name": "ТОВ Ромашка", "is_company": True, "vat": "12345", "mobile": "+380671112233",
            "nova_poshta_city_id": self.lviv.id, "nova_poshta_warehouse_id": self.customer.nova_poshta_warehouse_id.id})
        first, refused, last = (self._order().picking_ids, self._order(partner=company).picking_ids,
                                self._order().picking_ids)
        for picking in first | refused | last:
            self._validate_only(picking)
        self.assertEqual(set((first | refused | last).mapped("nova_poshta_waybill_state")), {"queued"})
        self.assertEqual(self.env["stock.picking"]._cron_nova_poshta_create_waybills(), 2)
        self.assertEqual((first | last).mapped("nova_poshta_waybill_state"), ["done", "done"])
        self.assertTrue(first.nova_poshta_number and last.nova_poshta_number)
        self.assertEqual(refused.nova_poshta_waybill_state, "error")
        self.assertIn("EDRPOU", refused.nova_poshta_waybill_error)
        self.assertFalse(refused.nova_poshta_waybill_next_try, "a refusal is not retried by itself")
        self.assertIn("Retry now", refused.message_ids[0].body)
        self.assertEqual(refused.state, "done")
        # the storekeeper fixes the tax id and presses "Retry now"
        company.vat = "12345678"
        answer = refused.with_user(self.storekeeper).action_nova_poshta_retry_waybill()
        self.assertEqual(answer["params"]["queued_ids"], refused.ids)
        self.assertEqual(refused.nova_poshta_waybill_state, "queued")
        self.env["stock.picking"]._cron_nova_poshta_create_waybills()
        self.assertEqual(refused.nova_poshta_waybill_state, "done")
        self.assertEqual(self._documents_saved(), 3)
        with self.assertRaises(UserError):
            refused.action_nova_poshta_retry_waybill()

    def test_crash_after_nova_poshta_accepted_creates_no_duplicate(self):
        picking = self._order().picking_ids
        self._validate_only(picking)

        class WorkerKilled(Exception):
            pass

        # the worker dies after Nova Poshta made the waybill, before its transaction commits
        with self.assertRaises(WorkerKilled), self.env.cr.savepoint():
            self.env["stock.picking"]._cron_nova_poshta_create_waybills()
            self.assertTrue(picking.nova_poshta_number)
            raise WorkerKilled()
        self.env.invalidate_all()
        self.assertFalse(picking.nova_poshta_number, "rolled back")
        self.assertEqual(len(self.fake.documents), 1, "but Nova Poshta has the waybill")
        # in production the claim ("creating") was committed: the next run takes it over once its lease ends
        picking.write({"nova_poshta_waybill_state": "creating"})
        self._due_now(picking)
        self.env["stock.picking"]._cron_nova_poshta_create_waybills()
        self.assertEqual(picking.nova_poshta_waybill_state, "done")
        self.assertEqual(picking.nova_poshta_number, next(iter(self.fake.documents.values()))["IntDocNumber"])
        self.assertEqual(len(self.fake.documents), 1, "found by the lookup, not made twice")
        self.assertEqual(self._documents_saved(), 1)

    def test_creating_state_is_not_taken_before_its_lease_ends(self):
        picking = self._order().picking_ids
        self._validate_only(picking)
        picking.write({"nova_poshta_waybill_state": "creating",
                       "nova_poshta_waybill_next_try": fields.Datetime.add(fields.Datetime.now(), minutes=5)})
        calls = len(self.fake.requests)
        self.env["stock.picking"]._cron_nova_poshta_create_waybills()
        self.assertEqual(len(self.fake.requests), calls, "another worker is on it")
        self.assertEqual(picking.nova_poshta_waybill_state, "creating")

    def test_bad_input_is_refused_at_validation_before_any_call(self):
        partner = self.env["res.partner"].create({"name": "Олена", "phone": "12345",
                                                  "nova_poshta_city_id": self.lviv.id})
        picking = self._order(partner=partner).picking_ids
        calls = len(self.fake.requests)
        with self.assertRaises(UserError) as error:
            self._validate_only(picking)
        self.assertIn("phone", str(error.exception))
        self.assertEqual(len(self.fake.requests), calls)
        self.assertFalse(picking.nova_poshta_waybill_state)

    def test_create_waybill_button_queues_and_answers(self):
        picking = self._order().picking_ids
        picking.picking_type_id.print_label = False  # this warehouse makes waybills by hand
        self._validate_only(picking)
        self.assertFalse(picking.nova_poshta_waybill_state)
        calls = len(self.fake.requests)
        answer = picking.with_user(self.storekeeper).action_nova_poshta_create_waybills()
        self.assertEqual(len(self.fake.requests), calls, "the click does not wait on Nova Poshta")
        self.assertEqual(answer["params"]["type"], "success")
        self.assertIn("queued", answer["params"]["message"])
        self.assertEqual(picking.nova_poshta_waybill_state, "queued")
        self.env["stock.picking"]._cron_nova_poshta_create_waybills()
        self.assertTrue(picking.nova_poshta_number)
        self.assertEqual(self._documents_saved(), 1)

    def test_cancelled_picking_leaves_the_queue(self):
        picking = self._order().picking_ids
        picking.action_nova_poshta_create_waybills()  # queued before the validation (e.g. from the list)
        picking.action_cancel()
        calls = len(self.fake.requests)
        self.env["stock.picking"]._cron_nova_poshta_create_waybills()
        self.assertEqual(len(self.fake.requests), calls)
        self.assertFalse(picking.nova_poshta_waybill_state)

    def test_reason_and_chatter_in_the_shops_language(self):
        self.env["res.lang"]._activate_lang("uk_UA")
        self.env["ir.module.module"].search([("name", "=", "nova_poshta")])._update_translations("uk_UA")
        self.env.company.partner_id.lang = "uk_UA"
        picking = self._order().picking_ids
        self._validate_only(picking)
        self.fake.fail_next(Fault.server_error(503))
        cron_env = self.env(user=self.env.ref("base.user_root"), context={"lang": "en_US"})
        cron_env["stock.picking"]._cron_nova_poshta_create_waybills()
        self.assertIn("Нова Пошта зараз недоступна", picking.nova_poshta_waybill_error)
        self.assertIn("наступна спроба", picking.message_ids[0].body)
