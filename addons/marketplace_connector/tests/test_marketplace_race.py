"""Last-unit race between two channels, with two real database connections in two threads.

The ORM test transaction cannot show a race (everything runs in one transaction), so this test commits its
own data through dedicated connections and removes it afterwards (SQL cleanup in ``finally``).
"""

import threading
import time

import odoo
from odoo import api, sql_db
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged

from odoo.addons.marketplace_connector.tools.prom_api import PromApi
from odoo.addons.marketplace_connector.tools.rozetka_api import RozetkaApi

from tests.fakes.prom import PREFIX, PromFake
from tests.fakes.rozetka import RozetkaFake

PHONE = "+380509990011"


@tagged("post_install", "-at_install")
class TestMarketplaceLastUnitRace(TransactionCase):
    ROUNDS = 3

    def _cursor(self):
        return sql_db.db_connect(self.env.cr.dbname).cursor()

    def _run(self, func):
        with self._cursor() as cr:
            result = func(api.Environment(cr, odoo.SUPERUSER_ID, {}))
            cr.commit()  # pylint: disable=invalid-commit  # two real transactions race: data must be committed
            return result

    def test_two_connections_reserve_the_last_unit_once(self):
        prom, rozetka = PromFake().start(), RozetkaFake().start()
        self.addCleanup(prom.stop)
        self.addCleanup(rozetka.stop)
        RozetkaApi._tokens.clear()
        max_partner = self._max_partner_id()
        ids = {}

        def setup(env):
            warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
            products = env["product.product"].create([
                {"name": f"Race unit {r}", "default_code": f"RACE-{r}", "is_storable": True}
                for r in range(self.ROUNDS)])
            env["stock.quant"].create([{"product_id": p.id, "location_id": warehouse.lot_stock_id.id,
                                        "quantity": 1} for p in products])
            channels = env["marketplace.channel"].create([
                {"name": "Race Prom", "channel_type": "prom", "api_token": "prom-token",
                 "base_url": prom.url + PREFIX, "warehouse_id": warehouse.id},
                {"name": "Race Rozetka", "channel_type": "rozetka", "login": "seller", "password": "pa$$",
                 "base_url": rozetka.url, "warehouse_id": warehouse.id}])
            env["marketplace.offer"].create([
                {"channel_id": channel.id, "product_id": p.id, "external_id": str(900 + r), "sku": p.default_code}
                for channel in channels for r, p in enumerate(products)])
            ids.update(products=products.ids, templates=products.product_tmpl_id.ids, channels=channels.ids)

        try:
            self._run(setup)
            for r in range(self.ROUNDS):
                prom.add_product(900 + r, sku=f"RACE-{r}")
                rozetka.add_item(900 + r, article=f"RACE-{r}")
                prom.add_order(7000 + r, [{"id": 900 + r, "sku": f"RACE-{r}", "name": "x", "quantity": 1,
                                           "price": 10.0}], phone=PHONE)
                rozetka.add_order(7000 + r, [{"item_id": 900 + r, "quantity": 1, "price": 10,
                                              "article": f"RACE-{r}"}], phone=PHONE)
                orders = [PromApi._parse_order(prom.orders[7000 + r]),
                          RozetkaApi._parse_order(rozetka.orders[7000 + r])]
                barrier = threading.Barrier(2)
                errors = []

                def run(channel_id, order, barrier=barrier, errors=errors):
                    try:
                        with self._cursor() as cr:
                            env = api.Environment(cr, odoo.SUPERUSER_ID, {})
                            channel = env["marketplace.channel"].browse(channel_id)
                            barrier.wait(10)
                            channel._import_order_committed(order)
                    except Exception as error:  # noqa: BLE001 - asserted below
                        errors.append(error)

                threads = [threading.Thread(target=run, args=(channel_id, order))
                           for channel_id, order in zip(ids["channels"], orders, strict=True)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(60)
                self.assertFalse(errors)
                product_id = ids["products"][r]

                def check(env, product_id=product_id, r=r):
                    bindings = env["marketplace.order"].search([("channel_id", "in", ids["channels"]),
                                                                ("external_id", "=", str(7000 + r))])
                    moves = env["stock.move"].search([("product_id", "=", product_id), ("state", "=", "assigned")])
                    return (sorted(bindings.mapped("state")), sorted(bindings.mapped("exception_reason"), key=str),
                            sum(moves.mapped("quantity")))

                states, reasons, reserved = self._run(check)
                self.assertEqual(states, ["exception", "imported"], f"round {r}: exactly one order confirmed")
                self.assertIn("out_of_stock", reasons)
                self.assertEqual(reserved, 1.0, f"round {r}: exactly one reservation")
                # the loser pushed stock 0 to both marketplaces at once
                self.assertEqual(prom.products[900 + r]["quantity_in_stock"], 0)
                self.assertEqual(rozetka.items[900 + r]["stock_quantity"], 0)
        finally:
            self._cleanup(ids, max_partner)

    def test_odoo_sale_racing_an_import_reserves_the_last_unit_once(self):
        """A salesperson confirms an order for the last unit while a marketplace import holds it (and the other
        way round). Odoo's own reservation used to skip the locked quant and reserve the unit on a second
        quant. Real connections; the Odoo side runs through Odoo's RPC retry (odoo.service.model.retrying)."""
        prom = PromFake().start()
        self.addCleanup(prom.stop)
        max_partner = self._max_partner_id()
        ids = {}
        salesman_id = self.env.ref("base.user_demo").id

        def setup(env):
            warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
            products = env["product.product"].create([
                {"name": f"Race unit {r}", "default_code": f"RACE-ODOO-{r}", "is_storable": True} for r in range(2)])
            env["stock.quant"].create([{"product_id": p.id, "location_id": warehouse.lot_stock_id.id,
                                        "quantity": 1} for p in products])
            channel = env["marketplace.channel"].create({
                "name": "Race Prom", "channel_type": "prom", "api_token": "prom-token",
                "base_url": prom.url + PREFIX, "warehouse_id": warehouse.id})
            env["marketplace.offer"].create([
                {"channel_id": channel.id, "product_id": p.id, "external_id": str(910 + r), "sku": p.default_code}
                for r, p in enumerate(products)])
            customer = env["res.partner"].create({"name": "Race customer", "phone": "+380509990011"})
            ids.update(products=products.ids, templates=products.product_tmpl_id.ids, channels=channel.ids,
                       warehouse=warehouse.id, customer=customer.id)

        def odoo_sale(product_id, started, errors):
            try:
                with self._cursor() as cr:
                    env = api.Environment(cr, salesman_id, {})

                    def confirm():
                        started.set()
                        order = env["sale.order"].create({
                            "partner_id": ids["customer"], "warehouse_id": ids["warehouse"],
                            "order_line": [(0, 0, {"product_id": product_id, "product_uom_qty": 1})]})
                        order.action_confirm()

                    retrying(confirm, env)
                    cr.commit()  # pylint: disable=invalid-commit
            except Exception as error:  # noqa: BLE001 - asserted by the caller
                errors.append(error)

        def reserved(env, product_id):
            lines = env["stock.move.line"].search([("product_id", "=", product_id),
                                                   ("state", "not in", ("done", "cancel"))])
            quants = env["stock.quant"].search([("product_id", "=", product_id)])
            return sum(lines.mapped("quantity")), sum(quants.mapped("reserved_quantity"))

        try:
            self._run(setup)
            # round 0: the import holds the unit (uncommitted) when the salesperson confirms
            product_id = ids["products"][0]
            prom.add_order(7100, [{"id": 910, "sku": "RACE-ODOO-0", "name": "x", "quantity": 1, "price": 10.0}],
                           phone=PHONE)
            started, errors = threading.Event(), []
            with self._cursor() as cr:
                env = api.Environment(cr, odoo.SUPERUSER_ID, {})
                channel = env["marketplace.channel"].browse(ids["channels"][0])
                binding = env["marketplace.order"]._import_from_marketplace(
                    channel, PromApi._parse_order(prom.orders[7100]))
                self.assertEqual(binding.state, "imported")
                seller = threading.Thread(target=odoo_sale, args=(product_id, started, errors))
                seller.start()
                started.wait(10)
                time.sleep(1.0)  # the salesperson's reservation runs while the import still holds the unit
                cr.commit()  # pylint: disable=invalid-commit
            seller.join(60)
            self.assertFalse(errors)
            self.assertEqual(self._run(lambda env: reserved(env, product_id)), (1.0, 1.0),
                             "the last unit is reserved once")
            # round 1: the salesperson holds the unit (uncommitted) when the import arrives
            product_id = ids["products"][1]
            prom.add_order(7101, [{"id": 911, "sku": "RACE-ODOO-1", "name": "x", "quantity": 1, "price": 10.0}],
                           phone=PHONE)
            result = {}

            def importer():
                with self._cursor() as cr:
                    env = api.Environment(cr, odoo.SUPERUSER_ID, {})
                    channel = env["marketplace.channel"].browse(ids["channels"][0])
                    result["binding"] = channel._import_order_committed(
                        PromApi._parse_order(prom.orders[7101])).id

            with self._cursor() as cr:
                env = api.Environment(cr, salesman_id, {})
                order = env["sale.order"].create({
                    "partner_id": ids["customer"], "warehouse_id": ids["warehouse"],
                    "order_line": [(0, 0, {"product_id": product_id, "product_uom_qty": 1})]})
                order.action_confirm()
                thread = threading.Thread(target=importer)
                thread.start()
                time.sleep(1.0)  # the import waits on the salesperson's reservation
                cr.commit()  # pylint: disable=invalid-commit
            thread.join(60)

            def check(env):
                binding = env["marketplace.order"].browse(result["binding"])
                return binding.state, binding.exception_reason, reserved(env, product_id)

            self.assertEqual(self._run(check), ("exception", "out_of_stock", (1.0, 1.0)))
        finally:
            self._cleanup(ids, max_partner)

    def test_cron_path_commits_each_order_and_a_bad_one_does_not_block(self):
        """The cron import (one committed transaction per order): an order that cannot be converted is rolled
        back entirely (no binding half-written, no draft sale order), recorded as a visible exception, and the
        orders after it are imported; the cursor advances."""
        prom = PromFake().start()
        self.addCleanup(prom.stop)
        max_partner = self._max_partner_id()
        ids = {}

        def setup(env):
            other = env["res.company"].search([("id", "!=", env.company.id)], limit=1)
            warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
            good = env["product.product"].create({"name": "Cron unit", "default_code": "CRON-OK", "type": "consu"})
            bad = env["product.product"].create({"name": "Cron foreign", "default_code": "CRON-BAD", "type": "consu"})
            channel = env["marketplace.channel"].create({
                "name": "Cron Prom", "channel_type": "prom", "api_token": "prom-token",
                "base_url": prom.url + PREFIX, "warehouse_id": warehouse.id})
            env["marketplace.offer"].create([
                {"channel_id": channel.id, "product_id": good.id, "external_id": "920", "sku": "CRON-OK"},
                {"channel_id": channel.id, "product_id": bad.id, "external_id": "921", "sku": "CRON-BAD"}])
            if other:
                bad.company_id = other  # moved to another company after it was mapped: cannot be sold here
            ids.update(products=(good | bad).ids, templates=(good | bad).product_tmpl_id.ids, channels=channel.ids,
                       other=other.id)

        try:
            self._run(setup)
            if not ids["other"]:
                self.skipTest("needs a second company")
            for oid, pid, sku in ((7201, 920, "CRON-OK"), (7202, 921, "CRON-BAD"), (7203, 920, "CRON-OK")):
                prom.add_order(oid, [{"id": pid, "sku": sku, "name": "x", "quantity": 1, "price": 10.0}],
                               phone=PHONE)
            errors = []

            def cron():
                try:
                    with self._cursor() as cr:
                        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
                        env["marketplace.channel"].browse(ids["channels"][0])._import_orders(commit_each=True)
                except Exception as error:  # noqa: BLE001 - asserted below
                    errors.append(error)

            thread = threading.Thread(target=cron)  # not a test thread: the cron path commits
            thread.start()
            thread.join(120)
            self.assertFalse(errors)

            def check(env):
                bindings = env["marketplace.order"].search([("channel_id", "in", ids["channels"])])
                by_id = {b.external_id: b for b in bindings}
                drafts = env["sale.order"].search_count([("order_line.product_id", "in", ids["products"])])
                return ({k: (b.state, b.exception_reason or False, bool(b.sale_order_id)) for k, b in by_id.items()},
                        bool(by_id["7202"].exception_message), drafts,
                        bool(env["marketplace.channel"].browse(ids["channels"][0]).order_cursor))

            states, has_message, orders, cursor = self._run(check)
            self.assertEqual(states, {"7201": ("imported", False, True), "7202": ("exception", "error", False),
                                      "7203": ("imported", False, True)})
            self.assertTrue(has_message)
            self.assertEqual(orders, 2, "no orphan sale order for the bad one")
            self.assertTrue(cursor)
        finally:
            self._cleanup(ids, max_partner)

    def _max_partner_id(self):
        """The highest committed partner id: partners above it were created by the test (see _cleanup)."""
        with self._cursor() as cr:
            cr.execute("SELECT COALESCE(max(id), 0) FROM res_partner")
            return cr.fetchone()[0]

    def _cleanup(self, ids, max_partner):
        if not ids.get("channels"):
            return
        with self._cursor() as cr:
            channels, products = tuple(ids["channels"]), tuple(ids["products"])
            cr.execute("""SELECT sale_order_id FROM marketplace_order WHERE channel_id IN %s
                          UNION SELECT order_id FROM sale_order_line WHERE product_id IN %s""", [channels, products])
            orders = tuple(r[0] for r in cr.fetchall() if r[0]) or (0,)
            cr.execute("SELECT id FROM stock_picking WHERE sale_id IN %s", [orders])
            pickings = tuple(r[0] for r in cr.fetchall()) or (0,)
            for query in (
                "DELETE FROM stock_move_line WHERE product_id IN %(p)s",
                "DELETE FROM stock_move WHERE product_id IN %(p)s",
                "DELETE FROM stock_picking WHERE id IN %(pk)s",
                "DELETE FROM procurement_group WHERE sale_id IN %(o)s",
                "DELETE FROM mail_message WHERE model = 'sale.order' AND res_id IN %(o)s",
                "DELETE FROM mail_message WHERE model = 'stock.picking' AND res_id IN %(pk)s",
                "DELETE FROM marketplace_order WHERE channel_id IN %(c)s",
                "DELETE FROM sale_order_line WHERE order_id IN %(o)s",
                "DELETE FROM sale_order WHERE id IN %(o)s",
                "DELETE FROM marketplace_log WHERE channel_id IN %(c)s",
                "DELETE FROM marketplace_offer WHERE channel_id IN %(c)s",
                "DELETE FROM marketplace_stock_event WHERE product_id IN %(p)s",
                "DELETE FROM marketplace_channel WHERE id IN %(c)s",
                "DELETE FROM stock_quant WHERE product_id IN %(p)s",
                "DELETE FROM product_product WHERE id IN %(p)s",
                "DELETE FROM product_template WHERE id IN %(t)s",
                "DELETE FROM marketplace_order_status WHERE channel_id IN %(c)s",
                "DELETE FROM res_partner WHERE id > %(mp)s AND phone LIKE '%%509990011'",
            ):
                cr.execute(query, {"p": products, "pk": pickings, "c": channels, "o": orders,
                                   "t": tuple(ids["templates"]), "mp": max_partner})
            cr.commit()  # pylint: disable=invalid-commit
