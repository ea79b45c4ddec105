"""Constants of crm_chatbot_leads: endpoints, timeouts, remote vocabularies (no Odoo import)."""

TELEGRAM_API_URL = "https://api.telegram.org/bot"  # PTB appends the token
VIBER_API_URL = "https://chatapi.viber.com/pa"

# ir.config_parameter keys overriding the endpoints database-wide (staging, tests, benchmark)
PARAM_TELEGRAM_URL = "crm_chatbot_leads.telegram_api_url"
PARAM_VIBER_URL = "crm_chatbot_leads.viber_api_url"
PARAM_BATCH_SIZE = "crm_chatbot_leads.outbound_batch_size"
PARAM_WEBHOOK_BASE = "crm_chatbot_leads.webhook_base_url"
PARAM_CHAT_INTERVAL = "crm_chatbot_leads.per_chat_interval"
PARAM_CRON_BUDGET = "crm_chatbot_leads.send_time_budget"
DEFAULT_CRON_BUDGET = 30  # seconds one cron run keeps sending while messages keep coming

DEFAULT_TIMEOUT = 10  # seconds, every remote call
SEND_POOL_SIZE = 16  # concurrent outbound calls of one sending run
PER_BOT_IN_FLIGHT = 8  # of which at most this many for one bot: a hanging bot never takes all the slots
DEFAULT_BATCH_SIZE = 100

# Telegram flood limits (Bot FAQ, mirrored by PTB FloodLimit)
TELEGRAM_PER_CHAT_INTERVAL = 1.0  # seconds between two messages to one chat
TELEGRAM_GLOBAL_PER_SECOND = 30
VIBER_GLOBAL_PER_SECOND = 30
IN_FLIGHT_GRACE = 60  # seconds past budget + call timeout before an in-flight mark is taken for a crash
VIBER_SESSION_HOURS = 24  # replies within 24 h of the user's last message are free

# message sizes. Sources: core.telegram.org/bots/api#sendmessage ("1-4096 characters"), #sendphoto
# (caption 0-1024; photo upload ≤ 10 MB), #senddocument (≤ 50 MB), #getfile (bots download ≤ 20 MB),
# #inlinekeyboardbutton (callback_data 1-64 bytes); Viber REST Bot API send_message (text ≤ 7000
# characters; picture ≤ 1 MB jpeg/png/gif with its text ≤ 512 characters; file ≤ 50 MB, file_name ≤ 256)
TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024
TELEGRAM_PHOTO_UPLOAD_MAX = 10 * 1024 * 1024
TELEGRAM_DOCUMENT_UPLOAD_MAX = 50 * 1024 * 1024
TELEGRAM_DOWNLOAD_MAX = 20 * 1024 * 1024
VIBER_TEXT_LIMIT = 7000
VIBER_CAPTION_LIMIT = 512
VIBER_PICTURE_MAX = 1024 * 1024
VIBER_FILE_MAX = 50 * 1024 * 1024
CALLBACK_DATA_MAX_BYTES = 64
VIBER_CALLBACK_PREFIX = "cb:"  # ActionBody of our inline buttons on Viber (echoed back as the user's text)

# outbound retry policy: delay = min(BACKOFF_BASE * 2**attempt, BACKOFF_MAX); give up after MAX_ATTEMPTS
BACKOFF_BASE = 10
BACKOFF_MAX = 3600
MAX_ATTEMPTS = 30  # with the cap that is more than a day of retries: nothing is lost in an outage

TELEGRAM_ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
VIBER_EVENT_TYPES = ["delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started"]

VIBER_STATUS = {
    0: "ok",
    1: "invalidUrl",
    2: "invalidAuthToken",
    3: "badData",
    4: "missingData",
    5: "receiverNotRegistered",
    6: "receiverNotSubscribed",
    7: "publicAccountBlocked",
    8: "publicAccountNotFound",
    9: "publicAccountSuspended",
    10: "webhookNotSet",
    11: "receiverNoSuitableDevice",
    12: "tooManyRequests",
    13: "apiVersionNotSupported",
    14: "incompatibleWithVersion",
    15: "publicAccountNotAuthorized",
    16: "inchatReplyMessageNotAllowed",
    17: "publicAccountIsNotInline",
    18: "noPublicChat",
    19: "cannotSendBroadcast",
    20: "broadcastNotAllowed",
    21: "unsupportedCountry",
    22: "paymentUnsupported",
    23: "freeMessagesExceeded",
    24: "noBalance",
}
# Viber statuses worth retrying later (rate control, transient); the others are permanent
VIBER_RETRYABLE = {12}

# Telegram HTTP error codes that will not get better by retrying
TELEGRAM_PERMANENT_CODES = {400, 401, 403, 404}

COMMAND_START = "/start"
COMMAND_ORDERS = "/orders"
COMMAND_OPERATOR = "/operator"
OPERATOR_KEYWORDS = ("/operator", "operator", "оператор", "менеджер", "людина")
DEFAULT_HANDOFF_MINUTES = 120  # the bot stays quiet this long after a salesperson's answer
ORDER_STATES = ("sale", "done")  # "where is my order": confirmed orders only, never draft quotations
ORDERS_KEYWORDS = ("/orders", "orders", "замовлення", "мої замовлення", "де моє замовлення")
ORDERS_LIMIT = 5
