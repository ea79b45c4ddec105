"""Plain-Python client of the Checkbox PRRO REST API (no ORM).

Protocol facts: docs/contracts/checkbox.md (official OpenAPI v0.1.79, wiki.checkbox.ua/uk/api-specification).

* every call carries ``X-Client-Name`` / ``X-Client-Version`` (the wiki says mandatory);
* register-bound calls carry ``X-License-Key``; everything after sign-in a bearer token;
* sign-in by login/password (``POST /cashier/signin``) or by PIN (``POST /cashier/signinPinCode``);
* a 401/403 on an authenticated call signs in again once and repeats the call (the token is then
  handed to ``on_token`` so the caller can cache it);
* money is integer kopecks, quantities integer thousandths: :func:`to_kopecks`, :func:`to_quantity`;
* errors are raised as :class:`CheckboxError` (400 ``message``, 422 ``detail[].loc``, timeouts, 5xx).
"""

import logging
import time
from decimal import ROUND_HALF_UP, Decimal

import requests

_logger = logging.getLogger(__name__)


def to_kopecks(amount):
    """Hryvnias (float/str/Decimal) -> integer kopecks, half-up on the decimal value (0.285 -> 29)."""
    return int((Decimal(str(amount)) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def to_quantity(quantity):
    """Units -> integer thousandths (1 -> 1000, 0.5 -> 500, 1.0005 -> 1001)."""
    return int((Decimal(str(quantity)) * 1000).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def from_kopecks(value):
    return float(Decimal(int(value or 0)) / 100)


class CheckboxError(Exception):
    """A failed Checkbox call.

    `status` is the HTTP status (None for a network failure or timeout), `code` Checkbox's error code when
    it sends one, `transient` True when the same call may succeed later (timeout, connection, 5xx, 429):
    for a receipt it means "Checkbox may or may not have stored it".
    """

    def __init__(self, message, status=None, code=None, payload=None, transient=False):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.payload = payload
        self.transient = transient


def error_message(status, payload):
    """Readable text of an error answer: 400 {"message"}, 422 {"detail": [{"loc", "msg"}]}."""
    if not isinstance(payload, dict):
        return f"HTTP {status}"
    message = payload.get("message") or ""
    details = payload.get("detail")
    if isinstance(details, list):
        parts = []
        for item in details:
            if not isinstance(item, dict):
                continue
            loc = [str(p) for p in item.get("loc") or [] if p != "body"]
            parts.append(f"{'.'.join(loc)}: {item.get('msg') or item.get('type') or ''}".strip(": "))
        if parts:
            message = (message + ": " if message else "") + "; ".join(parts)
    elif isinstance(details, str) and not message:
        message = details
    return message or f"HTTP {status}"


class CheckboxApi:
    """One cash register + one cashier.

    :param base_url: ``https://api.checkbox.ua/api/v1`` or the test server / a fake
    :param license_key: the cash register's licence key (``X-License-Key``)
    :param login, password: cashier credentials, or `pin_code` for PIN sign-in
    :param token: a cached bearer token (skips the sign-in)
    :param on_token: callable(token) called after every sign-in
    """

    def __init__(self, base_url, license_key=None, login=None, password=None, pin_code=None, token=None,
                 timeout=60, client_name="Odoo", client_version="18.0", on_token=None, session=None):
        self.base_url = base_url.rstrip("/")
        self.license_key = license_key
        self.login = login
        self.password = password
        self.pin_code = pin_code
        self.token = token
        self.timeout = timeout
        self.client_name = client_name
        self.client_version = client_version
        self.on_token = on_token
        self.session = session or requests.Session()
        self.calls = 0  # HTTP requests made (benchmark / tests)
        self.elapsed = 0.0  # seconds spent waiting for Checkbox
        self.slept = 0.0  # seconds spent between status polls

    # -- transport ---------------------------------------------------------
    def _headers(self, auth, license_key):
        headers = {"X-Client-Name": self.client_name, "X-Client-Version": self.client_version,
                   "Accept": "application/json"}
        if license_key:
            if not self.license_key:
                raise CheckboxError("The cash register has no licence key.")
            headers["X-License-Key"] = self.license_key
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _request(self, method, path, json=None, params=None, auth=True, license_key=False, raw=False,
                 timeout=None, not_found_ok=False, _renewed=False):
        if auth and not self.token:
            self.signin()
        url = self.base_url + path
        started = time.monotonic()
        self.calls += 1
        try:
            response = self.session.request(method, url, json=json, params=params,
                                            headers=self._headers(auth, license_key),
                                            timeout=timeout or self.timeout)
        except requests.Timeout as error:
            raise CheckboxError("Checkbox did not answer in time.", transient=True) from error
        except requests.RequestException as error:
            raise CheckboxError("Checkbox could not be reached.", transient=True) from error
        finally:
            elapsed = time.monotonic() - started
            self.elapsed += elapsed
        _logger.info("Checkbox %s %s -> %s (%.2fs)", method, path, response.status_code, elapsed)
        status = response.status_code
        if auth and status in (401, 403) and not _renewed and (self.login or self.pin_code):
            # the token expired or was revoked: sign in again once and repeat the call
            self.token = None
            self.signin()
            return self._request(method, path, json=json, params=params, auth=auth, license_key=license_key,
                                 raw=raw, timeout=timeout, not_found_ok=not_found_ok, _renewed=True)
        if status == 404 and not_found_ok:
            return None
        if status >= 400:
            payload = self._json(response, strict=False)
            code = payload.get("code") if isinstance(payload, dict) else None
            transient = status >= 500 or status == 429
            message = (f"Checkbox server error (HTTP {status})." if status >= 500
                       else error_message(status, payload))
            raise CheckboxError(message, status=status, code=code, payload=payload, transient=transient)
        if raw:
            return response.content
        return self._json(response)

    @staticmethod
    def _json(response, strict=True):
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as error:
            if not strict:
                return None
            raise CheckboxError("Checkbox answered with malformed JSON.", status=response.status_code,
                                transient=True) from error

    # -- auth --------------------------------------------------------------
    def signin(self):
        """Sign in by login/password or PIN; returns the access token (also stored on the client)."""
        if self.login and self.password:
            data = self._request("POST", "/cashier/signin", json={"login": self.login, "password": self.password},
                                 auth=False, timeout=30)
        elif self.pin_code:
            data = self._request("POST", "/cashier/signinPinCode", json={"pin_code": self.pin_code},
                                 auth=False, license_key=True, timeout=30)
        else:
            raise CheckboxError("No cashier credentials: set a login and password or a PIN code.")
        token = (data or {}).get("access_token")
        if not token:
            raise CheckboxError("Checkbox sign-in returned no access token.", payload=data)
        self.token = token
        if self.on_token:
            self.on_token(token)
        return token

    def signout(self):
        return self._request("POST", "/cashier/signout")

    def cashier_me(self):
        """GET /cashier/me -> cashier profile dict."""
        return self._request("GET", "/cashier/me", timeout=30)

    def cash_register_info(self):
        """GET /cash-registers/info -> {id, fiscal_number, offline_mode, stay_offline, has_shift, ...}."""
        return self._request("GET", "/cash-registers/info", license_key=True, timeout=30)

    def get_taxes(self):
        """GET /tax -> [{id, code, label, symbol, rate, ...}] (the organisation's tax groups)."""
        return self._request("GET", "/tax", license_key=True, timeout=30)

    # -- shifts ------------------------------------------------------------
    def get_cashier_shift(self):
        """GET /cashier/shift -> the cashier's current shift dict, or None."""
        return self._request("GET", "/cashier/shift")

    def open_shift(self, shift_id=None):
        """POST /shifts -> shift dict (202, status CREATED); poll :meth:`get_shift` until OPENED."""
        return self._request("POST", "/shifts", json={"id": shift_id} if shift_id else {}, license_key=True)

    def get_shift(self, shift_id):
        return self._request("GET", f"/shifts/{shift_id}")

    def close_shift(self):
        """POST /shifts/close -> shift dict (202, status CLOSING); poll until CLOSED, Z report in z_report."""
        return self._request("POST", "/shifts/close", json={"skip_client_name_check": False})

    def create_x_report(self):
        """POST /reports -> X report dict."""
        return self._request("POST", "/reports")

    def report_text(self, report_id, width=42):
        return self._request("GET", f"/reports/{report_id}/text", params={"width": width}, raw=True).decode()

    def wait_shift(self, shift_id, statuses, budget=20.0, first_delay=0.05, max_delay=1.0):
        """Poll GET /shifts/{id} until its status is in `statuses` (or budget spent); returns the last shift."""
        deadline = time.monotonic() + budget
        delay = first_delay
        while True:
            shift = self.get_shift(shift_id)
            if shift.get("status") in statuses or time.monotonic() + delay > deadline:
                return shift
            self._sleep(delay)
            delay = min(delay * 2, max_delay)

    def _sleep(self, seconds):
        self.slept += seconds
        time.sleep(seconds)

    # -- receipts ----------------------------------------------------------
    def sell(self, payload):
        """POST /receipts/sell -> receipt dict (201, status CREATED). `payload["id"]` is our UUID."""
        return self._request("POST", "/receipts/sell", json=payload)

    def service(self, payload):
        """POST /receipts/service (positive value = service in, negative = service out)."""
        return self._request("POST", "/receipts/service", json=payload)

    def get_receipt(self, receipt_id):
        """GET /receipts/{id} -> receipt dict, or None when Checkbox does not know that id (404)."""
        return self._request("GET", f"/receipts/{receipt_id}", not_found_ok=True)

    def wait_receipt(self, receipt_id, budget=8.0, first_delay=0.05, max_delay=1.0):
        """Poll GET /receipts/{id} with exponential backoff until DONE/ERROR or the budget is spent."""
        deadline = time.monotonic() + budget
        delay = first_delay
        while True:
            self._sleep(delay)
            receipt = self.get_receipt(receipt_id)
            if receipt is None or receipt.get("status") in ("DONE", "ERROR", "CANCELLED"):
                return receipt
            if time.monotonic() + delay > deadline:
                return receipt
            delay = min(delay * 2, max_delay)

    def receipt_text(self, receipt_id, width=42):
        return self._request("GET", f"/receipts/{receipt_id}/text", params={"width": width}, raw=True).decode()

    def receipt_pdf(self, receipt_id):
        return self._request("GET", f"/receipts/{receipt_id}/pdf", raw=True)

    def email_receipt(self, receipt_id, email):
        """POST /receipts/{id}/email with the list of addresses."""
        return self._request("POST", f"/receipts/{receipt_id}/email", json=[email])
