"""Protocol fake of the NBU exchange-rate service (JSON array, HTTP 200 even for bad input).

Source: NBU's official developer page "API для розробників" (https://bank.gov.ua/ua/open-data/api-dev),
method ``statdirectory/exchange``: XML is the default answer, ``?json`` asks for JSON; ``valcode`` filters by
ISO letter code; ``date=YYYYMMDD`` picks the day. Further sources for the literal shapes: NBU open-data API
bank.gov.ua/NBUStatService/v1/statdirectory/exchange (``?json``, ``valcode``,
``date=YYYYMMDD``) as documented in shared/docs/contracts/nbu.md from public clients' literal payloads
(``[{"r030":840,"txt":"Долар США","rate":..,"cc":"USD","exchangedate":"dd.mm.yyyy"}]``), and the NBU press
release on rates per 1 unit since 10.12.2019 (lenta.ua "Нацбанк змінить графік оновлення валютних курсів").
A bad ``date`` is answered HTTP 200 with the invalid body ``[ { Wrong date format } ]``.
"""

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
        # Source: api-dev page above, statdirectory/exchange - without ``json`` the service answers XML
        # (<exchange><currency>...), so a client that forgets the format parameter cannot parse JSON here either
        if "json" not in request.query_names:
            rows = "".join(
                f"<currency><r030>{r030}</r030><txt>{txt}</txt><rate>{rate}</rate><cc>{cc}</cc>"
                f"<exchangedate>{self.date}</exchangedate></currency>"
                for cc, (r030, txt, rate) in self.rates.items())
            return Response(200, f'<?xml version="1.0" encoding="utf-8"?><exchange>{rows}</exchange>'.encode(),
                            {"Content-Type": "text/xml; charset=utf-8"})
        # Source: same method - a date not in YYYYMMDD form is not an HTTP error but an unparsable body
        date = request.query.get("date")
        if date is not None and not (str(date).isdigit() and len(str(date)) == 8):
            return Response(200, b"[\n{ \nWrong date format\n }\n]", {"Content-Type": "application/json"})
        code = request.query.get("valcode")
        return Response.json([
            {"r030": r030, "txt": txt, "rate": rate, "cc": cc, "exchangedate": self.date}
            for cc, (r030, txt, rate) in self.rates.items() if not code or code == cc
        ])
