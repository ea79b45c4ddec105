import pytest

from nova_poshta.tools.nova_poshta_api import NovaPoshtaApi, NovaPoshtaError, normalize_phone
from tests.fakes.base import Fault
from tests.fakes.nova_poshta import PATH, NovaPoshtaFake

KEY = "a" * 32


@pytest.fixture
def fake():
    with NovaPoshtaFake(api_key=KEY) as server:
        server.add_city("city-kyiv", "Київ")
        server.add_city("city-lviv", "Львів", "Львівська")
        for i in range(7):
            server.add_warehouse(f"wh-{i}", "city-lviv" if i % 2 else "city-kyiv", i + 1)
        yield server


@pytest.fixture
def api(fake):
    return NovaPoshtaApi(KEY, url=fake.url + PATH, timeout=2)


def test_envelope_and_paging(api, fake):
    pages = list(api.iter_pages("Address", "getWarehouses", page_size=3))
    assert [len(items) for _p, items, _t in pages] == [3, 3, 1]
    assert pages[0][2] == 7
    sent = fake.requests[0].json
    assert sent["apiKey"] == KEY and sent["modelName"] == "Address" and sent["calledMethod"] == "getWarehouses"
    assert sent["methodProperties"] == {"Page": 1, "Limit": 3}
    assert fake.requests[0].header("Content-Type") == "application/json"


def test_business_error_is_raised_with_code(fake):
    api = NovaPoshtaApi("b" * 32, url=fake.url + PATH, timeout=2)
    with pytest.raises(NovaPoshtaError) as info:
        api.search_settlements("Київ")
    assert info.value.code == "20000200068"
    assert info.value.message == "API auth fail"
    assert not info.value.retryable


def test_transport_faults(api, fake):
    fake.fail_next(Fault.server_error(502))
    with pytest.raises(NovaPoshtaError) as info:
        api.search_settlements("Київ")
    assert (info.value.code, info.value.retryable) == ("http_502", True)
    fake.fail_next(Fault.malformed_json())
    with pytest.raises(NovaPoshtaError) as info:
        api.search_settlements("Київ")
    assert info.value.code == "malformed"
    fake.fail_next(Fault.timeout(3))
    api.timeout = 0.3
    with pytest.raises(NovaPoshtaError) as info:
        api.search_settlements("Київ")
    assert info.value.code == "timeout"
    assert api.calls == 3


def test_waybill_lifecycle(api, fake):
    counterparty, contact = api.save_recipient("Олена", "Петренко", "380671234567")
    assert api.save_recipient("Олена", "Петренко", "380671234567") == (counterparty, contact)
    price = api.get_document_price({"CitySender": "city-kyiv", "CityRecipient": "city-lviv", "Weight": 3,
                                    "ServiceType": "WarehouseWarehouse", "Cost": 500, "CargoType": "Parcel",
                                    "SeatsAmount": 1, "RedeliveryCalculate": {"CargoType": "Money", "Amount": 500}})
    assert price["Cost"] == 80.0 and price["CostRedelivery"] == 30.0
    doc = api.save_document({
        "CitySender": "city-kyiv", "Sender": "s", "SenderAddress": "wh-0", "ContactSender": "c",
        "SendersPhone": "380501112233", "CityRecipient": "city-lviv", "Recipient": counterparty,
        "RecipientAddress": "wh-1", "ContactRecipient": contact, "RecipientsPhone": "380671234567",
        "Weight": 1, "ServiceType": "WarehouseWarehouse", "PayerType": "Recipient", "DateTime": "25.11.2026"})
    assert len(doc["IntDocNumber"]) == 14
    [status] = api.tracking([(doc["IntDocNumber"], "380671234567")])
    assert status["StatusCode"] == "1"
    api.delete_document(doc["Ref"])
    with pytest.raises(NovaPoshtaError) as info:
        api.delete_document(doc["Ref"])
    assert info.value.code == "20000300415"


def test_tracking_batches_of_100(api, fake):
    api.tracking([(str(20450000000000 + i), None) for i in range(250)])
    sizes = [len(c["methodProperties"]["Documents"]) for c in fake.calls("getStatusDocuments")]
    assert sizes == [100, 100, 50]


def test_on_call_hook_redacts_key(fake):
    seen = []
    api = NovaPoshtaApi(KEY, url=fake.url + PATH, on_call=lambda *args: seen.append(args))
    api.search_settlements("Львів")
    assert seen[0][0:2] == ("Address", "searchSettlements")
    assert seen[0][2]["apiKey"] == "***"


@pytest.mark.parametrize("raw,expected", [
    ("+38 (067) 123-45-67", "380671234567"), ("0671234567", "380671234567"), ("380671234567", "380671234567"),
    ("671234567", "380671234567"), ("12345", None), ("", None), (None, None), ("+48 601 234 567", None),
])
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


def test_directory_pages_and_contact_person(api, fake):
    items, total = api.get_warehouses(page=2, limit=2, city_ref="city-kyiv")
    assert total == 4 and [w["Ref"] for w in items] == ["wh-4", "wh-6"]
    cities, total = api.get_cities(limit=1, find="Львів")
    assert total == 2 and len(cities) == 1
    assert fake.requests[-1].json["methodProperties"] == {"Page": 1, "Limit": 1, "FindByString": "Львів"}
    recipient, _contact = api.save_recipient("Олена", "Петренко", "380671234567")
    assert api.save_contact_person(recipient, "Іван", "Петренко", "380671234568")
    with pytest.raises(NovaPoshtaError) as info:
        api.save_contact_person(recipient, "Іван", "", "380671234568")
    assert info.value.code == "20000201598"


def test_error_text_falls_back_to_the_code_table(api, fake):
    from tests.fakes.base import Response
    from tests.fakes.nova_poshta import envelope

    fake.respond_next(Response.json(dict(envelope(errors=["x"], codes=["20000400455"]), errors=[])))
    with pytest.raises(NovaPoshtaError) as info:
        api.get_document_price({})
    assert info.value.message == "DateTime cannot be less then now"
    assert info.value.raw["errorCodes"] == ["20000400455"]
