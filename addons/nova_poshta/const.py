"""Nova Poshta API 2.0 constants: endpoints, enums, error and status tables."""

API_URL = "https://api.novaposhta.ua/v2.0/json/"
PRINT_URL = "https://my.novaposhta.ua"
TRACKING_URL = "https://novaposhta.ua/tracking/?cargo_number="
# The carrier's test / production switch (`prod_environment`) picks every endpoint: the JSON API, the print
# service (labels, A4 waybills) and the public tracking page. Nova Poshta has no public sandbox, so both
# modes default to the real hosts (test mode with a test account's key); each mode can be pointed elsewhere
# with its own ir.config_parameter (ENDPOINT_PARAMS), so a staging or fake URL set for test mode never
# reaches a carrier in production. The legacy `nova_poshta.api_url` / `nova_poshta.print_url` keys are read
# in test mode only.
ENDPOINTS = {
    "api": {"prod": API_URL, "test": API_URL},
    "print": {"prod": PRINT_URL, "test": PRINT_URL},
    "tracking": {"prod": TRACKING_URL, "test": TRACKING_URL},
}
ENDPOINT_PARAMS = {
    "api": {"prod": ("nova_poshta.prod_api_url",), "test": ("nova_poshta.test_api_url", "nova_poshta.api_url")},
    "print": {"prod": ("nova_poshta.prod_print_url",),
              "test": ("nova_poshta.test_print_url", "nova_poshta.print_url")},
    "tracking": {"prod": ("nova_poshta.prod_tracking_url",), "test": ("nova_poshta.test_tracking_url",)},
}
API_URLS = ENDPOINTS["api"]
DEFAULT_TIMEOUT = 30
DIRECTORY_PAGE_SIZE = 500
TRACKING_BATCH_SIZE = 100
SEAT_MAX_WEIGHT = 30.0  # kg per seat of a Parcel; heavier orders are quoted as several seats

PAYER_TYPES = [("Sender", "Sender"), ("Recipient", "Recipient"), ("ThirdPerson", "Third person")]
PAYMENT_METHODS = [("Cash", "Cash"), ("NonCash", "Non-cash")]
CARGO_TYPES = [("Parcel", "Parcel"), ("Cargo", "Cargo"), ("Documents", "Documents"), ("Pallet", "Pallet")]
SERVICE_TYPES = [
    ("WarehouseWarehouse", "Branch to branch"),
    ("WarehouseDoors", "Branch to door"),
    ("DoorsWarehouse", "Door to branch"),
    ("DoorsDoors", "Door to door"),
]

# errorCode -> message (English; NP sends its own text too, this table fills gaps and stays stable)
ERROR_MESSAGES = {
    "20000200068": "API auth fail",
    "20000200069": "apiKey is empty",
    "20000201204": "API key expired",
    "20000100016": "Service Unavailable",
    "20000101696": "Limit of attempts is reached",
    "20000400455": "DateTime cannot be less then now",
    "20000400456": "DateTime is invalid format",
    "20000300415": "Document not found",
    "20000200205": "InternetDocument not found",
    "20001401442": "Document number is not correct",
    "20000100527": "FirstName is not specified",
    "20000201598": "Recipient contact name is not full",
    "20000201590": "AfterpaymentOnGoodsCost is only for WarehouseWarehouse",
    "20000204637": "Post-payment is impossible, use AfterpaymentOnGoodsCost",
}

# errorCode -> field the error is about (used to point the user at the right input)
ERROR_FIELDS = {
    "20000200068": "nova_poshta_api_key",
    "20000200069": "nova_poshta_api_key",
    "20000201204": "nova_poshta_api_key",
    "20000100527": "partner_id",
    "20000201598": "partner_id",
    "20000400455": "scheduled_date",
}
RETRYABLE_ERROR_CODES = {"20000100016", "20000101696"}

# TrackingDocument StatusCode -> normalised state.
# Source: developers.novaposhta.ua, TrackingDocument.getStatusDocuments, "Актуальні статуси трекінгу":
# 1, 2, 3, 4, 41, 5, 6, 7, 8, 9, 10, 11, 12, 101, 102, 103, 104, 105, 106, 111, 112. The official list has no
# 14, 107 or 108: they are only seen in third-party maps (14 "передано до огляду", 107 "нараховується плата за
# зберігання", 108 "відмова одержувача") and are mapped here defensively.
STATUS_MAPPING = {
    "created": ("1", "12"),
    "deleted": ("2",),
    "not_found": ("3",),
    "in_transit": ("4", "41", "5", "6", "101", "104", "111", "112"),
    "at_branch": ("7", "8", "14", "107"),
    # 9 received; 10 received, the COD money transfer is on its way to the sender; 11 received and the
    # money transfer paid out; 106 received and a backward-delivery waybill created
    "delivered": ("9", "10", "11", "106"),
    # 102 refusal (the sender ordered the return), 103 the recipient refused; NP creates a return waybill
    "refused": ("102", "103", "108"),
    "returned": ("105",),
}
STATE_BY_CODE = {code: state for state, codes in STATUS_MAPPING.items() for code in codes}
OPEN_STATES = ("created", "in_transit", "at_branch", "unknown")
# a delivered cash-on-delivery parcel is followed until the money transfer is paid out (11)
COD_PAID_CODES = ("11",)
# a waybill is not followed for longer than this (days since it was created): nothing is polled forever
TRACKING_MAX_DAYS = 90
# InternetDocument.getDocumentList pages by 100 when GetFullList is 0 (GetFullList=1: one list of at most
# 500 documents); the retry lookup reads at most this many pages of one day
DOCUMENT_LIST_PAGE_SIZE = 100
DOCUMENT_LIST_MAX_PAGES = 10
SHOP_TZ = "Europe/Kyiv"

# Waybills are created after the delivery is validated (outbox on the picking, cron "create waybills"):
# a batch per run, each picking in its own transaction; network failures are retried after these delays
# (minutes, the last one repeats) up to WAYBILL_MAX_TRIES; a refusal by Nova Poshta waits for "Retry now".
WAYBILL_BATCH = 50
WAYBILL_RETRY_MINUTES = (1, 2, 5, 15, 30, 60)
WAYBILL_MAX_TRIES = 24
# a picking stays "creating" at most this long: a worker that died mid-call is taken over after it (the
# retry looks the waybill up first, so a waybill Nova Poshta already made is never made twice)
WAYBILL_LEASE_SECONDS = 600
# waybill states: being worked on (a click does not queue it again), and waiting for the cron (due at next_try)
WAYBILL_IN_PROGRESS = ("queued", "creating")
WAYBILL_PENDING = WAYBILL_IN_PROGRESS + ("error",)
