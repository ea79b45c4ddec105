"""Last-unit race between two channels, with two real database connections in two threads.

The ORM test transaction cannot show a race (everything runs in one transaction), so this test commits its
own data through dedicated connections and removes it afterwards (SQL cleanup in ``finally``).
"""

import threading

import odoo
from odoo import api, sql_db
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
        with self._cursor() as cr:
            cr.execute("SELECT COALESCE(max(id), 0) FROM res_partner")
            max_partner = cr.fetchone()[0]
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

    def _cleanup(self, ids, max_partner):
        if not ids.get("channels"):
            return
        with self._cursor() as cr:
            channels, products = tuple(ids["channels"]), tuple(ids["products"])
            cr.execute("SELECT sale_order_id FROM marketplace_order WHERE channel_id IN %s", [channels])
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
                "DELETE FROM sale_order WHERE id IN %(o)s",
                "DELETE FROM marketplace_log WHERE channel_id IN %(c)s",
                "DELETE FROM marketplace_offer WHERE channel_id IN %(c)s",
                "DELETE FROM marketplace_stock_event WHERE product_id IN %(p)s",
                "DELETE FROM marketplace_channel WHERE id IN %(c)s",
                "DELETE FROM stock_quant WHERE product_id IN %(p)s",
                "DELETE FROM product_product WHERE id IN %(p)s",
                "DELETE FROM product_template WHERE id IN %(t)s",
                "DELETE FROM res_partner WHERE id > %(mp)s AND phone LIKE '%%509990011'",
            ):
                cr.execute(query, {"p": products, "pk": pickings, "c": channels, "o": orders,
                                   "t": tuple(ids["templates"]), "mp": max_partner})
            cr.commit()  # pylint: disable=invalid-commit
