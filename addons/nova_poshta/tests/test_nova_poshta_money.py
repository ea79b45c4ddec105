from odoo.tests import Form, tagged

from .common import NovaPoshtaCommon


@tagged("post_install", "-at_install")
class TestNovaPoshtaMoney(NovaPoshtaCommon):
    """Cash on delivery and declared value: what each parcel collects, as a shop would set it up."""

    def _uah(self, order, amount):
        return round(order.currency_id._convert(amount, self.env.ref("base.UAH"), order.company_id,
                                                order.date_order.date()), 2)

    def _goods(self, order):
        return sum(order.order_line.filtered(lambda line: not line.is_delivery).mapped("price_total"))

    def _sent(self):
        return [c for c in self.fake.calls("save") if c["modelName"] == "InternetDocument"][-1]["methodProperties"]

    def test_recipient_pays_cod_excludes_the_delivery_line(self):
        order = self._order(qty=2)
        picking = order.picking_ids
        delivery = order.order_line.filtered("is_delivery")
        self.assertGreater(delivery.price_total, 0)
        # shown on the picking before anything is sent
        self.assertAlmostEqual(picking.nova_poshta_cod_amount, self._uah(order, self._goods(order)), places=2)
        self.assertFalse(self.fake.calls("save"), "nothing sent before validation")
        self._validate(picking)
        sent = self._sent()
        self.assertEqual(sent["PayerType"], "Recipient")
        self.assertEqual(float(sent["BackwardDeliveryData"][0]["RedeliveryString"]),
                         self._uah(order, self._goods(order)))

    def test_sender_pays_cod_includes_the_delivery_line_when_the_carrier_says_so(self):
        self.carrier.nova_poshta_payer_type = "Sender"
        order = self._order()
        goods, delivery = self._goods(order), order.order_line.filtered("is_delivery").price_total
        self.assertAlmostEqual(order.picking_ids.nova_poshta_cod_amount, self._uah(order, goods), places=2,
                               msg="sender pays, rule off: goods only")
        self.carrier.nova_poshta_cod_includes_delivery = True
        order = self._order()
        picking = order.picking_ids
        self.assertAlmostEqual(picking.nova_poshta_cod_amount, self._uah(order, goods + delivery), places=2)
        self._validate(picking)
        self.assertEqual(float(self._sent()["BackwardDeliveryData"][0]["RedeliveryString"]),
                         self._uah(order, goods + delivery))
        # the rule only ever applies when the sender pays
        self.carrier.nova_poshta_payer_type = "Recipient"
        self.assertAlmostEqual(self._order().picking_ids.nova_poshta_cod_amount, self._uah(order, goods), places=2)

    def test_partial_delivery_collects_only_what_the_parcel_carries(self):
        order = self._order(qty=3)
        picking = order.picking_ids
        unit = order.order_line.filtered(lambda line: not line.is_delivery).price_total / 3
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        self.assertAlmostEqual(picking.nova_poshta_cod_amount, self._uah(order, unit), places=2)
        action = picking.button_validate()
        Form.from_action(self.env, action).save().process()  # create the backorder
        self._create_waybills()  # right after the validation commits
        self.assertEqual(picking.state, "done")
        self.assertEqual(float(self._sent()["BackwardDeliveryData"][0]["RedeliveryString"]),
                         self._uah(order, unit))
        self.assertAlmostEqual(float(self._sent()["Cost"]), self._uah(order, unit), places=2,
                               msg="declared value: the goods in this parcel")
        backorder = order.picking_ids - picking
        self.assertEqual(len(backorder), 1)
        self.assertAlmostEqual(backorder.nova_poshta_cod_amount, self._uah(order, 2 * unit), places=2)
        self._validate(backorder)
        self.assertEqual(float(self._sent()["BackwardDeliveryData"][0]["RedeliveryString"]),
                         self._uah(order, 2 * unit))

    def _pay(self, order, amount=None):
        invoice = order._create_invoices()
        invoice.action_post()
        journal = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1)
        wizard = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids).create({
                "journal_id": journal.id, "amount": amount if amount is not None else invoice.amount_total})
        wizard._create_payments()
        return invoice

    def test_prepaid_order_goes_without_cod(self):
        order = self._order()
        self._pay(order)
        picking = order.picking_ids
        self._validate(picking)
        self.assertEqual(picking.nova_poshta_cod_amount, 0.0)
        self.assertNotIn("BackwardDeliveryData", self._sent())
        self.assertGreater(float(self._sent()["Cost"]), 0, "the declared value stays the goods' value")

    def test_partly_paid_order_collects_the_remainder(self):
        order = self._order(qty=2)
        goods = self._goods(order)
        self._pay(order, amount=1000.0)
        picking = order.picking_ids
        self._validate(picking)
        self.assertAlmostEqual(float(self._sent()["BackwardDeliveryData"][0]["RedeliveryString"]),
                               self._uah(order, goods - 1000.0), delta=0.011)

    def test_partly_paid_partial_delivery_takes_the_prepayment_off_once(self):
        order = self._order(qty=2)
        unit = self._goods(order) / 2
        self._pay(order, amount=unit / 2)  # half a unit paid in advance
        picking = order.picking_ids
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        Form.from_action(self.env, picking.button_validate()).save().process()
        self._create_waybills()
        self.assertAlmostEqual(float(self._sent()["BackwardDeliveryData"][0]["RedeliveryString"]),
                               self._uah(order, unit / 2), delta=0.02)
        backorder = order.picking_ids - picking
        self._validate(backorder)
        self.assertAlmostEqual(float(self._sent()["BackwardDeliveryData"][0]["RedeliveryString"]),
                               self._uah(order, unit), delta=0.02,
                               msg="the backorder collects its full value: the prepayment is used up")

    def test_cod_set_by_hand_is_kept(self):
        order = self._order()
        picking = order.picking_ids
        picking.nova_poshta_cod_amount = 123.0
        self._validate(picking)
        self.assertEqual(self._sent()["BackwardDeliveryData"][0]["RedeliveryString"], "123.0")

    def test_declared_value_is_the_goods_value_in_quote_and_waybill(self):
        order = self._order(qty=2)
        self.carrier.rate_shipment(order)
        quoted = self.fake.calls("getDocumentPrice")[-1]["methodProperties"]
        self._validate(order.picking_ids)
        sent = self._sent()
        self.assertAlmostEqual(quoted["Cost"], self._uah(order, self._goods(order)), places=2)
        self.assertAlmostEqual(float(sent["Cost"]), quoted["Cost"], places=2)
        self.assertAlmostEqual(quoted["RedeliveryCalculate"]["Amount"], quoted["Cost"], places=2,
                               msg="the quoted COD fee is on the goods, not on the delivery line")


@tagged("post_install", "-at_install")
class TestNovaPoshtaCodPayout(NovaPoshtaCommon):
    """Statuses 9 / 10 / 11: a COD parcel is followed until the money transfer is paid out."""

    def setUp(self):
        super().setUp()
        self.events = []
        Picking = type(self.env["stock.picking"])
        on_status, on_paid = Picking._nova_poshta_on_status_change, Picking._nova_poshta_on_cod_paid
        events = self.events

        def status_hook(picking, old, new):
            events.append(("status", picking.id, old, new))
            return on_status(picking, old, new)

        def paid_hook(picking, amount, date):
            events.append(("paid", picking.id, amount, date))
            return on_paid(picking, amount, date)

        # the hooks a bridge module overrides: wrapped (not replaced) to see that they fire, and how often
        for name, hook in (("_nova_poshta_on_status_change", status_hook), ("_nova_poshta_on_cod_paid", paid_hook)):
            original = getattr(Picking, name)
            setattr(Picking, name, hook)
            self.addCleanup(setattr, Picking, name, original)

    def _run(self, picking, code, **extra):
        self.fake.set_status(picking.nova_poshta_number, code, **extra)
        self.env["stock.picking"]._cron_nova_poshta_update_tracking()

    def test_cod_parcel_followed_through_9_10_11_and_paid_once(self):
        journal = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1)
        self.carrier.nova_poshta_cod_journal_id = journal
        order = self._order()
        picking = order.picking_ids
        self._validate(picking)
        invoice = order._create_invoices()
        invoice.action_post()
        Picking = self.env["stock.picking"]
        self._run(picking, 9)
        self.assertEqual(picking.nova_poshta_state, "delivered")
        self.assertIn(picking, Picking.search(Picking._nova_poshta_open_domain()),
                      "received, but the money is not paid out yet: still followed")
        self._run(picking, 10)
        self.assertFalse(picking.nova_poshta_cod_received)
        self.assertIn(picking, Picking.search(Picking._nova_poshta_open_domain()))
        self._run(picking, 11, LastTransactionDateTimeGM="02.12.2026 10:15:00")
        self.assertTrue(picking.nova_poshta_cod_received)
        self.assertEqual(str(picking.nova_poshta_cod_paid_date), "2026-12-02")
        self.assertNotIn(picking, Picking.search(Picking._nova_poshta_open_domain()), "money final: tracking ends")
        payments = picking.nova_poshta_cod_payment_ids
        self.assertEqual(len(payments), 1)
        self.assertEqual(payments.journal_id, journal)
        self.assertEqual(str(payments.date), "2026-12-02")
        self.assertEqual([e[2:] for e in self.events if e[0] == "status"],
                         [("1", "9"), ("9", "10"), ("10", "11")])
        self.assertEqual([(e[1], e[2]) for e in self.events if e[0] == "paid"],
                         [(picking.id, picking.nova_poshta_cod_amount)])
        # the same status again: nothing fires twice
        picking.nova_poshta_checked_at = False
        self._run(picking, 11)
        self.assertEqual(len([e for e in self.events if e[0] == "paid"]), 1)

    def test_parcel_without_cod_ends_at_received(self):
        order = self._order()
        picking = order.picking_ids
        picking.nova_poshta_cod_amount = 0.0
        self._validate(picking)
        self._run(picking, 9)
        Picking = self.env["stock.picking"]
        self.assertNotIn(picking, Picking.search(Picking._nova_poshta_open_domain()))
        self.assertFalse([e for e in self.events if e[0] == "paid"])


@tagged("post_install", "-at_install")
class TestNovaPoshtaMoneyRights(NovaPoshtaCommon):
    def test_storekeeper_with_inventory_rights_only_sends_the_right_cod(self):
        from odoo.tests import new_test_user

        order = self._order(qty=2)
        invoice = order._create_invoices()
        invoice.action_post()
        journal = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids).create(
                {"journal_id": journal.id, "amount": 1000.0})._create_payments()
        storekeeper = new_test_user(self.env, "np_storekeeper_cod", groups="stock.group_stock_user")
        picking = order.picking_ids.with_user(storekeeper)
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        calls = len(self.fake.requests)
        picking.button_validate()
        self.assertEqual(len(self.fake.requests), calls, "the storekeeper's validation does not call Nova Poshta")
        self.assertEqual(picking.nova_poshta_waybill_state, "queued")
        self._create_waybills()  # the cron, as its own user, right after the validation commits
        self.assertEqual(picking.nova_poshta_waybill_state, "done")
        goods = sum(order.order_line.filtered(lambda line: not line.is_delivery).mapped("price_total"))
        sent = [c for c in self.fake.calls("save") if c["modelName"] == "InternetDocument"][-1]["methodProperties"]
        expected = order.currency_id._convert(goods - 1000.0, self.env.ref("base.UAH"), order.company_id,
                                              order.date_order.date())
        self.assertAlmostEqual(float(sent["BackwardDeliveryData"][0]["RedeliveryString"]), expected, delta=0.011)
