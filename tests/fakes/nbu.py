"""Protocol fake of the NBU exchange-rate service (JSON array, HTTP 200 even for bad input)."""

from tests.fakes.base import FakeServer, Response

PATH = "/NBUStatService/v1/statdirectory/exchange"


class NbuFake(FakeServer):
    def __init__(self, **kwargs):
        self.rates = {"USD": (840, "Долар США", 41.9875), "EUR": (978, "Євро", 48.5123)}
        self.date = "21.11.2026"
        super().__init__(**kwargs)

    def setup_routes(self):
        self.route("GET", PATH, self.exchange)

    def exchange(self, request, _m):
        if "date" in request.query and not str(request.query["date"]).isdigit():
            return Response(200, b"[\n{ \nWrong date format\n }\n]", {"Content-Type": "application/json"})
        code = request.query.get("valcode")
        return Response.json([
            {"r030": r030, "txt": txt, "rate": rate, "cc": cc, "exchangedate": self.date}
            for cc, (r030, txt, rate) in self.rates.items() if not code or code == cc
        ])
