"""Issue 14: what the tracking cron writes for the staff is in the shop's language (its company partner's),
not the cron user's; the waybill and scan-sheet buttons answer with counts, in plain words when Nova Poshta
cannot be reached (the technical detail kept on the picking), and reload the form."""

from odoo.tests import tagged

from tests.fakes.base import Fault

from .common import NovaPoshtaCommon


@tagged("post_install", "-at_install")
class TestNovaPoshtaLanguages(NovaPoshtaCommon):
    def _shipped(self):
        order = self._order()
        self._validate(order.picking_ids)
        return order.picking_ids

    def test_tracking_cron_error_in_the_shops_language(self):
        self.env["res.lang"]._activate_lang("uk_UA")
        self.env["ir.module.module"].search([("name", "=", "nova_poshta")])._update_translations("uk_UA")
        self.env.company.partner_id.lang = "uk_UA"
        picking = self._shipped()
        self.fake.fail_next(Fault.server_error(503), times=5)
        cron_env = self.env(user=self.env.ref("base.user_root"), context={"lang": "en_US"})
        cron_env["stock.picking"]._cron_nova_poshta_update_tracking()
        self.assertIn("Нова Пошта зараз недоступна", picking.nova_poshta_tracking_error)

    def test_scan_sheet_without_connection_answers_in_plain_words(self):
        picking = self._shipped()
        self.fake.fail_next(Fault.server_error(503), times=5)
        params = picking.action_nova_poshta_scan_sheet()["params"]
        self.assertEqual((params["type"], params["sticky"]), ("warning", True))
        self.assertIn("No connection with Nova Poshta for 1 waybills", params["message"])
        self.assertNotIn("503", params["message"], "the technical detail is folded away")
        self.assertIn("503", picking.nova_poshta_scan_error, "and kept on the picking")
        self.assertEqual(params["next"]["tag"], "soft_reload")
        self.assertFalse(picking.nova_poshta_registry_number)
        self.fake.reset()  # Nova Poshta answers again
        params = picking.action_nova_poshta_scan_sheet()["params"]
        self.assertEqual(params["type"], "success")
        self.assertTrue(picking.nova_poshta_registry_number)

    def test_create_waybills_answers_with_counts(self):
        order = self._order()
        picking = order.picking_ids
        if picking.nova_poshta_document_ref:
            picking.cancel_shipment()
        params = picking.action_nova_poshta_create_waybills()["params"]
        # the click queues the waybill (created right after it commits, see test_nova_poshta_waybill_queue)
        self.assertIn("1 Nova Poshta waybills queued, 0 not queued.", params["message"])
        self.assertEqual(params["next"]["tag"], "soft_reload")
        self._create_waybills()
        self.assertTrue(picking.nova_poshta_number)
