import pytest

from marketplace_connector.tools.rozetka_api import RozetkaApi
from tests.fakes.rozetka import RozetkaFake


@pytest.fixture
def rozetka():
    RozetkaApi._tokens.clear()
    with RozetkaFake() as fake:
        for oid in (1, 2, 3):
            fake.add_order(oid, [{"item_id": 501, "quantity": 1, "price": 100}], status=1)
        yield fake


# a seller's cancellation (no reason, "another", a duplicate...) is never reported as the buyer's (45)
@pytest.mark.parametrize(("reason", "status"), [("not_available", 42), ("buyers_request", 45),
                                                ("invalid_phone_number", 28), (None, 42), ("another", 42),
                                                ("price_changed", 29)])
def test_rozetka_cancel_status_says_why(rozetka, reason, status):
    api = RozetkaApi("seller", "pa$$", base_url=rozetka.url)
    assert api.set_order_status("1", "cancelled", reason=reason) == str(status)
    put = rozetka.requests_to("/orders/1", "PUT")[-1]
    assert put.json["status"] == status
