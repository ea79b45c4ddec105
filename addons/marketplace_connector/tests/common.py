from odoo.tests import TransactionCase

from odoo.addons.marketplace_connector.tools.rozetka_api import RozetkaApi

from tests.fakes.prom import PREFIX, PromFake
from tests.fakes.rozetka import RozetkaFake


class MarketplaceCommon(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.prom = PromFake().start()
        cls.rozetka = RozetkaFake().start()
        cls.addClassCleanup(cls.prom.stop)
        cls.addClassCleanup(cls.rozetka.stop)
        RozetkaApi._tokens.clear()
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.env.company.id)], limit=1)
        cls.stock = cls.warehouse.lot_stock_id
        cls.pricelist = cls.env["product.pricelist"].create({"name": "Marketplace prices"})
        cls.prom_channel = cls.env["marketplace.channel"].create({
            "name": "Prom shop", "channel_type": "prom", "api_token": "prom-token",
            "base_url": cls.prom.url + PREFIX, "warehouse_id": cls.warehouse.id, "stock_buffer": 1,
            "pricelist_id": cls.pricelist.id, "commission_percent": 5,
            # prices in the tests are in the company currency (the demo data activates hryvnia with a rate)
            "currency_id": cls.env.company.currency_id.id,
        })
        cls.rozetka_channel = cls.env["marketplace.channel"].create({
            "name": "Rozetka shop", "channel_type": "rozetka", "login": "seller", "password": "pa$$",
            "base_url": cls.rozetka.url, "warehouse_id": cls.warehouse.id,
            "currency_id": cls.env.company.currency_id.id,
        })
        cls.products = cls.env["product.product"].create([
            {"name": f"Товар {i}", "default_code": f"SKU-{i}", "barcode": f"48200000{i:05d}",
             "is_storable": True, "list_price": 100.0 * i} for i in range(1, 4)])
        for product in cls.products:
            cls.env["stock.quant"]._update_available_quantity(product, cls.stock, 10)
        for i, product in enumerate(cls.products, start=1):
            cls.prom.add_product(100 + i, sku=product.default_code, name=product.name)
            cls.rozetka.add_item(500 + i, article=product.default_code, name=product.name)
        cls.prom.add_product(199, sku="UNKNOWN", name="Не наш товар")

    def setUp(self):
        super().setUp()
        for fake in (self.prom, self.rozetka):
            fake.reset()
        self.prom.orders.clear()
        self.rozetka.orders.clear()

    def _import_offers(self):
        self.prom_channel.action_import_offers()
        self.rozetka_channel.action_import_offers()

    def _push_all(self):
        self.env["marketplace.channel"]._cron_push_stock()

    def _send_statuses(self):
        """Run the status outbox cron (what the server does after the business transaction committed)."""
        self.env["marketplace.order.status"]._cron_send_status()
