"""NBU official exchange rates (no auth)."""

from datetime import datetime

import requests

from ..const import NBU_URL


def fetch_rates(codes, url=NBU_URL, timeout=15, session=None):
    """Return {code: (rate UAH per 1 unit, date)} for the ISO codes NBU publishes today.

    Unparsable bodies, `[]` and items without a rate mean "no data" (NBU answers HTTP 200 to bad input).
    """
    session = session or requests.Session()
    response = session.get(url, params={"json": ""}, timeout=timeout)
    response.raise_for_status()
    try:
        items = response.json()
    except ValueError:
        return {}
    rates = {}
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or item.get("cc") not in codes or not item.get("rate"):
            continue
        try:
            date = datetime.strptime(item.get("exchangedate", ""), "%d.%m.%Y").date()
        except ValueError:
            continue
        rates[item["cc"]] = (float(item["rate"]), date)
    return rates
