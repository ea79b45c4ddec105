from odoo.tests import tagged

from .common import NovaPoshtaCommon


@tagged("post_install", "-at_install")
class TestNovaPoshtaDestination(NovaPoshtaCommon):
    """Where the parcel goes, and to whom: the order's choice, the full name, a company."""

    def _sent(self):
        return [c for c in self.fake.calls("save") if c["modelName"] == "InternetDocument"][-1]["methodProperties"]

    def test_branch_chosen_on_the_order_is_where_the_parcel_goes(self):
        kyiv_branch = self.Warehouse.search([("ref", "=", "wh-kyiv-1")])
        locker = self.Warehouse.search([("ref", "=", "wh-lviv-locker")])
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})],
        })
        self.assertEqual(order.nova_poshta_warehouse_id.ref, "wh-lviv-5", "proposed from the address")
        order.write({"nova_poshta_city_id": self.kyiv.id, "nova_poshta_warehouse_id": kyiv_branch.id})
        order.set_delivery_line(self.carrier, 70.0)
        order.action_confirm()
        # the customer's address record is not touched behind the user's back
        self.assertEqual(self.customer.nova_poshta_warehouse_id.ref, "wh-lviv-5")
        self.assertEqual(self.customer.nova_poshta_city_id, self.lviv)
        picking = order.picking_ids
        self.assertEqual(picking.nova_poshta_warehouse_id, kyiv_branch)
        # changed on the order after confirmation: the picking follows
        order.write({"nova_poshta_city_id": self.lviv.id, "nova_poshta_warehouse_id": locker.id})
        self.assertEqual(picking.nova_poshta_warehouse_id, locker)
        self.assertEqual(self.customer.nova_poshta_warehouse_id.ref, "wh-lviv-5")
        self._validate(picking)
        self.assertEqual(self._sent()["RecipientAddress"], "wh-lviv-locker")
        self.assertEqual(self._sent()["CityRecipient"], "city-lviv")
        # once the waybill exists, a later change on the order does not pretend to move the parcel
        order.write({"nova_poshta_city_id": self.kyiv.id, "nova_poshta_warehouse_id": kyiv_branch.id})
        self.assertEqual(picking.nova_poshta_warehouse_id, locker)

    def test_middle_name_is_kept(self):
        partner = self.env["res.partner"].create({
            "name": "Шевченко Тарас Григорович", "mobile": "0671234000", "nova_poshta_city_id": self.lviv.id,
            "nova_poshta_warehouse_id": self.Warehouse.search([("ref", "=", "wh-lviv-5")]).id})
        self._validate(self._order(partner=partner).picking_ids)
        saved = [c for c in self.fake.calls("save") if c["modelName"] == "Counterparty"][-1]["methodProperties"]
        self.assertEqual((saved["LastName"], saved["FirstName"], saved["MiddleName"]),
                         ("Шевченко", "Тарас", "Григорович"))

    def test_company_recipient_is_sent_as_an_organisation(self):
        company = self.env["res.partner"].create({
            "name": "ТОВ Ромашка", "is_company": True, "vat": "UA12345678",
            "nova_poshta_city_id": self.lviv.id,
            "nova_poshta_warehouse_id": self.Warehouse.search([("ref", "=", "wh-lviv-5")]).id})
        contact = self.env["res.partner"].create({
            "name": "Коваленко Ірина", "parent_id": company.id, "mobile": "0679876543", "type": "delivery",
            "nova_poshta_city_id": self.lviv.id,
            "nova_poshta_warehouse_id": self.Warehouse.search([("ref", "=", "wh-lviv-5")]).id})
        order = self.env["sale.order"].create({
            "partner_id": company.id, "partner_shipping_id": contact.id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})],
        })
        order.set_delivery_line(self.carrier, 70.0)
        order.action_confirm()
        self._validate(order.picking_ids)
        saved = [c for c in self.fake.calls("save") if c["modelName"] == "Counterparty"]
        self.assertEqual(len(saved), 1)
        self.assertEqual(saved[0]["methodProperties"]["CounterpartyType"], "Organization")
        self.assertEqual(saved[0]["methodProperties"]["EDRPOU"], "12345678")
        person = self.fake.calls("save")
        person = [c for c in person if c["modelName"] == "ContactPerson"][-1]["methodProperties"]
        self.assertEqual((person["LastName"], person["FirstName"], person["Phone"]),
                         ("Коваленко", "Ірина", "380679876543"))
        sent = self._sent()
        self.assertEqual(sent["Recipient"], saved and self.fake.counterparties[("org", "12345678")][0])
        self.assertIn(sent["ContactRecipient"], self.fake.contacts)

    def test_repeat_customer_reuses_the_counterparty(self):
        for _i in range(3):
            self._validate(self._order().picking_ids)
        saves = [c for c in self.fake.calls("save") if c["modelName"] == "Counterparty"]
        self.assertEqual(len(saves), 1, "one Counterparty.save for three waybills of the same customer")
        documents = [c for c in self.fake.calls("save") if c["modelName"] == "InternetDocument"]
        self.assertEqual(len({d["methodProperties"]["ContactRecipient"] for d in documents}), 1)

    def test_recipient_forgotten_by_nova_poshta_is_saved_again(self):
        self._validate(self._order().picking_ids)
        self.fake.counterparties.clear()  # e.g. deleted in the cabinet: the remembered refs are now invalid
        self.fake.contacts.clear()
        picking = self._order().picking_ids
        self._validate(picking)
        self.assertTrue(picking.nova_poshta_number)
        saves = [c for c in self.fake.calls("save") if c["modelName"] == "Counterparty"]
        self.assertEqual(len(saves), 2, "saved again once, after NP refused the remembered refs")
        self.assertEqual(len(self.fake.documents), 2)
