from odoo.tests import tagged

from tests.fakes.base import Response

from .common import NovaPoshtaCommon


@tagged("post_install", "-at_install")
class TestNovaPoshtaTrackingButton(NovaPoshtaCommon):
    def _shipped(self):
        order = self._order()
        self._validate(order.picking_ids)
        return order.picking_ids
    def test_update_tracking_answers_with_the_status(self):
        picking = self._shipped()
        self.fake.set_status(picking.nova_poshta_number, 5)
        action = picking.action_nova_poshta_update_tracking()
        self.assertEqual(picking.nova_poshta_state, "in_transit")
        self.assertTrue(picking.nova_poshta_history_ids, "the status history shows on the picking")
        params = action["params"]
        self.assertEqual((params["type"], params["next"]["tag"]), ("success", "soft_reload"))
        self.assertIn("In transit", params["message"])
        arch = self.env["stock.picking"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("action_nova_poshta_update_tracking", arch)

    def test_update_tracking_when_nova_poshta_fails(self):
        picking = self._shipped()
        self.fake.fail_next(Response.json({"success": False, "data": [], "errors": ["Service Unavailable"],
                                           "errorCodes": ["20000100016"], "warnings": [], "info": []}))
        params = picking.action_nova_poshta_update_tracking()["params"]
        self.assertEqual(params["type"], "warning")
        self.assertIn("No answer from Nova Poshta", params["message"])
        self.assertNotIn("20000100016", params["message"])
        self.assertTrue(picking.nova_poshta_tracking_error, "the detail is kept on the picking")
