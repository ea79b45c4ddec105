import pytest

from marketplace_connector.tools.bas_soap_api import BasSoapApi
from marketplace_connector.tools.marketplace_api import MarketplaceError
from tests.fakes.bas_soap import PATH, BasSoapFake
from tests.fakes.base import Fault


@pytest.fixture
def bas():
    with BasSoapFake() as fake:
        fake.add_item("SKU-1", 7, 199.5, name="Чайник", barcode="4820000000011")
        fake.add_item("SKU-2", 0, 50, name="Кружка")
        yield fake


def _api(bas, **kw):
    params = dict(login="odoo", password="secret", warehouse="Основний", base_url=bas.url + PATH, timeout=2)
    params.update(kw)
    return BasSoapApi(**params)


def test_bas_ping_and_stock(bas):
    calls = []
    api = _api(bas, on_call=lambda *a: calls.append(a))
    assert api.test_connection() == "ТОВ Склад"
    offers = api.list_offers()
    assert [(o.sku, o.quantity, o.price, o.barcode) for o in offers] == [
        ("SKU-1", 7.0, 199.5, "4820000000011"), ("SKU-2", 0.0, 50.0, "")]
    body = bas.requests_to(PATH, method="POST")[-1].body.decode()
    assert "GetStock" in body and "Основний" in body
    assert [c[0] for c in calls] == ["Ping", "GetStock"]


def test_bas_errors(bas):
    with pytest.raises(MarketplaceError) as err:
        _api(bas, password="wrong").test_connection()
    assert err.value.code == "auth"
    with pytest.raises(MarketplaceError) as err:
        _api(bas, warehouse="Немає").list_offers()
    assert err.value.code == "soap_fault" and "Склад не знайдено" in err.value.message
    api = _api(bas)
    api.test_connection()  # WSDL loaded
    bas.fail_next(Fault.server_error(502), method="POST")
    with pytest.raises(MarketplaceError) as err:
        api.list_offers()
    assert err.value.retryable
    bas.fail_next(Fault.timeout(3), method="POST")
    with pytest.raises(MarketplaceError) as err:
        api.list_offers()
    assert err.value.code == "timeout" and err.value.retryable
    with pytest.raises(MarketplaceError):
        api.push_stock([])


def test_bas_fake_refuses_what_soap_1_1_refuses(bas):
    """SOAP 1.1 §6.1 / §6.1.1: POST text/xml with a SOAPAction header; otherwise no answer to the call."""
    import requests

    envelope = ('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
                '<m:Ping xmlns:m="http://omnichannel-retail.ua/bas/stock"/></soap:Body></soap:Envelope>')
    auth = ("odoo", "secret")
    no_action = requests.post(bas.url + PATH, data=envelope.encode(), auth=auth, timeout=5,
                              headers={"Content-Type": "text/xml; charset=utf-8"})
    assert no_action.status_code == 500 and "SOAPAction" in no_action.text and "soap:Client" in no_action.text
    soap12 = requests.post(bas.url + PATH, data=envelope.encode(), auth=auth, timeout=5,
                           headers={"Content-Type": "application/soap+xml", "SOAPAction": '""'})
    assert soap12.status_code == 415
    ok = requests.post(bas.url + PATH, data=envelope.encode(), auth=auth, timeout=5,
                       headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'})
    assert ok.status_code == 200 and "PingResponse" in ok.text
