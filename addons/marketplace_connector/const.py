"""Marketplace constants: endpoints, batch sizes, status tables."""

PROM_URL = "https://my.prom.ua/api/v1"
ROZETKA_URL = "https://api-seller.rozetka.com.ua"
MARKETPLACE_CURRENCY = "UAH"  # Rozetka and Prom sell in hryvnia: prices are sent in it
PROD_URLS = {"prom": PROM_URL, "rozetka": ROZETKA_URL}  # test mode: the channel's test API URL
NBU_URL = "https://bank.gov.ua/NBUStatService/v1/statdirectory/exchange"
DEFAULT_TIMEOUT = 30
PROM_BATCH = 100  # products/edit per request
ROZETKA_BATCH = 500  # items/mass-update per request
ORDER_PAGE = 100
ORDER_OVERLAP_MINUTES = 10  # re-read this much before the cursor: late-committed orders are not missed
LOG_RETENTION_DAYS = 30
ROZETKA_TOKEN_TTL = 20 * 3600  # seconds; Rozetka does not state it, public clients use ~24 h
ROZETKA_RELOGIN_CODES = {1018, 1020, 5401, 6001}

# Odoo-side order state -> marketplace status
PROM_STATUS = {"confirmed": "received", "shipped": "received", "delivered": "delivered", "cancelled": "canceled"}
# Prom statuses an order can be in that mean "not sold" (Prom API: status canceled; draft is read-only)
PROM_FAILED_STATUSES = {"canceled"}
PROM_DELIVERY_TYPES = ("nova_poshta", "ukrposhta", "meest", "justin", "mist_express", "delivery_auto")
ROZETKA_STATUS = {"confirmed": 26, "shipped": 3, "delivered": 6, "cancelled": 45}
ROZETKA_NEEDS_TTN = {3, 61}
# Odoo event -> Rozetka statuses to move to, in order of preference; the first one the order's own
# status_available list allows is used (apidoc 1.2 order.status_available, 1.4.1 PUT /orders/{id})
ROZETKA_EVENT_STATUSES = {"confirmed": (26, 2), "shipped": (61, 3, 2), "waybill": (61, 3, 2), "delivered": (6,)}
# apidoc 1.2: order.status_group 1 processing, 2 successful, 3 unsuccessful (cancelled)
ROZETKA_GROUP_SUCCESS, ROZETKA_GROUP_FAILED = 2, 3
# apidoc "OrdersStatuses": the unsuccessful statuses, used only when an order comes without status_group
ROZETKA_FAILED_STATUSES = {7, 11, 12, 13, 16, 17, 18, 19, 20, 24, 25, 28, 29, 30, 31, 33, 37, 38, 40, 42, 43, 44,
                           45, 49, 50}
ROZETKA_ORDER_EXPAND = "purchases,delivery,status_available,payment,is_payed"
# status outbox: retry delays (seconds) for transport failures; after the last one the row is given up
STATUS_RETRY_DELAYS = (60, 300, 900, 3600, 3 * 3600, 12 * 3600)
STATUS_BATCH = 50
UNTRACKED_QUANTITY = 100  # shown for consumables / services (no stock tracking): always available
# Odoo/Prom cancellation reason -> Rozetka cancellation status (apidoc OrdersStatuses / order-statuses search:
# 42 "Немає в наявності", 29 "Скасування. Некоректна ціна на сайті", 28 "Некоректні контактні дані",
# 31 "Скасування. Створено дублююче замовлення", 45 "Скасовано покупцем" -- only when the buyer asked).
ROZETKA_CANCEL_STATUS = {"not_available": 42, "price_changed": 29, "less_than_minimal_price": 29,
                         "invalid_phone_number": 28, "not_enough_fields": 28, "duplicate": 31,
                         "buyers_request": 45}
ROZETKA_CANCEL_DEFAULT = 42  # a seller's cancellation without a reason: never "cancelled by the buyer" (45)
PROM_ALLOWED = {
    "pending": {"confirmed", "cancelled", "shipped"}, "received": {"shipped", "delivered", "cancelled"},
    "paid": {"shipped", "delivered", "cancelled"}, "delivered": set(), "canceled": set(),
}
PROM_CANCEL_REASONS = ("not_available", "price_changed", "buyers_request", "not_enough_fields", "duplicate",
                       "invalid_phone_number", "less_than_minimal_price", "another")
BAS_WAREHOUSE = "Основний"  # default BAS warehouse name whose stock is imported

# Marketplace order status codes -> label shown to the owner (translated as selection labels: the field
# marketplace.order.marketplace_status_label). Prom: API "status" values (contracts/prom.md, POST
# /orders/set_status); Rozetka: apidoc "OrdersStatuses" ids (contracts/rozetka.md). A code missing here
# (a Prom custom status, a Rozetka carrier state 62-90) is shown as the marketplace sent it.
PROM_ORDER_STATUS_LABELS = {
    "pending": "New", "received": "Accepted", "paid": "Paid", "delivered": "Completed",
    "canceled": "Cancelled", "draft": "Draft",
}
ROZETKA_ORDER_STATUS_LABELS = {
    1: "New order", 2: "Being packed, data confirmed", 3: "Handed to the carrier", 4: "On its way",
    5: "Waiting at the pick-up point", 6: "Completed", 7: "Not processed by the seller within a day",
    11: "Not collected", 12: "Refused on delivery", 13: "Cancelled by the administrator",
    15: "Wrong waybill number", 16: "Out of stock or defective", 17: "Payment terms not accepted",
    18: "Could not reach the buyer", 19: "Returned", 20: "Product does not match its description",
    24: "Cancelled: delivery not suitable", 25: "Test order", 26: "Being processed by a manager",
    27: "Needs completing", 28: "Wrong contact details", 29: "Price changed", 30: "Reservation expired",
    31: "Cancelled: duplicate order", 33: "Delivery terms not suitable", 37: "Prepayment not accepted",
    38: "Product not suitable", 40: "Buyer changed their mind", 42: "Out of stock", 43: "Defective",
    44: "Cancelled: fake order", 45: "Cancelled by the buyer", 46: "Restored after a call",
    47: "Call back planned", 49: "Repeated order", 50: "Buyer did not pay", 52: "New one-click order",
    53: "Waiting for the buyer's confirmation", 55: "Waiting for the payment",
    61: "Handover to the carrier planned",
}
ORDER_STATUS_SELECTION = [(f"prom_{code}", label) for code, label in PROM_ORDER_STATUS_LABELS.items()] + [
    (f"rozetka_{code}", label) for code, label in ROZETKA_ORDER_STATUS_LABELS.items()]
_ORDER_STATUS_KEYS = {key for key, _label in ORDER_STATUS_SELECTION}


def order_status_key(channel_type, status):
    """The ORDER_STATUS_SELECTION key of a marketplace's status code, or False when the code is unknown."""
    key = f"{channel_type}_{status}"
    return key if key in _ORDER_STATUS_KEYS else False


# Prom delivery_provider_data.provider codes -> carrier name shown on the order (Rozetka sends the name itself)
DELIVERY_PROVIDER_LABELS = {
    "nova_poshta": "Nova Poshta", "ukrposhta": "Ukrposhta", "meest": "Meest", "justin": "Justin",
    "mist_express": "Meest Express", "delivery_auto": "Delivery Auto",
}
