from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from tests.fakes.prom import PREFIX

from .common import MarketplaceCommon


@tagged("post_install", "-at_install")
class TestMarketplacePrices(MarketplaceCommon):
    """Any price change reaches the marketplaces through the push cron (issue 13)."""

    def setUp(self):
        super().setUp()
        self._import_offers()
        self._push_all()
        self.cron = self.env.ref("marketplace_connector.ir_cron_marketplace_push_stock")

    def _triggers(self):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])

    def _commit_point(self):
        """What a commit does first: the transaction's queued changes are written (precommit hooks)."""
        self.env.flush_all()
        self.env.cr.flush()

    def test_pricelist_rule_change_is_pushed(self):
        self.assertEqual(self.prom.products[101]["price"], 100.0)
        triggers = self._triggers()
        manager = new_test_user(self.env, "mp_price_manager", groups="sales_team.group_sale_manager")
        rule = self.env["product.pricelist.item"].with_user(manager).create({
            "pricelist_id": self.pricelist.id, "applied_on": "3_global", "compute_price": "percentage",
            "percent_price": 10})
        self.assertEqual(self._triggers(), triggers + 1, "the push cron is woken")
        self._commit_point()
        Event = self.env["marketplace.stock.event"]
        self.assertEqual(Event.search_count([("channel_id", "=", self.prom_channel.id)]), 3,
                         "one row per product of the channel priced by the pricelist")
        self.assertFalse(Event.search_count([("channel_id", "=", self.rozetka_channel.id)]),
                         "the Rozetka channel has no pricelist: untouched")
        self.prom.reset()
        self.rozetka.reset()
        self._push_all()
        self.assertEqual([self.prom.products[100 + i]["price"] for i in (1, 2, 3)], [90.0, 180.0, 270.0])
        self.assertEqual(len(self.prom.requests_to(PREFIX + "/products/edit")), 1, "one batch")
        self.assertFalse(self.rozetka.requests_to("/items/mass-update"), "nothing for the other channel")
        # a category rule moved to another category: old and new products are re-priced
        categ = self.env["product.category"].create({"name": "Акція"})
        self.products[1].categ_id = categ
        self._push_all()
        rule.write({"applied_on": "2_product_category", "categ_id": categ.id, "percent_price": 50})
        self._push_all()
        self.assertEqual([self.prom.products[100 + i]["price"] for i in (1, 2, 3)], [100.0, 100.0, 300.0])
        rule.unlink()
        self._push_all()
        self.assertEqual(self.prom.products[102]["price"], 200.0)

    def test_pricelist_based_on_another_pricelist(self):
        base = self.env["product.pricelist"].create({"name": "Base"})
        self.env["product.pricelist.item"].create({
            "pricelist_id": self.pricelist.id, "applied_on": "3_global", "compute_price": "formula",
            "base": "pricelist", "base_pricelist_id": base.id, "price_discount": 0})
        self._push_all()
        self.env["product.pricelist.item"].create({
            "pricelist_id": base.id, "applied_on": "0_product_variant", "product_id": self.products[2].id,
            "compute_price": "fixed", "fixed_price": 333})
        self._push_all()
        self.assertEqual(self.prom.products[103]["price"], 333.0)

    def test_dated_rule_pushed_when_it_starts(self):
        start = fields.Datetime.now() + timedelta(hours=2)
        triggers = self._triggers()
        rule = self.env["product.pricelist.item"].create({
            "pricelist_id": self.pricelist.id, "applied_on": "0_product_variant", "product_id": self.products[0].id,
            "compute_price": "fixed", "fixed_price": 49, "date_start": start})
        self.assertGreaterEqual(self._triggers(), triggers + 1)
        self.assertTrue(self.env["ir.cron.trigger"].search_count(
            [("cron_id", "=", self.cron.id), ("call_at", "=", start)]), "the push cron is woken when it starts")
        self._push_all()
        self.assertEqual(self.prom.products[101]["price"], 100.0, "not started yet")
        # two hours later (no write happens at that moment): the cron run at the start pushes the new price
        self.env.cr.execute("UPDATE product_pricelist_item SET date_start = %s WHERE id = %s",
                            [fields.Datetime.now() - timedelta(minutes=1), rule.id])
        self.env["ir.config_parameter"].sudo().set_param(  # the previous cron run, before the start
            "marketplace_connector.price_dates_checked", fields.Datetime.to_string(
                fields.Datetime.now() - timedelta(hours=2)))
        self.env.invalidate_all()
        self._push_all()
        self.assertEqual(self.prom.products[101]["price"], 49.0)

    def test_sales_price_change_is_pushed_everywhere(self):
        manager = new_test_user(self.env, "mp_product_manager", groups="sales_team.group_sale_manager")
        self.products[0].product_tmpl_id.with_user(manager).list_price = 555
        self._push_all()
        self.assertEqual(self.prom.products[101]["price"], 555.0, "pricelist without rule: the sales price")
        self.assertEqual(self.rozetka.items[501]["price"], 555, "no pricelist: the sales price")
        self.assertEqual(self.prom.products[102]["price"], 200.0)

    def test_stock_and_trigger_rows_proportional_to_products(self):
        products = self.env["product.product"].create([
            {"name": f"Receipt {i}", "default_code": f"RC-{i}", "is_storable": True} for i in range(10)])
        self.env["marketplace.offer"].create([
            {"channel_id": self.prom_channel.id, "external_id": str(7000 + i), "product_id": p.id}
            for i, p in enumerate(products)])
        self._commit_point()
        self.env["marketplace.stock.event"]._consume()
        receipt_type = self.warehouse.in_type_id
        picking = self.env["stock.picking"].create({
            "picking_type_id": receipt_type.id, "location_id": self.env.ref("stock.stock_location_suppliers").id,
            "location_dest_id": self.stock.id, "move_ids": [(0, 0, {
                "name": p.name, "product_id": p.id, "product_uom_qty": 5, "product_uom": p.uom_id.id,
                "location_id": self.env.ref("stock.stock_location_suppliers").id, "location_dest_id": self.stock.id,
            }) for p in products for _line in range(5)]})  # 50 lines, 10 products
        picking.action_confirm()
        triggers = self._triggers()
        storekeeper = new_test_user(self.env, "mp_storekeeper", groups="stock.group_stock_user")
        picking.with_user(storekeeper).button_validate()  # Inventory rights only
        self._commit_point()
        self.env.cr.execute("SELECT count(*), count(DISTINCT product_id) FROM marketplace_stock_event")
        rows, distinct = self.env.cr.fetchone()
        self.assertEqual(distinct, 10)
        # one row per product per write-out (commit or savepoint: validation runs one savepoint), never one per
        # move line or quant update (50 lines, ~100 quant updates here)
        self.assertLessEqual(rows, 2 * distinct, "proportional to the products, not to the move lines")
        self.assertLessEqual(self._triggers() - triggers, 1, "one cron trigger for the whole receipt")

    def test_hand_mapped_offer_is_pushed_at_once(self):
        unmatched = self.prom_channel.offer_ids.filtered(lambda o: not o.product_id)
        extra = self.env["product.product"].create({"name": "Зайвий", "is_storable": True, "list_price": 77})
        self.env["stock.quant"]._update_available_quantity(extra, self.stock, 4)
        self._push_all()
        triggers = self._triggers()
        unmatched.product_id = extra
        self.assertTrue(unmatched.dirty)
        self.assertEqual(self._triggers(), triggers + 1, "mapping wakes the push cron at once")
        self._push_all()
        self.assertEqual((self.prom.products[199]["quantity_in_stock"], self.prom.products[199]["price"]), (3, 77.0))

    def test_malformed_offer_id_reported_on_its_row(self):
        product = self.env["product.product"].create({"name": "Кривий", "is_storable": True})
        bad_prom = self.env["marketplace.offer"].create(
            {"channel_id": self.prom_channel.id, "external_id": "SKU-X", "product_id": product.id})
        bad_rz = self.env["marketplace.offer"].create(
            {"channel_id": self.rozetka_channel.id, "external_id": "12ab", "product_id": product.id})
        missing = self.env["marketplace.offer"].create(
            {"channel_id": self.rozetka_channel.id, "external_id": "999999", "product_id": product.id})
        self.env["stock.quant"]._update_available_quantity(self.products[0], self.stock, 5)
        self._push_all()
        self.assertIn("SKU-X", bad_prom.push_error)
        self.assertIn("12ab", bad_rz.push_error)
        self.assertIn("item not found", missing.push_error, "the marketplace's own reason")
        self.assertFalse(self.prom_channel.last_error)
        self.assertEqual(self.prom.products[101]["quantity_in_stock"], 14, "the others were pushed")
        self.assertEqual(self.rozetka.items[501]["stock_quantity"], 15, "and the other channel too")
        self.assertFalse(self.prom_channel.last_error)
        bad_prom.external_id = "199"  # corrected by hand: pushed again, error cleared
        self.assertTrue(bad_prom.dirty)
        self.assertFalse(bad_prom.push_error)

    def test_test_and_production_endpoints(self):
        channel = self.prom_channel
        # production: the marketplace's API (overridable for a proxy), never the test URL
        channel.write({"prod_environment": True, "base_url": "http://127.0.0.1:9/nothing"})
        self.assertEqual(channel._endpoint(), "https://my.prom.ua/api/v1")
        self.env["ir.config_parameter"].sudo().set_param("marketplace.prom.prod_url", self.prom.url + PREFIX)
        self.assertEqual(channel.action_test_connection()["params"]["type"], "success")
        # test mode: the test URL; without one nothing is called
        channel.write({"prod_environment": False, "base_url": False})
        with self.assertRaises(UserError):
            channel.action_test_connection()
        channel.base_url = self.prom.url + PREFIX
        self.prom.reset()
        self.assertEqual(channel.action_test_connection()["params"]["type"], "success")
        self.assertEqual(len(self.prom.requests), 1)

    def test_offer_import_reads_marketplace_field_names(self):
        self.rozetka.add_item(777, article="SKU-2", name="Other listing", price_offer_id="RZ-OFFER-2")
        self.prom.add_product(777, sku="SKU-3", external_id="PROM-FEED-3")
        self._import_offers()
        rz = self.rozetka_channel.offer_ids.filtered(lambda o: o.external_id == "777")
        self.assertEqual((rz.feed_offer_id, rz.sku, rz.product_id), ("RZ-OFFER-2", "SKU-2", self.products[1]))
        first = self.rozetka_channel.offer_ids.filtered(lambda o: o.external_id == "501")
        self.assertEqual(first.feed_offer_id, "SKU-1", "Rozetka's price_offer_id")
        prom = self.prom_channel.offer_ids.filtered(lambda o: o.external_id == "777")
        self.assertEqual((prom.feed_offer_id, prom.product_id), ("PROM-FEED-3", self.products[2]))


@tagged("post_install", "-at_install")
class TestMarketplaceRatePush(MarketplaceCommon):
    def test_currency_rate_change_is_pushed(self):
        company = self.env.company
        usd = self.env.ref("base.USD")
        target = self.env.ref("base.UAH") if company.currency_id != self.env.ref("base.UAH") else usd
        target.active = True
        self.env["res.currency.rate"].search([("currency_id", "=", target.id)]).unlink()
        rate = self.env["res.currency.rate"].create({
            "currency_id": target.id, "company_id": company.id, "name": fields.Date.today(), "rate": 40.0})
        self.prom_channel.currency_id = target
        self._import_offers()
        self._push_all()
        self.assertEqual(self.prom.products[101]["price"], 4000.0)
        rate.rate = 42.0  # e.g. the NBU import of the day
        self._push_all()
        self.assertEqual(self.prom.products[101]["price"], 4200.0)
        self.assertEqual(self.prom.products[103]["price"], 12600.0)
