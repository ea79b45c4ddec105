"""Local fake of the Telegram Bot API (see docs/contracts/telegram.md).

Speaks the real protocol: ``POST /bot<TOKEN>/<method>`` with a JSON, form-urlencoded or
multipart body (python-telegram-bot sends form fields whose complex values are JSON strings),
answers ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description",
"parameters"?}`` with the matching HTTP status.

In-memory state: known tokens, the webhook per token, chats that blocked the bot, and every
message sent (``fake.sent``). Optional per-chat flood control answers 429 + ``retry_after``.

Also builds webhook updates (``text_update``, ``start_update``, ``contact_update``,
``callback_update``) with unique ``update_id``s.
"""

import itertools
import json
import re
import socket
import threading
import time
from urllib.parse import parse_qs

from tests.fakes.base import FakeServer, Response


def _nodelay(fake):
    """Answer without Nagle delay: the base handler writes headers and body separately, which on a
    kept-alive connection costs ~40 ms per call (delayed ACK) and would distort latencies."""
    base_handler = fake._server.RequestHandlerClass

    class NoDelayHandler(base_handler):
        def setup(self):
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    fake._server.RequestHandlerClass = NoDelayHandler

SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_update_ids = itertools.count(900_000_000)
_message_ids = itertools.count(1)


def _error(code, description, parameters=None):
    body = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Response.json(body, status=code)


def _ok(result):
    return Response.json({"ok": True, "result": result})


class TelegramFake(FakeServer):
    """Fake Bot API. ``fake.url + "/bot"`` is the base URL to give python-telegram-bot."""

    def __init__(self, tokens=("123456:TEST-token",), flood_control=False, **kwargs):
        self.tokens = {}
        for index, token in enumerate(tokens):
            self.add_bot(token, username=f"shop_test_{index}_bot")
        self.webhooks = {}  # token -> dict(url, secret_token, allowed_updates)
        self.blocked_chats = set()  # chat ids that blocked the bot -> 403
        self.unknown_chats = set()  # chat ids that do not exist -> 400
        self.sent = []  # dicts: token, chat_id, text, reply_markup, message_id, at
        self.flood_control = flood_control
        self._last_sent = {}  # (token, chat_id) -> monotonic time
        self._state_lock = threading.Lock()
        super().__init__(**kwargs)
        _nodelay(self)

    def add_bot(self, token, username="shop_test_bot"):
        bot_id = int(token.split(":")[0]) if token.split(":")[0].isdigit() else 1
        self.tokens[token] = {"id": bot_id, "is_bot": True, "first_name": "Shop", "username": username,
                              "can_join_groups": True, "can_read_all_group_messages": False,
                              "supports_inline_queries": False}

    def setup_routes(self):
        self.route("POST", r"/bot(?P<token>[^/]+)/(?P<method>\w+)", self.handle)
        self.route("GET", r"/bot(?P<token>[^/]+)/(?P<method>\w+)", self.handle)

    # -- helpers for tests -----------------------------------------------------
    def messages_to(self, chat_id):
        return [m for m in self.sent if str(m["chat_id"]) == str(chat_id)]

    @staticmethod
    def _params(request):
        ctype = (request.header("Content-Type") or "").lower()
        if "application/json" in ctype:
            return request.json or {}
        if "multipart/form-data" in ctype:
            params = {}
            boundary = ctype.split("boundary=")[-1].strip().encode()
            for part in request.body.split(b"--" + boundary):
                head, _, value = part.partition(b"\r\n\r\n")
                match = re.search(rb'name="([^"]+)"', head)
                if match:
                    params[match.group(1).decode()] = value.rstrip(b"\r\n").decode("utf-8", "replace")
        else:
            params = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8")).items()}
        decoded = {}
        for key, value in params.items():  # complex values arrive JSON-encoded
            if isinstance(value, str) and value[:1] in "[{" :
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            decoded[key] = value
        return decoded

    # -- protocol --------------------------------------------------------------
    def handle(self, request, match):
        token, method = match.group("token"), match.group("method")
        if token not in self.tokens:
            return _error(401, "Unauthorized")
        try:
            params = self._params(request)
        except ValueError:
            return _error(400, "Bad Request: can't parse request body")
        handler = getattr(self, f"m_{method.lower()}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return handler(token, params)

    def m_getme(self, token, params):
        return _ok(self.tokens[token])

    def m_setwebhook(self, token, params):
        url = params.get("url")
        if url is None:
            return _error(400, "Bad Request: bad webhook: URL must be provided")
        secret = params.get("secret_token")
        if secret is not None and not SECRET_RE.match(str(secret)):
            return _error(400, "Bad Request: secret token contains unallowed characters")
        if url == "":
            self.webhooks.pop(token, None)
            return Response.json({"ok": True, "result": True, "description": "Webhook was deleted"})
        if not str(url).startswith(("https://", "http://127.0.0.1", "http://localhost")):
            return _error(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        self.webhooks[token] = {"url": url, "secret_token": secret,
                                "allowed_updates": params.get("allowed_updates")}
        return Response.json({"ok": True, "result": True, "description": "Webhook was set"})

    def m_deletewebhook(self, token, params):
        self.webhooks.pop(token, None)
        return Response.json({"ok": True, "result": True, "description": "Webhook was deleted"})

    def m_getwebhookinfo(self, token, params):
        hook = self.webhooks.get(token) or {}
        return _ok({"url": hook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0,
                    "max_connections": 40, "allowed_updates": hook.get("allowed_updates") or []})

    def m_sendmessage(self, token, params):
        chat_id = params.get("chat_id")
        text = params.get("text")
        if chat_id in (None, ""):
            return _error(400, "Bad Request: chat_id is empty")
        if not text:
            return _error(400, "Bad Request: message text is empty")
        if len(str(text)) > 4096:
            return _error(400, "Bad Request: message is too long")
        if str(chat_id) in {str(c) for c in self.unknown_chats}:
            return _error(400, "Bad Request: chat not found")
        if str(chat_id) in {str(c) for c in self.blocked_chats}:
            return _error(403, "Forbidden: bot was blocked by the user")
        now = time.monotonic()
        with self._state_lock:
            key = (token, str(chat_id))
            if self.flood_control and now - self._last_sent.get(key, -10) < 1.0:
                return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            self._last_sent[key] = now
            message_id = next(_message_ids)
            self.sent.append({"token": token, "chat_id": chat_id, "text": text,
                              "reply_markup": params.get("reply_markup"), "message_id": message_id, "at": now})
        try:
            chat_id_value = int(chat_id)
        except (TypeError, ValueError):
            chat_id_value = chat_id
        return _ok({"message_id": message_id, "date": int(time.time()),
                    "from": self.tokens[token], "chat": {"id": chat_id_value, "type": "private"},
                    "text": text})

    def m_answercallbackquery(self, token, params):
        if not params.get("callback_query_id"):
            return _error(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        return _ok(True)


# -- update builders (what Telegram POSTs to our webhook) -------------------------
def _user(user_id, first_name="Олена", last_name=None, language="uk"):
    user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language}
    if last_name:
        user["last_name"] = last_name
    return user


def _message(user_id, first_name="Олена", **extra):
    message = {"message_id": next(_message_ids), "date": int(time.time()),
               "from": _user(user_id, first_name), "chat": {"id": user_id, "type": "private",
                                                            "first_name": first_name}}
    message.update(extra)
    return message


def text_update(user_id, text, first_name="Олена", update_id=None):
    return {"update_id": update_id or next(_update_ids), "message": _message(user_id, first_name, text=text)}


def start_update(user_id, payload=None, first_name="Олена", update_id=None):
    text = "/start" + (f" {payload}" if payload else "")
    message = _message(user_id, first_name, text=text,
                       entities=[{"type": "bot_command", "offset": 0, "length": 6}])
    return {"update_id": update_id or next(_update_ids), "message": message}


def contact_update(user_id, phone, first_name="Олена", own=True, update_id=None):
    contact = {"phone_number": phone, "first_name": first_name}
    if own:
        contact["user_id"] = user_id
    return {"update_id": update_id or next(_update_ids), "message": _message(user_id, first_name, contact=contact)}


def callback_update(user_id, data, update_id=None):
    return {"update_id": update_id or next(_update_ids),
            "callback_query": {"id": str(next(_message_ids)), "from": _user(user_id), "chat_instance": "-42",
                               "data": data, "message": _message(user_id, text="?")}}


def my_chat_member_update(user_id, status, update_id=None):
    """The bot's own membership changed in a private chat.

    Source: core.telegram.org/bots/api#chatmemberupdated (``my_chat_member``: "the bot's chat member status
    was updated in a chat. For private chats, this update is received only when the bot is blocked or
    unblocked by the user") and #chatmember (``status``: ``member`` / ``kicked``...).
    """
    old, new = ("member", "kicked") if status == "kicked" else ("kicked", "member")
    member = {"chat": {"id": user_id, "type": "private", "first_name": "Олена"}, "from": _user(user_id),
              "date": int(time.time()),
              "old_chat_member": {"status": old, "user": {"id": 123456, "is_bot": True, "first_name": "Shop"}},
              "new_chat_member": {"status": new, "user": {"id": 123456, "is_bot": True, "first_name": "Shop"}}}
    for side in ("old_chat_member", "new_chat_member"):
        if member[side]["status"] == "kicked":  # ChatMemberBanned: until_date is required (0 = forever)
            member[side]["until_date"] = 0
    return {"update_id": update_id or next(_update_ids), "my_chat_member": member}
