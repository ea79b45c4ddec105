import pytest

from crm_chatbot_leads.const import error_family


@pytest.mark.parametrize(("channel", "code", "message", "retryable", "family"), [
    ("telegram", 0, "httpx.ConnectError: All connection attempts failed", True, "network"),
    ("telegram", 0, "Timed out", True, "network"),
    ("telegram", 502, "Bad Gateway", True, "network"),
    ("telegram", 429, "Flood control exceeded. Retry in 5 seconds", True, "flood"),
    ("telegram", 401, "Unauthorized", False, "token"),
    ("telegram", 403, "Forbidden: bot was blocked by the user", False, "blocked"),
    ("telegram", 403, "Forbidden: bot was kicked from the group chat", False, "blocked"),
    ("telegram", 403, "Forbidden: user is deactivated", False, "blocked"),
    ("telegram", 400, "Bad Request: chat not found", False, "chat_not_found"),
    ("telegram", 400, "Bad Request: message text is empty", False, "refused"),
    ("telegram", 400, "Bad Request: file is too big", False, "too_large"),
    ("telegram", 413, "File too large", False, "too_large"),
    ("viber", 2, "invalidAuthToken", False, "token"),
    ("viber", 6, "receiverNotSubscribed", False, "unsubscribed"),
    ("viber", 7, "publicAccountBlocked", False, "account"),
    ("viber", 12, "tooManyRequests", True, "flood"),
    ("viber", 503, "HTTP 503", True, "network"),
    ("viber", 3, "badData", False, "refused"),
])
def test_error_family(channel, code, message, retryable, family):
    assert error_family(channel, code, message, retryable) == family
