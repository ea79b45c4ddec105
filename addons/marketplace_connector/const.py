"""Marketplace constants: endpoints, batch sizes, status tables."""

PROM_URL = "https://my.prom.ua/api/v1"
ROZETKA_URL = "https://api-seller.rozetka.com.ua"
MARKETPLACE_CURRENCY = "UAH"  # Rozetka and Prom sell in hryvnia: prices are sent in it
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
ROZETKA_STATUS = {"confirmed": 26, "shipped": 3, "delivered": 6, "cancelled": 45}
ROZETKA_NEEDS_TTN = {3, 61}
# Odoo/Prom cancellation reason -> Rozetka cancellation status (apidoc OrdersStatuses); default 45
ROZETKA_CANCEL_STATUS = {"not_available": 42, "price_changed": 29, "invalid_phone_number": 28,
                         "not_enough_fields": 28, "buyers_request": 45}
ROZETKA_CANCEL_DEFAULT = 45
# marketplace status -> allowed next Odoo-side events (Rozetka: 1 new, 26 processing, 2 confirmed, 3/61 handed)
ROZETKA_ALLOWED = {
    1: {"confirmed", "cancelled"}, 26: {"shipped", "cancelled", "confirmed"}, 2: {"shipped", "cancelled"},
    61: {"delivered"}, 3: {"delivered"}, 4: {"delivered"}, 5: {"delivered"},
}
PROM_ALLOWED = {
    "pending": {"confirmed", "cancelled", "shipped"}, "received": {"shipped", "delivered", "cancelled"},
    "paid": {"shipped", "delivered", "cancelled"}, "delivered": set(), "canceled": set(),
}
PROM_CANCEL_REASONS = ("not_available", "price_changed", "buyers_request", "not_enough_fields", "duplicate",
                       "invalid_phone_number", "less_than_minimal_price", "another")
BAS_WAREHOUSE = "Основний"  # default BAS warehouse name whose stock is imported
