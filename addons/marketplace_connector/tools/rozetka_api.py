"""Rozetka Seller API adapter (login -> bearer token, {success, content} envelope)."""

import base64
import threading
import time

from ..const import (
    ROZETKA_BATCH,
    ROZETKA_CANCEL_DEFAULT,
    ROZETKA_CANCEL_STATUS,
    ROZETKA_EVENT_STATUSES,
    ROZETKA_FAILED_STATUSES,
    ROZETKA_GROUP_FAILED,
    ROZETKA_GROUP_SUCCESS,
    ROZETKA_NEEDS_TTN,
    ROZETKA_ORDER_EXPAND,
    ROZETKA_RELOGIN_CODES,
    ROZETKA_TOKEN_TTL,
    ROZETKA_URL,
)
from .marketplace_api import MarketplaceAdapter, MarketplaceError, Offer, Order, OrderLine, integer_id_error


def _first_error(errors):
    if isinstance(errors, list):
        errors = errors[0] if errors else {}
    return errors if isinstance(errors, dict) else {"message": str(errors)}


class RozetkaApi(MarketplaceAdapter):
    batch_size = ROZETKA_BATCH
    _tokens = {}  # (base_url, username) -> (token, expiry): shared by the workers of one process
    _lock = threading.Lock()

    def __init__(self, username, password, base_url=ROZETKA_URL, **kwargs):
        super().__init__(base_url, **kwargs)
        self.username, self.password = username, password

    @classmethod
    def forget_tokens(cls):
        with cls._lock:
            cls._tokens.clear()

    # -- auth --------------------------------------------------------------------------
    def _login(self):
        status, body = self._request("POST", "/sites", "login", json={
            "username": self.username,
            "password": base64.b64encode((self.password or "").encode("utf-8")).decode("ascii")})
        if not isinstance(body, dict) or not body.get("success"):
            error = _first_error((body or {}).get("errors") if isinstance(body, dict) else {})
            raise MarketplaceError(f"Rozetka login failed: {error.get('description') or error.get('message')}",
                                   error.get("code") or "auth", status)
        token = body["content"]["access_token"]
        self._tokens[(self.base_url, self.username)] = (token, time.monotonic() + ROZETKA_TOKEN_TTL)
        return token

    def _token(self, refresh=False):
        with self._lock:
            token, expiry = self._tokens.get((self.base_url, self.username), (None, 0))
            if refresh or not token or expiry < time.monotonic():
                token = self._login()
            return token

    def _call(self, method, path, operation, retry_auth=True, **kwargs):
        headers = {"Authorization": f"Bearer {self._token()}", "Content-Language": "uk"}
        status, body = self._request(method, path, operation, headers=headers, **kwargs)
        if not isinstance(body, dict):
            raise MarketplaceError("Rozetka sent an unexpected answer", "malformed", status)
        if body.get("success"):
            return body.get("content")
        error = _first_error(body.get("errors"))
        code = error.get("code")
        if (code in ROZETKA_RELOGIN_CODES or status == 401) and retry_auth:
            self._token(refresh=True)
            return self._call(method, path, operation, retry_auth=False, **kwargs)
        raise MarketplaceError(f"Rozetka: {error.get('description') or error.get('message')}", code, status,
                               retryable=code in (0, 5503), payload=body)

    # -- interface -----------------------------------------------------------------------
    def test_connection(self):
        self._token(refresh=True)
        return "Rozetka"

    def list_offers(self):
        """GET /goods/all, all pages. Source: apidoc "Всі товари" (GET /goods/all): an item has no ``id`` but
        ``rz_item_id`` (Rozetka's id, the one /items/mass-update takes as ``item_rz_id``), ``item_id`` (internal
        technical id) and ``price_offer_id`` (the offer id in the seller's price list); ``article`` the SKU."""
        offers, page = [], 1
        while True:
            content = self._call("GET", "/goods/all", "offers", params={"page": page}) or {}
            items = content.get("items") or []
            offers.extend(Offer(external_id=str(i.get("rz_item_id") or ""),
                                name=i.get("name_ua") or i.get("name") or "",
                                sku=str(i.get("article") or i.get("price_offer_id") or ""),
                                feed_offer_id=str(i.get("price_offer_id") or ""),
                                barcode=str(i.get("barcode") or ""), price=float(i.get("price") or 0),
                                quantity=float(i.get("stock_quantity") or 0))
                          for i in items if i.get("rz_item_id"))
            meta = content.get("_meta") or {}
            if page >= int(meta.get("pageCount") or 1) or not items:
                return offers
            page += 1

    def check_offer_id(self, external_id):
        return integer_id_error(external_id)

    def push_stock(self, updates):
        """PUT /items/mass-update (apidoc UpdatingItem: item_rz_id, price, price_old (-1 removes), stock_quantity)."""
        items = []
        for update in updates:
            item = {"item_rz_id": int(update.external_id), "stock_quantity": int(update.quantity)}
            if update.price is not None:
                item["price"] = int(round(update.price))
                item["price_old"] = int(round(update.old_price)) if update.old_price else -1
            items.append(item)
        self.last_rejected = {}
        try:
            self._call("PUT", "/items/mass-update", "stock", json={"isIgnoreCheck": 0, "items": items})
        except MarketplaceError as error:
            rejected = (error.payload or {}).get("errors")
            if isinstance(rejected, dict) and all(k.isdigit() for k in rejected):
                self.last_rejected = {key: self._reason(value) for key, value in rejected.items()}
                return {u.external_id for u in updates} - set(rejected)  # partial success
            raise
        return {u.external_id for u in updates}

    @staticmethod
    def _reason(value):
        reasons = (value or {}).get("reason") if isinstance(value, dict) else None
        texts = [str(v) for r in reasons or [] if isinstance(r, dict) for v in (r.get("value") or [])]
        return "Rozetka: " + ("; ".join(texts) or str(value))

    def list_orders(self, since):
        """All orders changed since `since`. Pages are read in ascending id order: an order whose `changed`
        moves while we page stays where it was (sorting by `changed` would shift the following orders back by
        one and lose one at each page boundary)."""
        orders, page, seen = [], 1, set()
        while True:
            content = self._call("GET", "/orders/search", "orders", params={
                "changed_from": since, "page": page, "sort": "id", "expand": ROZETKA_ORDER_EXPAND}) or {}
            batch = content.get("orders") or []
            fresh = [data for data in batch if isinstance(data, dict) and data.get("id") not in seen]
            seen.update(data.get("id") for data in fresh)
            orders.extend(self._parse_orders(fresh))
            meta = content.get("_meta") or {}
            if page >= int(meta.get("pageCount") or 1) or not batch:
                break
            page += 1
        return sorted(orders, key=lambda o: (o.changed, o.external_id))

    def get_order(self, order_external_id):
        content = self._call("GET", f"/orders/{int(order_external_id)}", "order",
                             params={"expand": ROZETKA_ORDER_EXPAND})
        return self._parse_order(content or {"id": order_external_id})

    @staticmethod
    def _parse_order(data):
        user = data.get("user_title") or {}
        delivery = data.get("delivery") or {}
        city = delivery.get("city") or {}
        status = int(data.get("status") or 1)
        group = data.get("status_group")
        failed = int(group) == ROZETKA_GROUP_FAILED if group else status in ROZETKA_FAILED_STATUSES
        available = data.get("status_available")
        payment = data.get("payment") or {}
        total = float(data.get("amount_with_discount") or data.get("amount") or 0)
        paid = bool(data.get("is_payed"))
        return Order(
            external_id=str(data["id"]), created=data.get("created") or "", changed=data.get("changed") or "",
            status=str(status),
            customer_name=user.get("full_name") or " ".join(
                n for n in (user.get("last_name"), user.get("first_name")) if n) or "Rozetka",
            phone=data.get("user_phone") or delivery.get("recipient_phone") or "", email="",
            city=city.get("name_ua") or city.get("name") or "", np_branch=str(delivery.get("place_number") or ""),
            delivery_address=" ".join(str(x) for x in (delivery.get("place_street"), delivery.get("place_house"))
                                      if x),
            payment_type=str(payment.get("payment_method_name") or data.get("payment_type_name") or ""),
            total=total, ttn=data.get("ttn") or "",
            commission=float(data.get("commission") or 0),
            lines=[OrderLine(external_offer_id=str(p.get("item_id") or ""),
                             sku=str((p.get("item") or {}).get("article") or (p.get("item") or {}).get(
                                 "price_offer_id") or ""), name=p.get("item_name") or "",
                             quantity=float(p.get("quantity") or 0),
                             price=float(p.get("price_with_discount") or p.get("price") or 0))
                   for p in data.get("purchases") or []],
            raw=data, failed=failed,
            allowed_statuses=[int(a["child_id"]) for a in available] if isinstance(available, list) else None,
            paid_online=paid, paid_amount=total if paid else 0.0,
            delivery_provider=str(delivery.get("delivery_service_name") or ""),
        )

    def _target_status(self, event, reason, current):
        """The status to PUT for an Odoo event, chosen among the transitions Rozetka lists for the order."""
        if event == "cancelled":
            candidates = tuple(dict.fromkeys((ROZETKA_CANCEL_STATUS.get(reason, ROZETKA_CANCEL_DEFAULT),
                                              ROZETKA_CANCEL_DEFAULT)))
        else:
            candidates = ROZETKA_EVENT_STATUSES[event]
        allowed = current.allowed_statuses
        if allowed is None:  # the order came without status_available: let Rozetka judge the first choice
            return candidates[0]
        return next((status for status in candidates if status in allowed), None)

    def set_order_status(self, order_external_id, event, ttn=None, reason=None, order=None, cancel_text=None):
        current = order or self.get_order(order_external_id)
        if current.failed:
            if event == "cancelled":
                return current.status  # already cancelled at Rozetka
            raise MarketplaceError(f"Rozetka: the order is cancelled (status {current.status})", "transition")
        if event in ("shipped", "waybill", "delivered") and ttn and current.ttn == ttn and event != "delivered":
            return current.status  # the waybill is already on the order
        raw_group = current.raw.get("status_group")
        if event == "delivered" and (current.ttn or (raw_group and int(raw_group) == ROZETKA_GROUP_SUCCESS)):
            # apidoc 1.4.1: once a TTN is attached Rozetka tracks the parcel and moves the statuses itself
            return current.status
        status = self._target_status(event, reason, current)
        if status is None:
            raise MarketplaceError(
                f"Rozetka does not allow '{event}' from status {current.status} "
                f"(allowed: {', '.join(str(s) for s in current.allowed_statuses) or '-'})", "transition")
        if (status in ROZETKA_NEEDS_TTN or event in ("shipped", "waybill")) and not ttn:
            raise MarketplaceError("Rozetka needs the waybill number (TTN) for this status", "ttn_required")
        body = {"status": status}
        if ttn:
            body["ttn"] = ttn
        if cancel_text or reason:
            body["seller_comment"] = cancel_text or reason
        content = self._call("PUT", f"/orders/{int(order_external_id)}", "status", json=body)
        return str((content or {}).get("status") or status)
