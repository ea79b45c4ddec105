"""Protocol fake of the Rozetka Seller API ({success, content} / {success: false, errors} envelopes,
POST /sites login with base64 password, bearer tokens that can expire, mass-update, orders search).

Source: Rozetka Seller API documentation, https://api-seller.rozetka.com.ua/apidoc/ (as mirrored in
GERA-OneTeam/Rozetka-API-Seller docs/categories/orders.md):
- 1.3 GET /orders/search: `page` + `sort` (+/- column) meta parameters, `changed_from`, `expand`; answer
  `content.orders[]` + `_meta{totalCount, pageCount, currentPage, perPage}`;
- 1.2 GET /orders/{id}: `{success, content: Order}`; Order carries `status`, `status_group` (1 processing,
  2 successful, 3 unsuccessful) and, with expand, `status_available[{id, parent_id, child_id, delivery_type}]`
  ("the statuses available for the order in its current status");
- 1.4.1 PUT /orders/{id}: body `status` (required), `ttn` (required for 3 and 61; with 2 the order moves to 61
  by itself), `seller_comment`, `duplicate_order_id` (required for 49); once a TTN is attached Rozetka tracks
  the parcel and moves the statuses itself;
- "OrdersStatuses" list (statuses and their group).
The error code for a refused transition is not documented: 1005 check_correctness_of_data (apidoc error list).
Items (same apidoc, docs/categories/apiitems.md):
* "1.0 Всі товари" GET /goods/all: items carry ``rz_item_id`` (Rozetka id), ``item_id`` (internal technical
  id) and ``price_offer_id`` (offer id in the seller's price list) — there is no ``id`` field; paged by ``_meta``;
* "4.0" PUT /items/mass-update with UpdatingItem (docs/README.md "Товар для оновлення"): ``item_rz_id``
  ("the id updates work through", = rz_item_id), ``price`` (int UAH, optional if stock_quantity given),
  ``stock_quantity`` (int, optional if price given), ``price_old``/``price_promo`` (int, -1 removes);
  per-item failures come back as ``{"success": false, "errors": {"<rz id>": {"reason": [...]}}}``.
"""

import base64
import itertools
import threading

from tests.fakes.base import FakeServer, Response, utc_now


def ok(content):
    return Response.json({"success": True, "content": content})


def fail(message, code, description="", status=200):
    return Response.json({"success": False, "errors": {"message": message, "code": code,
                                                        "description": description}}, status=status)


# apidoc "OrdersStatuses": unsuccessful statuses (status_group 3); successful: 6 (group 2); the rest are group 1
FAILED = {7, 11, 12, 13, 16, 17, 18, 19, 20, 24, 25, 28, 29, 30, 31, 33, 37, 38, 40, 42, 43, 44, 45, 49, 50}
CANCEL_BY_SELLER = [18, 28, 29, 33, 37, 38, 40, 42, 45, 49]
# status_available per status (seller-side transitions, typical flow 1 -> 26 -> 2 -> 61/3 -> Rozetka tracking)
AVAILABLE = {
    1: [26, 2, 47] + CANCEL_BY_SELLER, 52: [26, 2] + CANCEL_BY_SELLER, 26: [2, 47] + CANCEL_BY_SELLER,
    47: [26, 2] + CANCEL_BY_SELLER, 2: [61, 3, 26] + CANCEL_BY_SELLER, 61: [3], 3: [], 4: [], 5: [], 6: [],
}
PUT_FIELDS = {"status", "ttn", "seller_comment", "duplicate_order_id"}


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
        self.route("GET", r"/orders/(\d+)", self.order_get)
        self.route("PUT", r"/orders/(\d+)", self.order_update)
        self.on_page = None  # test hook: called with the page number before each orders/search page is built

    def add_item(self, rz_id, article="", name="", price=100, stock=0, price_offer_id=None):
        self.items[rz_id] = {"rz_item_id": rz_id, "item_id": 100000 + rz_id, "article": article,
                             "price_offer_id": article if price_offer_id is None else price_offer_id,
                             "name": name or article, "name_ua": name or article, "price": price,
                             "price_old": None, "stock_quantity": stock}

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

    UPDATABLE = {"item_id", "item_rz_id", "price", "price_old", "price_promo", "stock_quantity",
                 "max_cart_quantity", "min_cart_quantity"}

    def mass_update(self, request, _m):
        if not self._authorized(request):
            return fail("incorrect_username_pasword", 1020)
        body = request.json
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            return fail("required_parameter", 1001, "items")
        errors = {}

        def reject(key, text):
            errors[str(key)] = {"reason": [{"id": 1, "value": [text]}]}

        for item in body["items"]:
            rz_id = item.get("item_rz_id") if isinstance(item, dict) else None
            if not isinstance(rz_id, int) or isinstance(rz_id, bool):
                return fail("incorrect_data_format", 1002, "item_rz_id")
            unknown = set(item) - self.UPDATABLE
            if unknown:
                return fail("incorrect_data_format", 1002, ", ".join(sorted(unknown)))
            if "price" not in item and "stock_quantity" not in item:
                return fail("required_parameter", 1001, "price|stock_quantity")
            for key in ("price", "price_old", "stock_quantity"):
                if key in item and not isinstance(item[key], int):
                    return fail("incorrect_data_format", 1002, key)
            target = self.items.get(rz_id)
            if not target:
                reject(rz_id, "item not found")
                continue
            if item.get("stock_quantity", 0) < 0:
                reject(rz_id, "stock_quantity must not be negative")
                continue
            for key in ("price", "stock_quantity"):
                if key in item:
                    target[key] = item[key]
            if "price_old" in item:
                target["price_old"] = None if item["price_old"] == -1 else item["price_old"]
        self.received.set()
        if errors:
            return Response.json({"success": False, "errors": errors})
        return ok(None)

    def _order_view(self, order, request):
        view = dict(order)
        status = order["status"]
        view["status_group"] = 3 if status in FAILED else 2 if status == 6 else 1
        if "status_available" in (request.query.get("expand") or ""):
            view["status_available"] = [
                {"id": 100 + child, "parent_id": status, "child_id": child, "delivery_type": 0, "market_group": 0}
                for child in AVAILABLE.get(status, [])]
        return view

    def orders_search(self, request, _m):
        if not self._authorized(request):
            return fail("incorrect_username_pasword", 1020)
        page = int(request.query.get("page") or 1)
        if self.on_page:
            self.on_page(page)
        since = request.query.get("changed_from") or ""
        sort = request.query.get("sort") or "id"
        key = sort.lstrip("+-")
        if key not in ("id", "changed", "created", "status", "amount"):
            return fail("incorrect_data_format", 1002, "sort")
        items = sorted((o for o in self.orders.values() if o["changed"] >= since),
                       key=lambda o: (o[key], o["id"]), reverse=sort.startswith("-"))
        return self._paged("orders", [self._order_view(o, request) for o in items], request)

    def order_get(self, request, match):
        if not self._authorized(request):
            return fail("incorrect_username_pasword", 1020)
        order = self.orders.get(int(match.group(1)))
        if not order:
            return fail("entity_not_found", 1019)
        return ok(self._order_view(order, request))

    def set_status(self, oid, status, **changes):
        """What Rozetka itself does (buyer cancels, carrier tracking): the order changes, `changed` moves."""
        self.orders[oid].update(status=status, changed=utc_now().strftime("%Y-%m-%d %H:%M:%S"), **changes)

    def order_update(self, request, match):
        if not self._authorized(request):
            return fail("incorrect_username_pasword", 1020)
        order = self.orders.get(int(match.group(1)))
        body = request.json or {}
        if not order:
            return fail("entity_not_found", 1019)
        unknown = set(body) - PUT_FIELDS
        if unknown:
            return fail("incorrect_data_format", 1002, ", ".join(sorted(unknown)))
        if "status" not in body:
            return fail("required_parameter", 1001, "status")
        status = body["status"]
        if status != order["status"] and status not in AVAILABLE.get(order["status"], []):
            return fail("check_correctness_of_data", 1005,
                        f"status {status} is not available from status {order['status']}")
        if status in (3, 61) and not body.get("ttn"):
            return fail("required_parameter", 1001, "ttn")
        if status == 49 and not body.get("duplicate_order_id"):
            return fail("required_parameter", 1001, "duplicate_order_id")
        if status == 2 and body.get("ttn"):
            status = 61  # apidoc 1.4.1: a TTN sent with status 2 moves the order to 61
        order["status"] = status
        order["changed"] = utc_now().strftime("%Y-%m-%d %H:%M:%S")
        if body.get("ttn"):
            order["ttn"] = body["ttn"]
        self.status_updates.append((order["id"], body))
        return ok(self._order_view(order, request))
