from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from tests.fakes.bas_soap import PATH, BasSoapFake


@tagged("post_install", "-at_install")
class TestMarketplaceBas(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bas = BasSoapFake().start()
        cls.addClassCleanup(cls.bas.stop)
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.env.company.id)], limit=1)
        cls.pricelist = cls.env["product.pricelist"].create({"name": "BAS prices"})
        cls.channel = cls.env["marketplace.channel"].create({
            "name": "BAS", "channel_type": "bas", "login": "odoo", "password": "secret",
            "base_url": cls.bas.url + PATH, "bas_warehouse": "Основний", "warehouse_id": cls.warehouse.id,
            "pricelist_id": cls.pricelist.id, "currency_id": cls.env.company.currency_id.id})
        cls.kettle, cls.mug = cls.env["product.product"].create([
            {"name": "Чайник", "default_code": "BAS-1", "is_storable": True, "list_price": 1},
            {"name": "Кружка", "barcode": "4820000099992", "is_storable": True, "list_price": 1}])
        cls.env["stock.quant"]._update_available_quantity(cls.kettle, cls.warehouse.lot_stock_id, 3)
        cls.bas.add_item("BAS-1", 12, 799.0, name="Чайник")
        cls.bas.add_item("OTHER", 5, 50.0, name="Кружка", barcode="4820000099992")
        cls.bas.add_item("NOPE", 1, 10.0, name="Невідомий")

    def setUp(self):
        super().setUp()
        self.bas.add_item("BAS-1", 12, 799.0, name="Чайник")  # tests change it: every test starts the same

    def _qty(self, product):
        return product.with_context(warehouse_id=self.warehouse.id).qty_available

    def test_import_stock_and_prices_by_sku_and_barcode(self):
        self.assertEqual(self.channel.action_test_connection()["params"]["type"], "success")
        result = self.channel.action_import_bas_stock()
        self.assertIn("1", result["params"]["message"])  # one item without a product
        self.assertEqual(self._qty(self.kettle), 12.0)
        self.assertEqual(self._qty(self.mug), 5.0)
        self.assertEqual(self.pricelist._get_product_price(self.kettle, 1.0), 799.0)
        self.assertEqual(self.pricelist._get_product_price(self.mug, 1.0), 50.0)
        # re-import after a change in BAS: adjusted, not added; price items not duplicated
        self.bas.add_item("BAS-1", 4, 749.0, name="Чайник")
        self.channel.action_import_bas_stock()
        self.assertEqual(self._qty(self.kettle), 4.0)
        self.assertEqual(self.env["product.pricelist.item"].search_count(
            [("pricelist_id", "=", self.pricelist.id), ("product_id", "=", self.kettle.id)]), 1)
        self.assertEqual(self.pricelist._get_product_price(self.kettle, 1.0), 749.0)
        self.assertTrue(self.channel.log_ids.filtered(lambda log: log.operation == "GetStock"))
        # nothing is ever pushed to a stock source, and the push cron stays quiet
        self.assertEqual(self.channel._push_dirty_offers(), 0)
        self.assertFalse(self.channel.last_error)

    def test_bas_errors_are_reported(self):
        self.channel.bas_warehouse = "Немає"
        with self.assertRaises(UserError):
            self.channel.action_import_bas_stock()
        self.env["marketplace.channel"]._cron_import_bas_stock()  # the cron records the error and goes on
        self.assertIn("Склад не знайдено", self.channel.last_error)
        self.channel.password = "wrong"
        self.assertEqual(self.channel.action_test_connection()["params"]["type"], "danger")
        self.assertEqual(self.channel.log_ids.filtered("error")[:1].status_code, 401)

    def test_goods_shipped_from_odoo_are_not_put_back_on_sale(self):
        """Deltas: BAS's hourly snapshot does not know Odoo's sales; only BAS's own change is applied."""
        self.channel.action_import_bas_stock()
        self.assertEqual(self._qty(self.kettle), 12.0)
        order = self.env["sale.order"].create({
            "partner_id": self.env.ref("base.res_partner_2").id, "warehouse_id": self.warehouse.id,
            "order_line": [(0, 0, {"product_id": self.kettle.id, "product_uom_qty": 2})]})
        order.action_confirm()
        picking = order.picking_ids
        picking.move_ids.quantity = 2
        picking.move_ids.picked = True
        picking._action_done()
        self.assertEqual(self._qty(self.kettle), 10.0)
        self.channel.action_import_bas_stock()  # BAS still says 12: it did not see the Odoo sale
        self.assertEqual(self._qty(self.kettle), 10.0, "the 2 shipped units are not back on sale")
        self.bas.add_item("BAS-1", 17, 799.0, name="Чайник")  # a receipt of 5 in BAS
        self.channel.action_import_bas_stock()
        self.assertEqual(self._qty(self.kettle), 15.0)
        snapshot = self.env["marketplace.bas.stock"].search(
            [("channel_id", "=", self.channel.id), ("product_id", "=", self.kettle.id)])
        self.assertEqual(snapshot.quantity, 17.0)

    def test_bas_prices_reach_the_marketplaces(self):
        from tests.fakes.prom import PREFIX, PromFake

        prom = PromFake().start()
        self.addCleanup(prom.stop)
        prom.add_product(11, sku="BAS-1")
        prom_channel = self.env["marketplace.channel"].create({
            "name": "Prom BAS prices", "channel_type": "prom", "api_token": "prom-token",
            "base_url": prom.url + PREFIX, "warehouse_id": self.warehouse.id, "pricelist_id": self.pricelist.id,
            "currency_id": self.env.company.currency_id.id})
        prom_channel.action_import_offers()
        self.env["marketplace.channel"]._cron_push_stock()
        self.assertEqual(prom.products[11]["price"], 1.0)
        self.channel.action_import_bas_stock()
        self.env["marketplace.channel"]._cron_push_stock()
        self.assertEqual(prom.products[11]["price"], 799.0, "BAS price import pushed")
        self.assertEqual(prom.products[11]["quantity_in_stock"], 12)
