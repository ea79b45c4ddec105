from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from tests.fakes.base import Fault

from .common import MarketplaceCommon


@tagged("post_install", "-at_install")
class TestMarketplaceSync(MarketplaceCommon):
    def test_credentials_are_system_only(self):
        salesman = new_test_user(self.env, "mp_salesman", groups="sales_team.group_sale_salesman")
        self.assertEqual(self.prom_channel.with_user(salesman).channel_type, "prom")
        for secret in ("api_token", "login", "password", "base_url", "feed_token"):
            with self.assertRaises(AccessError):
                self.prom_channel.with_user(salesman).read([secret])

    def test_connection_and_bad_credentials(self):
        self.prom_channel.action_test_connection()
        self.rozetka_channel.action_test_connection()
        self.prom_channel.api_token = "wrong"
        result = self.prom_channel.action_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertIn("token", self.prom_channel.last_error)
        self.assertEqual(self.prom_channel.log_ids.filtered("error").status_code, 401)
        # issue 14: a refusal is answered in plain words (no error dialog) and kept under Last error
        self.rozetka_channel.password = "wrong"
        params = self.rozetka_channel.action_import_offers()["params"]
        self.assertEqual(params["type"], "warning")
        self.assertIn("refused the request", params["message"])
        self.assertIn("Rozetka login failed", self.rozetka_channel.last_error)

    def test_offer_import_matches_by_sku_and_lists_unmatched(self):
        self._import_offers()
        offers = self.prom_channel.offer_ids
        self.assertEqual(len(offers), 4)
        self.assertEqual(offers.filtered("product_id").product_id, self.products)
        self.assertEqual(offers.filtered(lambda o: not o.product_id).external_id, "199")
        self.assertEqual(self.prom_channel.unmatched_count, 1)
        self.prom_channel.action_import_offers()  # re-import: no duplicates
        self.assertEqual(len(self.prom_channel.offer_ids), 4)

    def test_free_quantity_minus_buffer_is_pushed_in_batches(self):
        self._import_offers()
        self._push_all()
        self.assertEqual(self.prom.products[101]["quantity_in_stock"], 9)  # 10 on hand - buffer 1
        self.assertEqual(self.rozetka.items[501]["stock_quantity"], 10)
        self.assertEqual(len(self.prom.requests_to(r".*/products/edit")), 1)
        # a reservation (confirmed sale order) changes the free quantity and marks the offers dirty
        order = self.env["sale.order"].create({
            "partner_id": self.env.ref("base.res_partner_2").id, "warehouse_id": self.warehouse.id,
            "order_line": [(0, 0, {"product_id": self.products[0].id, "product_uom_qty": 4})]})
        order.action_confirm()
        self.env.cr.flush()  # the changes of a transaction are written at commit (or at a savepoint)
        self.assertTrue(self.env["marketplace.stock.event"].search_count([("product_id", "=", self.products[0].id)]))
        self._push_all()
        self.assertFalse(self.env["marketplace.stock.event"].search_count([]))
        self.assertEqual(self.prom.products[101]["quantity_in_stock"], 5)
        self.assertEqual(self.rozetka.items[501]["stock_quantity"], 6)
        edit = self.prom.requests_to(r".*/products/edit")[-1].json
        self.assertEqual([item["id"] for item in edit], [101], "only the changed offer is sent")
        # cancelling gives the stock back
        order._action_cancel()
        self._push_all()
        self.assertEqual(self.prom.products[101]["quantity_in_stock"], 9)
        # never below zero
        self.prom_channel.stock_buffer = 50
        self.prom_channel.action_full_resync()
        self.assertEqual(self.prom.products[102]["quantity_in_stock"], 0)
        self.assertEqual(self.prom.products[102]["presence"], "not_available")

    def test_marketplace_down_nothing_lost(self):
        self._import_offers()
        self.prom.fail_next(Fault.server_error(502))
        self.prom_channel._push_dirty_offers()
        self.assertTrue(all(self.prom_channel.offer_ids.filtered("product_id").mapped("dirty")))
        self.assertIn("502", self.prom_channel.last_error)
        log = self.prom_channel.log_ids.filtered(lambda entry: entry.status_code == 502)
        self.assertEqual(len(log), 1)
        self.prom_channel._push_dirty_offers()
        self.assertFalse(any(self.prom_channel.offer_ids.filtered("product_id").mapped("dirty")))
        self.assertEqual(self.prom.products[103]["quantity_in_stock"], 9)

    def test_price_from_pricelist(self):
        self.env["product.pricelist.item"].create({
            "pricelist_id": self.pricelist.id, "applied_on": "0_product_variant",
            "product_id": self.products[1].id, "compute_price": "fixed", "fixed_price": 149.0})
        self._import_offers()
        self._push_all()
        self.assertEqual(self.prom.products[102]["price"], 149.0)
        self.assertEqual(self.prom.products[101]["price"], 100.0)
