"""Protocol fake of the Rozetka Seller API ({success, content} / {success: false, errors} envelopes,
POST /sites login with base64 password, bearer tokens that can expire, mass-update, orders search)."""

import base64
import itertools
import threading

from tests.fakes.base import FakeServer, Response, utc_now


def ok(content):
    return Response.json({"success": True, "content": content})


def fail(message, code, description="", status=200):
    return Response.json({"success": False, "errors": {"message": message, "code": code,
                                                        "description": description}}, status=status)


class RozetkaFake(FakeServer):
    per_page = 20

    def __init__(self, username="seller", password="pa$$", **kwargs):
        self.username, self.password = username, password
        self.tokens = set()
        self._seq = itertools.count(1)
        self.items = {}  # rz id -> dict
        self.orders = {}  # id -> dict
        self.status_updates = []
        self.logins = 0
        self.received = threading.Event()
        super().__init__(**kwargs)

    def setup_routes(self):
        self.route("POST", "/sites", self.login)
        self.route("GET", "/goods/all", self.goods_all)
        self.route("PUT", "/items/mass-update", self.mass_update)
        self.route("GET", "/orders/search", self.orders_search)
        self.route("PUT", r"/orders/(\d+)", self.order_update)

    def add_item(self, rz_id, article="", name="", price=100, stock=0):
        self.items[rz_id] = {"id": rz_id, "article": article, "price_offer_id": article, "name": name or article,
                             "price": price, "stock_quantity": stock}

    def add_order(self, oid, purchases, changed=None, status=1, phone="380671234567", **extra):
        changed = changed or utc_now().strftime("%Y-%m-%d %H:%M:%S")
        self.orders[oid] = dict({
            "id": oid, "created": changed, "changed": changed, "status": status, "user_phone": phone,
            "amount": str(sum(p["price"] * p["quantity"] for p in purchases)),
            "user_title": {"first_name": "Іван", "last_name": "Коваль", "full_name": "Коваль Іван"},
            "delivery": {"delivery_service_name": "Нова Пошта", "place_number": "12",
                         "city": {"name_ua": "Київ", "name": "Киев"}},
            "purchases": [{"item_id": p["item_id"], "item_name": p.get("name", ""), "quantity": p["quantity"],
                           "price": str(p["price"]), "item": {"article": p.get("article", "")}}
                          for p in purchases],
        }, **extra)

    def expire_tokens(self):
        self.tokens.clear()

    def _authorized(self, request):
        header = request.header("Authorization") or ""
        return header.startswith("Bearer ") and header[7:] in self.tokens

    def login(self, request, _m):
        body = request.json or {}
        try:
            password = base64.b64decode(body.get("password") or "").decode("utf-8")
        except ValueError:
            password = None
        if body.get("username") != self.username or password != self.password:
            return fail("incorrect_username_password", 1004, "Неправильний логін або пароль")
        token = f"token-{next(self._seq)}"
        self.tokens.add(token)
        self.logins += 1
        return ok({"id": 111, "access_token": token, "market": {"id": 1086, "title": "my_shop"}})

    def _paged(self, key, items, request):
        page = int(request.query.get("page") or 1)
        chunk = items[(page - 1) * self.per_page: page * self.per_page]
        pages = max(1, -(-len(items) // self.per_page))
        return ok({key: chunk, "_meta": {"totalCount": len(items), "pageCount": pages, "currentPage": page,
                                         "perPage": self.per_page}})

    def goods_all(self, request, _m):
        if not self._authorized(request):
            return fail("incorrect_username_pasword", 1020)
        return self._paged("items", list(self.items.values()), request)

    def mass_update(self, request, _m):
        if not self._authorized(request):
            return fail("incorrect_username_pasword", 1020)
        errors = {}
        for item in (request.json or {}).get("items") or []:
            target = self.items.get(item.get("item_rz_id"))
            if not target:
                errors[str(item.get("item_rz_id"))] = {"reason": [{"id": 1, "value": ["item not found"]}]}
                continue
            for key in ("price", "stock_quantity"):
                if key in item:
                    target[key] = item[key]
        self.received.set()
        if errors:
            return Response.json({"success": False, "errors": errors})
        return ok(None)

    def orders_search(self, request, _m):
        if not self._authorized(request):
            return fail("incorrect_username_pasword", 1020)
        since = request.query.get("changed_from") or ""
        items = sorted((o for o in self.orders.values() if o["changed"] >= since), key=lambda o: o["changed"])
        return self._paged("orders", items, request)

    def order_update(self, request, match):
        if not self._authorized(request):
            return fail("incorrect_username_pasword", 1020)
        order = self.orders.get(int(match.group(1)))
        body = request.json or {}
        if not order:
            return fail("entity_not_found", 1019)
        if "status" not in body:
            return fail("required_parameter", 1001, "status")
        if body["status"] in (3, 61) and not body.get("ttn"):
            return fail("required_parameter", 1001, "ttn")
        order["status"] = body["status"]
        if body.get("ttn"):
            order["ttn"] = body["ttn"]
        self.status_updates.append((order["id"], body))
        return ok(order)
