import json

import pytest

from crm_chatbot_leads.tools.viber_api import (
    ViberApi,
    ViberApiError,
    check_signature,
    compute_signature,
    parse_event,
)
from tests.fakes.base import Fault
from tests.fakes.viber import ViberFake, contact_event, conversation_started_event, encode, message_event, sign

TOKEN = "4a2b-viber-test-token"


@pytest.fixture()
def fake():
    with ViberFake(tokens=(TOKEN,)) as server:
        yield server


def api(fake, token=TOKEN, timeout=2):
    return ViberApi(token, base_url=f"{fake.url}/pa", timeout=timeout, sender_name="Shop")


def test_signature():
    raw, headers = encode(TOKEN, message_event("u1", "hi"))
    assert compute_signature(TOKEN, raw) == sign(TOKEN, raw)
    assert check_signature(TOKEN, raw, headers["X-Viber-Content-Signature"])
    assert not check_signature(TOKEN, raw + b" ", headers["X-Viber-Content-Signature"])
    assert not check_signature(TOKEN, raw, None)
    assert not check_signature("other", raw, headers["X-Viber-Content-Signature"])


def test_send_with_share_phone(fake):
    result = api(fake).send_message("u1=", "Номер?", buttons=[{"text": "📱", "contact": True}],
                                    tracking_data="awaiting_phone")
    assert result["message_token"]
    request = fake.requests_to(r"/pa/send_message")[0]
    assert request.header("X-Viber-Auth-Token") == TOKEN
    body = request.json
    assert body["min_api_version"] == 3
    assert body["keyboard"]["Buttons"][0]["ActionType"] == "share-phone"
    assert body["keyboard"]["Buttons"][0]["ActionBody"]


def test_errors(fake):
    with pytest.raises(ViberApiError) as err:
        api(fake, token="bad").get_account_info()
    assert err.value.code == 2 and not err.value.retryable
    fake.accept_all = False
    with pytest.raises(ViberApiError) as err:
        api(fake).send_message("nobody", "x")
    assert err.value.code == 6 and not err.value.retryable
    fake.fail_next(Fault.server_error(503))
    with pytest.raises(ViberApiError) as err:
        api(fake).get_account_info()
    assert err.value.retryable
    fake.fail_next(Fault.malformed_json())
    with pytest.raises(ViberApiError) as err:
        api(fake).get_account_info()
    assert err.value.retryable
    fake.fail_next(Fault.timeout(3))
    with pytest.raises(ViberApiError) as err:
        api(fake, timeout=0.5).get_account_info()
    assert err.value.retryable and err.value.code == 0


def test_set_webhook(fake):
    assert api(fake).set_webhook("https://erp.example.com/viber")["status"] == 0
    with pytest.raises(ViberApiError) as err:
        api(fake).set_webhook("ftp://nope")
    assert err.value.code == 1


def test_parse_events():
    event = parse_event(json.loads(json.dumps(contact_event("u1=", "380671234567"))))
    assert event["contact_phone"] == "380671234567" and event["user_id"] == "u1="
    assert isinstance(event["message_token"], str)
    started = parse_event(conversation_started_event("u2=", context="promo"))
    assert started["event"] == "conversation_started" and started["context"] == "promo"
    assert parse_event(message_event("u3=", "Привіт"))["text"] == "Привіт"
    for bad in ({}, [], {"event": "message"}):
        with pytest.raises(ValueError):
            parse_event(bad)
