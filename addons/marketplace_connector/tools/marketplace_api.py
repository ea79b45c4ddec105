"""Adapter interface shared by the marketplace clients (plain Python, no ORM).

A marketplace module adds one adapter class (subclass of :class:`MarketplaceAdapter`) and one
``channel_type`` selection value; the channel model looks the adapter up by that key.
"""

import logging
import time
from dataclasses import dataclass, field

import requests

_logger = logging.getLogger(__name__)


class MarketplaceError(Exception):
    def __init__(self, message, code=None, status=None, retryable=False, payload=None):
        super().__init__(message)
        self.message, self.code, self.status, self.retryable, self.payload = (
            message, code, status, retryable, payload)


@dataclass
class Offer:
    external_id: str  # id the API updates the offer by
    name: str = ""
    feed_offer_id: str = ""  # id of the offer in the seller's price list (YML feed)
    sku: str = ""
    barcode: str = ""
    price: float = 0.0
    quantity: float = 0.0


@dataclass
class OrderLine:
    external_offer_id: str
    sku: str
    name: str
    quantity: float
    price: float


@dataclass
class Order:
    external_id: str
    created: str  # UTC 'YYYY-MM-DD HH:MM:SS'
    changed: str
    status: str
    customer_name: str
    phone: str
    email: str
    city: str = ""
    np_branch: str = ""
    delivery_address: str = ""
    payment_type: str = ""
    commission: float = 0.0
    total: float = 0.0
    ttn: str = ""
    lines: list = field(default_factory=list)
    raw: dict = field(default_factory=dict)
    failed: bool = False  # unsuccessful / cancelled at the marketplace: never a confirmed sale
    allowed_statuses: list | None = None  # statuses the marketplace lets the order move to; None: not stated
    paid_online: bool = False  # paid through the marketplace (card / marketplace payment)
    paid_amount: float = 0.0
    delivery_provider: str = ""  # carrier code as the marketplace names it (e.g. nova_poshta)
    parse_error: str = ""  # the marketplace's data for this order could not be read (the others still are)


@dataclass
class StockUpdate:
    external_id: str
    quantity: int
    price: float | None = None
    old_price: float | None = None  # crossed-out price; None: no discount


def integer_id_error(external_id):
    """Reason why `external_id` is not a positive integer id (Prom and Rozetka number offers), or None."""
    value = (external_id or "").strip()
    if not value.isdigit() or not value.isascii() or int(value) <= 0 or len(value) > 18:
        return f"'{external_id}' is not a numeric offer id"
    return None


class MarketplaceAdapter:
    """One marketplace account. Subclasses implement the protocol; callers see only these methods."""

    batch_size = 100

    def __init__(self, base_url, timeout=30, session=None, on_call=None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.on_call = on_call  # callback(operation, method, url, status, seconds, error)
        self.calls = 0
        self.last_rejected = {}  # external id -> reason, for the offers the last push_stock did not apply

    # -- transport -------------------------------------------------------------------
    def _request(self, method, path, operation, check=None, **kwargs):
        """HTTP call with timeout; `check(status, body)` may raise MarketplaceError for business errors
        (the call log then records that error too)."""
        url = f"{self.base_url}{path}"
        start = time.monotonic()
        status, error = None, None
        try:
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.Timeout as exc:
                raise MarketplaceError("The marketplace did not answer in time", "timeout", retryable=True) from exc
            except requests.RequestException as exc:
                raise MarketplaceError(f"The marketplace is unreachable: {exc}", "network", retryable=True) from exc
            status = response.status_code
            if status == 429 or status >= 500:
                raise MarketplaceError(f"The marketplace answered HTTP {status}", f"http_{status}", status,
                                       retryable=True)
            try:
                body = response.json()
            except ValueError as exc:
                raise MarketplaceError("The marketplace sent an unreadable answer", "malformed", status,
                                       retryable=True) from exc
            if check:
                check(status, body)
            return status, body
        except MarketplaceError as exc:
            error = exc.message
            raise
        finally:
            self.calls += 1
            seconds = time.monotonic() - start
            _logger.info("marketplace %s %s: HTTP %s in %.3fs", operation, path, status, seconds)
            if self.on_call:
                self.on_call(operation, method, path, status, seconds, error)

    def _parse_orders(self, items):
        """Parse a page of orders; an order whose data cannot be read becomes an Order carrying `parse_error`
        (so it is recorded as an exception) instead of failing the whole page."""
        orders = []
        for data in items:
            try:
                orders.append(self._parse_order(data))
            except (KeyError, ValueError, TypeError, AttributeError) as exc:
                if not isinstance(data, dict) or data.get("id") in (None, ""):
                    _logger.warning("marketplace order without id skipped: %r", data)
                    continue
                orders.append(Order(external_id=str(data["id"]), created="", changed="", status="",
                                    customer_name="", phone="", email="", raw=data,
                                    parse_error=f"{type(exc).__name__}: {exc}"))
        return orders

    # -- interface -------------------------------------------------------------------
    def test_connection(self):
        """Return a short description of the account. Raises MarketplaceError."""
        raise NotImplementedError

    def list_offers(self):
        """Return all offers of the account as a list of Offer."""
        raise NotImplementedError

    def check_offer_id(self, external_id):
        """Reason why the marketplace cannot take this offer id (checked before any call), or None."""
        return None

    def push_stock(self, updates):
        """Send StockUpdate items (one batch). Return the set of external ids the marketplace accepted;
        the reasons of the rejected ones are left in ``last_rejected``."""
        raise NotImplementedError

    def list_orders(self, since):
        """Return the orders changed since `since` (UTC 'YYYY-MM-DD HH:MM:SS'), oldest first, all pages."""
        raise NotImplementedError

    def get_order(self, order_external_id):
        """Return one Order as the marketplace has it now (status, allowed transitions)."""
        raise NotImplementedError

    def set_order_status(self, order_external_id, event, ttn=None, reason=None, order=None, cancel_text=None):
        """Report an Odoo event ('confirmed', 'shipped', 'waybill', 'delivered', 'cancelled') to the marketplace.

        :param reason: the seller's cancellation reason (a PROM_CANCEL_REASONS code); :param cancel_text: its
            explanation (the order's cancellation note).
        :param order: the Order as the marketplace has it now (read with get_order when not given); the target
            status is chosen among the transitions it allows.
        :return: the marketplace status of the order afterwards (str).
        :raises MarketplaceError: ``retryable`` for transport failures; otherwise the marketplace refused.
        """
        raise NotImplementedError
