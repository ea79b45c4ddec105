"""Marketplace channels (Prom / Rozetka fakes) shipping with a Nova Poshta carrier (NP fake)."""

from odoo import fields
from odoo.tests import TransactionCase

from odoo.addons.marketplace_connector.tools.rozetka_api import RozetkaApi

from tests.fakes.nova_poshta import PATH, NovaPoshtaFake
from tests.fakes.prom import PREFIX, PromFake
from tests.fakes.rozetka import RozetkaFake

NP_KEY = "e" * 32


class MarketplaceNovaPoshtaSetup:
    """Fixtures shared by the bridge tests and the end-to-end suite (mixed into a TransactionCase)."""

    @classmethod
    def setup_marketplace_nova_poshta(cls):
        env = cls.env
        cls.np = NovaPoshtaFake(api_key=NP_KEY).start()
        cls.prom = PromFake().start()
        cls.rozetka = RozetkaFake().start()
        for fake in (cls.np, cls.prom, cls.rozetka):
            cls.addClassCleanup(fake.stop)
        RozetkaApi._tokens.clear()
        # waybill attempts are committed by their own cursor: remove the ones this class made
        env.cr.execute("SELECT coalesce(max(id), 0) FROM stock_picking")
        first_free = env.cr.fetchone()[0]

        def drop_attempts():
            with cls.registry.cursor() as cr:
                cr.execute("DELETE FROM nova_poshta_attempt WHERE picking_key > %s", [first_free])

        cls.addClassCleanup(drop_attempts)
        env["stock.picking"].search(env["stock.picking"]._nova_poshta_open_domain()).write(
            {"nova_poshta_state": "delivered"})
        for ref, name, area in (("city-kyiv", "Київ", "Київська"), ("city-lviv", "Львів", "Львівська"),
                                ("city-mk-1", "Миколаївка", "Донецька"), ("city-mk-2", "Миколаївка", "Сумська")):
            cls.np.add_city(ref, name, area)
        for ref, city, number, extra in (("wh-kyiv-1", "city-kyiv", 1, {}), ("wh-kyiv-12", "city-kyiv", 12, {}),
                                         ("wh-lviv-5", "city-lviv", 5, {}), ("wh-lviv-7", "city-lviv", 7, {}),
                                         ("wh-mk2-3", "city-mk-2", 3, {}),
                                         ("wh-lviv-locker", "city-lviv", 3001, {"category": "Postomat"})):
            cls.np.add_warehouse(ref, city, number, **extra)
        params = env["ir.config_parameter"].sudo()
        params.set_param("nova_poshta.api_url", cls.np.url + PATH)
        params.set_param("nova_poshta.print_url", cls.np.url)
        delivery_product = env["product.product"].create({"name": "Nova Poshta delivery", "type": "service"})
        cls.carrier = env["delivery.carrier"].create({
            "name": "Nova Poshta (marketplaces)", "delivery_type": "nova_poshta", "product_id": delivery_product.id,
            "nova_poshta_api_key": NP_KEY, "nova_poshta_sender_phone": "+380501112233",
            "nova_poshta_cod_mode": "backward", "integration_level": "rate_and_ship",
        })
        env["delivery.carrier"].search([("delivery_type", "=", "nova_poshta"), ("id", "!=", cls.carrier.id)]
                                       ).active = False
        env["nova_poshta.city"]._nova_poshta_sync(cls.carrier)
        Warehouse = env["nova_poshta.warehouse"]
        cls.kyiv = env["nova_poshta.city"].search([("ref", "=", "city-kyiv")])
        cls.lviv = env["nova_poshta.city"].search([("ref", "=", "city-lviv")])
        cls.branch = {w.ref: w for w in Warehouse.search([("ref", "like", "wh-")])}
        cls.carrier.write({"nova_poshta_sender_city_id": cls.kyiv.id,
                           "nova_poshta_sender_warehouse_id": cls.branch["wh-kyiv-1"].id})
        cls.carrier.action_nova_poshta_test_connection()

        cls.warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
        uah = env.ref("base.UAH")
        uah.active = True
        cls.pricelist = env["product.pricelist"].create({"name": "Marketplace prices", "currency_id": uah.id})
        common = {"warehouse_id": cls.warehouse.id, "currency_id": uah.id, "pricelist_id": cls.pricelist.id,
                  "nova_poshta_carrier_id": cls.carrier.id}
        cls.prom_channel = env["marketplace.channel"].create(dict(
            common, name="Prom shop", channel_type="prom", api_token="prom-token", base_url=cls.prom.url + PREFIX))
        cls.rozetka_channel = env["marketplace.channel"].create(dict(
            common, name="Rozetka shop", channel_type="rozetka", login="seller", password="pa$$",
            base_url=cls.rozetka.url, nova_poshta_auto_waybill=True))
        cls.products = env["product.product"].create([
            {"name": f"Товар {i}", "default_code": f"NPB-{i}", "is_storable": True, "list_price": 100.0 * i,
             "weight": 0.5} for i in range(1, 3)])
        for product in cls.products:
            env["stock.quant"]._update_available_quantity(product, cls.warehouse.lot_stock_id, 1000)
        for i, product in enumerate(cls.products, start=1):
            cls.prom.add_product(700 + i, sku=product.default_code, name=product.name)
            cls.rozetka.add_item(900 + i, article=product.default_code, name=product.name)
        cls.prom_channel.action_import_offers()
        cls.rozetka_channel.action_import_offers()

    def reset_fakes(self):
        for fake in (self.np, self.prom, self.rozetka):
            fake.reset()
        self.np.documents.clear()
        self.np.statuses.clear()
        self.prom.orders.clear()
        self.rozetka.orders.clear()
        self.prom.declarations.clear()
        self.prom.statuses.clear()
        self.rozetka.status_updates.clear()

    def prom_order(self, oid, branch="5", city="Львів", payment="Оплата при отриманні", paid=None, **extra):
        """A Prom order of product 1 delivered to `city`, Nova Poshta branch `branch`; imported."""
        if paid is not None:
            extra["payment_data"] = {"type": "evopay", "status": "paid" if paid else "unpaid"}
        self.prom.add_order(oid, [{"id": 701, "sku": "NPB-1", "name": "Товар 1", "quantity": 1, "price": 100}],
                            delivery_address=f"{city}, Відділення №{branch}",
                            payment_option={"id": 1, "name": payment},
                            delivery_provider_data={"provider": "nova_poshta", "type": "W2W",
                                                    "recipient_warehouse_id": branch}, **extra)
        self.prom_channel._import_orders()
        return self.env["marketplace.order"].search(
            [("channel_id", "=", self.prom_channel.id), ("external_id", "=", str(oid))])

    def rozetka_order(self, oid, place="12", city="Київ", payment="Оплата карткою онлайн", paid=True, **extra):
        self.rozetka.add_order(oid, [{"item_id": 901, "name": "Товар 1", "quantity": 2, "price": 100,
                                      "article": "NPB-1"}],
                               delivery={"delivery_service_name": "Нова Пошта", "place_number": place,
                                         "city": {"name_ua": city, "name": city}},
                               payment={"payment_method_name": payment}, is_payed=paid, **extra)
        self.rozetka_channel._import_orders()
        return self.env["marketplace.order"].search(
            [("channel_id", "=", self.rozetka_channel.id), ("external_id", "=", str(oid))])

    def flow_cron(self):
        """The flow's crons: automatic waybills, the waybills queued by a click (nova_poshta's waybill cron),
        then marketplace_connector's status outbox (due rows)."""
        result = self.env["stock.picking"]._cron_marketplace_nova_poshta_flow()
        self.create_waybills()
        self.send_statuses()
        return result

    def create_waybills(self):
        """What happens right after a 'Create waybill' click commits: the waybill cron it triggered runs."""
        created = self.env["stock.picking"]._cron_nova_poshta_create_waybills()
        self.env.invalidate_all()
        return created

    def send_statuses(self, retry=False):
        Status = self.env["marketplace.order.status"]
        if retry:  # the outbox's back-off delay elapsed
            Status.search([("state", "=", "pending")]).write({"next_attempt": fields.Datetime.now()})
        Status._cron_send_status()
        self.env.invalidate_all()

    def tracking(self, picking, code, **extra):
        self.np.set_status(picking.nova_poshta_number, code, **extra)
        picking.nova_poshta_checked_at = False
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()
        self.env.invalidate_all()


class MarketplaceNovaPoshtaCommon(MarketplaceNovaPoshtaSetup, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_marketplace_nova_poshta()

    def setUp(self):
        super().setUp()
        self.reset_fakes()
