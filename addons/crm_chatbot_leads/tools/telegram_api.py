"""Telegram Bot API client built on python-telegram-bot (plain Python, no ORM).

python-telegram-bot v20+ is asyncio-only. Odoo code is synchronous, so every public method
hands its coroutine to a dedicated event-loop thread (one per process) and waits for the
result with a deadline; callers may themselves run inside another event loop. Every call has
connect/read/write/pool timeouts plus an overall deadline.
"""

import asyncio
import concurrent.futures
import hmac
import logging
import os
import re
import secrets
import socket
import threading
import time
import warnings

import telegram
from telegram import error as tg_error
from telegram.request import HTTPXRequest

from ..const import DEFAULT_TIMEOUT, PER_BOT_IN_FLIGHT, TELEGRAM_API_URL

_logger = logging.getLogger(__name__)
# httpx logs every request URL at INFO, and Bot API URLs carry the bot token: keep it out of the logs
logging.getLogger("httpx").setLevel(logging.WARNING)

HANDLED_KINDS = ("message", "edited_message", "callback_query", "my_chat_member")
SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
START_RE = re.compile(r"^/start(?:@\w+)?(?:\s+(?P<payload>\S+))?\s*$")
COMMAND_RE = re.compile(r"^(?P<command>/[A-Za-z0-9_]+)(?:@\w+)?(?:\s+(?P<args>.*))?$", re.S)


class TelegramApiError(Exception):
    """Error of a Telegram Bot API call.

    :ivar int code: HTTP-like error code (400, 401, 403, 429, 502...; 0 for network errors)
    :ivar str message: remote description or local reason
    :ivar bool retryable: whether trying again later can succeed
    :ivar float retry_after: seconds Telegram asked us to wait (429), else 0
    """

    def __init__(self, message, code=0, retryable=False, retry_after=0.0, payload=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after
        self.payload = payload


class _LoopThread:
    """One asyncio event loop per process, in a daemon thread, for python-telegram-bot.

    PTB objects are not thread-safe; they are only ever touched from this loop's thread, and
    Odoo's worker threads hand coroutines over with :func:`asyncio.run_coroutine_threadsafe`.
    Created lazily and re-created after a fork (prefork workers) or if the loop died.
    """

    MAX_BOTS = 32

    def __init__(self):
        self._lock = threading.Lock()
        self._loop = None
        self._pid = None
        self._bots = {}  # (token, base_url, timeout) -> telegram.Bot, only used on the loop thread

    def _ensure(self):
        with self._lock:
            if self._loop is None or self._pid != os.getpid() or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="chatbot-telegram-loop", daemon=True)
                thread.start()
                self._loop, self._pid, self._bots = loop, os.getpid(), {}
            return self._loop

    def run(self, coro, timeout):
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:  # the usual case: Odoo's synchronous code, no loop in this thread
            running = None
        if running is not None and running is self._loop:  # would deadlock: never block our own loop
            coro.close()
            raise RuntimeError("TelegramApi called from its own event loop")
        future = asyncio.run_coroutine_threadsafe(coro, self._ensure())
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError("Telegram call timed out") from None

    async def get_bot(self, token, base_url, timeout):
        key = (token, base_url, timeout)
        bot = self._bots.get(key)
        if bot is None:
            if len(self._bots) >= self.MAX_BOTS:
                _key, old = self._bots.popitem()
                await old.shutdown()
            request = HTTPXRequest(connection_pool_size=PER_BOT_IN_FLIGHT, connect_timeout=timeout,
                                   read_timeout=timeout, write_timeout=timeout, pool_timeout=timeout,
                                   # headers and body go in two writes: without TCP_NODELAY a kept-alive
                                   # connection waits ~40 ms for the delayed ACK on every call
                                   socket_options=((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),))
            # files live at <host>/file/bot<token>/<file_path> (core.telegram.org/bots/api#file)
            base_file_url = base_url[:-len("/bot")] + "/file/bot" if base_url.endswith("/bot") else base_url
            bot = telegram.Bot(token, base_url=base_url, base_file_url=base_file_url, request=request,
                               get_updates_request=request)
            await request.initialize()  # the HTTP pool only: Bot.initialize() would call getMe each time
            self._bots[key] = bot
        return bot


_LOOP = _LoopThread()


def generate_secret_token(length=48):
    """A random webhook secret_token (1-256 chars of ``A-Z a-z 0-9 _ -``)."""
    token = secrets.token_urlsafe(length)[:length]
    assert SECRET_TOKEN_RE.match(token)
    return token


def check_secret_token(expected, received):
    """Constant-time comparison of the ``X-Telegram-Bot-Api-Secret-Token`` header.

    :return: True only when both are non-empty and equal
    """
    if not expected or not received:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), received.encode("utf-8"))


def _map_error(exc):
    """Turn a python-telegram-bot exception into a :class:`TelegramApiError`."""
    if isinstance(exc, TelegramApiError):
        return exc
    if isinstance(exc, tg_error.RetryAfter):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            retry_after = exc.retry_after
        seconds = retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else float(retry_after)
        return TelegramApiError(str(exc), code=429, retryable=True, retry_after=seconds)
    if isinstance(exc, tg_error.InvalidToken):
        return TelegramApiError(str(exc), code=401)
    if isinstance(exc, tg_error.Forbidden):
        return TelegramApiError(str(exc), code=403)
    if isinstance(exc, tg_error.ChatMigrated):
        return TelegramApiError(str(exc), code=400)
    if isinstance(exc, tg_error.BadRequest):
        return TelegramApiError(str(exc), code=400)
    if isinstance(exc, (tg_error.TimedOut, asyncio.TimeoutError, TimeoutError)):
        return TelegramApiError(str(exc) or "Timed out", code=0, retryable=True)
    if isinstance(exc, tg_error.NetworkError):  # includes 5xx answers
        return TelegramApiError(str(exc), code=502, retryable=True)
    if isinstance(exc, tg_error.TelegramError):  # e.g. invalid JSON from the server
        return TelegramApiError(str(exc), code=0, retryable=True)
    return TelegramApiError(repr(exc), code=0, retryable=True)


class TelegramApi:
    """Synchronous facade over :class:`telegram.Bot`.

    :param str token: bot token ``<id>:<secret>``
    :param str base_url: Bot API base **without** the token (default ``https://api.telegram.org/bot``);
        tests point it at the local fake: ``f"{fake.url}/bot"``
    :param float timeout: seconds for connect, read, write and pool waits
    """

    def __init__(self, token, base_url=None, timeout=DEFAULT_TIMEOUT):
        if not token:
            raise TelegramApiError("Missing bot token", code=401)
        self.token = token
        self.base_url = (base_url or TELEGRAM_API_URL).rstrip("/")
        self.timeout = timeout

    # -- transport -----------------------------------------------------------
    def _run(self, operation, coro_fn):
        """Run ``await coro_fn(bot)`` to completion from synchronous code and map errors.

        The coroutine runs on this process's chatbot event-loop thread (see :class:`_LoopThread`),
        with a Bot (and its HTTP connection pool) kept per token/endpoint, so a send costs one
        HTTP round trip instead of building an SSL context and a client each time. The calling
        thread waits at most the overall deadline.
        """
        started = time.monotonic()
        deadline = self.timeout  # the whole call, connection included: callers cap it to their time budget

        async def runner():
            bot = await _LOOP.get_bot(self.token, self.base_url, DEFAULT_TIMEOUT)
            return await asyncio.wait_for(coro_fn(bot), timeout=deadline)

        try:
            result = _LOOP.run(runner(), timeout=deadline + 0.5)
        except Exception as exc:  # noqa: BLE001 - mapped to one typed error below
            mapped = _map_error(exc)
            if self.token in (mapped.message or ""):  # e.g. PTB's "The token `…` was rejected by the server."
                mapped.message = mapped.message.replace(self.token, "***")
            _logger.info("Telegram %s failed in %.3fs: %s (code %s)", operation,
                         time.monotonic() - started, mapped.message, mapped.code)
            raise mapped from (None if mapped is exc else exc)
        _logger.info("Telegram %s done in %.3fs", operation, time.monotonic() - started)
        return result

    # -- operations ----------------------------------------------------------
    def get_me(self):
        """getMe: check the token.

        :return: dict ``{id, is_bot, first_name, username, ...}``
        """
        return self._run("getMe", lambda bot: bot.get_me()).to_dict()

    def set_webhook(self, url, secret_token, allowed_updates=None, drop_pending_updates=False):
        """setWebhook.

        :param str url: public HTTPS URL of our webhook route
        :param str secret_token: value Telegram will send in ``X-Telegram-Bot-Api-Secret-Token``
        :param list allowed_updates: update kinds to receive
        :return: True
        """
        if not SECRET_TOKEN_RE.match(secret_token or ""):
            raise TelegramApiError("Invalid secret_token", code=400)
        return self._run("setWebhook", lambda bot: bot.set_webhook(
            url=url, secret_token=secret_token, allowed_updates=allowed_updates,
            drop_pending_updates=drop_pending_updates))

    def delete_webhook(self, drop_pending_updates=False):
        """deleteWebhook. :return: True"""
        return self._run("deleteWebhook", lambda bot: bot.delete_webhook(drop_pending_updates=drop_pending_updates))

    def get_webhook_info(self):
        """getWebhookInfo. :return: dict ``{url, pending_update_count, last_error_message, ...}``"""
        return self._run("getWebhookInfo", lambda bot: bot.get_webhook_info()).to_dict()

    @staticmethod
    def _markup(buttons=None, remove_keyboard=False, inline_buttons=None):
        """reply_markup: inline buttons (InlineKeyboardMarkup, callback_data), else a reply keyboard
        (one button per row, ``request_contact`` for the share-phone button), else keyboard removal."""
        if inline_buttons:
            return telegram.InlineKeyboardMarkup(
                [[telegram.InlineKeyboardButton(b["text"], callback_data=b["data"]) for b in row]
                 for row in inline_buttons])
        if buttons:
            return telegram.ReplyKeyboardMarkup(
                [[telegram.KeyboardButton(b["text"], request_contact=bool(b.get("contact")))] for b in buttons],
                resize_keyboard=True, one_time_keyboard=True)
        if remove_keyboard:
            return telegram.ReplyKeyboardRemove()
        return None

    def send_message(self, chat_id, text, buttons=None, remove_keyboard=False, inline_buttons=None):
        """sendMessage.

        :param int chat_id: target chat
        :param str text: 1-4096 characters (callers split longer texts: tools.text.split_text)
        :param list buttons: optional reply keyboard, list of dicts ``{"text": str, "contact": bool}``,
            one button per row
        :param bool remove_keyboard: hide a previous reply keyboard
        :param list inline_buttons: rows of ``{"text", "data"}`` inline buttons (callback_data)
        :return: dict of the sent Message (``message_id``, ``chat``, ``date``, ``text``)
        """
        markup = self._markup(buttons, remove_keyboard, inline_buttons)
        return self._run("sendMessage", lambda bot: bot.send_message(
            chat_id=chat_id, text=text, reply_markup=markup)).to_dict()

    def send_file(self, chat_id, content, filename, photo=False, caption=None, inline_buttons=None):
        """sendPhoto (``photo=True``: ≤ 10 MB) or sendDocument (≤ 50 MB), uploaded as multipart.

        :param bytes content: the file
        :param str filename: name shown to the customer
        :param str caption: 0-1024 characters
        :return: dict of the sent Message
        """
        markup = self._markup(inline_buttons=inline_buttons)
        payload = telegram.InputFile(content, filename=filename)
        if photo:
            return self._run("sendPhoto", lambda bot: bot.send_photo(
                chat_id=chat_id, photo=payload, caption=caption or None, reply_markup=markup)).to_dict()
        return self._run("sendDocument", lambda bot: bot.send_document(
            chat_id=chat_id, document=payload, caption=caption or None, reply_markup=markup)).to_dict()

    def download_file(self, file_id, max_bytes):
        """getFile, then download the file's content.

        :param str file_id: file id from an update (photo, document, voice)
        :param int max_bytes: refuse a larger file (bots may download ≤ 20 MB)
        :return: (bytes content, str file_path)
        :raises TelegramApiError: code 413 when the file is too large
        """
        async def fetch(bot):
            remote = await bot.get_file(file_id)
            if remote.file_size and remote.file_size > max_bytes:
                raise TelegramApiError("File too large", code=413)
            data = await remote.download_as_bytearray()
            return bytes(data), remote.file_path

        return self._run("getFile", fetch)

    def answer_callback_query(self, callback_query_id, text=None):
        """answerCallbackQuery (stops the client's spinner). :return: True"""
        return self._run("answerCallbackQuery", lambda bot: bot.answer_callback_query(
            callback_query_id=callback_query_id, text=text))


def webhook_answer(chat_id, text=None, buttons=None, remove_keyboard=False, inline_buttons=None,
                   callback_query_id=None):
    """A Bot API method call to return as the webhook's response body (answered at once, no extra call).

    Source: core.telegram.org/bots/api#making-requests-when-getting-updates - "If you're using webhooks,
    you can perform a request to the Bot API while sending an answer to the webhook. Use either
    application/json or application/x-www-form-urlencoded or multipart/form-data response content type
    for passing parameters. Specify the method to be invoked in the method parameter of the request.
    It's not possible to know that such a request was successful or get its result."

    :return: dict ``{"method": "sendMessage", "chat_id", "text", "reply_markup"?}`` or
        ``{"method": "answerCallbackQuery", "callback_query_id"}``
    """
    if callback_query_id:
        return {"method": "answerCallbackQuery", "callback_query_id": callback_query_id}
    answer = {"method": "sendMessage", "chat_id": chat_id, "text": text}
    markup = TelegramApi._markup(buttons, remove_keyboard, inline_buttons)
    if markup is not None:
        answer["reply_markup"] = markup.to_dict()
    return answer


def parse_update(data):
    """Parse a webhook body with :meth:`telegram.Update.de_json` and flatten what we use.

    :param dict data: the decoded JSON body
    :return: dict with ``update_id`` (int), ``kind`` (``message``, ``callback_query`` or the
        unknown payload key), ``chat_id``, ``user_id``, ``first_name``, ``last_name``,
        ``username``, ``language``, ``date`` (unix), ``text``, ``command``, ``start_payload``,
        ``contact_phone``, ``contact_is_own``, ``callback_id``, ``callback_data``,
        ``chat_type``, ``message_id``
    :raises ValueError: when the body is not a Telegram update
    """
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise ValueError("not a Telegram update: missing integer update_id")
    keys = [k for k in data if k != "update_id"]
    if not any(k in HANDLED_KINDS for k in keys):
        # a kind we do not handle (new kinds keep being added): no need to parse it
        result = {"update_id": data["update_id"], "kind": keys[0] if keys else "empty"}
        return result
    try:
        update = telegram.Update.de_json(data, None)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad request
        raise ValueError(f"invalid Telegram update: {exc}") from exc
    result = dict.fromkeys((
        "chat_id", "user_id", "first_name", "last_name", "username", "language", "date", "text",
        "command", "start_payload", "contact_phone", "callback_id", "callback_data", "chat_type",
        "message_id", "media", "location", "member_status"))
    result.update(update_id=update.update_id, kind=None, contact_is_own=False)
    try:
        _flatten(update, result)
    except AttributeError as exc:  # a required object is missing (e.g. a message without its chat)
        raise ValueError(f"invalid Telegram update: {exc}") from exc
    if result["chat_id"] is None:
        raise ValueError("invalid Telegram update: no chat")
    return result


def _telegram_media(message):
    """The file of a message: the largest photo size, a document, a voice note or a video.

    Source: core.telegram.org/bots/api#message (photo: array of PhotoSize, the last is the largest;
    document/voice/video: file_id, file_name?, mime_type?, file_size?).
    :return: dict ``{type, file_id, file_name, mime_type, file_size}`` or None
    """
    if message.photo:
        photo = message.photo[-1]
        return {"type": "photo", "file_id": photo.file_id, "file_name": f"photo_{message.message_id}.jpg",
                "mime_type": "image/jpeg", "file_size": photo.file_size or 0}
    for kind in ("document", "voice", "video"):
        item = getattr(message, kind)
        if item is not None:
            default_name = {"voice": f"voice_{message.message_id}.ogg", "video": f"video_{message.message_id}.mp4"}
            name = getattr(item, "file_name", None) or default_name.get(kind, f"file_{message.message_id}")
            return {"type": kind, "file_id": item.file_id, "file_name": name,
                    "mime_type": item.mime_type, "file_size": item.file_size or 0}
    return None


def _flatten(update, result):
    message = update.message or update.edited_message
    user = None
    if message is not None:
        result["kind"] = "message" if update.message else "edited_message"
        user = message.from_user
        result.update(chat_id=message.chat.id, chat_type=message.chat.type,
                      date=int(message.date.timestamp()), text=message.text,
                      message_id=message.message_id)
        if message.caption and not message.text:
            result["text"] = message.caption  # a caption is a request like a text
        result["media"] = _telegram_media(message)
        if message.location:
            result["location"] = (message.location.latitude, message.location.longitude)
        if message.contact:
            result["contact_phone"] = message.contact.phone_number
            result["contact_is_own"] = bool(user and message.contact.user_id == user.id)
        if message.text:
            match = COMMAND_RE.match(message.text.strip())
            if match:
                result["command"] = match.group("command").lower()
                start = START_RE.match(message.text.strip())
                if start:
                    result["start_payload"] = start.group("payload")
    elif update.callback_query is not None:
        query = update.callback_query
        result["kind"] = "callback_query"
        user = query.from_user
        result.update(callback_id=query.id, callback_data=query.data)
        if query.message is not None:
            result["chat_id"] = query.message.chat.id
            result["chat_type"] = query.message.chat.type
        else:
            result["chat_id"] = user.id
    elif update.my_chat_member is not None:
        # Source: core.telegram.org/bots/api#chatmemberupdated - the bot's own status in a private chat:
        # "kicked" when the user blocked the bot, "member" when they unblocked/restarted it
        member = update.my_chat_member
        result["kind"] = "my_chat_member"
        user = member.from_user
        result.update(chat_id=member.chat.id, chat_type=member.chat.type, date=int(member.date.timestamp()),
                      member_status=member.new_chat_member.status)
    if user is not None:
        result.update(user_id=user.id, first_name=user.first_name, last_name=user.last_name,
                      username=user.username, language=user.language_code)
