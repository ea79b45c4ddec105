from odoo.tests import TransactionCase

from tests.fakes.nova_poshta import PATH, NovaPoshtaFake

KEY = "f" * 32


class NovaPoshtaCommon(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fake = NovaPoshtaFake(api_key=KEY).start()
        cls.addClassCleanup(cls.fake.stop)
        # waybill attempts are committed by their own cursor: remove the ones this class made
        cls.env.cr.execute("SELECT coalesce(max(id), 0) FROM stock_picking")
        first_free = cls.env.cr.fetchone()[0]

        def drop_attempts():
            with cls.registry.cursor() as cr:
                cr.execute("DELETE FROM nova_poshta_attempt WHERE picking_key > %s", [first_free])

        cls.addClassCleanup(drop_attempts)
        # waybills of other carriers/data already in the database must not take part in these tests
        # (a delivered COD parcel stays followed until paid out: mark those paid out too)
        cls.env["stock.picking"].search(cls.env["stock.picking"]._nova_poshta_open_domain()).write(
            {"nova_poshta_state": "delivered", "nova_poshta_cod_received": True})
        cls.fake.add_city("city-kyiv", "Київ")
        cls.fake.add_city("city-lviv", "Львів", "Львівська")
        cls.fake.add_warehouse("wh-kyiv-1", "city-kyiv", 1)
        cls.fake.add_warehouse("wh-lviv-5", "city-lviv", 5)
        cls.fake.add_warehouse("wh-lviv-locker", "city-lviv", 3001, category="Postomat", max_weight=20)
        cls.env["ir.config_parameter"].sudo().set_param("nova_poshta.api_url", cls.fake.url + PATH)
        cls.env["ir.config_parameter"].sudo().set_param("nova_poshta.print_url", cls.fake.url)
        product = cls.env["product.product"].create({"name": "Nova Poshta delivery", "type": "service"})
        cls.carrier = cls.env["delivery.carrier"].create({
            "name": "Nova Poshta", "delivery_type": "nova_poshta", "product_id": product.id,
            "nova_poshta_api_key": KEY, "nova_poshta_sender_phone": "+380501112233",
            "nova_poshta_cod_mode": "backward", "integration_level": "rate_and_ship",
        })
        # crons and buttons take the first Nova Poshta carrier: keep the database's own ones out of the way
        cls.env["delivery.carrier"].search([("delivery_type", "=", "nova_poshta"), ("id", "!=", cls.carrier.id)]
                                           ).active = False
        cls.env["nova_poshta.city"]._nova_poshta_sync(cls.carrier)
        cls.City = cls.env["nova_poshta.city"]
        cls.Warehouse = cls.env["nova_poshta.warehouse"]
        cls.kyiv = cls.City.search([("ref", "=", "city-kyiv")])
        cls.lviv = cls.City.search([("ref", "=", "city-lviv")])
        cls.carrier.write({
            "nova_poshta_sender_city_id": cls.kyiv.id,
            "nova_poshta_sender_warehouse_id": cls.Warehouse.search([("ref", "=", "wh-kyiv-1")]).id,
        })
        cls.carrier.action_nova_poshta_test_connection()
        cls.customer = cls.env["res.partner"].create({
            "name": "Петренко Олена", "mobile": "+38 (067) 123-45-67", "email": "olena@example.com",
            "nova_poshta_city_id": cls.lviv.id,
            "nova_poshta_warehouse_id": cls.Warehouse.search([("ref", "=", "wh-lviv-5")]).id,
        })
        cls.product = cls.env["product.product"].create({
            "name": "Кросівки", "is_storable": True, "list_price": 1500.0, "weight": 1.2})
        cls.stock_location = cls.env.ref("stock.stock_location_stock")
        cls.env["stock.quant"]._update_available_quantity(cls.product, cls.stock_location, 100)

    def setUp(self):
        super().setUp()
        self.fake.documents.clear()
        self.fake.statuses.clear()
        self.fake.scan_sheets.clear()
        self.fake.reset()

    def _order(self, partner=None, qty=1):
        order = self.env["sale.order"].create({
            "partner_id": (partner or self.customer).id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": qty})],
        })
        order.set_delivery_line(self.carrier, 70.0)
        order.action_confirm()
        return order

    def _validate(self, picking):
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        result = picking.button_validate()
        self._create_waybills()
        return result

    def _create_waybills(self):
        """What happens right after a validation commits: the waybill cron it triggered runs."""
        return self.env["stock.picking"]._cron_nova_poshta_create_waybills()
