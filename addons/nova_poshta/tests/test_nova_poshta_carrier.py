from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from tests.fakes.base import Fault

from .common import KEY, NovaPoshtaCommon


@tagged("post_install", "-at_install")
class TestNovaPoshtaCarrier(NovaPoshtaCommon):
    def test_api_key_is_system_only(self):
        user = new_test_user(self.env, "np_stock_user", groups="stock.group_stock_user")
        self.assertEqual(self.carrier.with_user(user).delivery_type, "nova_poshta")
        with self.assertRaises(AccessError):
            self.carrier.with_user(user).read(["nova_poshta_api_key"])

    def test_directories_synced_and_searchable(self):
        self.assertEqual(len(self.City.search([])), 2)
        locker = self.Warehouse.search([("ref", "=", "wh-lviv-locker")])
        self.assertEqual((locker.category, locker.max_weight, locker.city_id), ("postomat", 20.0, self.lviv))
        self.assertEqual(self.Warehouse.name_search("5")[0][0], self.Warehouse.search([("number", "=", "5")]).id)
        # a branch that disappears from Nova Poshta is archived, and comes back when it reappears
        saved = dict(self.fake.warehouses)
        self.addCleanup(lambda: (self.fake.warehouses.clear(), self.fake.warehouses.update(saved)))
        self.fake.warehouses.pop("wh-lviv-locker")
        self.env["nova_poshta.city"]._nova_poshta_sync(self.carrier)
        self.assertFalse(locker.active)
        self.assertEqual(self.carrier.nova_poshta_sender_ref, "sender-ref")

    def test_directory_cron_runs_in_batches_and_archives_at_the_end(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("nova_poshta.page_size", 1)
        params.set_param("nova_poshta.sync_pages_per_batch", 1)
        saved = dict(self.fake.warehouses)
        self.addCleanup(lambda: (self.fake.warehouses.clear(), self.fake.warehouses.update(saved)))
        self.fake.add_warehouse("wh-lviv-6", "city-lviv", 6)
        self.fake.warehouses.pop("wh-kyiv-1")
        pages = len(self.fake.warehouses)
        cron = self.env.ref("nova_poshta.ir_cron_nova_poshta_directories")
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.City._cron_nova_poshta_sync_directories()
        # first batch: every city page + one branch page; the rest is left for the next runs
        self.assertEqual(params.get_param("nova_poshta.sync_stage"), "warehouses")
        self.assertEqual(params.get_param("nova_poshta.sync_page"), "2")
        self.assertGreater(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers_before)
        kyiv_branch = self.Warehouse.search([("ref", "=", "wh-kyiv-1")])
        self.assertTrue(kyiv_branch.active, "nothing is archived before the run has seen every page")
        runs = 1
        while params.get_param("nova_poshta.sync_stamp"):
            self.City._cron_nova_poshta_sync_directories()
            runs += 1
            self.assertLess(runs, 10)
        calls = [r.json["methodProperties"] for r in self.fake.requests if r.json
                 and r.json["calledMethod"] == "getWarehouses"]
        self.assertEqual([int(c["Page"]) for c in calls], list(range(1, pages + 1)))
        self.assertEqual(runs, pages)  # one branch page of 1 per run
        self.assertFalse(kyiv_branch.active)
        self.assertTrue(self.Warehouse.search([("ref", "=", "wh-lviv-6")]))

    def test_rate_shipment(self):
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 3})],
        })
        result = self.carrier.rate_shipment(order)
        self.assertTrue(result["success"], result)
        # fake: 70 + 10/kg above 2 kg (3.6 kg) + COD fee 20 + 2% of the total
        uah = self.env.ref("base.UAH")
        total_uah = order.currency_id._convert(order.amount_total, uah, order.company_id, order.date_order.date())
        cod_fee = round(20 + 0.02 * round(total_uah, 2), 2)  # amounts go to NP in hryvnias
        expected = uah._convert(70 + 16 + cod_fee, order.currency_id, order.company_id, order.date_order.date())
        self.assertAlmostEqual(result["price"], expected, places=2)
        self.assertIn("2026-11-25", result["warning_message"])
        call = self.fake.calls("getDocumentPrice")[-1]["methodProperties"]
        self.assertEqual((call["CitySender"], call["CityRecipient"]), ("city-kyiv", "city-lviv"))
        self.assertAlmostEqual(call["Weight"], 3.6)

    def test_rate_errors_come_back_as_data(self):
        order = self.env["sale.order"].create({
            "partner_id": self.env["res.partner"].create({"name": "No City"}).id,
            "order_line": [(0, 0, {"product_id": self.product.id})],
        })
        result = self.carrier.rate_shipment(order)
        self.assertFalse(result["success"])
        self.assertIn("city", result["error_message"])
        self.fake.fail_next(Fault.server_error(503))
        order.partner_id.nova_poshta_city_id = self.lviv
        result = self.carrier.rate_shipment(order)
        self.assertFalse(result["success"])
        self.assertIn("unreachable", result["error_message"])

    def test_validation_creates_one_waybill(self):
        order = self._order(qty=2)
        picking = order.picking_ids
        self._validate(picking)
        self.assertEqual(picking.state, "done")
        self.assertEqual(len(self.fake.documents), 1)
        [document] = self.fake.documents.values()
        self.assertEqual(picking.carrier_tracking_ref, document["IntDocNumber"])
        self.assertEqual(picking.nova_poshta_number, document["IntDocNumber"])
        self.assertEqual(picking.nova_poshta_state, "created")
        self.assertEqual(str(picking.nova_poshta_estimated_date), "2026-11-25")
        self.assertEqual(document["RecipientsPhone"], "380671234567")
        self.assertEqual(document["RecipientAddress"], "wh-lviv-5")
        self.assertEqual(document["SenderAddress"], "wh-kyiv-1")
        self.assertEqual(document["BackwardDeliveryData"][0]["RedeliveryString"],
                         str(round(picking.nova_poshta_cod_amount, 2)))
        # recipient pays the delivery (default): the COD is the goods only, never the delivery line again
        goods = sum(order.order_line.filtered(lambda line: not line.is_delivery).mapped("price_total"))
        self.assertAlmostEqual(picking.nova_poshta_cod_amount, order.currency_id._convert(
            goods, self.env.ref("base.UAH"), order.company_id, order.date_order.date()), places=2)
        self.assertEqual(document["SeatsAmount"], 1)
        self.assertAlmostEqual(document["Weight"], 2.4)
        self.assertEqual(document["InfoRegClientBarcodes"], f"{picking.name}/{picking.id}")
        self.assertEqual(picking.nova_poshta_client_ref, f"{picking.name}/{picking.id}")
        recipient = self.fake.calls("save")[0]["methodProperties"]
        self.assertEqual((recipient["LastName"], recipient["FirstName"]), ("Петренко", "Олена"))
        # double click / batch action again: no second waybill
        with self.assertRaises(UserError):
            picking.action_nova_poshta_create_waybills()
        self.carrier.send_shipping(picking)
        self.assertEqual(len(self.fake.documents), 1)
        self.assertIn(picking.nova_poshta_number, self.carrier.get_tracking_link(picking))

    def test_retry_after_timeout_finds_the_existing_waybill(self):
        order = self._order()
        picking = order.picking_ids
        # Nova Poshta creates the document but its answer comes after our timeout (Odoo's test framework
        # raises HTTP timeouts below 10 s to 10 s: the fake answers after 11 s)
        self.env["ir.config_parameter"].sudo().set_param("nova_poshta.timeout", "1")
        self.fake.slow_methods["InternetDocument.save"] = 11
        self.addCleanup(self.fake.slow_methods.clear)
        self.fake.list_without_barcodes = True  # the lookup must also work from AdditionalInformation
        self.addCleanup(setattr, self.fake, "list_without_barcodes", False)
        # the validation goes through; the waybill cron right after it gets no answer in time
        self._validate(picking)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.nova_poshta_waybill_state, "error")
        self.assertIn("did not answer in time", picking.nova_poshta_waybill_error)
        self.assertTrue(picking.nova_poshta_waybill_next_try, "a timeout is retried by itself")
        self.assertFalse(picking.nova_poshta_number)
        self.assertEqual(len(self.fake.documents), 1)
        self.assertTrue(self.carrier._nova_poshta_was_attempted(picking), "the attempt survives the rollback")
        self.fake.slow_methods.clear()
        picking.nova_poshta_waybill_next_try = fields.Datetime.subtract(fields.Datetime.now(), seconds=1)
        self._create_waybills()  # the retry, when it is due
        self.assertEqual(len(self.fake.documents), 1, "the retry found the waybill instead of creating another")
        self.assertEqual(picking.nova_poshta_number, next(iter(self.fake.documents.values()))["IntDocNumber"])

    def test_inputs_checked_before_any_call(self):
        partner = self.env["res.partner"].create({"name": "Олена", "phone": "12345",
                                                  "nova_poshta_city_id": self.lviv.id})
        order = self._order(partner=partner)
        calls = len(self.fake.requests)
        with self.assertRaises(UserError) as error:
            self._validate(order.picking_ids)
        message = str(error.exception)
        for expected in ("branch", "phone", "first and a last name"):
            self.assertIn(expected, message)
        self.assertEqual(len(self.fake.requests), calls)

    def test_error_codes_become_clear_messages(self):
        order = self._order()
        picking = order.picking_ids
        self.carrier.sudo().nova_poshta_api_key = "0" * 32
        self._validate(picking)  # validated; the waybill is refused after it, with a clear reason
        self.assertEqual(picking.nova_poshta_waybill_state, "error")
        self.assertIn("API key", picking.nova_poshta_waybill_error)
        self.assertFalse(picking.nova_poshta_waybill_next_try, "a refusal waits for 'Retry now'")
        self.carrier.sudo().nova_poshta_api_key = KEY
        # Odoo's test framework raises HTTP timeouts below 10 s to 10 s: the fake answers after 11 s
        self.env["ir.config_parameter"].sudo().set_param("nova_poshta.timeout", "1")
        self.fake.fail_next(Fault.timeout(11))
        picking.action_nova_poshta_retry_waybill()
        self._create_waybills()
        self.assertEqual(picking.nova_poshta_waybill_state, "error")
        self.assertIn("did not answer in time", picking.nova_poshta_waybill_error)

    def test_cancel_and_labels_and_scan_sheet(self):
        pickings = self._order().picking_ids | self._order().picking_ids
        for picking in pickings:
            self._validate(picking)
        action = pickings.action_nova_poshta_print_labels()
        attachments = self.env["ir.attachment"].search([("res_model", "=", "stock.picking"),
                                                         ("res_id", "in", pickings.ids)])
        self.assertEqual(len(attachments), 4)
        self.assertTrue(all(a.raw.startswith(b"%PDF") for a in attachments))
        self.assertIn(f"/web/content/{attachments.sorted('id')[0].id}", action["url"])
        pickings.action_nova_poshta_scan_sheet()
        self.assertEqual(set(pickings.mapped("nova_poshta_registry_number")), {"105-00000001"})
        picking = pickings[0]
        picking.cancel_shipment()
        self.assertFalse(picking.nova_poshta_document_ref)
        self.assertFalse(picking.carrier_tracking_ref)
        self.assertEqual(len(self.fake.documents), 1)


    def test_scan_sheet_wizard_takes_the_days_waybills(self):
        pickings = self._order().picking_ids | self._order().picking_ids
        for picking in pickings:
            self._validate(picking)
        wizard = self.env["nova_poshta.scan.sheet.wizard"].create({"carrier_id": self.carrier.id})
        self.assertEqual(wizard.picking_ids, pickings)
        yesterday = self.env["nova_poshta.scan.sheet.wizard"].create({
            "carrier_id": self.carrier.id, "date": "2020-01-01"})
        self.assertFalse(yesterday.picking_ids)
        wizard.action_create()
        sent = self.fake.calls("insertDocuments")
        self.assertEqual(len(sent), 1)
        self.assertEqual(set(sent[0]["methodProperties"]["DocumentRefs"]),
                         set(pickings.mapped("nova_poshta_document_ref")))
        self.assertTrue(all(pickings.mapped("nova_poshta_registry_number")))
        again = self.env["nova_poshta.scan.sheet.wizard"].create({"carrier_id": self.carrier.id})
        with self.assertRaises(UserError):
            again.action_create()

    def test_door_delivery_sends_the_street_from_the_directory(self):
        self.carrier.nova_poshta_service_type = "WarehouseDoors"
        self.fake.add_street("city-lviv", "st-gor", "Городоцька")
        self.addCleanup(self.fake.streets.clear)
        street = self.env["nova_poshta.street"].create({"name": "вул. Городоцька", "ref": "st-gor",
                                                        "city_id": self.lviv.id})
        partner = self.env["res.partner"].create({
            "name": "Коваль Андрій Петрович", "mobile": "0671112233", "street": "вул. Городоцька, 15а",
            "street2": "7", "nova_poshta_city_id": self.lviv.id})
        no_house = self.env["res.partner"].create({
            "name": "Коваль Ірина", "mobile": "0671112234", "street": "вул. Городоцька",
            "nova_poshta_city_id": self.lviv.id, "nova_poshta_street_id": street.id})
        calls = len(self.fake.requests)
        with self.assertRaises(UserError) as error:
            self._validate(self._order(partner=no_house).picking_ids)
        self.assertIn("house number", str(error.exception))
        # free text only: the street must come from the directory (its Ref), checked before any call
        with self.assertRaises(UserError) as error:
            self._validate(self._order(partner=partner).picking_ids)
        self.assertIn("street from the Nova Poshta directory", str(error.exception))
        self.assertEqual(len(self.fake.requests), calls)
        partner.nova_poshta_street_id = street
        picking = self._order(partner=partner).picking_ids
        self._validate(picking)
        self.assertTrue(picking.nova_poshta_number)
        address = [c for c in self.fake.calls("save") if c["modelName"] == "Address"][-1]["methodProperties"]
        self.assertEqual((address["StreetRef"], address["BuildingNumber"], address["Flat"]), ("st-gor", "15а", "7"))
        person = [c for c in self.fake.calls("save") if c["modelName"] == "Counterparty"][-1]["methodProperties"]
        self.assertEqual(person["MiddleName"], "Петрович")
        sent = next(iter(self.fake.documents.values()))
        self.assertEqual(sent["ServiceType"], "WarehouseDoors")
        self.assertIn(sent["RecipientAddress"], self.fake.addresses)
        self.assertNotIn("NewAddress", sent)
        self.assertEqual((sent["CityRecipient"], sent["RecipientsPhone"]), ("city-lviv", "380671112233"))

    def test_parcel_locker_limits_checked_before_any_call(self):
        locker = self.Warehouse.search([("ref", "=", "wh-lviv-locker")])
        self.carrier.write({"nova_poshta_default_length": 70})  # locker takes 60 x 40 x 30 cm
        partner = self.env["res.partner"].create({
            "name": "Шевченко Марія", "mobile": "0671112235", "nova_poshta_city_id": self.lviv.id,
            "nova_poshta_warehouse_id": locker.id})
        calls = len(self.fake.requests)
        with self.assertRaises(UserError) as error:
            self._validate(self._order(partner=partner).picking_ids)
        self.assertIn("parcel locker", str(error.exception))
        self.assertEqual(len(self.fake.requests), calls)
        self.carrier.write({"nova_poshta_default_length": 50})
        picking = self._order(partner=partner).picking_ids
        self._validate(picking)
        self.assertTrue(picking.nova_poshta_number)

    def test_endpoint_follows_the_environment_switch(self):
        params = self.env["ir.config_parameter"].sudo()
        fake_url = params.get_param("nova_poshta.api_url")
        params.set_param("nova_poshta.api_url", False)
        params.set_param("nova_poshta.test_api_url", fake_url)
        self.carrier.prod_environment = False
        self.assertEqual(self.carrier._nova_poshta_api().url, fake_url)
        self.carrier.action_nova_poshta_test_connection()  # really goes to the fake
        self.carrier.prod_environment = True
        self.assertEqual(self.carrier._nova_poshta_api().url, "https://api.novaposhta.ua/v2.0/json/")

    def test_the_switch_switches_every_endpoint(self):
        """API, print service (labels, A4) and tracking link all follow the carrier's test / production switch;
        a staging URL set for test mode (also under the old all-modes keys) never reaches production."""
        params = self.env["ir.config_parameter"].sudo()
        picking = self._order().picking_ids
        self._validate(picking)
        params.set_param("nova_poshta.test_tracking_url", "http://127.0.0.1:9/track?n=")
        self.carrier.prod_environment = False
        # test mode: the fake, through the keys the tests set (legacy nova_poshta.api_url / print_url)
        self.assertTrue(self.carrier._nova_poshta_api().url.startswith(self.fake.url))
        self.assertEqual(self.carrier._nova_poshta_endpoint("print"), self.fake.url)
        prints = len(self.fake.requests_to(r"/orders/.*"))
        picking.action_nova_poshta_print_labels()
        self.assertEqual(len(self.fake.requests_to(r"/orders/.*")), prints + 2, "labels printed in test mode")
        self.assertEqual(self.carrier.get_tracking_link(picking), f"http://127.0.0.1:9/track?n={picking.nova_poshta_number}")
        # production: Nova Poshta's own hosts everywhere, whatever test-mode keys are set
        self.carrier.prod_environment = True
        self.assertEqual(self.carrier._nova_poshta_api().url, "https://api.novaposhta.ua/v2.0/json/")
        self.assertEqual(self.carrier._nova_poshta_endpoint("print"), "https://my.novaposhta.ua")
        self.assertEqual(self.carrier.get_tracking_link(picking),
                         f"https://novaposhta.ua/tracking/?cargo_number={picking.nova_poshta_number}")
        # and production keys move production only
        params.set_param("nova_poshta.prod_print_url", self.fake.url)
        self.assertEqual(self.carrier._nova_poshta_endpoint("print"), self.fake.url)
        picking.action_nova_poshta_print_labels()
        self.assertEqual(len(self.fake.requests_to(r"/orders/.*")), prints + 4)
        self.carrier.prod_environment = False
        params.set_param("nova_poshta.print_url", False)
        self.assertEqual(self.carrier._nova_poshta_endpoint("print"), "https://my.novaposhta.ua")

    def test_picking_locked_by_another_transaction_is_refused(self):
        # a committed picking (demo data) that another transaction, e.g. a second click, is processing
        picking = self.env["stock.picking"].search([], order="id", limit=1)
        with self.registry.cursor() as other:
            other.execute("SELECT id FROM stock_picking WHERE id = %s FOR UPDATE NOWAIT", [picking.id])
            calls = len(self.fake.requests)
            with self.assertRaises(UserError) as error, self.env.cr.savepoint():
                self.carrier._nova_poshta_send_one(picking)
            self.assertIn("already being processed", str(error.exception))
            self.assertEqual(len(self.fake.requests), calls)
            other.rollback()
