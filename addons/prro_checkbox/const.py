"""Checkbox PRRO constants (protocol facts: docs/contracts/checkbox.md)."""

# Source: wiki.checkbox.ua/uk/api-specification (base URLs), SDK READMEs (dev server)
CHECKBOX_URLS = {
    "prod": "https://api.checkbox.ua/api/v1",
    "test": "https://dev-api.checkbox.in.ua/api/v1",
}
# ir.config_parameter overriding the URL (staging / the protocol fake in tests)
URL_PARAM = "prro_checkbox.api_url"
CLIENT_NAME = "Odoo prro_checkbox"
CLIENT_VERSION = "18.0.1.1.0"
DEFAULT_TIMEOUT = 60  # fiscal calls (style: 60 s; the official Python SDK uses 60 s too)
SHORT_TIMEOUT = 30

# polling (the SDK relaxes 0.75 s between polls; we start faster and back off)
POLL_FIRST_DELAY = 0.05
POLL_MAX_DELAY = 1.0
POLL_BUDGET = 8.0  # seconds a worker waits for DONE/ERROR before leaving the receipt to the next cron run
SHIFT_OPEN_BUDGET = 20.0

BATCH_SIZE_PARAM = "prro_checkbox.batch_size"
DEFAULT_BATCH_SIZE = 50
LEASE_SECONDS = 300  # a worker owns a receipt this long; after a crash another worker takes over
RETRY_DELAYS = [1, 2, 5, 15, 30, 60, 120, 240]  # minutes before the next try, by attempt number
SHIFT_MAX_HOURS = 23.5  # a shift must close within 24 h (wiki); keep a margin

SHIFT_STATES = [
    ("CREATED", "Created"),
    ("OPENING", "Opening"),
    ("OPENED", "Opened"),
    ("CLOSING", "Closing"),
    ("CLOSED", "Closed"),
]
RECEIPT_DONE = "DONE"
RECEIPT_ERROR = "ERROR"
RECEIPT_FINAL = {"DONE", "ERROR", "CANCELLED"}

# Odoo payment type -> Checkbox payment "type" (CARD is obsolete in the API: card payments are CASHLESS
# with card details; we keep the label to tell them apart on the receipt)
PAYMENT_TYPES = [("cash", "Cash"), ("card", "Card"), ("cashless", "Cashless")]
CHECKBOX_PAYMENT_TYPE = {"cash": "CASH", "card": "CASHLESS", "cashless": "CASHLESS"}

# known 400 messages (contract, [V])
MSG_NO_SHIFT = ("Зміну не відкрито", "Cashier has no active shift")
MSG_REGISTER_BUSY = "Каса зайнята іншим касиром"
MSG_CASHIER_BUSY = "Касир вже працює з даною касою"
CODE_RECEIPT_EXISTS = "receipt.already_exists"
