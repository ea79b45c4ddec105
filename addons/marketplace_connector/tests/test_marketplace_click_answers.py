"""Every marketplace button answers: counts on success, plain words (and when the next try is) when the
marketplace cannot be reached, and the form reloads to the new state."""

from odoo.tests import tagged

from tests.fakes.base import Fault

from .common import MarketplaceCommon


@tagged("post_install", "-at_install")
class TestMarketplaceClickAnswers(MarketplaceCommon):
    def _params(self, action):
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["next"], {"type": "ir.actions.client", "tag": "soft_reload"})
        return action["params"]

    def test_import_orders_answers_with_counts(self):
        self._import_offers()
        self.prom.add_order(41, [{"id": 101, "sku": "SKU-1", "name": "Товар", "quantity": 1, "price": 100}])
        self.prom.add_order(42, [{"id": 199, "sku": "UNKNOWN", "name": "Не наш товар", "quantity": 1,
                                  "price": 50}])
        params = self._params(self.prom_channel.action_import_orders())
        self.assertEqual(params["type"], "success")
        self.assertIn("imported 2 orders, 1 with an exception", params["message"])

    def test_import_orders_when_the_marketplace_is_down(self):
        """No error dialog with a stack of technical words: the owner reads that there is no connection
        and when the next try is; the technical detail is kept on the channel (not rolled back)."""
        self.prom.fail_next(Fault.server_error(503), times=20)
        params = self._params(self.prom_channel.action_import_orders())
        self.assertEqual(params["type"], "warning")
        self.assertTrue(params["sticky"])
        self.assertIn("No connection with Prom shop", params["message"])
        self.assertRegex(params["message"], r"try again (at \d\d:\d\d|later)")
        self.assertNotIn("HTTP 503", params["message"])
        self.assertIn("503", self.prom_channel.last_error, "the detail stays on the channel")

    def test_full_resync_answers_with_counts(self):
        self._import_offers()
        params = self._params(self.prom_channel.action_full_resync())
        self.assertEqual(params["type"], "success")
        self.assertIn("Prom shop: 3 offers sent, 0 waiting.", params["message"])
        self.prom.fail_next(Fault.server_error(503), times=20)
        params = self._params(self.prom_channel.action_full_resync())
        self.assertEqual(params["type"], "warning")
        self.assertIn("No connection with Prom shop", params["message"])

    def test_retry_answers_with_counts(self):
        self._import_offers()
        self.prom.add_order(43, [{"id": 199, "sku": "UNKNOWN", "name": "Не наш товар", "quantity": 1,
                                  "price": 50}])
        self.prom_channel.action_import_orders()
        binding = self.env["marketplace.order"].search([("channel_id", "=", self.prom_channel.id),
                                                        ("external_id", "=", "43")])
        self.assertEqual(binding.state, "exception")
        params = self._params(binding.action_retry())
        self.assertEqual(params["type"], "warning")
        self.assertIn("Retried 1 orders: 0 imported, 1 still in exception.", params["message"])
