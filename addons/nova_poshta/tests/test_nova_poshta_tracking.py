from odoo import fields
from odoo.tests import tagged

from .common import NovaPoshtaCommon


@tagged("post_install", "-at_install")
class TestNovaPoshtaTracking(NovaPoshtaCommon):
    def _shipped(self):
        order = self._order()
        self._validate(order.picking_ids)
        return order, order.picking_ids

    def test_status_flow_delivered_with_cod(self):
        order, picking = self._shipped()
        self.fake.set_status(picking.nova_poshta_number, 5)
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()
        self.assertEqual(picking.nova_poshta_state, "in_transit")
        self.fake.set_status(picking.nova_poshta_number, 11)
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()
        self.assertEqual(picking.nova_poshta_state, "delivered")
        self.assertTrue(picking.nova_poshta_cod_received)
        self.assertEqual(picking.nova_poshta_history_ids.mapped("status_code"), ["11", "5"])
        self.assertTrue(any("was paid out" in (m.body or "") for m in order.message_ids))
        # no change, no new history line
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()
        self.assertEqual(len(picking.nova_poshta_history_ids), 2)

    def test_refused_then_returned_and_risk(self):
        _order, picking = self._shipped()
        self.fake.set_status(picking.nova_poshta_number, 103, UndeliveryReasonsSubtypeDescription="Не підійшов розмір")
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()
        self.assertEqual(picking.nova_poshta_state, "refused")
        activity = picking.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertIn("Не підійшов розмір", activity.note)
        self.fake.set_status(picking.nova_poshta_number, 105)
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()
        self.assertEqual(picking.nova_poshta_state, "returned")
        returns = picking.return_ids
        self.assertEqual(len(returns), 1)
        self.assertEqual(returns.move_ids.product_id, self.product)
        # risk: one delivered COD parcel, one returned → 50 %
        _order2, other = self._shipped()
        self.fake.set_status(other.nova_poshta_number, 9)
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()
        self.customer.invalidate_recordset(["nova_poshta_risk"])
        self.assertEqual(self.customer.nova_poshta_cod_parcels, 2)
        self.assertAlmostEqual(self.customer.nova_poshta_risk, 50.0)
        self.assertAlmostEqual(_order2.nova_poshta_risk, 50.0)

    def test_batches_of_100_and_one_bad_row_does_not_block(self):
        pickings = self.env["stock.picking"]
        for _i in range(3):
            pickings |= self._shipped()[1]
        for picking in pickings:
            self.fake.set_status(picking.nova_poshta_number, 7)
        self.env["stock.picking"]._cron_nova_poshta_update_tracking(batch_size=2)
        sizes = [len(c["methodProperties"]["Documents"]) for c in self.fake.calls("getStatusDocuments")]
        self.assertEqual(sizes, [2, 1])
        self.assertEqual(set(pickings.mapped("nova_poshta_state")), {"at_branch"})

    def test_cron_continues_with_the_least_recently_checked(self):
        pickings = self.env["stock.picking"]
        for _i in range(3):
            pickings |= self._shipped()[1]
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("nova_poshta.tracking_batches_per_run", 1)
        cron = self.env.ref("nova_poshta.ir_cron_nova_poshta_tracking")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        Picking = self.env["stock.picking"]
        self.assertEqual(Picking.search_count(Picking._nova_poshta_open_domain()), 3)
        self.assertEqual(Picking._cron_nova_poshta_update_tracking(batch_size=2), 2)
        self.assertEqual(len(pickings.filtered("nova_poshta_checked_at")), 2)
        self.assertGreater(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers,
                           "waybills are left: the cron is triggered again")
        unchecked = pickings.filtered(lambda p: not p.nova_poshta_checked_at)
        Picking._cron_nova_poshta_update_tracking(batch_size=2)
        second = self.fake.calls("getStatusDocuments")[-1]["methodProperties"]["Documents"]
        self.assertEqual(second[0]["DocumentNumber"], unchecked.nova_poshta_number,
                         "the never-checked waybill goes first")
        self.assertTrue(all(pickings.mapped("nova_poshta_checked_at")))

    def test_cod_payout_registers_the_payment_once(self):
        journal = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1)
        # sender pays and collects its delivery charge with the goods: the COD covers the whole invoice
        self.carrier.write({"nova_poshta_cod_journal_id": journal.id, "nova_poshta_payer_type": "Sender",
                            "nova_poshta_cod_includes_delivery": True})
        order, picking = self._shipped()
        invoice = order._create_invoices()
        invoice.action_post()
        self.assertGreater(picking.nova_poshta_cod_amount, 0)
        self.fake.set_status(picking.nova_poshta_number, 11)
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()
        self.assertTrue(picking.nova_poshta_cod_received)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        payments = self.env["account.payment"].search([("memo", "ilike", picking.nova_poshta_number)])
        self.assertEqual(len(payments), 1)
        self.assertEqual(payments.journal_id, journal)
        self.assertAlmostEqual(payments.amount, invoice.amount_total)
        self.assertTrue(any("registered on" in (m.body or "") for m in order.message_ids))
        # the same status again (next cron run, retried batch): no second payment
        picking.nova_poshta_checked_at = False
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()
        self.assertEqual(self.env["account.payment"].search_count([("memo", "ilike", picking.nova_poshta_number)]), 1)

    def test_cod_payout_without_invoice_is_noted(self):
        self.carrier.nova_poshta_cod_journal_id = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1)
        order, picking = self._shipped()
        self.fake.set_status(picking.nova_poshta_number, 11)
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()
        self.assertTrue(picking.nova_poshta_cod_received)
        self.assertTrue(any("register the COD payment by hand" in (m.body or "") for m in order.message_ids))


@tagged("post_install", "-at_install")
class TestNovaPoshtaRefusals(NovaPoshtaCommon):
    """Refused parcels (102 / 103 / 108) are followed on their return waybill until they are back."""

    def _run(self):
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()

    def _open(self):
        Picking = self.env["stock.picking"]
        return Picking.search(Picking._nova_poshta_open_domain())

    def test_refusal_creates_the_return_and_follows_the_return_waybill(self):
        order = self._order()
        picking = order.picking_ids
        self._validate(picking)
        # refused; Nova Poshta has not made the return waybill yet
        self.fake.set_status(picking.nova_poshta_number, 103)
        self._run()
        returned = self.env["stock.picking"].search([("nova_poshta_origin_picking_id", "=", picking.id)])
        self.assertEqual(len(returned), 1, "the return picking is created at refusal, not when storage ends")
        self.assertEqual(returned.picking_type_code, "incoming")
        self.assertEqual(returned.nova_poshta_cod_amount, 0.0)
        self.assertIn(picking, self._open(), "still followed until the return waybill is known")
        # next run: the return waybill appears on the refused one
        self.fake.set_status(picking.nova_poshta_number, 103, LastCreatedOnTheBasisNumber="20459000000001",
                             LastCreatedOnTheBasisDocumentType="Return")
        picking.nova_poshta_checked_at = False
        self._run()
        self.assertEqual(picking.nova_poshta_return_number, "20459000000001")
        self.assertEqual((returned.nova_poshta_number, returned.carrier_id), ("20459000000001", self.carrier))
        self.assertNotIn(picking, self._open())
        self.assertIn(returned, self._open())
        # the return waybill is tracked with the sender's phone (we are its recipient)
        self.fake.set_status("20459000000001", 7)
        self._run()
        documents = self.fake.calls("getStatusDocuments")[-1]["methodProperties"]["Documents"]
        self.assertEqual(documents, [{"DocumentNumber": "20459000000001", "Phone": "380501112233"}])
        self.assertEqual(returned.nova_poshta_state, "at_branch")
        self.assertTrue(returned.activity_ids, "the warehouse is told to collect it")
        self.fake.set_status("20459000000001", 9)
        returned.nova_poshta_checked_at = False
        self._run()
        self.assertEqual(returned.nova_poshta_state, "delivered")
        self.assertNotIn(returned, self._open(), "back with us: tracking ends")
        self.assertEqual(len(self.env["stock.picking"].search([("nova_poshta_origin_picking_id", "=", picking.id)])),
                         1)

    def test_refusal_codes_102_and_108_too(self):
        for code in ("102", "108"):
            picking = self._order().picking_ids
            self._validate(picking)
            self.fake.set_status(picking.nova_poshta_number, code, LastCreatedOnTheBasisNumber=f"2045800000{code}")
            self._run()
            self.assertEqual(picking.nova_poshta_state, "refused")
            returned = self.env["stock.picking"].search([("nova_poshta_origin_picking_id", "=", picking.id)])
            self.assertEqual(returned.nova_poshta_number, f"2045800000{code}")

    def test_nothing_is_polled_forever(self):
        picking = self._order().picking_ids
        self._validate(picking)
        self.assertIn(picking, self._open())
        picking.nova_poshta_waybill_date = fields.Datetime.subtract(fields.Datetime.now(), days=91)
        self.assertNotIn(picking, self._open())
