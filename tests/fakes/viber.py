"""Local fake of the Viber REST Bot API (see docs/contracts/viber.md).

``POST /pa/<endpoint>`` with a JSON body; auth by header ``X-Viber-Auth-Token`` (or body
``auth_token``). Always HTTP 200 with ``{"status": <int>, "status_message": ...}``, ``status != 0``
for errors (2 invalidAuthToken, 3 badData, 6 receiverNotSubscribed, 12 tooManyRequests, ...).

State: tokens, webhook per token, subscribed users (only they can be messaged), and every sent
message (``fake.sent``). Also builds signed callbacks (``message_event``, ``contact_event``,
``conversation_started_event``) and ``sign(token, raw_body)``.
"""

import hashlib
import hmac
import itertools
import json
import socket
import threading
import time

import requests

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

_tokens = itertools.count(5494451223871237789)
MAX_TEXT = 7000  # creators.viber.com/docs/bots-api/data-models/message: text "Max 7000 characters"
MAX_MESSAGE_BYTES = 30 * 1024
MAX_PICTURE_TEXT = 512
MAX_FILE = 50 * 1024 * 1024


def sign(token, raw_body):
    """``X-Viber-Content-Signature`` of a raw body."""
    return hmac.new(token.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()


def _status(status, message, **extra):
    body = {"status": status, "status_message": message}
    body.update(extra)
    return Response.json(body)


class ViberFake(FakeServer):
    def __init__(self, tokens=("4a2b-viber-test-token",), validate_webhook=False, **kwargs):
        self.tokens = {t: {"id": f"pa:{i}", "name": "Shop", "uri": f"shop{i}", "subscribers_count": 0}
                       for i, t in enumerate(tokens)}
        self.webhooks = {}
        self.subscribed = set()  # user ids that can receive messages (None = everybody)
        self.accept_all = True
        self.sent = []
        self.validate_webhook = validate_webhook
        self.media = {}  # name -> bytes: files users sent, served at /media/<name> (Viber's media URLs)
        self._state_lock = threading.Lock()
        super().__init__(**kwargs)
        _nodelay(self)

    def setup_routes(self):
        self.route("POST", r"/pa/(?P<endpoint>\w+)", self.handle)
        self.route("GET", r"/media/(?P<name>[^/]+)", self.serve_media)

    def add_media(self, name, content):
        """A file a user sent: returns the URL Viber puts in ``message.media``."""
        self.media[name] = content
        return f"{self.url}/media/{name}"

    def serve_media(self, request, match):
        content = self.media.get(match.group("name"))
        if content is None:
            return Response.text("not found", status=404)
        return Response(200, content, {"Content-Type": "application/octet-stream"})

    def messages_to(self, receiver):
        return [m for m in self.sent if m["receiver"] == receiver]

    def handle(self, request, match):
        # Source: creators.viber.com/docs/bots-api/data-models/message - "The maximum size of a message is 30KB"
        if len(request.body) > MAX_MESSAGE_BYTES:
            return _status(3, "badData")
        body = request.json
        if not isinstance(body, dict):
            return _status(3, "badData")
        token = request.header("X-Viber-Auth-Token") or body.get("auth_token")
        if token not in self.tokens:
            return _status(2, "invalidAuthToken")
        handler = getattr(self, f"e_{match.group('endpoint')}", None)
        if handler is None:
            return Response.json({"status": 3, "status_message": "badData"}, status=404)
        return handler(token, body)

    def e_get_account_info(self, token, body):
        return _status(0, "ok", **self.tokens[token])

    def e_set_webhook(self, token, body):
        url = body.get("url")
        if url is None:
            return _status(4, "missingData")
        if url == "":
            self.webhooks.pop(token, None)
            return _status(0, "ok")
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            return _status(1, "invalidUrl")
        if self.validate_webhook:  # Viber checks the URL synchronously with a signed `webhook` event
            raw = json.dumps({"event": "webhook", "timestamp": int(time.time() * 1000),
                              "chat_hostname": "SN-CHAT-01_", "message_token": next(_tokens)}).encode()
            try:
                answer = requests.post(url, data=raw, timeout=5,
                                       headers={"X-Viber-Content-Signature": sign(token, raw),
                                                "Content-Type": "application/json"})
            except requests.RequestException:
                return _status(1, "invalidUrl")
            if answer.status_code != 200:
                return _status(1, "invalidUrl")
        self.webhooks[token] = {"url": url, "event_types": body.get("event_types")}
        return _status(0, "ok", event_types=body.get("event_types") or
                       ["delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started"])

    def e_send_message(self, token, body):
        receiver = body.get("receiver")
        if not receiver or not body.get("type"):
            return _status(4, "missingData")
        # Source: developers.viber.com/docs/api/rest-bot-api/#send-message (text: max 7000 characters;
        # picture: `media` URL, jpeg/png/gif, max 1 MB, `text` max 512 characters (Infobip's copy of the
        # Viber limits: infobip.com/docs/viber/bots/message-types); file: `media`, `size` in bytes, max
        # 50 MB, `file_name` max 256 characters)
        if body["type"] == "text" and (not body.get("text") or len(body["text"]) > MAX_TEXT):
            return _status(3, "badData")
        if body["type"] == "picture":
            if not body.get("media") or len(body.get("text") or "") > MAX_PICTURE_TEXT:
                return _status(3, "badData")
            if "text" not in body:
                return _status(4, "missingData")
        if body["type"] == "file":
            if not body.get("media") or not body.get("file_name") or not isinstance(body.get("size"), int):
                return _status(4, "missingData")
            if body["size"] > MAX_FILE or len(body["file_name"]) > 256:
                return _status(3, "badData")
        if not isinstance(body.get("sender"), dict) or not body["sender"].get("name"):
            return _status(4, "missingData")
        if len(body["sender"]["name"]) > 28:
            return _status(3, "badData")
        keyboard = body.get("keyboard")
        if keyboard:
            for button in keyboard.get("Buttons", []):
                if not button.get("ActionBody"):
                    return _status(3, "badData")
                if button.get("ActionType") == "share-phone" and (body.get("min_api_version") or 1) < 3:
                    return _status(14, "incompatibleWithVersion")
        if not self.accept_all and receiver not in self.subscribed:
            return _status(6, "receiverNotSubscribed")
        with self._state_lock:
            token_out = next(_tokens)
            self.sent.append({"token": token, "receiver": receiver, "text": body.get("text"),
                              "type": body["type"], "media": body.get("media"), "file_name": body.get("file_name"),
                              "keyboard": keyboard, "tracking_data": body.get("tracking_data"),
                              "message_token": token_out, "at": time.monotonic()})
        return _status(0, "ok", message_token=token_out, chat_hostname="SN-CHAT-05_")


# -- callback builders (what Viber POSTs to our webhook); return (raw_body, headers) --------
def _sender(user_id, name="Олена"):
    return {"id": user_id, "name": name, "avatar": "https://example.invalid/a.jpg", "country": "UA",
            "language": "uk", "api_version": 10}


def encode(token, event):
    raw = json.dumps(event, ensure_ascii=False).encode("utf-8")
    return raw, {"X-Viber-Content-Signature": sign(token, raw), "Content-Type": "application/json"}


def message_event(user_id, text, name="Олена", message_token=None, tracking_data=None):
    message = {"type": "text", "text": text}
    if tracking_data:
        message["tracking_data"] = tracking_data
    return {"event": "message", "timestamp": int(time.time() * 1000),
            "message_token": message_token or next(_tokens), "sender": _sender(user_id, name),
            "message": message}


def contact_event(user_id, phone, name="Олена", message_token=None):
    return {"event": "message", "timestamp": int(time.time() * 1000),
            "message_token": message_token or next(_tokens), "sender": _sender(user_id, name),
            "message": {"type": "contact", "contact": {"name": name, "phone_number": phone},
                        "tracking_data": "awaiting_phone"}}


def media_event(user_id, media_url, kind="picture", size=1000, file_name=None, text=None, name="Олена",
                message_token=None):
    """A picture / video / file from the user. Source: developers.viber.com/docs/api/rest-bot-api/
    #receive-message-from-user (message.type, media URL, size, file_name; picture `text` = caption)."""
    message = {"type": kind, "media": media_url, "size": size}
    if file_name:
        message["file_name"] = file_name
    if text:
        message["text"] = text
    return {"event": "message", "timestamp": int(time.time() * 1000),
            "message_token": message_token or next(_tokens), "sender": _sender(user_id, name), "message": message}


def location_event(user_id, lat, lon, name="Олена", message_token=None):
    """Source: developers.viber.com/docs/api/rest-bot-api/#location-message (location {lat, lon})."""
    return {"event": "message", "timestamp": int(time.time() * 1000),
            "message_token": message_token or next(_tokens), "sender": _sender(user_id, name),
            "message": {"type": "location", "location": {"lat": lat, "lon": lon}}}


def conversation_started_event(user_id, context=None, name="Олена", message_token=None):
    event = {"event": "conversation_started", "timestamp": int(time.time() * 1000),
             "message_token": message_token or next(_tokens), "type": "open",
             "user": _sender(user_id, name), "subscribed": False}
    if context:
        event["context"] = context
    return event


def webhook_event():
    return {"event": "webhook", "timestamp": int(time.time() * 1000), "chat_hostname": "SN-CHAT-01_",
            "message_token": next(_tokens)}
