import logging
import traceback
import uuid
from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from tests.fakes.base import Fault, Response

from .common import KEY, NovaPoshtaCommon


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage() + "".join(traceback.format_exception(*record.exc_info))
                          if record.exc_info else record.getMessage())


@tagged("post_install", "-at_install")
class TestNovaPoshtaFailures(NovaPoshtaCommon):
    def _shipped(self, partner=None):
        picking = self._order(partner=partner).picking_ids
        self._validate(picking)
        return picking

    def test_api_key_never_reaches_a_user_when_the_print_host_is_down(self):
        picking = self._shipped()
        storekeeper = new_test_user(self.env, "np_storekeeper_print", groups="stock.group_stock_user")
        # nothing listens there: the connection is refused, the error would carry the URL with the key
        self.env["ir.config_parameter"].sudo().set_param("nova_poshta.print_url", "http://127.0.0.1:9")
        capture = _Capture()
        root = logging.getLogger()
        old_level = root.level
        root.addHandler(capture)
        root.setLevel(logging.DEBUG)
        try:
            action = picking.with_user(storekeeper).action_nova_poshta_print_labels()
        finally:
            root.removeHandler(capture)
            root.setLevel(old_level)
        shown = repr(action)  # what the web client shows: a notification, no error dialog, no traceback
        self.assertIn("unavailable", action["params"]["message"])
        self.assertNotIn(KEY, shown)
        self.assertNotIn(KEY, "\n".join(capture.lines))
        # a refusal (the print service answers, but not with the PDF: a wrong key) is a translated error
        self.env["ir.config_parameter"].sudo().set_param("nova_poshta.print_url", self.fake.url)
        self.fake.fail_next(Response.text("<html>Authorization failed</html>"), path=r"/orders/.*")
        with self.assertRaises(UserError) as error:
            picking.with_user(storekeeper).action_nova_poshta_print_labels()
        self.assertIn("check the API key on the carrier", str(error.exception))
        self.assertNotIn(KEY, "".join(traceback.format_exception(error.exception)))

    def test_print_labels_while_nova_poshta_is_down_answers_in_plain_words(self):
        """The print service down (HTTP 503) or hanging: printing writes nothing, so the click answers with a
        sticky warning in the user's language, without the technical detail, and stores nothing; once the
        service is back the same click prints."""
        picking = self._shipped()
        self.env["res.lang"]._activate_lang("uk_UA")
        self.env["ir.module.module"].search([("name", "=", "nova_poshta")])._update_translations("uk_UA")
        storekeeper = new_test_user(self.env, "np_storekeeper_print_down", groups="stock.group_stock_user",
                                    lang="uk_UA")
        self.env["ir.config_parameter"].sudo().set_param("nova_poshta.timeout", "1")
        picking = picking.with_user(storekeeper).with_context(lang="uk_UA")  # as the web client calls it
        Attachment = self.env["ir.attachment"]
        attachments = Attachment.search_count([("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)])
        for down in (Fault.server_error(503, "Service Temporarily Unavailable"), Fault.timeout(11)):
            # (Odoo's test framework raises HTTP timeouts below 10 s to 10 s: the hang lasts 11 s)
            self.fake.fail_next(down, path=r"/orders/.*")
            action = picking.action_nova_poshta_print_labels()
            params = action["params"]
            self.assertEqual((action["tag"], params["type"], params["sticky"]),
                             ("display_notification", "warning", True))
            self.assertIn("Нова Пошта зараз недоступна", params["message"])
            self.assertIn("спробуйте ще раз", params["message"])
            for technical in ("503", "HTTP", "Unavailable", "timeout", "API", KEY, self.fake.url):
                self.assertNotIn(technical, repr(action))
            self.assertEqual(Attachment.search_count(
                [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]), attachments, "nothing stored")
        self.fake.reset()
        action = picking.action_nova_poshta_print_labels()
        self.assertEqual(action["type"], "ir.actions.act_url")

    def test_retry_lookup_is_bounded_in_a_full_cabinet(self):
        picking = self._order().picking_ids
        self.carrier._nova_poshta_mark_attempt(picking)  # an earlier attempt whose answer was lost
        day = max(picking.scheduled_date.date(), picking._nova_poshta_shop_today()).strftime("%d.%m.%Y")
        for i in range(1500):  # a busy cabinet: thousands of waybills, none of them ours
            ref = str(uuid.uuid4())
            self.fake.documents[ref] = {"Ref": ref, "IntDocNumber": f"2045{i:010d}", "CostOnSite": "70",
                                        "DateTime": day, "InfoRegClientBarcodes": f"other/{i}"}
        self._validate(picking)
        lists = self.fake.calls("getDocumentList")
        self.assertLessEqual(len(lists), 10)
        self.assertTrue(all(str(c["methodProperties"]["GetFullList"]) == "0" for c in lists))
        self.assertEqual({(c["methodProperties"]["DateTimeFrom"], c["methodProperties"]["DateTimeTo"])
                          for c in lists}, {(day, day)})
        self.assertTrue(picking.nova_poshta_number, "not found in the bounded lookup: created once")
        self.assertEqual(len([c for c in self.fake.calls("save") if c["modelName"] == "InternetDocument"]), 1)

    def test_retry_lookup_finds_the_waybill_on_a_later_page(self):
        picking = self._order().picking_ids
        self.carrier._nova_poshta_mark_attempt(picking)
        day = max(picking.scheduled_date.date(), picking._nova_poshta_shop_today()).strftime("%d.%m.%Y")
        for i in range(250):
            ref = str(uuid.uuid4())
            self.fake.documents[ref] = {"Ref": ref, "IntDocNumber": f"2045{i:010d}", "CostOnSite": "70",
                                        "DateTime": day, "InfoRegClientBarcodes": f"other/{i}"}
        ours = str(uuid.uuid4())
        self.fake.documents[ours] = {"Ref": ours, "IntDocNumber": "20459999999999", "CostOnSite": "70",
                                     "DateTime": day, "InfoRegClientBarcodes": f"{picking.name}/{picking.id}"}
        self._validate(picking)
        self.assertEqual(picking.nova_poshta_number, "20459999999999")
        self.assertEqual(len(self.fake.calls("getDocumentList")), 3)
        self.assertFalse([c for c in self.fake.calls("save") if c["modelName"] == "InternetDocument"])

    def test_a_carrier_without_key_does_not_stop_tracking_of_the_others(self):
        good = self._shipped()
        broken_carrier = self.carrier.copy({"name": "NP without key"})
        self.assertFalse(broken_carrier.sudo().nova_poshta_api_key)
        broken = self._shipped()
        broken.write({"carrier_id": broken_carrier.id})
        # a failing call for a third waybill of the good carrier, in its own batch
        self.fake.set_status(good.nova_poshta_number, 7)
        Picking = self.env["stock.picking"]
        Picking._cron_nova_poshta_update_tracking()
        self.assertEqual(good.nova_poshta_state, "at_branch")
        self.assertIn("API key", broken.nova_poshta_tracking_error)
        self.assertTrue(broken.nova_poshta_checked_at, "stamped: retried on a later run, not in a loop")

    def test_one_failing_call_does_not_stop_the_next_batch(self):
        first, second = self._shipped(), self._shipped()
        for picking in first | second:
            self.fake.set_status(picking.nova_poshta_number, 5)
        self.fake.fail_next(Response.json({"success": False, "data": [], "errors": ["Service Unavailable"],
                                           "errorCodes": ["20000100016"], "warnings": [], "info": []}))
        self.env["stock.picking"]._cron_nova_poshta_update_tracking(batch_size=1)
        states = sorted((first | second).mapped("nova_poshta_state"))
        self.assertEqual(states, ["created", "in_transit"])
        self.assertTrue((first | second).filtered("nova_poshta_tracking_error"))

    def test_tracking_sends_the_phone_as_380xxxxxxxxx(self):
        picking = self._shipped()
        self.fake.set_status(picking.nova_poshta_number, 7, RecipientFullName="Петренко Олена")
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()
        sent = self.fake.calls("getStatusDocuments")[-1]["methodProperties"]["Documents"]
        self.assertEqual(sent, [{"DocumentNumber": picking.nova_poshta_number, "Phone": "380671234567"}])
        self.assertEqual(picking.nova_poshta_state, "at_branch")

    def test_scan_sheet_keeps_only_accepted_documents(self):
        first, second = self._shipped(), self._shipped()
        # the second waybill was already put in a registry in the Nova Poshta cabinet
        self.fake.scan_sheets["cabinet-sheet"] = {"Number": "105-99999999", "Date": "",
                                                  "DocumentRefs": [second.nova_poshta_document_ref]}
        action = (first | second).action_nova_poshta_scan_sheet()
        self.assertTrue(first.nova_poshta_registry_number)
        self.assertFalse(second.nova_poshta_registry_number)
        self.assertIn("already in the registry", second.nova_poshta_scan_error)
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn(second.name, action["params"]["message"])
        # cancelling a waybill clears its scan-sheet number (NP takes it out of the registry)
        first.cancel_shipment()
        self.assertFalse(first.nova_poshta_registry_number)
        self.assertNotIn(first.nova_poshta_document_ref or "x", [
            ref for sheet in self.fake.scan_sheets.values() for ref in sheet["DocumentRefs"]])

    def test_scan_sheet_day_is_the_shops_day_in_kyiv(self):
        late, early = self._shipped(), self._shipped()
        # 22:30 UTC on 2 December is 00:30 on 3 December in Kyiv; 21:30 UTC is still 23:30 on the 2nd
        late.nova_poshta_waybill_date = datetime(2026, 12, 2, 22, 30)
        early.nova_poshta_waybill_date = datetime(2026, 12, 2, 21, 30)
        Wizard = self.env["nova_poshta.scan.sheet.wizard"]
        self.assertEqual(Wizard.create({"carrier_id": self.carrier.id, "date": "2026-12-03"}).picking_ids, late)
        self.assertEqual(Wizard.create({"carrier_id": self.carrier.id, "date": "2026-12-02"}).picking_ids, early)

    def test_shop_today_is_kyiv(self):
        Picking = self.env["stock.picking"]
        now = fields.Datetime.now()
        kyiv = Picking._nova_poshta_shop_today()
        self.assertIn((kyiv - now.date()).days, (0, 1))
        start, end = Picking._nova_poshta_day_bounds(kyiv)
        self.assertEqual(end - start, timedelta(days=1))
        self.assertIn(start.hour, (21, 22))  # UTC+3 in summer, UTC+2 in winter
