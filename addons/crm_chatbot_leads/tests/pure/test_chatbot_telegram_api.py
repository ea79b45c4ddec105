import asyncio

import pytest

from crm_chatbot_leads.tools.telegram_api import (
    TelegramApi,
    TelegramApiError,
    check_secret_token,
    generate_secret_token,
    parse_update,
)
from tests.fakes.base import Fault
from tests.fakes.telegram import TelegramFake, callback_update, contact_update, start_update, text_update

TOKEN = "123456:TEST-token"


@pytest.fixture()
def fake():
    with TelegramFake(tokens=(TOKEN,)) as server:
        yield server


def api(fake, token=TOKEN, timeout=2):
    return TelegramApi(token, base_url=f"{fake.url}/bot", timeout=timeout)


def test_secret_token():
    secret = generate_secret_token()
    assert 1 <= len(secret) <= 256
    assert check_secret_token(secret, secret)
    assert not check_secret_token(secret, secret + "x")
    assert not check_secret_token(secret, None)
    assert not check_secret_token("", "")


def test_send_message_with_contact_button(fake):
    result = api(fake).send_message(42, "Привіт", buttons=[{"text": "📱 Надіслати номер", "contact": True}])
    assert result["chat"]["id"] == 42
    sent = fake.messages_to(42)[0]
    assert sent["text"] == "Привіт"
    assert sent["reply_markup"]["keyboard"][0][0] == {"text": "📱 Надіслати номер", "request_contact": True}
    assert sent["reply_markup"]["one_time_keyboard"] is True


def test_send_inside_running_loop(fake):
    async def inner():
        return api(fake).send_message(7, "from a loop")
    assert asyncio.run(inner())["text"] == "from a loop"


def test_webhook_roundtrip(fake):
    client = api(fake)
    assert client.set_webhook("https://erp.example.com/tg", "k3y_Abc-123", ["message"]) is True
    assert fake.webhooks[TOKEN]["secret_token"] == "k3y_Abc-123"
    assert client.get_webhook_info()["url"] == "https://erp.example.com/tg"
    assert client.delete_webhook() is True
    assert TOKEN not in fake.webhooks
    with pytest.raises(TelegramApiError):
        client.set_webhook("https://erp.example.com/tg", "bad secret!")


def test_errors_are_mapped(fake):
    with pytest.raises(TelegramApiError) as err:
        api(fake, token="999:wrong").get_me()
    assert err.value.code == 401 and not err.value.retryable
    fake.blocked_chats.add(5)
    with pytest.raises(TelegramApiError) as err:
        api(fake).send_message(5, "x")
    assert err.value.code == 403 and not err.value.retryable
    fake.fail_next(Fault.too_many_requests(payload={"ok": False, "error_code": 429,
                                                    "description": "Too Many Requests: retry after 3",
                                                    "parameters": {"retry_after": 3}}))
    with pytest.raises(TelegramApiError) as err:
        api(fake).send_message(6, "x")
    assert err.value.code == 429 and err.value.retryable and err.value.retry_after == 3
    fake.fail_next(Fault.server_error(502, '{"ok":false,"error_code":502,"description":"Bad Gateway"}'))
    with pytest.raises(TelegramApiError) as err:
        api(fake).send_message(6, "x")
    assert err.value.retryable
    fake.fail_next(Fault.timeout(3))
    with pytest.raises(TelegramApiError) as err:
        api(fake, timeout=0.5).send_message(6, "x")
    assert err.value.retryable
    fake.fail_next(Fault.connection_drop())
    with pytest.raises(TelegramApiError) as err:
        api(fake).send_message(6, "x")
    assert err.value.retryable


def test_parse_updates():
    start = parse_update(start_update(11, payload="instagram_promo"))
    assert start["kind"] == "message" and start["command"] == "/start"
    assert start["start_payload"] == "instagram_promo" and start["chat_id"] == 11
    contact = parse_update(contact_update(11, "380671234567"))
    assert contact["contact_phone"] == "380671234567" and contact["contact_is_own"]
    foreign = parse_update(contact_update(11, "380671234567", own=False))
    assert not foreign["contact_is_own"]
    text = parse_update(text_update(11, "Хочу диван", first_name="Ігор"))
    assert text["text"] == "Хочу диван" and text["command"] is None and text["first_name"] == "Ігор"
    query = parse_update(callback_update(11, "orders"))
    assert query["kind"] == "callback_query" and query["callback_data"] == "orders" and query["chat_id"] == 11
    unknown = parse_update({"update_id": 5, "poll_answer": {"poll_id": "1", "option_ids": []}})
    assert unknown["kind"] == "poll_answer"
    for bad in ({}, {"update_id": "x"}, [], {"update_id": 1, "message": {"chat": 5}}):
        with pytest.raises(ValueError):
            parse_update(bad)
