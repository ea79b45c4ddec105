import pytest

from prro_checkbox.tools.checkbox_api import CheckboxApi, CheckboxError, error_message, to_kopecks, to_quantity
from tests.fakes.base import Fault, Response
from tests.fakes.checkbox import PREFIX, CheckboxFake

LICENSE = "lic-pure"


@pytest.fixture
def fake():
    with CheckboxFake() as server:
        server.add_cashier("c1", "pw", pin="4321")
        server.add_register(LICENSE)
        yield server


def make_api(fake, **kwargs):
    params = {"license_key": LICENSE, "login": "c1", "password": "pw", "timeout": 1,
              "client_name": "test-client", "client_version": "1.0"}
    params.update(kwargs)
    return CheckboxApi(fake.url + PREFIX, **params)


def test_units_are_exact():
    assert to_kopecks(55) == 5500
    assert to_kopecks(0.285) == 29  # half-up on the decimal value, not on the binary float
    assert to_kopecks("1.005") == 101
    assert to_kopecks(-12.345) == -1235
    assert to_quantity(1) == 1000
    assert to_quantity(0.5) == 500
    assert to_quantity(1.0005) == 1001
    assert to_quantity(2.333) == 2333


def test_headers_signin_and_license_key(fake):
    api = make_api(fake)
    api.get_taxes()
    signin, tax = fake.requests
    assert signin.path == PREFIX + "/cashier/signin" and signin.json == {"login": "c1", "password": "pw"}
    assert tax.header("X-Client-Name") == "test-client" and tax.header("X-Client-Version") == "1.0"
    assert tax.header("X-License-Key") == LICENSE
    assert tax.header("Authorization") == f"Bearer {api.token}"


def test_pin_signin(fake):
    tokens = []
    api = make_api(fake, login=None, password=None, pin_code="4321", on_token=tokens.append)
    api.cashier_me()
    assert fake.requests[0].path == PREFIX + "/cashier/signinPinCode"
    assert fake.requests[0].header("X-License-Key") == LICENSE
    assert tokens == [api.token]


def test_token_renewed_once_on_401(fake):
    api = make_api(fake)
    api.cashier_me()
    old = api.token
    fake.expire_tokens()
    assert api.cashier_me()["full_name"]
    assert api.token != old
    assert [r.path for r in fake.requests].count(PREFIX + "/cashier/signin") == 2


def test_bad_credentials_readable_without_secret(fake):
    api = make_api(fake, password="nope")
    with pytest.raises(CheckboxError) as info:
        api.cashier_me()
    assert info.value.status == 403 and "Invalid credentials" in info.value.message
    assert "nope" not in info.value.message


def test_error_mapping():
    assert error_message(400, {"message": "Зміну не відкрито"}) == "Зміну не відкрито"
    assert error_message(422, {"detail": [{"loc": ["body", "goods", 0, "good", "price"], "msg": "not int"}]}) == \
        "goods.0.good.price: not int"
    assert error_message(500, None) == "HTTP 500"


def test_transient_errors(fake):
    api = make_api(fake)
    api.signin()
    fake.fail_next(Fault.timeout(2.0))
    with pytest.raises(CheckboxError) as info:
        api.get_cashier_shift()
    assert info.value.transient
    fake.fail_next(Fault.server_error(502))
    with pytest.raises(CheckboxError) as info:
        api.cashier_me()
    assert info.value.transient and info.value.status == 502
    fake.fail_next(Response.json({"message": "bad"}, status=400))
    with pytest.raises(CheckboxError) as info:
        api.cashier_me()
    assert not info.value.transient


def test_fake_is_strict(fake):
    api = make_api(fake)
    with pytest.raises(CheckboxError) as info:
        api.sell({"id": "6f1c2c1e-2a4b-4d9e-9a57-0f6f1d6f8a11",
                  "goods": [{"good": {"code": "A", "name": "A", "price": 100}, "quantity": 1000}],
                  "payments": [{"type": "CASH", "value": 100}]})
    assert "Зміну не відкрито" in info.value.message
    shift = api.open_shift()
    assert shift["status"] == "CREATED"
    assert api.wait_shift(shift["id"], {"OPENED"}, budget=2)["status"] == "OPENED"
    with pytest.raises(CheckboxError) as info:
        api.sell({"goods": [{"good": {"code": "A", "name": "A", "price": 1.5}, "quantity": 1000}]})
    assert info.value.status == 422 and "goods.0.good.price" in info.value.message
    payload = {"id": "6f1c2c1e-2a4b-4d9e-9a57-0f6f1d6f8a11",
               "goods": [{"good": {"code": "A", "name": "A", "price": 100, "tax": [1]}, "quantity": 1500}],
               "payments": [{"type": "CASHLESS", "value": 150}]}
    assert api.sell(payload)["status"] == "CREATED"
    with pytest.raises(CheckboxError) as info:
        api.sell(payload)
    assert info.value.code == "receipt.already_exists"
    assert api.wait_receipt(payload["id"], budget=2)["status"] == "DONE"
    assert api.get_receipt("00000000-0000-0000-0000-000000000000") is None
    # the register is taken by this cashier's shift: another cashier cannot open one
    fake.add_cashier("c2", "pw2")
    with pytest.raises(CheckboxError) as info:
        make_api(fake, login="c2", password="pw2").open_shift()
    assert "Каса зайнята іншим касиром" in info.value.message
