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

# Families of failed messenger calls, told to the staff in plain words (chatbot.message._chatbot_error_words);
# the code and the messenger's own text stay below on a "Details:" line.
# Telegram: core.telegram.org/bots/api#making-requests (error_code + description: 400 Bad Request: chat not
# found, 401 Unauthorized, 403 Forbidden: bot was blocked by the user / user is deactivated / bot was kicked,
# 429 Too Many Requests: retry after N); 0 = no answer (network, timeout), 5xx = Telegram's side.
# Viber: REST Bot API "Errors" table (const.VIBER_STATUS); HTTP codes (≥ 400) and 0 for transport errors.
ERROR_NETWORK = "network"
ERROR_FLOOD = "flood"
ERROR_TOKEN = "token"
ERROR_BLOCKED = "blocked"
ERROR_UNSUBSCRIBED = "unsubscribed"
ERROR_CHAT_NOT_FOUND = "chat_not_found"
ERROR_ACCOUNT = "account"
ERROR_TOO_LARGE = "too_large"
ERROR_REFUSED = "refused"

VIBER_ERROR_FAMILIES = {
    2: ERROR_TOKEN,  # invalidAuthToken
    5: ERROR_UNSUBSCRIBED,  # receiverNotRegistered
    6: ERROR_UNSUBSCRIBED,  # receiverNotSubscribed
    7: ERROR_ACCOUNT,  # publicAccountBlocked
    8: ERROR_ACCOUNT,  # publicAccountNotFound
    9: ERROR_ACCOUNT,  # publicAccountSuspended
    12: ERROR_FLOOD,  # tooManyRequests
    15: ERROR_ACCOUNT,  # publicAccountNotAuthorized
}
TELEGRAM_BLOCKED_WORDS = ("blocked", "kicked", "deactivated")


def error_family(channel, code, message, retryable=False):
    """Family of a failed messenger call (one of the ``ERROR_*`` constants).

    :param str channel: ``telegram`` or ``viber``
    :param int code: TelegramApiError / ViberApiError ``code``
    :param str message: the messenger's description (or the client's local reason)
    :param bool retryable: whether the client marked it as worth retrying
    """
    text = (message or "").lower()
    code = code or 0
    if code == 413 or "too big" in text or "too large" in text:
        return ERROR_TOO_LARGE
    if channel == "viber" and code in VIBER_ERROR_FAMILIES:
        return VIBER_ERROR_FAMILIES[code]
    if code == 429:
        return ERROR_FLOOD
    if code == 401:  # python-telegram-bot raises InvalidToken on 401/404, the client maps it to 401
        return ERROR_TOKEN
    if code == 403 and any(word in text for word in TELEGRAM_BLOCKED_WORDS):
        return ERROR_BLOCKED
    if code == 400 and "chat not found" in text:
        return ERROR_CHAT_NOT_FOUND
    if retryable or code == 0 or code >= 500:
        return ERROR_NETWORK
    return ERROR_REFUSED
