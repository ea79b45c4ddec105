import pytest
import requests

from tests.fakes.base import FakeServer, Fault, Response


class EchoFake(FakeServer):
    def setup_routes(self):
        self.route("POST", r"/echo/(\w+)", lambda req, m: Response.json({"name": m.group(1), "got": req.json}))


@pytest.fixture
def fake():
    with EchoFake() as server:
        yield server


def test_routes_and_recording(fake):
    reply = requests.post(f"{fake.url}/echo/abc?x=1", json={"a": 1}, headers={"X-Key": "k"}, timeout=5)
    assert reply.status_code == 200
    assert reply.json() == {"name": "abc", "got": {"a": 1}}
    [recorded] = fake.requests
    assert recorded.query == {"x": "1"}
    assert recorded.header("x-key") == "k"
    assert requests.get(f"{fake.url}/nope", timeout=5).status_code == 404


def test_faults(fake):
    fake.fail_next(Fault.server_error(502), times=2)
    fake.fail_next(Fault.too_many_requests(7))
    fake.fail_next(Fault.malformed_json())
    assert requests.post(f"{fake.url}/echo/a", timeout=5).status_code == 502
    assert requests.post(f"{fake.url}/echo/a", timeout=5).status_code == 502
    reply = requests.post(f"{fake.url}/echo/a", timeout=5)
    assert (reply.status_code, reply.headers["Retry-After"]) == (429, "7")
    with pytest.raises(ValueError):
        requests.post(f"{fake.url}/echo/a", timeout=5).json()
    assert requests.post(f"{fake.url}/echo/a", json=1, timeout=5).json()["got"] == 1


def test_timeout_and_drop(fake):
    fake.fail_next(Fault.timeout(1.0))
    with pytest.raises(requests.Timeout):
        requests.post(f"{fake.url}/echo/a", timeout=0.2)
    fake.fail_next(Fault.connection_drop())
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{fake.url}/echo/a", timeout=5)
    assert len(fake.requests_to(r"/echo/a", "POST")) == 2
