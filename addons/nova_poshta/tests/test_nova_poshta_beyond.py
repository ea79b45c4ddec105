import json
from urllib.parse import unquote

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import NovaPoshtaCommon


@tagged("post_install", "-at_install")
class TestNovaPoshtaBeyond(NovaPoshtaCommon):
    """Edit a waybill, import the cabinet's waybills, the branch picker, label formats."""

    def _shipped(self, partner=None, qty=1):
        order = self._order(partner=partner, qty=qty)
        self._validate(order.picking_ids)
        return order.picking_ids

    def test_edit_an_existing_waybill(self):
        picking = self._shipped()
        locker = self.Warehouse.search([("ref", "=", "wh-lviv-locker")])
        picking.write({"nova_poshta_warehouse_id": locker.id, "nova_poshta_cod_amount": 500.0,
                       "nova_poshta_seats_amount": 2, "nova_poshta_weight": 3.0})
        picking.action_nova_poshta_update_waybill()
        update = self.fake.calls("update")[-1]["methodProperties"]
        self.assertEqual(update["Ref"], picking.nova_poshta_document_ref)
        self.assertEqual((update["RecipientAddress"], update["SeatsAmount"], update["Weight"]),
                         ("wh-lviv-locker", 2, 3.0))
        self.assertEqual(update["BackwardDeliveryData"][0]["RedeliveryString"], "500.0")
        document = self.fake.documents[picking.nova_poshta_document_ref]
        self.assertEqual(document["RecipientAddress"], "wh-lviv-locker")
        self.assertEqual(len(self.fake.documents), 1, "changed in place, no second waybill")
        self.assertFalse([c for c in self.fake.calls("save") if c["modelName"] == "Counterparty"][1:],
                         "the recipient is reused")
        # once handed over, Nova Poshta refuses changes: so do we, before any call
        self.fake.set_status(picking.nova_poshta_number, 4)
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()
        calls = len(self.fake.requests)
        with self.assertRaises(UserError) as error:
            picking.action_nova_poshta_update_waybill()
        self.assertIn("before the parcel is handed over", str(error.exception))
        self.assertEqual(len(self.fake.requests), calls)

    def test_import_cabinet_waybills_matched_to_open_pickings(self):
        by_name = self._order().picking_ids
        other = self.env["res.partner"].create({
            "name": "Мельник Богдан", "mobile": "0501234567", "nova_poshta_city_id": self.lviv.id,
            "nova_poshta_warehouse_id": self.Warehouse.search([("ref", "=", "wh-lviv-5")]).id})
        by_phone = self._order(partner=other).picking_ids
        day = by_name._nova_poshta_shop_today().strftime("%d.%m.%Y")
        _ref1, number1 = self.fake.add_cabinet_document(day, "380679999999", info=by_name.sale_id.name)
        _ref2, number2 = self.fake.add_cabinet_document(day, "380501234567")
        self.fake.add_cabinet_document(day, "380630000000")  # someone else's parcel: left alone
        action = self.carrier.action_nova_poshta_import_waybills()
        self.assertEqual(by_name.nova_poshta_number, number1)
        self.assertEqual(by_phone.nova_poshta_number, number2)
        self.assertEqual(by_phone.carrier_tracking_ref, number2)
        self.assertEqual(by_phone.nova_poshta_state, "created")
        self.assertEqual(sorted(action["params"]["imported_ids"]), sorted((by_name | by_phone).ids))
        # imported waybills are tracked like the others
        Picking = self.env["stock.picking"]
        self.assertIn(by_phone, Picking.search(Picking._nova_poshta_open_domain()))
        # a second import changes nothing
        again = self.carrier.action_nova_poshta_import_waybills()
        self.assertEqual(again["params"]["imported_ids"], [])
        lists = self.fake.calls("getDocumentList")
        self.assertTrue(all(str(c["methodProperties"]["GetFullList"]) == "0" for c in lists))

    def test_branch_picker_searchable_by_city_and_number(self):
        uah_country = self.env.ref("base.ua")
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1})],
        })
        order.set_delivery_line(self.carrier, 70.0)
        self.assertTrue(self.carrier.nova_poshta_use_locations)
        found = order._get_pickup_locations("Львів 3001", uah_country)["pickup_locations"]
        self.assertEqual([loc["additional_data"]["nova_poshta_ref"] for loc in found], ["wh-lviv-locker"])
        found = order._get_pickup_locations("Льв", uah_country)["pickup_locations"]
        self.assertEqual({loc["additional_data"]["nova_poshta_ref"] for loc in found},
                         {"wh-lviv-5", "wh-lviv-locker"})
        self.assertEqual(order._get_pickup_locations("1", uah_country)["pickup_locations"][0]["city"], "Київ")
        self.assertIn("error", order._get_pickup_locations("Одеса", uah_country))
        # without a search: the branches of the delivery address's city
        self.assertEqual(len(order._get_pickup_locations()["pickup_locations"]), 2)
        locker = [loc for loc in found if loc["additional_data"]["nova_poshta_ref"] == "wh-lviv-locker"][0]
        order._set_pickup_location(json.dumps(locker))
        self.assertEqual(order.nova_poshta_warehouse_id.ref, "wh-lviv-locker")
        shipping = order.partner_shipping_id
        order.action_confirm()
        self.assertEqual(order.partner_shipping_id, shipping, "no address record created from the branch")
        self.assertEqual(self.customer.nova_poshta_warehouse_id.ref, "wh-lviv-5")
        self.assertEqual(order.picking_ids.nova_poshta_warehouse_id.ref, "wh-lviv-locker")

    def test_labels_in_a4_100x100_and_zebra_one_file_per_picking(self):
        pickings = self._shipped() | self._shipped()
        pickings.with_context(nova_poshta_label_format="zebra").action_nova_poshta_print_labels()
        pickings.with_context(nova_poshta_label_format="a4").action_nova_poshta_print_labels()
        pickings.action_nova_poshta_print_labels()
        prints = [unquote(r.path) for r in self.fake.requests if r.method == "GET"]
        self.assertEqual(len(prints), 10)
        self.assertEqual(sum("/zebra/" in p for p in prints), 2)
        self.assertEqual(sum("printMarking100x100" in p for p in prints), 4)
        self.assertEqual(sum("printDocument" in p for p in prints), 6)
        for picking in pickings:
            files = self.env["ir.attachment"].search([("res_model", "=", "stock.picking"),
                                                      ("res_id", "=", picking.id)])
            self.assertEqual(len(files), 5)
            self.assertTrue(all(picking.nova_poshta_number in f.name for f in files), "one file per picking")
            self.assertTrue(all(f.raw.startswith(b"%PDF") for f in files))
        for path in prints:  # each file carries only its own waybill
            self.assertEqual(path.split("orders[]/")[1].split("/")[0].count(","), 0)
