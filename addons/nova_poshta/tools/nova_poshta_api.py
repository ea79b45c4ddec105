"""Plain-Python client of the Nova Poshta API 2.0 (no ORM).

Every call is a POST of the envelope {apiKey, modelName, calledMethod, methodProperties} to one URL.
Business errors come back with HTTP 200 and ``success: false``: they are raised as
:class:`NovaPoshtaError` like transport errors, carrying the first error code and the raw payload.
"""

import logging
import time

import requests

from ..const import (
    API_URL,
    DEFAULT_TIMEOUT,
    DIRECTORY_PAGE_SIZE,
    DOCUMENT_LIST_MAX_PAGES,
    DOCUMENT_LIST_PAGE_SIZE,
    ERROR_MESSAGES,
    RETRYABLE_ERROR_CODES,
    TRACKING_BATCH_SIZE,
)

_logger = logging.getLogger(__name__)


class NovaPoshtaError(Exception):
    """A failed Nova Poshta call: `code` is NP's errorCode (or 'http_<status>', 'timeout', 'network')."""

    def __init__(self, message, code=None, payload=None, retryable=False):
        super().__init__(message)
        self.message = message
        self.code = code
        self.payload = payload
        self.retryable = retryable

    @property
    def raw(self):
        """The raw response payload (or None for transport errors)."""
        return self.payload


def _messages(value):
    """NP sends errors/warnings as a list of strings, a list of maps or a map: flatten to strings."""
    if not value:
        return []
    if isinstance(value, dict):
        return [str(v) for v in value.values()]
    out = []
    for item in value:
        out.extend(str(v) for v in item.values()) if isinstance(item, dict) else out.append(str(item))
    return out


def normalize_phone(phone):
    """'+38 (067) 123-45-67', '0671234567', '380671234567' -> '380671234567'; None if not a UA mobile."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if len(digits) == 10 and digits.startswith("0"):
        digits = "38" + digits
    elif len(digits) == 9:
        digits = "380" + digits
    if len(digits) == 12 and digits.startswith("380"):
        return digits
    return None


class NovaPoshtaApi:
    def __init__(self, api_key, url=API_URL, timeout=DEFAULT_TIMEOUT, session=None, on_call=None):
        """
        :param api_key: the key from the NP cabinet
        :param url: JSON endpoint (overridable for tests and staging)
        :param timeout: seconds for each HTTP call
        :param on_call: optional callback(model, method, request, response_or_error, seconds) for logging
        """
        self.api_key = api_key
        self.url = url
        self.timeout = timeout
        self.session = session or requests.Session()
        self.on_call = on_call
        self.calls = 0
        self.seconds = 0.0

    # -- transport -------------------------------------------------------------
    def call(self, model, method, properties=None):
        """Call one method; return (data list, warnings list, info). Raises NovaPoshtaError."""
        payload = {"apiKey": self.api_key, "modelName": model, "calledMethod": method,
                   "methodProperties": properties or {}}
        start = time.monotonic()
        result = None
        try:
            try:
                response = self.session.post(self.url, json=payload, timeout=self.timeout)
            except requests.Timeout as error:
                raise NovaPoshtaError("Nova Poshta did not answer in time", "timeout", retryable=True) from error
            except requests.RequestException as error:
                raise NovaPoshtaError(f"Nova Poshta is unreachable: {error}", "network", retryable=True) from error
            if response.status_code != 200:
                raise NovaPoshtaError(f"Nova Poshta answered HTTP {response.status_code}",
                                      f"http_{response.status_code}", retryable=response.status_code >= 500)
            try:
                result = response.json()
            except ValueError as error:
                raise NovaPoshtaError("Nova Poshta sent an unreadable answer", "malformed", retryable=True) from error
            if not isinstance(result, dict) or "success" not in result:
                raise NovaPoshtaError("Nova Poshta sent an unexpected answer", "malformed", result, retryable=True)
            if not result["success"]:
                codes = [str(c) for c in result.get("errorCodes") or []]
                code = codes[0] if codes else None
                errors = _messages(result.get("errors")) or [ERROR_MESSAGES.get(code, "Unknown error")]
                raise NovaPoshtaError("; ".join(errors), code, result, retryable=code in RETRYABLE_ERROR_CODES)
            return result.get("data") or [], _messages(result.get("warnings")), result.get("info")
        except NovaPoshtaError as error:
            result = error
            raise
        finally:
            elapsed = time.monotonic() - start
            self.calls += 1
            self.seconds += elapsed
            _logger.info("Nova Poshta %s.%s: %.3fs", model, method, elapsed)
            if self.on_call:
                redacted = dict(payload, apiKey="***")
                self.on_call(model, method, redacted, result, elapsed)

    # -- directories -----------------------------------------------------------
    def iter_pages(self, model, method, properties=None, page_size=DIRECTORY_PAGE_SIZE):
        """Yield (page number, items, total count) for a paged directory method."""
        page = 1
        while True:
            data, _warnings, info = self.call(model, method, dict(properties or {}, Page=page, Limit=page_size))
            total = int((info or {}).get("totalCount") or 0) if isinstance(info, dict) else 0
            yield page, data, total
            if len(data) < page_size or (total and page * page_size >= total):
                return
            page += 1

    def search_settlements(self, name, limit=20):
        """Address.searchSettlements -> list of address dicts (Present, DeliveryCity, Ref, ...)."""
        data, _w, _i = self.call("Address", "searchSettlements", {"CityName": name, "Limit": limit, "Page": 1})
        return data[0].get("Addresses", []) if data else []

    def search_streets(self, settlement_ref, name, limit=50):
        """Address.searchSettlementStreets (Limit is mandatory) -> list of street dicts
        (SettlementStreetRef, SettlementStreetDescription, Present, StreetsTypeDescription)."""
        data, _w, _i = self.call("Address", "searchSettlementStreets", {
            "SettlementRef": settlement_ref, "StreetName": name, "Limit": limit})
        return data[0].get("Addresses", []) if data else []

    def get_cities(self, page=1, limit=DIRECTORY_PAGE_SIZE, find=None):
        """Address.getCities, one page -> (items, totalCount)."""
        props = {"Page": page, "Limit": limit}
        if find:
            props["FindByString"] = find
        data, _w, info = self.call("Address", "getCities", props)
        return data, int((info or {}).get("totalCount") or 0) if isinstance(info, dict) else 0

    def get_warehouses(self, page=1, limit=DIRECTORY_PAGE_SIZE, city_ref=None):
        """Address.getWarehouses, one page (branches and parcel lockers) -> (items, totalCount)."""
        props = {"Page": page, "Limit": limit}
        if city_ref:
            props["CityRef"] = city_ref
        data, _w, info = self.call("Address", "getWarehouses", props)
        return data, int((info or {}).get("totalCount") or 0) if isinstance(info, dict) else 0

    def get_counterparties(self, prop="Sender"):
        return self.call("Counterparty", "getCounterparties", {"CounterpartyProperty": prop, "Page": 1})[0]

    def get_contact_persons(self, counterparty_ref):
        return self.call("Counterparty", "getCounterpartyContactPersons", {"Ref": counterparty_ref, "Page": 1})[0]

    # -- documents -------------------------------------------------------------
    def get_document_price(self, props):
        """InternetDocument.getDocumentPrice -> dict with Cost, AssessedCost, CostRedelivery."""
        data, _w, _i = self.call("InternetDocument", "getDocumentPrice", props)
        if not data:
            raise NovaPoshtaError("Nova Poshta returned no price", "empty")
        return data[0]

    def get_delivery_date(self, props):
        """InternetDocument.getDocumentDeliveryDate -> 'YYYY-MM-DD' or None."""
        data, _w, _i = self.call("InternetDocument", "getDocumentDeliveryDate", props)
        value = data[0].get("DeliveryDate") if data else None
        if isinstance(value, dict):
            value = value.get("date")
        return value[:10] if value else None

    def save_recipient(self, first_name, last_name, phone, middle_name="", email=""):
        """Counterparty.save for a private-person recipient -> (counterparty ref, contact ref)."""
        data, _w, _i = self.call("Counterparty", "save", {
            "CounterpartyType": "PrivatePerson", "CounterpartyProperty": "Recipient",
            "FirstName": first_name, "LastName": last_name, "MiddleName": middle_name,
            "Phone": phone, "Email": email,
        })
        person = data[0]
        contacts = (person.get("ContactPerson") or {}).get("data") or []
        if not contacts:
            raise NovaPoshtaError("Nova Poshta did not return the recipient's contact person", "empty", data)
        return person["Ref"], contacts[0]["Ref"]

    def save_address(self, counterparty_ref, street_ref, building, flat="", note=""):
        """Address.save: a recipient's door address from a street of the directory -> address Ref."""
        data, _w, _i = self.call("Address", "save", {
            "CounterpartyRef": counterparty_ref, "StreetRef": street_ref, "BuildingNumber": building,
            "Flat": flat, "Note": note})
        if not data or not data[0].get("Ref"):
            raise NovaPoshtaError("Nova Poshta did not return the address", "empty", data)
        return data[0]["Ref"]

    def save_organisation(self, name, edrpou, ownership_form_ref="", city_ref=""):
        """Counterparty.save for a company recipient (CounterpartyType Organization) -> counterparty ref.

        The person who collects the parcel is added with :meth:`save_contact_person`.
        """
        props = {"CounterpartyType": "Organization", "CounterpartyProperty": "Recipient",
                 "EDRPOU": edrpou, "Description": name}
        if ownership_form_ref:
            props["OwnershipForm"] = ownership_form_ref
        if city_ref:
            props["CityRef"] = city_ref
        data, _w, _i = self.call("Counterparty", "save", props)
        if not data or not data[0].get("Ref"):
            raise NovaPoshtaError("Nova Poshta did not return the organisation", "empty", data)
        return data[0]["Ref"]

    def save_contact_person(self, counterparty_ref, first_name, last_name, phone, middle_name="", email=""):
        """ContactPerson.save for a counterparty -> contact person Ref."""
        data, _w, _i = self.call("ContactPerson", "save", {
            "CounterpartyRef": counterparty_ref, "FirstName": first_name, "LastName": last_name,
            "MiddleName": middle_name, "Phone": phone, "Email": email})
        if not data:
            raise NovaPoshtaError("Nova Poshta did not return the contact person", "empty", data)
        return data[0]["Ref"]

    def save_document(self, props):
        """InternetDocument.save -> dict with Ref, IntDocNumber, CostOnSite, EstimatedDeliveryDate."""
        data, _w, _i = self.call("InternetDocument", "save", props)
        if not data or not data[0].get("IntDocNumber"):
            raise NovaPoshtaError("Nova Poshta did not return a waybill number", "empty", data)
        return data[0]

    def update_document(self, props):
        """InternetDocument.update (same fields as save plus Ref) -> dict like save's."""
        data, _w, _i = self.call("InternetDocument", "update", props)
        if not data or not data[0].get("Ref"):
            raise NovaPoshtaError("Nova Poshta did not confirm the change", "empty", data)
        return data[0]

    def delete_document(self, ref):
        return self.call("InternetDocument", "delete", {"DocumentRefs": ref})[0]

    def list_documents(self, date_from, date_to, page=1):
        """InternetDocument.getDocumentList, one page (GetFullList=0: pages of 100) -> list of documents.

        GetFullList=1 is not used: it returns one list of at most 500 documents, whatever the page.
        """
        data, _w, _i = self.call("InternetDocument", "getDocumentList", {
            "DateTimeFrom": date_from, "DateTimeTo": date_to, "GetFullList": "0", "Page": page})
        return data

    def find_document(self, date_from, date_to, match, max_pages=DOCUMENT_LIST_MAX_PAGES):
        """The first document of the period for which `match(document)` is true, or None.

        Reads at most `max_pages` pages of 100 (a bounded number of calls even when the cabinet holds
        thousands of documents) and stops at the first short page.
        """
        for page in range(1, max_pages + 1):
            data = self.list_documents(date_from, date_to, page)
            for document in data:
                if match(document):
                    return document
            if len(data) < DOCUMENT_LIST_PAGE_SIZE:
                return None
        return None

    def tracking(self, documents):
        """TrackingDocument.getStatusDocuments for [(number, phone)], in batches of 100 -> list of dicts."""
        out = []
        for start in range(0, len(documents), TRACKING_BATCH_SIZE):
            batch = documents[start:start + TRACKING_BATCH_SIZE]
            data, _w, _i = self.call("TrackingDocument", "getStatusDocuments", {
                "Documents": [{"DocumentNumber": n, "Phone": normalize_phone(p) or ""} for n, p in batch]})
            out.extend(data)
        return out

    def print_pdf(self, kind, document_refs, print_url, zebra=False):
        """GET a printed form ('printDocument' A4, 'printMarking100x100', 'printMarking85x85') -> PDF bytes.

        The print service takes the key in the URL: the URL is never logged, and no error raised here
        carries it (nor chains the transport exception that does), so it cannot reach a user's traceback.
        """
        suffix = "/zebra" if zebra else ""
        url = (f"{print_url.rstrip('/')}/orders/{kind}/orders[]/{','.join(document_refs)}/type/pdf"
               f"{suffix}/apiKey/{self.api_key}")
        start = time.monotonic()
        error = None
        try:
            response = self.session.get(url, timeout=self.timeout)
        except requests.Timeout:
            error = NovaPoshtaError("Nova Poshta did not answer in time", "timeout", retryable=True)
        except requests.RequestException:
            error = NovaPoshtaError("Nova Poshta's print service is unreachable", "network", retryable=True)
        finally:
            elapsed = time.monotonic() - start
            self.calls += 1
            self.seconds += elapsed
            _logger.info("Nova Poshta print %s: %.3fs", kind, elapsed)
        if error:
            raise error  # outside the except block: the transport error (with the URL) is not chained
        if response.status_code >= 500 or response.status_code == 429:  # the print service is down or busy
            raise NovaPoshtaError(f"Nova Poshta's print service answered HTTP {response.status_code}",
                                  f"http_{response.status_code}", retryable=True)
        if response.status_code != 200 or not response.content.startswith(b"%PDF"):
            raise NovaPoshtaError("Nova Poshta could not print the documents (check the API key)", "print")
        return response.content

    def insert_scan_sheet(self, document_refs, date=None):
        """ScanSheet.insertDocuments -> {"Ref", "Number", "accepted": [doc refs], "rejected": {doc ref: reason}}.

        Nova Poshta answers success=true even when some documents are refused: they are listed with the
        reason in data[0].Data.Errors ([{Ref, Error}]); the accepted ones in data[0].Success ([{Ref, Number}]).
        """
        props = {"DocumentRefs": list(document_refs)}
        if date:
            props["Date"] = date
        data, _w, _i = self.call("ScanSheet", "insertDocuments", props)
        sheet = data[0] if data else {}
        nested = sheet.get("Data") or {}
        rejected = {}
        for item in (nested.get("Errors") if isinstance(nested, dict) else None) or []:
            if isinstance(item, dict) and item.get("Ref"):
                rejected[item["Ref"]] = str(item.get("Error") or "")
        accepted = [item.get("Ref") for item in sheet.get("Success") or [] if isinstance(item, dict)]
        if not sheet.get("Success") and not rejected:
            accepted = [ref for ref in document_refs] if sheet.get("Ref") else []
        general = _messages(sheet.get("Errors"))
        if general and not accepted:
            raise NovaPoshtaError("; ".join(general), "scan_sheet", data)
        return {"Ref": sheet.get("Ref"), "Number": sheet.get("Number"),
                "accepted": [ref for ref in accepted if ref not in rejected], "rejected": rejected}
