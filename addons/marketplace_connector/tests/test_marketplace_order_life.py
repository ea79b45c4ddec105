"""An order's life: reservation whatever the warehouse settings, marketplace cancellations, bad orders,
paging, customer matching and tax-included prices (real Odoo, marketplaces through the protocol fakes)."""

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .common import MarketplaceCommon


@tagged("post_install", "-at_install")
class TestMarketplaceOrderLife(MarketplaceCommon):
    def setUp(self):
        super().setUp()
        self._import_offers()

    def _binding(self, channel, external_id):
        return self.env["marketplace.order"].search(
            [("channel_id", "=", channel.id), ("external_id", "=", str(external_id))])

    def _prom_order(self, oid, product_index=0, qty=1, price=100.0, **kw):
        kw.setdefault("date", fields.Datetime.now().strftime("%Y-%m-%dT%H:%M:%S"))
        self.prom.add_order(oid, [{"id": 101 + product_index, "sku": f"SKU-{product_index + 1}", "name": "Товар",
                                   "quantity": qty, "price": price}], **kw)

    def _rozetka_order(self, oid, product_index=0, qty=1, price=100, **kw):
        self.rozetka.add_order(oid, [{"item_id": 501 + product_index, "quantity": qty, "price": price,
                                      "article": f"SKU-{product_index + 1}"}], **kw)

    def _set_on_hand(self, product, quantity):
        quant = self.env["stock.quant"].search([("product_id", "=", product.id), ("location_id", "=", self.stock.id)])
        quant.inventory_quantity = quantity
        quant.action_apply_inventory()

    def _reserved(self, product):
        return sum(self.env["stock.move.line"].search([
            ("product_id", "=", product.id), ("state", "not in", ("done", "cancel"))]).mapped("quantity"))

    # -- stock integrity -------------------------------------------------------------------------
    def test_manual_and_by_date_reservation_never_confirm_two_orders_for_one_unit(self):
        out_type = self.warehouse.out_type_id
        for method, oids in (("manual", (301, 302)), ("by_date", (303, 304))):
            with self.subTest(method=method):
                out_type.write({"reservation_method": method, "reservation_days_before": 0})
                product = self.products[1]
                self._set_on_hand(product, 1)
                self._prom_order(oids[0], product_index=1,
                                 date=fields.Datetime.now().strftime("%Y-%m-%dT%H:%M:%S"))
                self._rozetka_order(oids[1], product_index=1)
                self.prom_channel._import_orders()
                self.rozetka_channel._import_orders()
                first, second = self._binding(self.prom_channel, oids[0]), self._binding(self.rozetka_channel, oids[1])
                self.assertEqual(first.state, "imported")
                self.assertEqual(first.sale_order_id.picking_ids.state, "assigned", "reserved explicitly")
                self.assertEqual((second.state, second.exception_reason), ("exception", "out_of_stock"))
                self.assertFalse(second.sale_order_id)
                self.assertEqual(self._reserved(product), 1.0)
                first.sale_order_id.with_context(marketplace_no_status=True)._action_cancel()
                self.prom.orders.clear()
                self.rozetka.orders.clear()

    def test_untracked_products_are_shown_available(self):
        consumable = self.env["product.product"].create({"name": "Пакет", "default_code": "BAG", "type": "consu",
                                                         "is_storable": False})
        service = self.env["product.product"].create({"name": "Гравіювання", "default_code": "ENGRAVE",
                                                      "type": "service"})
        self.prom.add_product(150, sku="BAG")
        self.prom.add_product(151, sku="ENGRAVE")
        self.prom_channel.action_import_offers()
        self.assertEqual(self.prom_channel.offer_ids.filtered(lambda o: o.external_id == "150").product_id, consumable)
        self.assertEqual(self.prom_channel.offer_ids.filtered(lambda o: o.external_id == "151").product_id, service)
        self._push_all()
        for pid in (150, 151):
            self.assertEqual(self.prom.products[pid]["presence"], "available")
            self.assertEqual(self.prom.products[pid]["quantity_in_stock"], 100 - 1, "nominal quantity minus buffer")

    # -- order life --------------------------------------------------------------------------------
    def test_order_first_seen_cancelled_is_never_confirmed(self):
        self._prom_order(311, status="canceled")
        self._rozetka_order(312, status=42)  # "Немає в наявності": status_group 3
        self._rozetka_order(313, status=7)  # "Не оброблено продавцем протягом дня"
        self.prom_channel._import_orders()
        self.rozetka_channel._import_orders()
        for channel, oid in ((self.prom_channel, 311), (self.rozetka_channel, 312), (self.rozetka_channel, 313)):
            binding = self._binding(channel, oid)
            self.assertEqual(binding.state, "cancelled")
            self.assertTrue(binding.marketplace_failed)
            self.assertFalse(binding.sale_order_id)
        self.assertEqual(self._reserved(self.products[0]), 0.0)
        self.assertFalse(self.env["marketplace.order.status"].search([("channel_id", "in", (
            self.prom_channel.id, self.rozetka_channel.id))]), "nothing to report for an order never taken")

    def test_exception_order_cancelled_by_buyer_is_not_confirmed_when_stock_arrives(self):
        product = self.products[2]
        self._set_on_hand(product, 0)
        self._rozetka_order(321, product_index=2)
        self.rozetka_channel._import_orders()
        binding = self._binding(self.rozetka_channel, 321)
        self.assertEqual((binding.state, binding.exception_reason), ("exception", "out_of_stock"))
        self.rozetka.set_status(321, 45)  # the buyer cancels at Rozetka
        self.rozetka_channel._import_orders()
        self.assertEqual(binding.state, "cancelled")
        self._set_on_hand(product, 5)
        binding.action_retry()
        self.assertFalse(binding.sale_order_id)
        self.assertEqual(self._reserved(product), 0.0)

    def test_every_unsuccessful_status_releases_the_reservation_and_leaves_the_pnl(self):
        # Rozetka apidoc "OrdersStatuses": a few of the unsuccessful ones besides 45 and 13
        for index, status in enumerate((18, 42, 12, 19, 50)):
            with self.subTest(status=status):
                oid = 330 + index
                self._rozetka_order(oid)
                self.rozetka_channel._import_orders()
                binding = self._binding(self.rozetka_channel, oid)
                order = binding.sale_order_id
                self.assertEqual(order.state, "sale")
                self.env.flush_all()
                self.assertTrue(self.env["marketplace.pnl.report"].search([("order_id", "=", order.id)]))
                self.rozetka.set_status(oid, status)
                self.rozetka_channel._import_orders()
                self.assertEqual(binding.state, "cancelled")
                self.assertEqual(order.state, "cancel")
                self.assertFalse(order.picking_ids.move_ids.move_line_ids, "reservation released")
                self.env.flush_all()
                self.assertFalse(self.env["marketplace.pnl.report"].search([("order_id", "=", order.id)]))
        self._prom_order(339)
        self.prom_channel._import_orders()
        binding = self._binding(self.prom_channel, 339)
        self.prom.change(339, status="canceled")
        self.prom_channel._import_orders()
        self.assertEqual((binding.state, binding.sale_order_id.state), ("cancelled", "cancel"))

    def test_one_bad_order_does_not_block_the_channel(self):
        other_company = self.env["res.company"].create({"name": "Інша компанія"})
        foreign = self.env["product.product"].create({"name": "Чужий товар", "default_code": "FOREIGN",
                                                      "type": "consu"})
        self.prom.add_product(160, sku="FOREIGN")
        self.prom_channel.action_import_offers()
        self.assertEqual(self.prom_channel.offer_ids.filtered(lambda o: o.external_id == "160").product_id, foreign)
        foreign.company_id = other_company  # moved to the other company after it was mapped: cannot be sold here
        self._prom_order(341)
        self.prom.add_order(342, [{"id": 160, "sku": "FOREIGN", "name": "Чужий", "quantity": 1, "price": 5.0}],
                            date=fields.Datetime.now().strftime("%Y-%m-%dT%H:%M:%S"))
        self._prom_order(343, product_index=1)
        self._prom_order(344)
        self.prom.orders[344]["products"][0]["quantity"] = "два"  # unreadable data in one order of the page
        orders_before = self.env["sale.order"].search_count([])
        self.prom_channel._import_orders()  # does not raise
        good, bad, last, unreadable = (self._binding(self.prom_channel, oid) for oid in (341, 342, 343, 344))
        self.assertEqual((unreadable.state, unreadable.exception_reason), ("exception", "error"))
        self.assertIn("два", unreadable.exception_message)
        unreadable.action_retry()  # still unreadable: stays in exception with the reason
        self.assertEqual((unreadable.state, unreadable.sale_order_id.id), ("exception", False))
        self.assertIn("два", unreadable.exception_message)
        self.assertEqual((good.state, last.state), ("imported", "imported"))
        self.assertEqual((bad.state, bad.exception_reason), ("exception", "error"))
        self.assertTrue(bad.exception_message)
        self.assertFalse(bad.sale_order_id)
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before + 2, "no orphan draft order")
        self.assertEqual(self.prom_channel.exception_count, 2)
        self.assertTrue(self.prom_channel.order_cursor)

    def test_rozetka_paging_survives_orders_changing_while_read(self):
        self.rozetka.per_page = 2
        base = fields.Datetime.now()
        for i in range(5):
            self._rozetka_order(351 + i, changed=fields.Datetime.to_string(base.replace(second=i)))

        def touch(page):
            if page == 2:  # the buyer edits the first order while the second page is being read
                self.rozetka.orders[351]["changed"] = fields.Datetime.to_string(base.replace(second=30))

        self.rozetka.on_page = touch
        try:
            self.rozetka_channel._import_orders()
        finally:
            self.rozetka.on_page = None
        found = self.env["marketplace.order"].search([("channel_id", "=", self.rozetka_channel.id)])
        self.assertEqual(sorted(found.mapped("external_id")), [str(351 + i) for i in range(5)])

    def test_customer_matched_by_sanitized_phone_and_exact_email(self):
        by_phone = self.env["res.partner"].create({"name": "Олена", "phone": "+380671112233"})
        lookalike = self.env["res.partner"].create({"name": "Схожий", "email": "olenaxk@shop.ua"})
        exact = self.env["res.partner"].create({"name": "Точний", "email": "Petro@Shop.ua"})
        self._prom_order(361, phone="380671112233")
        self._prom_order(362, phone="+380500000001", email="olena_k@shop.ua")  # "_" is no wildcard
        self._prom_order(363, phone="+380500000002", email="petro@shop.ua")
        self.prom_channel._import_orders()
        self.assertEqual(self._binding(self.prom_channel, 361).sale_order_id.partner_id, by_phone)
        new = self._binding(self.prom_channel, 362).sale_order_id.partner_id
        self.assertNotEqual(new, lookalike)
        self.assertEqual(new.email, "olena_k@shop.ua")
        self.assertEqual(self._binding(self.prom_channel, 363).sale_order_id.partner_id, exact)

    def test_order_total_is_what_the_buyer_paid(self):
        tax = self.env["account.tax"].create({"name": "ПДВ 20%", "amount": 20.0, "type_tax_use": "sale",
                                              "company_id": self.env.company.id})
        self.assertFalse(tax.price_include)
        self.products[0].taxes_id = [Command.set(tax.ids)]
        self._prom_order(371, qty=2, price=120.0)
        self.prom_channel._import_orders()
        order = self._binding(self.prom_channel, 371).sale_order_id
        self.assertEqual(order.amount_total, 240.0)
        self.assertEqual(order.amount_untaxed, 200.0)
        self.assertTrue(order.order_line.tax_id.price_include)
        self.assertEqual(order.order_line.tax_id.amount, 20.0)

    # -- status back through the outbox ------------------------------------------------------------
    def _validated_delivery(self, binding, user, ttn=None):
        picking = binding.sale_order_id.picking_ids.with_user(user)
        if ttn:
            picking.carrier_tracking_ref = ttn
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking.button_validate()
        return picking

    def test_storekeeper_never_waits_on_the_marketplace_and_updates_are_retried(self):
        storekeeper = new_test_user(self.env, "mp_storekeeper", groups="stock.group_stock_user")
        self._prom_order(381)
        self.prom_channel._import_orders()
        binding = self._binding(self.prom_channel, 381)
        self._send_statuses()
        self.assertEqual(binding.status_state, "sent")
        calls = len(self.prom.requests)
        self._validated_delivery(binding, storekeeper, ttn="20450000000381")
        self.assertEqual(len(self.prom.requests), calls, "validating the delivery made no call to Prom")
        self.assertEqual(binding.status_state, "pending")
        from tests.fakes.base import Fault

        self.prom.fail_next(Fault.server_error(503), times=3)
        self._send_statuses()  # Prom is down: the update waits, with a delay before the next try
        row = binding.status_ids.filtered(lambda s: s.event in ("shipped", "waybill") and s.state == "pending")[:1]
        self.assertTrue(row)
        self.assertEqual(row.attempts, 1)
        self.assertGreater(row.next_attempt, fields.Datetime.now())
        self.assertIn("503", binding.status_error)
        binding.status_ids.filtered(lambda s: s.state == "pending").write({"next_attempt": fields.Datetime.now()})
        self.prom.reset()
        self._send_statuses()
        self.assertEqual(binding.status_state, "sent")
        self.assertEqual(self.prom.declarations[-1]["declaration_id"], "20450000000381")
        self.assertEqual(self.prom.orders[381]["status"], "received")

    def test_waybill_entered_after_validation_is_sent_in_an_accepted_status(self):
        self._rozetka_order(391)
        self.rozetka_channel._import_orders()
        binding = self._binding(self.rozetka_channel, 391)
        self._send_statuses()
        self._validated_delivery(binding, self.env.user)
        self._send_statuses()
        self.assertEqual(binding.status_state, "refused", "Rozetka needs the TTN to hand the parcel over")
        binding.sale_order_id.picking_ids.carrier_tracking_ref = "20450000000391"
        self.assertEqual(binding.status_state, "pending")
        self._send_statuses()
        self.assertEqual(binding.status_state, "sent")
        put = self.rozetka.status_updates[-1][1]
        self.assertEqual(put, {"status": 2, "ttn": "20450000000391"}, "from 26 Rozetka allows 2 (+TTN -> 61)")
        self.assertEqual(self.rozetka.orders[391]["status"], 61)
        self.assertEqual(binding.ttn, "20450000000391")

    def test_cancel_refused_by_the_marketplace_is_not_shown_cancelled(self):
        self._rozetka_order(395)
        self.rozetka_channel._import_orders()
        binding = self._binding(self.rozetka_channel, 395)
        self._send_statuses()
        self.rozetka.set_status(395, 61, ttn="20450000000395")  # handed to the carrier meanwhile
        binding.sale_order_id.with_context(marketplace_cancel_reason="not_available")._action_cancel()
        self._send_statuses()
        self.assertEqual(binding.status_state, "refused")
        self.assertIn("allowed: 3", binding.status_error)
        self.assertNotEqual(binding.state, "cancelled")
        self.assertEqual(self.rozetka.orders[395]["status"], 61)
