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
