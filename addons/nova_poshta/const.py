"""Nova Poshta API 2.0 constants: endpoints, enums, error and status tables."""

API_URL = "https://api.novaposhta.ua/v2.0/json/"
# Nova Poshta has no public sandbox: test mode uses the same endpoint (with a test account's key) unless
# `nova_poshta.api_url` (all modes) or `nova_poshta.test_api_url` (test mode only) point elsewhere.
API_URLS = {"prod": API_URL, "test": API_URL}
PRINT_URL = "https://my.novaposhta.ua"
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
