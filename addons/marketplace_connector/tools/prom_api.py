"""Prom.ua public API v1 adapter (Bearer token)."""

import re

from ..const import (
    PROM_ALLOWED,
    PROM_BATCH,
    PROM_CANCEL_REASONS,
    PROM_DELIVERY_TYPES,
    PROM_FAILED_STATUSES,
    PROM_STATUS,
    PROM_URL,
)
from .marketplace_api import MarketplaceAdapter, MarketplaceError, Offer, Order, OrderLine, integer_id_error


def parse_amount(value):
    """'1 250,50 грн' / '1250.5' / 1250 -> 1250.5"""
    if isinstance(value, (int, float)):
        return float(value)
    cleaned = re.sub(r"[^\d,.\-]", "", str(value or "")).replace(",", ".")
    try:
        return float(cleaned) if cleaned else 0.0
    except ValueError:
        return 0.0


def prom_datetime(value):
    """'2026-11-22T10:15:00.123+00:00' / '2026-11-22T10:15:00' -> '2026-11-22 10:15:00' (UTC as sent)."""
    return (value or "")[:19].replace("T", " ")


class PromApi(MarketplaceAdapter):
    batch_size = PROM_BATCH

    def __init__(self, token, base_url=PROM_URL, **kwargs):
        super().__init__(base_url, **kwargs)
        self.token = token

    def _call(self, method, path, operation, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}", "X-LANGUAGE": "uk"}
        return self._request(method, path, operation, check=self._check, headers=headers, **kwargs)[1]

    @staticmethod
    def _check(status, body):
        if status == 401:
            raise MarketplaceError("Prom rejected the API token", "auth", status)
        if status != 200:
            raise MarketplaceError(f"Prom answered HTTP {status}", f"http_{status}", status, payload=body)
        if isinstance(body, dict) and body.get("error"):
            raise MarketplaceError(f"Prom: {body['error']}", "error", status, payload=body)

    def test_connection(self):
        self._call("GET", "/products/list", "test", params={"limit": 1})
        return "Prom"

    def list_offers(self):
        offers, last_id = [], None
        while True:
            params = {"limit": 100}
            if last_id:
                params["last_id"] = last_id
            products = self._call("GET", "/products/list", "offers", params=params).get("products") or []
            offers.extend(Offer(external_id=str(p["id"]), name=p.get("name") or "", sku=p.get("sku") or "",
                                feed_offer_id=str(p.get("external_id") or ""),
                                barcode=p.get("gtin") or "", price=parse_amount(p.get("price")),
                                quantity=float(p.get("quantity_in_stock") or 0)) for p in products)
            if len(products) < 100:
                return offers
            last_id = min(p["id"] for p in products)

    def check_offer_id(self, external_id):
        return integer_id_error(external_id)

    def push_stock(self, updates):
        """POST /products/edit (top-level array; the discount/old price is not part of the stock push)."""
        payload = []
        for update in updates:
            item = {"id": int(update.external_id), "quantity_in_stock": int(update.quantity),
                    "presence": "available" if update.quantity > 0 else "not_available", "presence_sure": True}
            if update.price is not None:
                item["price"] = round(update.price, 2)
            payload.append(item)
        body = self._call("POST", "/products/edit", "stock", json=payload)
        errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
        self.last_rejected = {str(key): f"Prom: {value}" for key, value in errors.items()}
        return {str(i) for i in body.get("processed_ids") or []}

    def list_orders(self, since):
        orders, last_id = [], None
        while True:
            params = {"limit": 100, "last_modified_from": since.replace(" ", "T")}
            if last_id:
                params["last_id"] = last_id
            page = self._call("GET", "/orders/list", "orders", params=params).get("orders") or []
            orders.extend(self._parse_orders(page))
            if len(page) < 100:
                break
            last_id = min(o["id"] for o in page)
        return sorted(orders, key=lambda o: (o.changed, o.external_id))

    def get_order(self, order_external_id):
        body = self._call("GET", f"/orders/{int(order_external_id)}", "order")
        return self._parse_order(body.get("order") or {"id": order_external_id})

    @staticmethod
    def _parse_order(data):
        delivery = data.get("delivery_provider_data") or {}
        payment = data.get("payment_data") or {}
        names = [data.get("client_last_name"), data.get("client_first_name"), data.get("client_second_name")]
        status = data.get("status") or "pending"
        total = parse_amount(data.get("price"))
        paid = payment.get("status") in ("paid", "paid_out")  # Prom payment_data (Evopay / Prom-Pay)
        return Order(
            external_id=str(data["id"]), created=prom_datetime(data.get("date_created")),
            changed=prom_datetime(data.get("date_modified") or data.get("date_created")),
            status=status, customer_name=" ".join(n for n in names if n) or "Prom",
            phone=data.get("phone") or "", email=data.get("email") or "",
            city=(data.get("delivery_address") or "").split(",")[0].strip(),
            np_branch=str(delivery.get("recipient_warehouse_id") or ""),
            delivery_address=data.get("delivery_address") or "",
            payment_type=(data.get("payment_option") or {}).get("name") or "",
            total=total, ttn=delivery.get("declaration_number") or "",
            commission=parse_amount(data.get("commission") or 0),
            lines=[OrderLine(external_offer_id=str(p.get("id") or ""), sku=p.get("sku") or "",
                             name=p.get("name") or "", quantity=float(p.get("quantity") or 0),
                             price=parse_amount(p.get("price"))) for p in data.get("products") or []],
            raw=data, failed=status in PROM_FAILED_STATUSES, paid_online=paid, paid_amount=total if paid else 0.0,
            delivery_provider=delivery.get("provider") or "",
        )

    def set_order_status(self, order_external_id, event, ttn=None, reason=None, order=None, cancel_text=None):
        """:param reason: one of PROM_CANCEL_REASONS, all eight passed as is (anything else: 'another' with the
            text); :param cancel_text: the order's cancellation note, sent as cancellation_text"""
        current = order or self.get_order(order_external_id)
        if current.failed:
            if event == "cancelled":
                return current.status  # already cancelled at Prom
            raise MarketplaceError(f"Prom: the order is cancelled (status '{current.status}')", "transition")
        if event != "waybill" and event not in PROM_ALLOWED.get(current.status, set(PROM_STATUS)):
            raise MarketplaceError(f"Prom does not allow '{event}' from status '{current.status}'", "transition")
        order_id = int(order_external_id)
        if event in ("shipped", "waybill") and ttn and ttn != current.ttn:
            provider = current.delivery_provider if current.delivery_provider in PROM_DELIVERY_TYPES else "nova_poshta"
            self._call("POST", "/delivery/save_declaration_id", "waybill",
                       json={"order_id": order_id, "declaration_id": ttn, "delivery_type": provider})
        if event == "waybill" or (event == "shipped" and current.status == PROM_STATUS["shipped"]):
            return current.status  # the waybill was the only change
        body = {"ids": [order_id], "status": PROM_STATUS[event]}
        if event == "cancelled":
            body["cancellation_reason"] = reason if reason in PROM_CANCEL_REASONS else "another"
            text = cancel_text or (reason if reason and reason not in PROM_CANCEL_REASONS else None)
            if text:
                body["cancellation_text"] = text
            elif body["cancellation_reason"] in ("another", "price_changed", "not_enough_fields"):
                body["cancellation_text"] = "Скасовано продавцем"
        result = self._call("POST", "/orders/set_status", "status", json=body)
        if order_id not in (result.get("processed_ids") or []):
            raise MarketplaceError("Prom did not accept the status change", "not_processed", payload=result)
        return PROM_STATUS[event]
