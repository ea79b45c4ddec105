from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import NovaPoshtaCommon


@tagged("post_install", "-at_install")
class TestNovaPoshtaExtras(NovaPoshtaCommon):
    """Quotes with volume and seats, streets loaded on demand, the risk figure on leads."""

    def test_rate_sends_volume_and_seats_from_the_products(self):
        bulky = self.env["product.product"].create({
            "name": "Шафа", "is_storable": True, "list_price": 9000.0, "weight": 40.0, "volume": 0.05})
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [(0, 0, {"product_id": bulky.id, "product_uom_qty": 2})],
        })
        result = self.carrier.rate_shipment(order)
        self.assertTrue(result["success"], result)
        sent = self.fake.calls("getDocumentPrice")[-1]["methodProperties"]
        # 80 kg -> three seats of at most 30 kg; 0.1 m³ of goods -> each seat grown from the 30x20x10 box
        self.assertEqual(sent["SeatsAmount"], 3)
        self.assertEqual(len(sent["OptionsSeat"]), 3)
        self.assertAlmostEqual(sum(seat["weight"] for seat in sent["OptionsSeat"]), 80.0, places=2)
        self.assertAlmostEqual(sent["VolumeGeneral"], 0.1, places=2)
        self.assertGreater(sent["OptionsSeat"][0]["volumetricLength"], 30)
        # a light order without product volume is one default box
        small = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})],
        })
        self.carrier.rate_shipment(small)
        sent = self.fake.calls("getDocumentPrice")[-1]["methodProperties"]
        self.assertEqual(sent["SeatsAmount"], 1)
        self.assertEqual(sent["OptionsSeat"][0]["volumetricLength"], 30)
        self.assertAlmostEqual(sent["VolumeGeneral"], 0.006)
        self.assertAlmostEqual(sent["Weight"], 1.2)

    def test_streets_loaded_on_demand_for_the_partner(self):
        self.fake.add_street("city-lviv", "st-gor", "Городоцька")
        self.fake.add_street("city-lviv", "st-gorn", "Городницька")
        self.fake.add_street("city-lviv", "st-shev", "Шевченка")
        partner = self.env["res.partner"].create({
            "name": "Коваль Андрій", "street": "вул. Городоцька, 15а", "nova_poshta_city_id": self.lviv.id})
        partner.action_nova_poshta_find_streets()
        self.assertEqual(partner.nova_poshta_street_id.ref, "st-gor")
        self.assertEqual(self.lviv.settlement_ref, "s-city-lviv")
        sent = self.fake.calls("searchSettlementStreets")[-1]["methodProperties"]
        self.assertEqual(sent["StreetName"], "Городоцька")
        # the settlement is looked up once; a second search only asks for streets, and stores no duplicates
        partner.street = "Город"
        partner.action_nova_poshta_find_streets()
        self.assertEqual(len(self.fake.calls("searchSettlements")), 1)
        self.assertEqual(self.env["nova_poshta.street"].search_count([("city_id", "=", self.lviv.id)]), 2)
        partner.street = "1"
        with self.assertRaises(UserError):
            partner.action_nova_poshta_find_streets()

    def test_risk_shown_on_leads(self):
        partner = self.env["res.partner"].create({
            "name": "Бондар Тарас", "mobile": "0679990011", "nova_poshta_city_id": self.lviv.id,
            "nova_poshta_warehouse_id": self.Warehouse.search([("ref", "=", "wh-lviv-5")]).id})
        pickings = self.env["stock.picking"]
        for _i in range(4):
            picking = self._order(partner=partner).picking_ids
            self._validate(picking)
            pickings |= picking
        for picking, code in zip(pickings, ("9", "103", "9", "9"), strict=True):
            self.fake.set_status(picking.nova_poshta_number, code)
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()
        lead = self.env["crm.lead"].create({"name": "Ще одне замовлення", "partner_id": partner.id})
        self.assertEqual(lead.nova_poshta_cod_parcels, 4)
        self.assertAlmostEqual(lead.nova_poshta_risk, 25.0)

    def test_amounts_sent_in_hryvnias_whatever_the_order_currency(self):
        uah = self.env.ref("base.UAH")
        uah.active = True
        if self.env.company.currency_id == uah:
            self.skipTest("the company already works in UAH")
        self.env["res.currency.rate"].search([("currency_id", "in", (uah | self.env.company.currency_id).ids)]).unlink()
        self.env["res.currency.rate"].create({
            "currency_id": uah.id, "rate": 40.0, "name": "2020-01-01", "company_id": self.env.company.id})
        order = self._order()
        self.assertEqual(order.currency_id, self.env.company.currency_id)
        picking = order.picking_ids
        goods = sum(order.order_line.filtered(lambda line: not line.is_delivery).mapped("price_total"))
        self.assertAlmostEqual(picking.nova_poshta_cod_amount, goods * 40, places=2)
        self._validate(picking)
        sent = self.fake.calls("save")[-1]["methodProperties"]
        self.assertAlmostEqual(float(sent["Cost"]), round(goods * 40, 2), places=2)
        self.assertEqual(sent["BackwardDeliveryData"][0]["RedeliveryString"], str(round(goods * 40, 2)))
        # the quote is asked in hryvnias and comes back in the order's currency
        quote = self.carrier.rate_shipment(order)
        asked = self.fake.calls("getDocumentPrice")[-1]["methodProperties"]
        self.assertAlmostEqual(asked["Cost"], round(goods * 40, 2), places=2)
        cod_fee = round(20 + 0.02 * asked["RedeliveryCalculate"]["Amount"], 2)
        self.assertAlmostEqual(quote["price"], (70 + cod_fee) / 40, places=2)

    def test_add_shipping_wizard_shows_price_and_expected_date(self):
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})],
        })
        wizard = self.env["choose.delivery.carrier"].with_context(
            default_order_id=order.id, default_carrier_id=self.carrier.id).create({})
        wizard.total_weight = 5.0  # the user corrects the weight in the wizard
        wizard.update_price()
        sent = self.fake.calls("getDocumentPrice")[-1]["methodProperties"]
        self.assertAlmostEqual(sent["Weight"], 5.0)
        self.assertIn("2026-11-25", wizard.delivery_message)
        self.assertGreater(wizard.delivery_price, 0)
        wizard.button_confirm()
        line = order.order_line.filtered("is_delivery")
        self.assertEqual(line.product_id, self.carrier.product_id)
        self.assertAlmostEqual(line.price_unit, wizard.delivery_price, places=2)
        self.assertIn("2026-11-25", order.delivery_message)
