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
from urllib.parse import parse_qs, unquote

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

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_PHOTO_UPLOAD = 10 * 1024 * 1024
MAX_DOCUMENT_UPLOAD = 50 * 1024 * 1024
MAX_DOWNLOAD = 20 * 1024 * 1024
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
        self.latency = 0.0  # seconds each send takes (a slow Bot API), measured concurrency below
        self.in_flight = 0
        self.max_in_flight = 0
        self.global_flood_control = False  # ~30 messages/s per bot, else 429 (Bots FAQ)
        self._window = []
        self.files = {}  # file_id -> bytes (what users sent; served by getFile + /file/bot<token>/<path>)
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
        self.route("GET", r"/file/bot(?P<token>[^/]+)/(?P<path>.+)", self.download)

    # -- helpers for tests -----------------------------------------------------
    def messages_to(self, chat_id):
        return [m for m in self.sent if str(m["chat_id"]) == str(chat_id)]

    @staticmethod
    def _params(request):
        """Decode a Bot API request body. Source: core.telegram.org/bots/api#making-requests ("application/
        x-www-form-urlencoded", "application/json" (except for uploading files), "multipart/form-data" (use
        to upload files)). File parts keep their bytes: ``{"filename": str, "content": bytes}``."""
        ctype = (request.header("Content-Type") or "").lower()
        if "application/json" in ctype:
            return request.json or {}
        if "multipart/form-data" in ctype:
            params = {}
            boundary = (request.header("Content-Type") or "").split("boundary=")[-1].strip().strip('"').encode()
            for part in request.body.split(b"--" + boundary):
                head, _, value = part.partition(b"\r\n\r\n")
                match = re.search(rb'name="([^"]+)"', head)
                if not match:
                    continue
                value = value[:-2] if value.endswith(b"\r\n") else value
                filename = re.search(rb'filename="([^"]*)"', head)
                if filename:
                    params[match.group(1).decode()] = {"filename": filename.group(1).decode("utf-8", "replace"),
                                                       "content": value}
                else:
                    params[match.group(1).decode()] = value.decode("utf-8", "replace")
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

    @staticmethod
    def _resolve_file(params, key):
        """A file field: an uploaded part, or ``attach://<name>`` pointing at one (PTB's way)."""
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://"):])
        return value

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

    def add_file(self, content, file_id=None):
        """A file a user sent (photo, document, voice): returns its file_id for an update."""
        file_id = file_id or f"AgAC{next(_message_ids)}-file"
        self.files[file_id] = content
        return file_id

    def download(self, request, match):
        """Source: core.telegram.org/bots/api#file - https://api.telegram.org/file/bot<token>/<file_path>."""
        if unquote(match.group("token")) not in self.tokens:
            return _error(401, "Unauthorized")
        content = self.files.get(match.group("path").split("/")[-1])
        if content is None:
            return _error(404, "Not Found")
        return Response(200, content, {"Content-Type": "application/octet-stream"})

    def m_getfile(self, token, params):
        """Source: core.telegram.org/bots/api#getfile - "bots can download files of up to 20MB in size";
        returns a File {file_id, file_unique_id, file_size, file_path}; a bigger one: 400 file is too big."""
        file_id = params.get("file_id")
        if not file_id or file_id not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        size = len(self.files[file_id])
        if size > MAX_DOWNLOAD:
            return _error(400, "Bad Request: file is too big")
        return _ok({"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": size,
                    "file_path": f"documents/{file_id}"})

    def m_sendphoto(self, token, params):
        """Source: core.telegram.org/bots/api#sendphoto - photo "must be at most 10 MB in size", caption
        0-1024 characters; #senddocument - "files of any type of up to 50 MB"."""
        return self._send_file(token, params, "photo", MAX_PHOTO_UPLOAD)

    def m_senddocument(self, token, params):
        return self._send_file(token, params, "document", MAX_DOCUMENT_UPLOAD)

    def _send_file(self, token, params, field, limit):
        chat_id = params.get("chat_id")
        upload = self._resolve_file(params, field)
        if chat_id in (None, ""):
            return _error(400, "Bad Request: chat_id is empty")
        if not isinstance(upload, dict):
            return _error(400, f"Bad Request: there is no {field} in the request")
        if len(upload["content"]) > limit:
            return _error(413, "Request Entity Too Large")
        caption = params.get("caption") or ""
        if len(caption) > MAX_CAPTION:
            return _error(400, "Bad Request: message caption is too long")
        error = self._check_chat(token, chat_id)
        if error:
            return error
        with self._state_lock:
            message_id = next(_message_ids)
            self.sent.append({"token": token, "chat_id": chat_id, "text": caption, "type": field,
                              "filename": upload["filename"], "size": len(upload["content"]),
                              "reply_markup": params.get("reply_markup"), "message_id": message_id,
                              "at": time.monotonic()})
        result = {"message_id": message_id, "date": int(time.time()), "from": self.tokens[token],
                  "chat": {"id": int(chat_id), "type": "private"}}
        if caption:
            result["caption"] = caption
        if field == "photo":
            result["photo"] = [{"file_id": f"p{message_id}", "file_unique_id": f"up{message_id}", "width": 100,
                                "height": 100, "file_size": len(upload["content"])}]
        else:
            result["document"] = {"file_id": f"d{message_id}", "file_unique_id": f"ud{message_id}",
                                  "file_name": upload["filename"], "file_size": len(upload["content"])}
        return _ok(result)

    def _check_chat(self, token, chat_id):
        if str(chat_id) in {str(c) for c in self.unknown_chats}:
            return _error(400, "Bad Request: chat not found")
        if str(chat_id) in {str(c) for c in self.blocked_chats}:
            return _error(403, "Forbidden: bot was blocked by the user")
        return None

    @staticmethod
    def _check_markup(markup):
        """Source: core.telegram.org/bots/api#inlinekeyboardbutton - callback_data "1-64 bytes"."""
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard") or []:
                for button in row:
                    data = button.get("callback_data")
                    if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                        return _error(400, "Bad Request: BUTTON_DATA_INVALID")
        return None

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
        if len(str(text)) > MAX_TEXT:  # Source: core.telegram.org/bots/api#sendmessage "1-4096 characters"
            return _error(400, "Bad Request: message is too long")
        markup_error = self._check_markup(params.get("reply_markup"))
        if markup_error:
            return markup_error
        if str(chat_id) in {str(c) for c in self.unknown_chats}:
            return _error(400, "Bad Request: chat not found")
        if str(chat_id) in {str(c) for c in self.blocked_chats}:
            return _error(403, "Forbidden: bot was blocked by the user")
        if self.latency:
            with self._state_lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            time.sleep(self.latency)
            with self._state_lock:
                self.in_flight -= 1
        now = time.monotonic()
        with self._state_lock:
            key = (token, str(chat_id))
            # Source: core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this - no more than
            # one message per second in a chat, about 30 messages per second overall; beyond: 429 retry_after
            if self.flood_control and now - self._last_sent.get(key, -10) < 1.0:
                return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            self._window = [t for t in self._window if now - t < 1.0]
            if self.global_flood_control and len(self._window) >= 30:
                return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            self._window.append(now)
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


def photo_update(user_id, file_id, size, caption=None, update_id=None):
    """A photo message. Source: core.telegram.org/bots/api#message (photo: Array of PhotoSize, caption)."""
    sizes = [{"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 90, "height": 90, "file_size": 1000},
             {"file_id": file_id, "file_unique_id": "b", "width": 1280, "height": 960, "file_size": size}]
    extra = {"photo": sizes}
    if caption:
        extra["caption"] = caption
    return {"update_id": update_id or next(_update_ids), "message": _message(user_id, **extra)}


def document_update(user_id, file_id, size, file_name="doc.pdf", mime_type="application/pdf", caption=None,
                    update_id=None):
    """Source: core.telegram.org/bots/api#document (file_id, file_unique_id, file_name?, mime_type?, file_size?)."""
    extra = {"document": {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": file_name,
                          "mime_type": mime_type, "file_size": size}}
    if caption:
        extra["caption"] = caption
    return {"update_id": update_id or next(_update_ids), "message": _message(user_id, **extra)}


def voice_update(user_id, file_id, size, update_id=None):
    """Source: core.telegram.org/bots/api#voice (file_id, file_unique_id, duration, mime_type?, file_size?)."""
    extra = {"voice": {"file_id": file_id, "file_unique_id": f"u{file_id}", "duration": 3,
                       "mime_type": "audio/ogg", "file_size": size}}
    return {"update_id": update_id or next(_update_ids), "message": _message(user_id, **extra)}


def location_update(user_id, latitude, longitude, update_id=None):
    """Source: core.telegram.org/bots/api#location (latitude, longitude)."""
    extra = {"location": {"latitude": latitude, "longitude": longitude}}
    return {"update_id": update_id or next(_update_ids), "message": _message(user_id, **extra)}


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
