import pytest

from nova_poshta.tools.nova_poshta_api import NovaPoshtaApi, NovaPoshtaError
from tests.fakes.nova_poshta import PATH, NovaPoshtaFake

KEY = "b" * 32


@pytest.fixture
def fake():
    with NovaPoshtaFake(api_key=KEY) as server:
        server.add_city("city-lviv", "Львів", "Львівська")
        server.add_street("city-lviv", "st-1", "Городоцька")
        server.add_street("city-lviv", "st-2", "Городницька")
        server.add_street("city-lviv", "st-3", "Шевченка")
        yield server


def test_streets_are_searched_by_settlement_with_a_limit(fake):
    api = NovaPoshtaApi(KEY, url=fake.url + PATH, timeout=2)
    settlement = api.search_settlements("Львів")[0]
    assert settlement["DeliveryCity"] == "city-lviv"
    streets = api.search_streets(settlement["Ref"], "город", limit=1)
    assert [s["SettlementStreetRef"] for s in streets] == ["st-1"]
    sent = fake.calls("searchSettlementStreets")[0]["methodProperties"]
    assert sent == {"SettlementRef": "s-city-lviv", "StreetName": "город", "Limit": 1}
    assert len(api.search_streets(settlement["Ref"], "город")) == 2


def test_unknown_settlement_is_a_business_error(fake):
    api = NovaPoshtaApi(KEY, url=fake.url + PATH, timeout=2)
    with pytest.raises(NovaPoshtaError) as error:
        api.search_streets("nope", "город")
    assert error.value.code == "20000900791"
