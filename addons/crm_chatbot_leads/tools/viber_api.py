"""Viber REST Bot API client (plain Python, no ORM)."""

import hashlib
import hmac
import json
import logging
import time

import requests

from ..const import DEFAULT_TIMEOUT, VIBER_API_URL, VIBER_RETRYABLE, VIBER_STATUS

_logger = logging.getLogger(__name__)


class ViberApiError(Exception):
    """Error of a Viber API call.

    :ivar int code: Viber ``status`` (see const.VIBER_STATUS), HTTP status for transport errors, 0 for network errors
    :ivar str message: ``status_message`` or local reason
    :ivar bool retryable: whether trying again later can succeed
    """

    def __init__(self, message, code=0, retryable=False, payload=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable
        self.retry_after = 0.0
        self.payload = payload


def compute_signature(token, raw_body):
    """Lowercase hex HMAC-SHA256 of the raw body keyed with the bot token (``X-Viber-Content-Signature``)."""
    return hmac.new(token.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()


def check_signature(token, raw_body, signature):
    """Constant-time check of ``X-Viber-Content-Signature`` against the raw body bytes."""
    if not token or not signature:
        return False
    return hmac.compare_digest(compute_signature(token, raw_body), signature.strip().lower())


class ViberApi:
    """One method per Viber endpoint.

    :param str token: bot auth token (sent as ``X-Viber-Auth-Token``)
    :param str base_url: default ``https://chatapi.viber.com/pa``
    :param float timeout: seconds per call
    :param str sender_name: ``sender.name`` of sent messages (≤ 28 chars)
    """

    def __init__(self, token, base_url=None, timeout=DEFAULT_TIMEOUT, sender_name="Bot", session=None):
        if not token:
            raise ViberApiError("Missing bot token", code=2)
        self.token = token
        self.base_url = (base_url or VIBER_API_URL).rstrip("/")
        self.timeout = timeout
        self.sender_name = (sender_name or "Bot")[:28]
        self.session = session or requests.Session()

    def _post(self, endpoint, payload):
        """POST ``payload`` to ``endpoint``; return the decoded body when ``status == 0``.

        :raises ViberApiError: transport error, non-JSON answer or ``status != 0``
        """
        started = time.monotonic()
        url = f"{self.base_url}/{endpoint}"
        try:
            response = self.session.post(
                url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                headers={"X-Viber-Auth-Token": self.token, "Content-Type": "application/json"},
                timeout=self.timeout)
        except requests.RequestException as exc:
            _logger.info("Viber %s network error in %.3fs: %s", endpoint, time.monotonic() - started, exc)
            raise ViberApiError(f"Network error: {exc.__class__.__name__}", code=0, retryable=True) from exc
        if response.status_code >= 500 or response.status_code == 429:
            _logger.info("Viber %s HTTP %s in %.3fs", endpoint, response.status_code, time.monotonic() - started)
            raise ViberApiError(f"HTTP {response.status_code}", code=response.status_code, retryable=True)
        try:
            body = response.json()
        except ValueError as exc:
            raise ViberApiError("Malformed JSON answer", code=response.status_code, retryable=True) from exc
        if not isinstance(body, dict) or "status" not in body:
            raise ViberApiError("Unexpected answer", code=response.status_code, retryable=True, payload=body)
        status = body.get("status")
        if status != 0:
            name = VIBER_STATUS.get(status, "generalError")
            _logger.info("Viber %s status %s (%s) in %.3fs", endpoint, status, name, time.monotonic() - started)
            raise ViberApiError(body.get("status_message") or name, code=status,
                                retryable=status in VIBER_RETRYABLE, payload=body)
        _logger.info("Viber %s done in %.3fs", endpoint, time.monotonic() - started)
        return body

    def set_webhook(self, url, event_types=None):
        """set_webhook (``url=""`` removes it). :return: dict with ``event_types``"""
        payload = {"url": url, "send_name": True, "send_photo": False}
        if event_types:
            payload["event_types"] = event_types
        return self._post("set_webhook", payload)

    def get_account_info(self):
        """get_account_info: check the token. :return: dict ``{id, name, uri, subscribers_count, ...}``"""
        return self._post("get_account_info", {})

    @staticmethod
    def _keyboard(buttons=None, inline_buttons=None, callback_prefix="cb:"):
        """Viber keyboard: inline buttons become ``reply`` buttons whose ActionBody (echoed back as the
        user's message) is ``<prefix><data>``; a contact button uses ``ActionType: share-phone``."""
        if inline_buttons:
            flat = [b for row in inline_buttons for b in row]
            return {"Type": "keyboard", "DefaultHeight": False, "Buttons": [{
                "Columns": max(1, 6 // len(row)), "Rows": 1, "ActionType": "reply",
                "ActionBody": callback_prefix + b["data"], "Text": b["text"]}
                for row in inline_buttons for b in row]} if flat else None
        if buttons:
            return {"Type": "keyboard", "DefaultHeight": False, "Buttons": [{
                "Columns": 6, "Rows": 1,
                "ActionType": "share-phone" if b.get("contact") else "reply",
                "ActionBody": "phone" if b.get("contact") else b["text"],
                "Text": b["text"],
            } for b in buttons]}
        return None

    def send_message(self, receiver, text, buttons=None, tracking_data=None, inline_buttons=None):
        """send_message of type text.

        :param str receiver: Viber user id from a callback
        :param str text: message text (≤ 7000 characters; callers split longer texts)
        :param list buttons: optional keyboard, dicts ``{"text": str, "contact": bool}``; a contact
            button uses ``ActionType: share-phone``
        :param str tracking_data: echoed back by Viber in the user's reply
        :param list inline_buttons: rows of ``{"text", "data"}`` answer buttons
        :return: dict with ``message_token``
        """
        payload = {
            "receiver": receiver,
            "type": "text",
            "sender": {"name": self.sender_name},
            "text": text or "",
        }
        if tracking_data:
            payload["tracking_data"] = tracking_data
        keyboard = self._keyboard(buttons, inline_buttons)
        if keyboard:
            payload["min_api_version"] = 3
            payload["keyboard"] = keyboard
        return self._post("send_message", payload)

    def send_media(self, receiver, media_url, filename, size, picture=False, text=None, inline_buttons=None):
        """send_message of type ``picture`` (jpeg/png/gif ≤ 1 MB, ``text`` ≤ 512 chars) or ``file``
        (≤ 50 MB, ``file_name`` ≤ 256 chars). Viber fetches the file from `media_url` itself.

        :return: dict with ``message_token``
        """
        payload = {"receiver": receiver, "sender": {"name": self.sender_name}, "media": media_url}
        if picture:
            payload.update(type="picture", text=text or "")
        else:
            payload.update(type="file", size=int(size), file_name=(filename or "file")[:256])
        keyboard = self._keyboard(inline_buttons=inline_buttons)
        if keyboard:
            payload["min_api_version"] = 3
            payload["keyboard"] = keyboard
        return self._post("send_message", payload)

    def download_media(self, url, max_bytes):
        """Download a file a user sent (``message.media`` URL of a picture/file/video callback).

        :return: bytes
        :raises ViberApiError: code 413 when larger than `max_bytes`, retryable on network errors
        """
        try:
            with self.session.get(url, timeout=self.timeout, stream=True) as response:
                if response.status_code != 200:
                    raise ViberApiError(f"HTTP {response.status_code}", code=response.status_code,
                                        retryable=response.status_code >= 500)
                chunks, total = [], 0
                for chunk in response.iter_content(65536):
                    total += len(chunk)
                    if total > max_bytes:
                        raise ViberApiError("File too large", code=413)
                    chunks.append(chunk)
                return b"".join(chunks)
        except requests.RequestException as exc:
            raise ViberApiError(f"Network error: {exc.__class__.__name__}", code=0, retryable=True) from exc


def parse_event(data):
    """Flatten a Viber callback.

    :param dict data: decoded callback body
    :return: dict with ``event``, ``message_token`` (str or None), ``timestamp`` (ms), ``user_id``,
        ``name``, ``language``, ``text``, ``contact_phone``, ``context`` (deep-link), ``tracking_data``,
        ``message_type``
    :raises ValueError: when the body is not a Viber callback
    """
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise ValueError("not a Viber callback: missing event")
    token = data.get("message_token")
    result = {
        "event": data["event"],
        "message_token": str(token) if token is not None else None,
        "timestamp": data.get("timestamp"),
        "user_id": None, "name": None, "language": None, "text": None, "contact_phone": None,
        "context": data.get("context"), "tracking_data": None, "message_type": None,
        "media": None, "location": None,
    }
    user = data.get("sender") or data.get("user")
    if isinstance(user, dict):
        result.update(user_id=user.get("id"), name=user.get("name"), language=user.get("language"))
    elif data.get("user_id"):
        result["user_id"] = data["user_id"]
    message = data.get("message")
    if data["event"] == "message":
        if not isinstance(message, dict) or not result["user_id"]:
            raise ValueError("Viber message callback without sender or message")
        result["message_type"] = message.get("type")
        result["text"] = message.get("text")
        result["tracking_data"] = message.get("tracking_data")
        contact = message.get("contact")
        if isinstance(contact, dict):
            result["contact_phone"] = contact.get("phone_number")
        # Source: developers.viber.com/docs/api/rest-bot-api/#receive-message-from-user - picture/video/file
        # carry `media` (URL), `file_name`, `size`; a picture's `text` is its caption; location `{lat, lon}`
        if result["message_type"] in ("picture", "video", "file") and message.get("media"):
            kind = {"picture": "photo", "video": "video", "file": "document"}[result["message_type"]]
            result["media"] = {"type": kind, "file_id": message["media"],
                               "file_name": message.get("file_name") or f"{kind}_{result['message_token']}",
                               "mime_type": None, "file_size": int(message.get("size") or 0)}
        location = message.get("location")
        if isinstance(location, dict) and "lat" in location and "lon" in location:
            result["location"] = (float(location["lat"]), float(location["lon"]))
    return result
