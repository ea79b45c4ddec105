"""Protocol fake of the Checkbox PRRO REST API (``/api/v1``).

Sources (see docs/contracts/checkbox.md for the quoted facts):
* official OpenAPI v0.1.79 (api.checkbox.ua/api/openapi.json snapshot in lexesv/checkbox-ua-api-sdk-autogen):
  paths, required headers (``X-License-Key`` required on POST /shifts, GET /tax, GET /cash-registers/info,
  POST /cashier/signinPinCode), status codes (sign-in 200/403, POST /shifts 202, POST /receipts/sell 201,
  errors ``HTTPError {message}`` and 422 ``HTTPValidationError {detail: [{loc, msg, type}]}``),
  schemas ``GoodDetailsPayload`` (code 1..256, name, price int), ``ReceiptSellPayload``;
* wiki.checkbox.ua/uk/api-specification: X-Client-Name / X-Client-Version must be sent, shift and receipt
  creation are asynchronous (poll until OPENED / DONE), a shift lasts at most 24 h;
* checkbox-sdk 1.6.0 docs: a reused receipt id is refused with 400 ``{"code": "receipt.already_exists"}``;
* PHP SDK BadRequestExceptionFactory: 400 "Зміну не відкрито", "Касир вже працює з даною касою",
  "Каса зайнята іншим касиром".

State in memory: cashiers, cash registers (licence keys), tokens, shifts, receipts, tax groups.
Shifts and receipts are created in status CREATED and become OPENED / DONE (or ERROR) asynchronously,
``process_delay`` seconds later. ``drop_after_store(n)`` makes the next n sells store the receipt and then
close the connection without answering (the client sees a timeout/connection error).
"""

import datetime
import random
import threading
import time
import uuid

from tests.fakes.base import FakeServer, Response

PREFIX = "/api/v1"
UUID_RE = r"[0-9a-fA-F-]{36}"


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _iso(moment):
    return moment.isoformat()


def _error(status, message, code=None):
    payload = {"message": message}
    if code:
        payload["code"] = code
    return Response.json(payload, status=status)


def _validation(loc, msg, type_="value_error"):
    return Response.json({"message": "Validation error",
                          "detail": [{"loc": ["body", *loc], "msg": msg, "type": type_}]}, status=422)


class CheckboxFake(FakeServer):
    def __init__(self, process_delay=0.0, **kwargs):
        self.process_delay = process_delay
        self.cashiers = {}  # login -> {id, password, pin, full_name}
        self.registers = {}  # license key -> {id, fiscal_number, offline_mode, cashier_id of open shift}
        self.tokens = {}  # token -> cashier login
        self.shifts = {}  # id -> shift dict (+ "_ready_at", "_cashier", "_license")
        self.receipts = {}  # id -> receipt dict (+ "_ready_at", "_outcome")
        self.reports = {}
        self.taxes = [
            {"id": str(uuid.uuid4()), "code": 1, "label": "ПДВ", "symbol": "А", "rate": 20.0, "extra_rate": None,
             "included": True, "no_vat": False, "advanced_code": None},
            {"id": str(uuid.uuid4()), "code": 2, "label": "ПДВ", "symbol": "Б", "rate": 7.0, "extra_rate": None,
             "included": True, "no_vat": False, "advanced_code": None},
            {"id": str(uuid.uuid4()), "code": 8, "label": "Без ПДВ", "symbol": "З", "rate": 0.0, "extra_rate": None,
             "included": True, "no_vat": True, "advanced_code": None},
        ]
        self.fail_receipts_with = None  # message: receipts end in ERROR with it (tax service refusal)
        self._drop_after_store = 0
        self._late_after_store = []  # seconds to wait before answering the next sells (client times out)
        self._drop_ratio = 0.0
        self._rng = random.Random(42)
        self._serials = {}
        self._state_lock = threading.Lock()
        self.time_in_handlers = 0.0
        self.dropped = 0  # sell answers dropped after storing the receipt
        super().__init__(**kwargs)

    # -- test helpers ---------------------------------------------------------
    def add_cashier(self, login, password, pin=None, full_name="Касир Тестовий"):
        self.cashiers[login] = {"id": str(uuid.uuid4()), "password": password, "pin": pin, "full_name": full_name,
                                "login": login}

    def add_register(self, license_key, fiscal_number="4000000001", offline_mode=False):
        self.registers[license_key] = {"id": str(uuid.uuid4()), "fiscal_number": fiscal_number,
                                       "offline_mode": offline_mode, "number": "1", "active": True}

    def reset_state(self):
        """Forget shifts, receipts, reports and scripted faults (keeps cashiers, registers and tokens)."""
        with self._state_lock:
            self.shifts.clear()
            self.receipts.clear()
            self.reports.clear()
            self._drop_after_store = 0
            self._late_after_store = []
            self._drop_ratio = 0.0
            self.fail_receipts_with = None
        self.reset()

    def expire_tokens(self):
        """Every issued token becomes invalid (the cashier's session expired)."""
        self.tokens.clear()

    def drop_after_store(self, times=1):
        """The next `times` sells are stored, then the connection is closed without an answer."""
        self._drop_after_store += times

    def late_after_store(self, seconds, times=1):
        """The next `times` sells are stored at once but answered only after `seconds`."""
        self._late_after_store.extend([seconds] * times)

    def drop_ratio(self, ratio):
        """Randomly (seeded) drop this share of sell answers after storing the receipt."""
        self._drop_ratio = ratio

    def open_shift_as(self, license_key, login):
        """Open a shift directly (another cashier working on the register)."""
        return self._create_shift(license_key, login, None, ready=True)

    def sells(self):
        return [r for r in self.receipts.values() if r["type"] == "SELL"]

    def returns(self):
        return [r for r in self.receipts.values() if r["type"] == "RETURN"]

    # -- routes -----------------------------------------------------------------
    def setup_routes(self):
        r = self.route
        r("POST", PREFIX + "/cashier/signin", self.signin)
        r("POST", PREFIX + "/cashier/signinPinCode", self.signin_pin)
        r("POST", PREFIX + "/cashier/signout", self.signout)
        r("GET", PREFIX + "/cashier/me", self.me)
        r("GET", PREFIX + "/cashier/shift", self.cashier_shift)
        r("GET", PREFIX + "/cash-registers/info", self.register_info)
        r("GET", PREFIX + "/tax", self.tax)
        r("POST", PREFIX + "/shifts", self.open_shift)
        r("POST", PREFIX + "/shifts/close", self.close_shift)
        r("GET", PREFIX + f"/shifts/({UUID_RE})", self.get_shift)
        r("POST", PREFIX + "/receipts/sell", self.sell)
        r("POST", PREFIX + "/receipts/service", self.service)
        r("GET", PREFIX + f"/receipts/({UUID_RE})", self.get_receipt)
        r("GET", PREFIX + f"/receipts/({UUID_RE})/text", self.receipt_text)
        r("GET", PREFIX + f"/receipts/({UUID_RE})/pdf", self.receipt_pdf)
        r("POST", PREFIX + f"/receipts/({UUID_RE})/email", self.receipt_email)
        r("POST", PREFIX + "/reports", self.x_report)
        r("GET", PREFIX + f"/reports/({UUID_RE})/text", self.report_text)

    def dispatch(self, request):
        started = time.monotonic()
        # Source: wiki.checkbox.ua/uk/api-specification - X-Client-Name / X-Client-Version are mandatory
        if request.path.startswith(PREFIX) and not (request.header("X-Client-Name")
                                                    and request.header("X-Client-Version")):
            return _error(400, "X-Client-Name and X-Client-Version headers are required")
        with self._state_lock:
            response = super().dispatch(request)
        self.time_in_handlers += time.monotonic() - started
        return response

    # -- auth -------------------------------------------------------------------
    def _issue(self, login):
        token = uuid.uuid4().hex
        self.tokens[token] = login
        return Response.json({"type": "bearer", "token_type": "bearer", "access_token": token})

    def signin(self, request, match):
        # Source: OpenAPI POST /api/v1/cashier/signin - CashierSignIn{login, password} -> 200 / 403 HTTPError
        body = request.json or {}
        for field in ("login", "password"):
            if not isinstance(body.get(field), str) or not body[field]:
                return _validation([field], "field required", "value_error.missing")
        cashier = self.cashiers.get(body["login"])
        if not cashier or cashier["password"] != body["password"]:
            return _error(403, "Invalid credentials")
        return self._issue(body["login"])

    def signin_pin(self, request, match):
        # Source: OpenAPI POST /api/v1/cashier/signinPinCode - X-License-Key required, {pin_code}
        if request.header("X-License-Key") not in self.registers:
            return _error(403, "Invalid license key")
        pin = (request.json or {}).get("pin_code")
        for login, cashier in self.cashiers.items():
            if pin and cashier["pin"] == pin:
                return self._issue(login)
        return _error(403, "Invalid credentials")

    def _cashier(self, request):
        auth = request.header("Authorization") or ""
        if not auth.startswith("Bearer "):
            return None, _error(403, "Not authenticated")
        login = self.tokens.get(auth[7:])
        if not login:
            return None, _error(401, "Invalid token")
        return self.cashiers[login], None

    def signout(self, request, match):
        cashier, error = self._cashier(request)
        if error:
            return error
        self.tokens.pop(request.header("Authorization")[7:], None)
        return Response.json({}, status=205)

    def me(self, request, match):
        cashier, error = self._cashier(request)
        if error:
            return error
        return Response.json({"id": cashier["id"], "full_name": cashier["full_name"], "blocked": None,
                              "permissions": {"orders": True}, "organization": {"title": "ФОП Тест"}})

    def _register(self, request):
        key = request.header("X-License-Key")
        if not key:
            return None, _validation([], "X-License-Key header required")  # loc is ["header", ...] in reality
        if key not in self.registers:
            return None, _error(403, "Invalid license key")
        return key, None

    def register_info(self, request, match):
        key, error = self._register(request)
        if error:
            return error
        register = self.registers[key]
        has_shift = any(s["_license"] == key and s["status"] in ("CREATED", "OPENING", "OPENED")
                        for s in self.shifts.values())
        return Response.json(dict(register, has_shift=has_shift, stay_offline=False))

    def tax(self, request, match):
        # Source: OpenAPI GET /api/v1/tax (X-License-Key required) -> [TaxModel]
        key, error = self._register(request)
        if error:
            return error
        return Response.json(self.taxes)

    # -- shifts -----------------------------------------------------------------
    def _advance(self, obj):
        if obj.get("_ready_at") is not None and time.monotonic() >= obj["_ready_at"]:
            obj["_ready_at"] = None
            if obj["status"] == "CREATED":
                obj["status"] = "OPENED"
                obj["opened_at"] = _iso(_now())
            elif obj["status"] == "CLOSING":
                obj["status"] = "CLOSED"
                obj["closed_at"] = _iso(_now())
        return obj

    @staticmethod
    def _strip(obj):
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def _public(self, obj):
        return {k: v for k, v in self._advance(obj).items() if not k.startswith("_")}

    def _open_shift_of(self, login):
        for shift in self.shifts.values():
            self._advance(shift)
            if shift["_cashier"] == login and shift["status"] in ("CREATED", "OPENING", "OPENED", "CLOSING"):
                return shift
        return None

    def _create_shift(self, key, login, shift_id, ready=False):
        register = self.registers[key]
        self._serials[key] = self._serials.get(key, 0) + 1
        shift = {
            "id": shift_id or str(uuid.uuid4()), "serial": self._serials[key], "status": "CREATED",
            "z_report": None, "opened_at": None, "closed_at": None, "created_at": _iso(_now()),
            "balance": {"initial": 0, "balance": 0, "cash_sales": 0, "card_sales": 0, "cash_returns": 0,
                        "card_returns": 0, "service_in": 0, "service_out": 0, "discounts_sum": 0,
                        "extra_charge_sum": 0},
            "cash_register": {"id": register["id"], "fiscal_number": register["fiscal_number"], "active": True,
                              "number": register["number"]},
            "cashier": {"id": self.cashiers[login]["id"], "full_name": self.cashiers[login]["full_name"]},
            "_cashier": login, "_license": key, "_ready_at": time.monotonic() + self.process_delay,
            "_receipts": 0, "_returns": 0,
        }
        if ready:
            shift["_ready_at"] = time.monotonic()
        self.shifts[shift["id"]] = shift
        return shift

    def open_shift(self, request, match):
        # Source: OpenAPI POST /api/v1/shifts (X-License-Key required) -> 202 ShiftWithCashierAndCashRegister;
        # PHP SDK BadRequestExceptionFactory for the two "busy" messages
        cashier, error = self._cashier(request)
        if error:
            return error
        key, error = self._register(request)
        if error:
            return error
        if self._open_shift_of(cashier["login"]):
            return _error(400, "Касир вже працює з даною касою")
        for shift in self.shifts.values():
            self._advance(shift)
            if shift["_license"] == key and shift["status"] in ("CREATED", "OPENING", "OPENED", "CLOSING"):
                return _error(400, "Каса зайнята іншим касиром")
        body = request.json or {}
        shift_id = body.get("id")
        if shift_id and shift_id in self.shifts:
            return _error(400, "Shift with this id already exists")
        shift = self._create_shift(key, cashier["login"], shift_id)
        return Response.json(self._strip(shift), status=202)

    def cashier_shift(self, request, match):
        cashier, error = self._cashier(request)
        if error:
            return error
        shift = self._open_shift_of(cashier["login"])
        return Response.json(self._public(shift) if shift else None)

    def get_shift(self, request, match):
        cashier, error = self._cashier(request)
        if error:
            return error
        shift = self.shifts.get(match.group(1))
        if not shift:
            return _error(404, "Shift not found")
        return Response.json(self._public(shift))

    def close_shift(self, request, match):
        # Source: OpenAPI POST /api/v1/shifts/close -> 202 shift CLOSING, Z report in z_report
        cashier, error = self._cashier(request)
        if error:
            return error
        shift = self._open_shift_of(cashier["login"])
        if not shift or shift["status"] != "OPENED":
            return _error(400, "Зміну не відкрито")
        shift["status"] = "CLOSING"
        shift["_ready_at"] = time.monotonic() + self.process_delay
        shift["z_report"] = dict(self._report(shift, z=True))
        return Response.json(self._strip(shift), status=202)

    def _report(self, shift, z):
        report = {"id": str(uuid.uuid4()), "serial": shift["serial"], "is_z_report": z,
                  "sell_receipts_count": shift["_receipts"], "return_receipts_count": shift["_returns"],
                  "balance": shift["balance"]["balance"], "initial": shift["balance"]["initial"],
                  "payments": [], "taxes": [], "created_at": _iso(_now())}
        self.reports[report["id"]] = report
        return report

    def x_report(self, request, match):
        cashier, error = self._cashier(request)
        if error:
            return error
        shift = self._open_shift_of(cashier["login"])
        if not shift or shift["status"] != "OPENED":
            return _error(400, "Зміну не відкрито")
        return Response.json(self._report(shift, z=False), status=201)

    def report_text(self, request, match):
        cashier, error = self._cashier(request)
        if error:
            return error
        report = self.reports.get(match.group(1))
        if not report:
            return _error(404, "Звіт не знайдено")
        kind = "Z-ЗВІТ" if report["is_z_report"] else "X-ЗВІТ"
        return Response.text(f"{kind}\nЧеків продажу: {report['sell_receipts_count']}\n"
                             f"Готівка в касі: {report['balance'] / 100:.2f}")

    # -- receipts ---------------------------------------------------------------
    def _check_goods(self, goods):
        if not isinstance(goods, list) or not goods:
            return _validation(["goods"], "ensure this value has at least 1 items")
        tax_codes = {t["code"] for t in self.taxes} | {t["symbol"] for t in self.taxes}
        for i, item in enumerate(goods):
            good = item.get("good") or {}
            code = good.get("code")
            if not isinstance(code, str) or not 1 <= len(code) <= 256:
                return _validation(["goods", i, "good", "code"], "ensure this value has 1..256 characters")
            if not isinstance(good.get("name"), str) or not good["name"]:
                return _validation(["goods", i, "good", "name"], "field required", "value_error.missing")
            if not isinstance(good.get("price"), int) or isinstance(good.get("price"), bool):
                return _validation(["goods", i, "good", "price"], "value is not a valid integer",
                                   "type_error.integer")
            if not isinstance(item.get("quantity"), int) or item["quantity"] <= 0:
                return _validation(["goods", i, "quantity"], "value is not a valid integer", "type_error.integer")
            taxes = good.get("tax") or []
            if len(taxes) > 2:
                return _validation(["goods", i, "good", "tax"], "ensure this value has at most 2 items")
            for tax in taxes:
                if tax not in tax_codes:
                    return _error(400, f"Податкову ставку {tax} не знайдено")
        return None

    @staticmethod
    def _line_sum(item):
        gross = round(item["good"]["price"] * item["quantity"] / 1000)
        for discount in item.get("discounts") or []:
            value = round(discount["value"] if discount["mode"] == "VALUE" else gross * discount["value"] / 100)
            gross += -value if discount["type"] == "DISCOUNT" else value
        return gross

    def sell(self, request, match):
        # Source: OpenAPI POST /api/v1/receipts/sell (ReceiptSellPayload) -> 201 ReceiptModel (status CREATED)
        cashier, error = self._cashier(request)
        if error:
            return error
        body = request.json
        if not isinstance(body, dict):
            return _validation([], "value is not a valid dict", "type_error.dict")
        error = self._check_goods(body.get("goods"))
        if error:
            return error
        receipt_id = body.get("id") or str(uuid.uuid4())
        if receipt_id in self.receipts:
            # Source: checkbox-sdk 1.6.0 docs - a reused id is refused, whatever state the first one is in
            return _error(400, "Чек з таким ідентифікатором вже існує", code="receipt.already_exists")
        shift = self._open_shift_of(cashier["login"])
        if not shift or shift["status"] != "OPENED":
            return _error(400, "Зміну не відкрито")
        returns = {bool(item.get("is_return")) for item in body["goods"]}
        if len(returns) > 1:
            return _error(400, "Чек не може містити одночасно продаж і повернення")
        is_return = returns == {True}
        related = body.get("related_receipt_id")
        if related and related not in self.receipts:
            return _error(400, "Пов'язаний чек не знайдено")
        total = sum(self._line_sum(item) for item in body["goods"])
        for discount in body.get("discounts") or []:
            value = round(discount["value"] if discount["mode"] == "VALUE" else total * discount["value"] / 100)
            total += -value if discount["type"] == "DISCOUNT" else value
        payments = body.get("payments") or []
        error = self._check_payments(payments, total)
        if error:
            return error
        paid = sum(p["value"] for p in payments)
        round_sum = 0
        if body.get("rounding"):
            round_sum = total - round(total / 10) * 10
        receipt = self._store_receipt(receipt_id, "RETURN" if is_return else "SELL", shift, body, total,
                                      paid, round_sum)
        return self._answer_stored(receipt)

    def _check_payments(self, payments, total):
        for i, payment in enumerate(payments):
            if payment.get("type") not in ("CASH", "CASHLESS", "CARD"):
                return _validation(["payments", i, "type"], "unexpected value; permitted: 'CASH', 'CASHLESS'")
            if not isinstance(payment.get("value"), int):
                return _validation(["payments", i, "value"], "value is not a valid integer", "type_error.integer")
        paid = sum(p["value"] for p in payments)
        non_cash = sum(p["value"] for p in payments if p["type"] != "CASH")
        if paid < total or non_cash > total:
            return _error(400, "Сума оплати не відповідає сумі чеку")
        return None

    def _answer_stored(self, receipt):
        """201 with the stored receipt - or, as scripted, no answer / a late one (the receipt stays stored)."""
        drop = False
        if self._drop_after_store > 0:
            self._drop_after_store -= 1
            drop = True
        elif self._drop_ratio and self._rng.random() < self._drop_ratio:
            drop = True
        if drop:
            self.dropped += 1
            return Response(drop=True)
        if self._late_after_store:
            return Response.json(self._strip(receipt), status=201, delay=self._late_after_store.pop(0))
        return Response.json(self._strip(receipt), status=201)

    def _store_receipt(self, receipt_id, type_, shift, body, total, paid, round_sum=0):
        shift["_receipts" if type_ != "RETURN" else "_returns"] += 1
        self._serials["receipt"] = self._serials.get("receipt", 0) + 1
        receipt = {
            "id": receipt_id, "type": type_, "status": "CREATED", "serial": self._serials["receipt"],
            "fiscal_code": None, "fiscal_date": None, "total_sum": total, "total_payment": paid,
            "total_rest": max(paid - total + round_sum, 0), "round_sum": round_sum, "goods": body.get("goods") or [],
            "payments": body.get("payments") or [body.get("payment")], "discounts": body.get("discounts") or [],
            "related_receipt_id": body.get("related_receipt_id"), "delivery": body.get("delivery"),
            "shift": {"id": shift["id"], "status": shift["status"], "serial": shift["serial"]},
            "is_created_offline": self.registers[shift["_license"]]["offline_mode"], "is_sent_dps": False,
            "tax_url": None, "created_at": _iso(_now()),
            "transaction": {"id": str(uuid.uuid4()), "type": "RECEIPT", "status": "PENDING",
                            "response_status": None, "response_error_message": None},
            "_ready_at": time.monotonic() + self.process_delay, "_outcome_error": self.fail_receipts_with,
            "_emails": [], "_shift": shift["id"],
        }
        self.receipts[receipt_id] = receipt
        balance = shift["balance"]
        if type_ in ("SELL", "RETURN"):
            cash = sum(p["value"] for p in receipt["payments"] if p["type"] == "CASH") - receipt["total_rest"]
            card = sum(p["value"] for p in receipt["payments"] if p["type"] != "CASH")
            suffix = "sales" if type_ == "SELL" else "returns"
            balance[f"cash_{suffix}"] += cash
            balance[f"card_{suffix}"] += card
            balance["balance"] += cash if type_ == "SELL" else -cash
        else:
            value = receipt["payments"][0]["value"]
            balance["service_in" if value > 0 else "service_out"] += abs(value)
            balance["balance"] += value
        return receipt

    def _advance_receipt(self, receipt):
        if receipt["_ready_at"] is not None and time.monotonic() >= receipt["_ready_at"]:
            receipt["_ready_at"] = None
            if receipt["_outcome_error"]:
                receipt["status"] = "ERROR"
                receipt["transaction"].update(status="ERROR", response_status="ERROR",
                                              response_error_message=receipt["_outcome_error"])
            else:
                receipt["status"] = "DONE"
                receipt["fiscal_code"] = "TEST-" + uuid.uuid4().hex[:6]
                receipt["fiscal_date"] = _iso(_now())
                receipt["tax_url"] = f"https://cabinet.tax.gov.ua/cashregs/check?id={receipt['fiscal_code']}"
                receipt["transaction"].update(status="DONE", response_status="OK")
                receipt["is_sent_dps"] = not receipt["is_created_offline"]
                if receipt.get("delivery") and receipt["delivery"].get("email"):
                    receipt["_emails"].append(receipt["delivery"]["email"])
        return receipt

    def get_receipt(self, request, match):
        # Source: OpenAPI GET /api/v1/receipts/{receipt_id} -> ReceiptModel; unknown id -> 404
        cashier, error = self._cashier(request)
        if error:
            return error
        receipt = self.receipts.get(match.group(1))
        if not receipt:
            return _error(404, "Чек не знайдено")
        self._advance_receipt(receipt)
        return Response.json(self._strip(receipt))

    def receipt_text(self, request, match):
        cashier, error = self._cashier(request)
        if error:
            return error
        receipt = self.receipts.get(match.group(1))
        if not receipt or self._advance_receipt(receipt)["status"] != "DONE":
            return _error(404, "Чек не знайдено")
        lines = ["ФОП Тест", f"ЧЕК № {receipt['serial']}"]
        lines += [f"{g['good']['name']} {g['quantity'] / 1000:g} x {g['good']['price'] / 100:.2f}"
                  for g in receipt["goods"]]
        lines += [f"СУМА {receipt['total_sum'] / 100:.2f} ГРН", f"ФН {receipt['fiscal_code']}"]
        return Response.text("\n".join(lines))

    def receipt_pdf(self, request, match):
        cashier, error = self._cashier(request)
        if error:
            return error
        receipt = self.receipts.get(match.group(1))
        if not receipt or self._advance_receipt(receipt)["status"] != "DONE":
            return _error(404, "Чек не знайдено")
        return Response(200, b"%PDF-1.4\n%fake checkbox receipt\n%%EOF\n", {"Content-Type": "application/pdf"})

    def receipt_email(self, request, match):
        # Source: OpenAPI POST /api/v1/receipts/{receipt_id}/email - body: array of e-mails (minItems 1)
        cashier, error = self._cashier(request)
        if error:
            return error
        receipt = self.receipts.get(match.group(1))
        if not receipt:
            return _error(404, "Чек не знайдено")
        emails = request.json
        if not isinstance(emails, list) or not emails or not all(isinstance(e, str) and "@" in e for e in emails):
            return _validation([], "value is not a valid list of e-mails")
        receipt["_emails"].extend(emails)
        return Response.json({})

    def service(self, request, match):
        # Source: OpenAPI POST /api/v1/receipts/service; SDK tests: positive value = SERVICE_IN, negative OUT
        cashier, error = self._cashier(request)
        if error:
            return error
        body = request.json or {}
        payment = body.get("payment") or {}
        if not isinstance(payment.get("value"), int) or payment.get("type") not in ("CASH", "CASHLESS"):
            return _validation(["payment", "value"], "value is not a valid integer", "type_error.integer")
        receipt_id = body.get("id") or str(uuid.uuid4())
        if receipt_id in self.receipts:
            return _error(400, "Чек з таким ідентифікатором вже існує", code="receipt.already_exists")
        shift = self._open_shift_of(cashier["login"])
        if not shift or shift["status"] != "OPENED":
            return _error(400, "Зміну не відкрито")
        if payment["value"] < 0 and shift["balance"]["balance"] + payment["value"] < 0:
            return _error(400, "Недостатньо готівки в касі")
        type_ = "SERVICE_IN" if payment["value"] > 0 else "SERVICE_OUT"
        receipt = self._store_receipt(receipt_id, type_, shift, {"payment": payment}, payment["value"],
                                      payment["value"])
        return Response.json(self._strip(receipt), status=201)
