"""Telegram and Viber webhooks (style convention 8).

Order of work in both routes: find the bot by the random route token, authenticate (Telegram
secret-token header / Viber HMAC of the raw body, both constant-time) **before** reading the
JSON, then store the raw update idempotently and process it. Answers:

* 403: unknown route, missing or wrong secret/signature — nothing is written;
* 400: malformed JSON or not an update (e.g. a message without a chat) — logged, nothing is written;
* 413: a body over 1 MiB, refused from its Content-Length before it is read or parsed;
* 200: processed, duplicate, or an update kind we ignore (logged).

No outbound HTTP happens in the request: the first reply to an update rides in the response body
(Telegram: a Bot API method call; Viber: the conversation_started welcome), the rest is queued and
the sending cron is triggered.
"""

import json
import logging

from odoo import http
from odoo.http import request

from ..tools.telegram_api import check_secret_token, parse_update
from ..tools.viber_api import check_signature, parse_event

_logger = logging.getLogger(__name__)

TELEGRAM_HEADER = "X-Telegram-Bot-Api-Secret-Token"
VIBER_HEADER = "X-Viber-Content-Signature"
VIBER_IGNORED_EVENTS = ("delivered", "seen", "webhook", "client_status")
MAX_BODY_BYTES = 1024 * 1024  # an update is a few KiB (media are sent as file ids / URLs): refuse more unread


class ChatbotWebhookController(http.Controller):
    _telegram_route = "/chatbot/telegram/<string:route_token>"
    _viber_route = "/chatbot/viber/<string:route_token>"

    @staticmethod
    def _answer(status, reason=None, payload=None):
        body = payload if payload is not None else {"ok": status == 200, "reason": reason}
        return request.make_json_response(body, status=status)

    @staticmethod
    def _body_too_large():
        """True when the body is over MAX_BODY_BYTES, decided from Content-Length before reading it (a
        body without a length is read at most one byte past the limit)."""
        httprequest = request.httprequest
        length = httprequest.content_length
        if length is not None:
            return length > MAX_BODY_BYTES
        return len(httprequest.stream.read(MAX_BODY_BYTES + 1)) > MAX_BODY_BYTES

    @staticmethod
    def _load_json(raw):
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    @http.route(_telegram_route, type="http", auth="public", methods=["POST"], csrf=False, save_session=False)
    def chatbot_telegram_webhook(self, route_token, **kwargs):
        bot_sudo = request.env["chatbot.bot"]._chatbot_find_by_route(route_token, "telegram")
        secret = request.httprequest.headers.get(TELEGRAM_HEADER)
        if not bot_sudo or not check_secret_token(bot_sudo.webhook_secret, secret):
            _logger.warning("Chatbot Telegram webhook: rejected request from %s (unknown bot or bad secret)",
                            request.httprequest.remote_addr)
            return self._answer(403, "forbidden")
        if self._body_too_large():
            _logger.warning("Chatbot %s: body over %s bytes refused", bot_sudo.id, MAX_BODY_BYTES)
            return self._answer(413, "body too large")
        raw = request.httprequest.get_data()  # cached: Odoo may replay the request after a concurrency error
        data = self._load_json(raw)
        if data is None:
            _logger.warning("Chatbot %s: malformed JSON body ignored", bot_sudo.id)
            return self._answer(400, "malformed JSON")
        try:
            parsed = parse_update(data)
        except ValueError as error:
            _logger.warning("Chatbot %s: invalid update ignored: %s", bot_sudo.id, error)
            return self._answer(400, "not a Telegram update")
        if parsed["kind"] not in ("message", "edited_message", "callback_query", "my_chat_member"):
            _logger.info("Chatbot %s: update %s of kind %s ignored", bot_sudo.id, parsed["update_id"], parsed["kind"])
            return self._answer(200, "ignored")
        bot_sudo = bot_sudo.with_user(request.env.ref("base.user_root")).with_company(bot_sudo.company_id)
        update, answer = bot_sudo._chatbot_receive(str(parsed["update_id"]), parsed["kind"], raw, parsed)
        if answer:  # the bot's first answer rides in the response: Telegram performs it at once
            return request.make_json_response(answer, status=200)
        return self._answer(200, "processed" if update else "duplicate")

    @http.route(_viber_route, type="http", auth="public", methods=["POST"], csrf=False, save_session=False)
    def chatbot_viber_webhook(self, route_token, **kwargs):
        bot_sudo = request.env["chatbot.bot"]._chatbot_find_by_route(route_token, "viber")
        if not bot_sudo:
            return self._answer(403, "forbidden")
        if self._body_too_large():  # the signature covers the body: its size is checked before reading it
            _logger.warning("Chatbot %s: body over %s bytes refused", bot_sudo.id, MAX_BODY_BYTES)
            return self._answer(413, "body too large")
        raw = request.httprequest.get_data()  # cached: Odoo may replay the request after a concurrency error
        signature = request.httprequest.headers.get(VIBER_HEADER)
        if not bot_sudo or not check_signature(bot_sudo.token, raw, signature):
            _logger.warning("Chatbot Viber webhook: rejected request from %s (unknown bot or bad signature)",
                            request.httprequest.remote_addr)
            return self._answer(403, "forbidden")
        data = self._load_json(raw)
        if data is None:
            _logger.warning("Chatbot %s: malformed JSON body ignored", bot_sudo.id)
            return self._answer(400, "malformed JSON")
        try:
            parsed = parse_event(data)
        except ValueError as error:
            _logger.warning("Chatbot %s: invalid Viber callback ignored: %s", bot_sudo.id, error)
            return self._answer(400, "not a Viber callback")
        event = parsed["event"]
        if event in VIBER_IGNORED_EVENTS or event not in (
                "message", "conversation_started", "subscribed", "unsubscribed", "failed"):
            _logger.info("Chatbot %s: Viber event %s acknowledged without processing", bot_sudo.id, event)
            return self._answer(200, "ignored")
        external_id = parsed["message_token"] or f"{event}:{parsed['user_id']}:{parsed['timestamp']}"
        if event == "failed":
            external_id = f"failed:{external_id}"
        bot_sudo = bot_sudo.with_user(request.env.ref("base.user_root")).with_company(bot_sudo.company_id)
        update, answer = bot_sudo._chatbot_receive(external_id, event, raw, parsed)
        if answer:
            return request.make_json_response(answer, status=200)
        return self._answer(200, "processed" if update else "duplicate")
