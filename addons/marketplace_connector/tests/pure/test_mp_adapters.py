import pytest

from marketplace_connector.tools.marketplace_api import MarketplaceError, StockUpdate
from marketplace_connector.tools.nbu_api import fetch_rates
from marketplace_connector.tools.prom_api import PromApi, parse_amount
from marketplace_connector.tools.rozetka_api import RozetkaApi
from tests.fakes.base import Fault
from tests.fakes.nbu import PATH as NBU_PATH
from tests.fakes.nbu import NbuFake
from tests.fakes.prom import PREFIX, PromFake
from tests.fakes.rozetka import RozetkaFake


@pytest.fixture
def prom():
    with PromFake() as fake:
        for i in range(1, 251):
            fake.add_product(i, sku=f"SKU-{i}", price=10.0 * i)
        yield fake


@pytest.fixture
def rozetka():
    RozetkaApi._tokens.clear()
    with RozetkaFake() as fake:
        for i in range(1, 46):
            fake.add_item(1000 + i, article=f"SKU-{i}", price=100 + i)
        yield fake


def test_prom_offers_paging_backwards(prom):
    api = PromApi("prom-token", base_url=prom.url + PREFIX)
    offers = api.list_offers()
    assert len(offers) == 250 and len({o.external_id for o in offers}) == 250
    pages = prom.requests_to(PREFIX + "/products/list")
    assert [r.query.get("last_id") for r in pages] == [None, "151", "51"]
    assert pages[0].header("Authorization") == "Bearer prom-token"


def test_prom_push_is_a_top_level_array(prom):
    api = PromApi("prom-token", base_url=prom.url + PREFIX)
    done = api.push_stock([StockUpdate("1", 5, 99.5), StockUpdate("2", 0), StockUpdate("999", 3)])
    assert done == {"1", "2"}
    body = prom.requests_to(PREFIX + "/products/edit")[0].json
    assert isinstance(body, list)
    assert body[0] == {"id": 1, "quantity_in_stock": 5, "presence": "available", "presence_sure": True,
                       "price": 99.5}
    assert prom.products[2]["presence"] == "not_available"


def test_prom_errors(prom):
    with pytest.raises(MarketplaceError) as info:
        PromApi("bad", base_url=prom.url + PREFIX).test_connection()
    assert info.value.code == "auth"
    api = PromApi("prom-token", base_url=prom.url + PREFIX)
    prom.fail_next(Fault.server_error(503))
    with pytest.raises(MarketplaceError) as info:
        api.test_connection()
    assert info.value.retryable
    prom.fail_next(Fault.too_many_requests(2))
    with pytest.raises(MarketplaceError) as info:
        api.test_connection()
    assert (info.value.code, info.value.retryable) == ("http_429", True)
    prom.fail_next(Fault.malformed_json())
    with pytest.raises(MarketplaceError) as info:
        api.test_connection()
    assert info.value.code == "malformed"


def test_prom_orders_and_status(prom):
    for oid in range(1, 131):
        prom.add_order(oid, [{"id": 1, "sku": "SKU-1", "name": "x", "quantity": 2, "price": 10.0}],
                       date=f"2026-11-22T10:{oid % 60:02d}:00")
    api = PromApi("prom-token", base_url=prom.url + PREFIX)
    orders = api.list_orders("2026-11-22 10:00:00")
    assert len(orders) == 130 and len({o.external_id for o in orders}) == 130
    assert orders == sorted(orders, key=lambda o: (o.changed, o.external_id))
    first = orders[0]
    assert (first.lines[0].quantity, first.lines[0].price, first.total, first.np_branch) == (2, 10.0, 20.0, "5")
    order7 = next(o for o in orders if o.external_id == "7")
    assert order7.delivery_provider == "nova_poshta"
    api.set_order_status("7", "shipped", ttn="20450000000001", order=order7)
    assert prom.declarations[0] == {"order_id": 7, "declaration_id": "20450000000001", "delivery_type": "nova_poshta"}
    # the carrier comes from the order (Ukrposhta here), not a constant
    prom.add_order(131, [{"id": 1, "sku": "SKU-1", "name": "x", "quantity": 1, "price": 10.0}],
                   delivery_provider_data={"provider": "ukrposhta", "type": "W2W"})
    [order131] = [o for o in api.list_orders("2000-01-01 00:00:00") if o.external_id == "131"]
    api.set_order_status("131", "shipped", ttn="0500012345678", order=order131)
    assert prom.declarations[-1]["delivery_type"] == "ukrposhta"
    api.set_order_status("8", "cancelled", reason="not_available")
    assert prom.statuses[-1][2]["cancellation_reason"] == "not_available"
    # every documented reason goes through as is; the order's note is the cancellation text
    api.set_order_status("9", "cancelled", reason="invalid_phone_number", cancel_text="Номер не існує")
    assert (prom.statuses[-1][2]["cancellation_reason"], prom.statuses[-1][2]["cancellation_text"]) == (
        "invalid_phone_number", "Номер не існує")
    api.set_order_status("10", "cancelled")
    assert prom.statuses[-1][2]["cancellation_reason"] == "another"
    with pytest.raises(MarketplaceError):
        api.set_order_status("99999", "confirmed")
    with pytest.raises(MarketplaceError) as info:
        api.set_order_status("8", "confirmed")  # Prom has it as canceled now (read back with GET /orders/8)
    assert info.value.code == "transition"
    # what Prom refuses: an unknown status, a cancel without reason or without the text its reason needs
    for body in ({"ids": [9], "status": "draft"}, {"ids": [9], "status": "canceled"},
                 {"ids": [9], "status": "canceled", "cancellation_reason": "another"},
                 {"ids": [9], "status": "received", "comment": "x"}):
        reply = api.session.post(prom.url + PREFIX + "/orders/set_status", json=body, timeout=5,
                                 headers={"Authorization": "Bearer prom-token"}).json()
        assert reply.get("error") and "processed_ids" not in reply


def test_rozetka_login_relogin_and_mass_update(rozetka):
    api = RozetkaApi("seller", "pa$$", base_url=rozetka.url)
    offers = api.list_offers()
    assert len(offers) == 45 and offers[0].sku == "SKU-1"
    assert rozetka.logins == 1
    login = rozetka.requests_to("/sites")[0].json
    assert login["password"] == "cGEkJA=="  # base64, never plain text
    rozetka.expire_tokens()
    assert api.push_stock([StockUpdate("1001", 4, 250.4), StockUpdate("99", 1)]) == {"1001"}
    assert rozetka.logins == 2
    assert rozetka.items[1001]["stock_quantity"] == 4 and rozetka.items[1001]["price"] == 250


def test_rozetka_bad_login_and_ttn_rule(rozetka):
    with pytest.raises(MarketplaceError) as info:
        RozetkaApi("seller", "wrong", base_url=rozetka.url).test_connection()
    assert info.value.code == 1004
    rozetka.add_order(5, [{"item_id": 1001, "quantity": 1, "price": 300, "article": "SKU-1"}])
    api = RozetkaApi("seller", "pa$$", base_url=rozetka.url)
    [order] = api.list_orders("2026-11-22 00:00:00")
    assert (order.external_id, order.city, order.np_branch, order.lines[0].sku) == ("5", "Київ", "12", "SKU-1")
    with pytest.raises(MarketplaceError) as info:
        api.set_order_status("5", "shipped")
    assert info.value.code == "ttn_required"
    assert api.set_order_status("5", "confirmed") == "26"
    assert api.set_order_status("5", "shipped", ttn="20450000000002") == "61"  # 2 + TTN: Rozetka moves it to 61
    assert rozetka.orders[5]["ttn"] == "20450000000002"
    # the transitions come from the order's own status_available: from 61 only 3 is possible
    with pytest.raises(MarketplaceError) as info:
        api.set_order_status("5", "cancelled", reason="not_available")
    assert info.value.code == "transition" and "allowed: 3" in info.value.message


def test_nbu_rates_and_bad_bodies():
    with NbuFake() as fake:
        rates = fetch_rates({"USD", "EUR"}, url=fake.url + NBU_PATH)
        assert rates["USD"][0] == 41.9875 and str(rates["EUR"][1]) == "2026-11-21"
        fake.fail_next(Fault.malformed_json())
        assert fetch_rates({"USD"}, url=fake.url + NBU_PATH) == {}


def test_nbu_fake_answers_xml_without_the_json_parameter():
    """NBU api-dev, statdirectory/exchange: XML unless ``json`` is asked for (a blank ``?json`` counts)."""
    import requests

    with NbuFake() as fake:
        xml = requests.get(fake.url + NBU_PATH, timeout=5)
        assert xml.headers["Content-Type"].startswith("text/xml") and "<exchange>" in xml.text
        assert requests.get(fake.url + NBU_PATH + "?json", timeout=5).json()[0]["cc"] == "USD"


@pytest.mark.parametrize("raw,value", [("1 250 грн", 1250.0), ("99,50", 99.5), (12, 12.0), (None, 0.0)])
def test_parse_amount(raw, value):
    assert parse_amount(raw) == value


def test_rozetka_fake_refuses_what_rozetka_refuses(rozetka):
    rozetka.add_order(6, [{"item_id": 1001, "quantity": 1, "price": 300, "article": "SKU-1"}], status=1)
    api = RozetkaApi("seller", "pa$$", base_url=rozetka.url)
    order = api.get_order("6")
    assert (order.status, order.failed) == ("1", False)
    assert 26 in order.allowed_statuses and 61 not in order.allowed_statuses
    headers = {"Authorization": f"Bearer {api._token()}"}

    def put(body):
        return api.session.put(rozetka.url + "/orders/6", json=body, headers=headers, timeout=5).json()

    assert put({"status": 26, "comment": "x"})["errors"]["code"] == 1002  # unknown field
    assert put({"status": 6})["errors"]["code"] == 1005  # not in status_available of status 1
    assert put({"status": 49})["errors"]["code"] == 1001  # duplicate_order_id required
    assert put({"status": 2})["success"]
    assert put({"status": 61})["errors"]["code"] == 1001  # TTN required
    assert rozetka.orders[6]["status"] == 2
    rozetka.set_status(6, 45)
    cancelled = api.get_order("6")
    assert cancelled.failed and cancelled.raw["status_group"] == 3
    with pytest.raises(MarketplaceError) as info:
        api.set_order_status("6", "confirmed")
    assert info.value.code == "transition"
    assert api.set_order_status("6", "cancelled") == "45"  # already cancelled there: nothing to send
