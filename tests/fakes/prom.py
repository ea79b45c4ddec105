"""Protocol fake of the Prom.ua public API v1 (Bearer auth, {"products"|"orders": [...]} lists,
top-level array for products/edit, processed_ids answers, {"error": ...} business errors).

Source: Prom.ua public API, https://public-api.docs.prom.ua/ (Swagger; read through the official example
evo-company/company-api-example python/api_python3-5_example.py and the typed clients cited in
shared/docs/contracts/prom.md):
- GET /orders/list: `limit`, `last_id` (orders with a LOWER id: paging backwards), `last_modified_from`;
  answer `{"orders": [...]}`; GET /orders/{id}: `{"order": {...}}`;
- POST /orders/set_status: `{"ids": [...], "status": pending|received|delivered|canceled|paid}` (draft is
  read-only), `cancellation_reason` only for canceled and then required (not_available, price_changed,
  buyers_request, not_enough_fields, duplicate, invalid_phone_number, less_than_minimal_price, another),
  `cancellation_text` required with price_changed, not_enough_fields and another; answer `{"processed_ids": []}`;
- POST /delivery/save_declaration_id: `{"order_id", "declaration_id", "delivery_type"}`.
Prom answers business errors as `{"error": "..."}` with HTTP 200.
Products (issue 13):
* GET /products/list: ``products[]`` with ``id``, ``external_id`` (the offer id of the seller's own
  feed/import), ``sku``, ``price``, ``presence``, ``quantity_in_stock``; paged backwards by ``last_id``;
* POST /products/edit: a top-level array of ``{id, price, presence, presence_sure, quantity_in_stock, ...}``,
  answered ``{"processed_ids": [...], "errors": {"<id>": ...}}``;
"""

import threading

from tests.fakes.base import FakeServer, Response, utc_now

PREFIX = "/api/v1"
STATUSES = ("pending", "received", "delivered", "canceled", "paid")  # "draft" is read-only
CANCELLATION_REASONS = ("not_available", "price_changed", "buyers_request", "not_enough_fields", "duplicate",
                        "invalid_phone_number", "less_than_minimal_price", "another")
TEXT_REQUIRED = ("price_changed", "not_enough_fields", "another")
SET_STATUS_FIELDS = {"ids", "status", "cancellation_reason", "cancellation_text"}
DELIVERY_TYPES = ("nova_poshta", "ukrposhta", "meest", "justin", "mist_express", "delivery_auto")


class PromFake(FakeServer):
    def __init__(self, token="prom-token", **kwargs):
        self.token = token
        self.products = {}  # id -> dict
        self.orders = {}  # id -> dict
        self.statuses = []  # (order id, status, body)
        self.declarations = []
        self.received = threading.Event()  # set on each products/edit (benchmarks wait on it)
        super().__init__(**kwargs)

    EDITABLE = {"id", "presence", "presence_sure", "price", "prices", "discount", "status", "name", "keywords",
                "description", "quantity_in_stock"}
    PRESENCE = {"available", "not_available", "order", "service", "waiting"}

    def setup_routes(self):
        self.route("GET", PREFIX + "/products/list", self.products_list)
        self.route("POST", PREFIX + "/products/edit", self.products_edit)
        self.route("GET", PREFIX + "/orders/list", self.orders_list)
        self.route("GET", PREFIX + r"/orders/(\d+)", self.order_get)
        self.route("POST", PREFIX + "/orders/set_status", self.set_status)
        self.route("POST", PREFIX + "/delivery/save_declaration_id", self.save_declaration)

    def add_product(self, pid, sku="", name="", price=100.0, quantity=0, gtin="", external_id=None):
        self.products[pid] = {"id": pid, "external_id": external_id, "sku": sku, "name": name or sku,
                              "price": price, "quantity_in_stock": quantity, "presence": "available", "gtin": gtin}

    def add_order(self, oid, products, phone="+380671234567", email="", date=None,
                  status="pending", **extra):
        date = date or utc_now().strftime("%Y-%m-%dT%H:%M:%S")
        self.orders[oid] = dict({
            "id": oid, "date_created": date, "date_modified": date, "client_first_name": "Олена",
            "client_last_name": "Петренко", "phone": phone, "email": email, "status": status,
            "price": f"{sum(p['price'] * p['quantity'] for p in products):.0f} грн",
            "products": [dict(p, price=f"{p['price']} грн") for p in products],
            "delivery_address": "Львів, Відділення №5", "payment_option": {"id": 1, "name": "Оплата при отриманні"},
            "delivery_provider_data": {"provider": "nova_poshta", "type": "W2W", "recipient_warehouse_id": "5"},
        }, **extra)

    def _auth(self, request):
        return request.header("Authorization") == f"Bearer {self.token}"

    def _page(self, items, request):
        limit = int(request.query.get("limit") or 100)
        last_id = request.query.get("last_id")
        items = sorted(items, key=lambda x: -x["id"])
        if last_id:
            items = [i for i in items if i["id"] < int(last_id)]
        return items[:limit]

    def products_list(self, request, _m):
        if not self._auth(request):
            return Response.json({"error": "Unauthorized"}, status=401)
        return Response.json({"products": self._page(list(self.products.values()), request)})

    def products_edit(self, request, _m):
        if not self._auth(request):
            return Response.json({"error": "Unauthorized"}, status=401)
        body = request.json
        if not isinstance(body, list):
            return Response.json({"error": "Body must be a list of products"})
        processed, errors = [], {}
        for item in body:
            if not isinstance(item, dict) or not isinstance(item.get("id"), int) or isinstance(item.get("id"), bool):
                return Response.json({"error": "Each product needs an integer id"})
            unknown = set(item) - self.EDITABLE
            if unknown:
                errors[str(item["id"])] = {k: "Unknown field" for k in sorted(unknown)}
                continue
            product = self.products.get(item.get("id"))
            if not product:
                errors[str(item.get("id"))] = {"id": "Product not found"}
                continue
            if "presence" in item and item["presence"] not in self.PRESENCE:
                errors[str(item["id"])] = {"presence": "Invalid value"}
                continue
            product.update({k: v for k, v in item.items() if k != "id"})
            processed.append(item["id"])
        self.received.set()
        return Response.json({"processed_ids": processed, "errors": errors})

    def orders_list(self, request, _m):
        if not self._auth(request):
            return Response.json({"error": "Unauthorized"}, status=401)
        since = (request.query.get("last_modified_from") or "").replace(" ", "T")
        items = [o for o in self.orders.values() if o["date_modified"] >= since]
        return Response.json({"orders": self._page(items, request)})

    def order_get(self, request, match):
        if not self._auth(request):
            return Response.json({"error": "Unauthorized"}, status=401)
        order = self.orders.get(int(match.group(1)))
        if not order:
            return Response.json({"error": "Order not found"}, status=404)
        return Response.json({"order": order})

    def change(self, oid, **changes):
        """What Prom itself does (the buyer cancels, a payment arrives): the order changes, date_modified moves."""
        self.orders[oid].update(date_modified=utc_now().strftime("%Y-%m-%dT%H:%M:%S"), **changes)

    def set_status(self, request, _m):
        if not self._auth(request):
            return Response.json({"error": "Unauthorized"}, status=401)
        body = request.json or {}
        unknown = set(body) - SET_STATUS_FIELDS
        if unknown:
            return Response.json({"error": f"Unknown fields: {', '.join(sorted(unknown))}"})
        status = body.get("status")
        if status not in STATUSES:
            return Response.json({"error": f"Invalid status: {status}"})
        reason = body.get("cancellation_reason")
        if status == "canceled":
            if reason not in CANCELLATION_REASONS:
                return Response.json({"error": "cancellation_reason is required"})
            if reason in TEXT_REQUIRED and not body.get("cancellation_text"):
                return Response.json({"error": "cancellation_text is required for this cancellation_reason"})
        elif reason or body.get("cancellation_text"):
            return Response.json({"error": "cancellation_reason is only allowed with status canceled"})
        processed = [i for i in body.get("ids", []) if i in self.orders]
        for oid in processed:
            self.change(oid, status=status)
            self.statuses.append((oid, status, body))
        return Response.json({"processed_ids": processed})

    def save_declaration(self, request, _m):
        if not self._auth(request):
            return Response.json({"error": "Unauthorized"}, status=401)
        body = request.json or {}
        if set(body) != {"order_id", "declaration_id", "delivery_type"}:
            return Response.json({"error": "order_id, declaration_id and delivery_type are required"})
        if body.get("order_id") not in self.orders:
            return Response.json({"error": "Order not found"})
        if body["delivery_type"] not in DELIVERY_TYPES:
            return Response.json({"error": f"Invalid delivery_type: {body['delivery_type']}"})
        self.declarations.append(body)
        order = self.orders[body["order_id"]]
        self.change(body["order_id"], delivery_provider_data=dict(
            order.get("delivery_provider_data") or {}, declaration_number=body["declaration_id"]))
        return Response.json({"status": "success"})
