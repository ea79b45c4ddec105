"""Protocol fake of the Nova Poshta API 2.0 (one JSON endpoint, envelope in, envelope out).

State is in memory: cities, warehouses, counterparties, documents, tracking statuses.
Business errors are answered like the real service: HTTP 200, ``success: false``, ``errors`` and
``errorCodes``. Faults (timeouts, 5xx, malformed JSON) come from :class:`tests.fakes.base.Fault`.
"""

import datetime
import itertools
import re
import uuid

from tests.fakes.base import FakeServer, Response

PATH = "/v2.0/json/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def envelope(data=None, errors=None, codes=None, warnings=None, info=None):
    return {
        "success": not errors, "data": data or [], "errors": errors or [], "warnings": warnings or [],
        "info": info if info is not None else [], "messageCodes": [], "errorCodes": codes or [],
        "warningCodes": [], "infoCodes": [],
    }


class NovaPoshtaFake(FakeServer):
    def __init__(self, api_key="a" * 32, **kwargs):
        self.api_key = api_key
        self.cities = {}
        self.warehouses = {}
        self.streets = {}  # settlement Ref -> list of street dicts
        self.counterparties = {}
        self.contacts = {}  # contact person Ref -> the properties it was saved with
        self.addresses = {}  # recipient door address Ref -> Address.save properties
        self.documents = {}  # Ref -> document dict
        self.statuses = {}  # IntDocNumber -> (StatusCode, extra dict)
        self._numbers = itertools.count(20450000000001)
        self.price = 70.0
        self.slow_methods = {}  # "InternetDocument.save" -> seconds: NP does the work, the answer comes late
        self.list_without_barcodes = False  # getDocumentList variant without InfoRegClientBarcodes
        self.scan_sheets = {}  # Ref -> {"Number", "Date", "DocumentRefs"}
        self._sheet_numbers = itertools.count(1)
        super().__init__(**kwargs)

    def setup_routes(self):
        self.route("POST", PATH, self.handle)
        self.route("GET", r"/orders/(printDocument|printMarking100x100|printMarking85x85)/.*", self.handle_print)

    # -- helpers for tests ---------------------------------------------------------
    def add_city(self, ref, name, area="Київська"):
        self.cities[ref] = {"Ref": ref, "Description": name, "AreaDescription": area, "Delivery1": "1"}

    def add_warehouse(self, ref, city_ref, number, category="Branch", max_weight=30, **extra):
        self.warehouses[ref] = dict({
            "Ref": ref, "CityRef": city_ref, "Number": str(number), "CategoryOfWarehouse": category,
            "Description": f"Відділення №{number}", "ShortAddress": f"вул. Тестова, {number}",
            "TotalMaxWeightAllowed": str(max_weight), "PlaceMaxWeightAllowed": str(max_weight),
            "SendingLimitationsOnDimensions": {"Width": 40, "Height": 30, "Length": 60},
            "WarehouseStatus": "Working",
        }, **extra)

    def add_street(self, city_ref, ref, name, street_type="вулиця"):
        """A street of the settlement of `city_ref` (the fake's settlement Ref is 's-' + city Ref)."""
        self.streets.setdefault("s-" + city_ref, []).append({
            "SettlementRef": "s-" + city_ref, "SettlementStreetRef": ref, "SettlementStreetDescription": name,
            "Present": f"вул. {name}", "StreetsType": "st", "StreetsTypeDescription": street_type})

    def add_cabinet_document(self, date, phone, info="", city_ref="", warehouse_ref="", cost="70"):
        """A waybill created by hand in the Nova Poshta cabinet (not through the API of this module)."""
        ref, number = str(uuid.uuid4()), str(next(self._numbers))
        self.documents[ref] = {"Ref": ref, "IntDocNumber": number, "DateTime": date, "CostOnSite": cost,
                               "RecipientsPhone": phone, "InfoRegClientBarcodes": info, "CityRecipient": city_ref,
                               "RecipientAddress": warehouse_ref}
        self.statuses[number] = ("1", {})
        return ref, number

    def set_status(self, number, code, **extra):
        self.statuses[number] = (str(code), extra)

    def calls(self, method=None):
        return [r.json for r in self.requests_to(PATH)
                if r.json and (not method or r.json.get("calledMethod") == method)]

    # -- protocol ------------------------------------------------------------------
    def handle(self, request, _match):
        body = request.json
        if not isinstance(body, dict):
            return Response.json(envelope(errors=["Invalid JSON"], codes=["20000100010"]))
        if not body.get("apiKey"):
            return Response.json(envelope(errors=["apiKey is empty"], codes=["20000200069"]))
        if body["apiKey"] != self.api_key:
            return Response.json(envelope(errors=["API auth fail"], codes=["20000200068"]))
        method = f"{body.get('modelName', '').replace('General', '')}.{body.get('calledMethod')}"
        props = body.get("methodProperties")
        if not isinstance(props, dict):
            return Response.json(envelope(errors=["MethodProperties is not an object"], codes=["20000100011"]))
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if not handler:
            return Response.json(envelope(errors=[f"Method {method} not found"], codes=["20000100001"]))
        return Response.json(handler(props), delay=self.slow_methods.get(method, 0.0))

    def _page(self, items, props):
        page, limit = int(props.get("Page") or 1), int(props.get("Limit") or 500)
        chunk = items[(page - 1) * limit: page * limit]
        return envelope(chunk, info={"totalCount": len(items)})

    def m_Address_getCities(self, props):
        return self._page(list(self.cities.values()), props)

    def m_Address_getWarehouses(self, props):
        items = [w for w in self.warehouses.values() if not props.get("CityRef") or w["CityRef"] == props["CityRef"]]
        return self._page(items, props)

    def m_Address_searchSettlements(self, props):
        name = (props.get("CityName") or "").lower()
        found = [{"Present": c["Description"], "MainDescription": c["Description"], "DeliveryCity": ref,
                  "Ref": "s-" + ref, "Area": c["AreaDescription"]}
                 for ref, c in self.cities.items() if name in c["Description"].lower()]
        return envelope([{"TotalCount": len(found), "Addresses": found}])

    def m_Address_searchSettlementStreets(self, props):
        if not props.get("Limit"):
            return envelope(errors=["Limit is not specified"], codes=["20000900792"])
        if props.get("SettlementRef") not in self.streets and not any(
                "s-" + ref == props.get("SettlementRef") for ref in self.cities):
            return envelope(errors=["SettlementRef is invalid"], codes=["20000900791"])
        name = (props.get("StreetName") or "").lower()
        found = [s for s in self.streets.get(props["SettlementRef"], [])
                 if name in s["SettlementStreetDescription"].lower()][:int(props["Limit"])]
        return envelope([{"TotalCount": len(found), "Addresses": found}])

    def m_Address_save(self, props):
        # Source: developers.novaposhta.ua, Address.save ("Створити адресу контрагента"): CounterpartyRef,
        # StreetRef (a street of the directory), BuildingNumber, Flat, Note -> data[0] = {Ref, Description}
        known = {ref for ref, _contact in self.counterparties.values()}
        if props.get("CounterpartyRef") not in known:
            return envelope(errors=["CounterpartyRef is invalid"], codes=["20000200070"])
        street = next((s for streets in self.streets.values() for s in streets
                       if s["SettlementStreetRef"] == props.get("StreetRef")), None)
        if not street:
            return envelope(errors=["StreetRef is invalid"], codes=["20000900765"])
        if not props.get("BuildingNumber"):
            return envelope(errors=["BuildingNumber is empty"], codes=["20000900766"])
        ref = str(uuid.uuid4())
        description = f"{street['Present']} буд. {props['BuildingNumber']}" + (
            f" кв. {props['Flat']}" if props.get("Flat") else "")
        self.addresses[ref] = dict(props, Description=description)
        return envelope([{"Ref": ref, "Description": description}])

    def m_Counterparty_getCounterparties(self, props):
        return envelope([{"Ref": "sender-ref", "Description": "ФОП Тестовий", "City": "city-kyiv",
                          "CounterpartyType": "PrivatePerson"}])

    def m_Counterparty_getCounterpartyContactPersons(self, props):
        return envelope([{"Ref": "sender-contact-ref", "Description": "Тестовий Відправник", "Phones": "380501112233"}])

    def m_Counterparty_save(self, props):
        # Source: developers.novaposhta.ua, Counterparty.save ("Створити контрагента"): a recipient is a
        # PrivatePerson (FirstName, LastName, MiddleName, Phone) or an Organization (EDRPOU, OwnershipForm);
        # an organisation's contact person is added with ContactPerson.save.
        if props.get("CounterpartyType") == "Organization":
            if not re.fullmatch(r"\d{8}|\d{10}", str(props.get("EDRPOU") or "")):
                return envelope(errors=["EDRPOU is invalid"], codes=["20000200083"])
            key = ("org", props["EDRPOU"])
            ref, contact = self.counterparties.setdefault(key, (str(uuid.uuid4()), None))
            return envelope([{"Ref": ref, "Description": props.get("Description", ""),
                              "CounterpartyType": "Organization", "EDRPOU": props["EDRPOU"]}])
        if props.get("CounterpartyType") not in (None, "PrivatePerson"):
            return envelope(errors=["CounterpartyType is invalid"], codes=["20000200073"])
        if not props.get("FirstName"):
            return envelope(errors=["FirstName is not specified"], codes=["20000100527"])
        if not props.get("LastName"):
            return envelope(errors=["Recipient contact name is not full"], codes=["20000201598"])
        key = (props["FirstName"], props["LastName"], props.get("Phone"))
        ref, contact = self.counterparties.setdefault(key, (str(uuid.uuid4()), str(uuid.uuid4())))
        self.contacts[contact] = dict(props)
        return envelope([{"Ref": ref, "Description": f"{props['LastName']} {props['FirstName']}",
                          "MiddleName": props.get("MiddleName", ""), "CounterpartyType": "PrivatePerson",
                          "ContactPerson": {"success": True, "data": [{"Ref": contact}], "errors": []}}])

    def m_ContactPerson_save(self, props):
        known = {ref for ref, _contact in self.counterparties.values()} | {"sender-ref"}
        if props.get("CounterpartyRef") not in known:
            return envelope(errors=["CounterpartyRef is invalid"], codes=["20000200070"])
        if not props.get("FirstName") or not props.get("LastName"):
            return envelope(errors=["Recipient contact name is not full"], codes=["20000201598"])
        contact = str(uuid.uuid4())
        self.contacts[contact] = dict(props)
        return envelope([{"Ref": contact,
                          "Description": f"{props['LastName']} {props['FirstName']}",
                          "FirstName": props["FirstName"], "LastName": props["LastName"],
                          "Phones": props.get("Phone", ""), "Email": props.get("Email", "")}])

    def m_InternetDocument_getDocumentPrice(self, props):
        if props.get("CitySender") not in self.cities or props.get("CityRecipient") not in self.cities:
            return envelope(errors=["CityRecipient is invalid"], codes=["20000300421"])
        weight = float(props.get("Weight") or 0)
        cost = self.price + max(0.0, weight - 2) * 10
        redelivery = (props.get("RedeliveryCalculate") or {}).get("Amount")
        return envelope([{"Cost": cost, "AssessedCost": props.get("Cost"),
                          "CostRedelivery": round(20 + 0.02 * float(redelivery), 2) if redelivery else 0}])

    def m_InternetDocument_getDocumentDeliveryDate(self, props):
        return envelope([{"DeliveryDate": {"date": "2026-11-25 00:00:00.000000", "timezone_type": 3,
                                           "timezone": "Europe/Kiev"}}])

    def m_InternetDocument_save(self, props):
        required = ("CitySender", "Sender", "SenderAddress", "ContactSender", "CityRecipient", "Recipient",
                    "ContactRecipient", "RecipientsPhone", "Weight", "ServiceType", "PayerType", "DateTime")
        if str(props.get("NewAddress")) == "1":  # recipient and address given as text
            required = ("CitySender", "Sender", "SenderAddress", "ContactSender", "RecipientCityName",
                        "RecipientAddressName", "RecipientHouse", "RecipientName", "RecipientsPhone", "Weight",
                        "ServiceType", "PayerType", "DateTime")
        missing = [f for f in required if not props.get(f)]
        if missing:
            return envelope(errors=[f"{missing[0]} is empty"], codes=["20000900746"])
        if str(props.get("NewAddress")) != "1":
            service = props["ServiceType"]
            known = self.addresses if service.endswith("Doors") else self.warehouses
            if props["RecipientAddress"] not in known:
                return envelope(errors=["RecipientAddress is invalid"], codes=["20000900752"])
            if props["Recipient"] not in {ref for ref, _c in self.counterparties.values()}:
                return envelope(errors=["Recipient is invalid"], codes=["20000900753"])
            if props["ContactRecipient"] not in self.contacts:
                return envelope(errors=["ContactRecipient is invalid"], codes=["20000900754"])
        if props.get("AfterpaymentOnGoodsCost") and props["ServiceType"] != "WarehouseWarehouse":
            return envelope(errors=["AfterpaymentOnGoodsCost is only for WarehouseWarehouse"], codes=["20000201590"])
        if float(props["Weight"]) < 0.1:
            return envelope(errors=["Weight is invalid"], codes=["20000900748"])
        for field in ("FirstName", "LastName", "MiddleName"):
            if len(str(props.get(field) or "")) > 50:
                return envelope(errors=[f"{field} is too long"], codes=["20000900749"])
        if props.get("_validate_only"):
            return envelope([{}])
        ref, number = str(uuid.uuid4()), str(next(self._numbers))
        document = dict(props, Ref=ref, IntDocNumber=number, CostOnSite=str(self.price), StateId=1)
        self.documents[ref] = document
        self.statuses[number] = ("1", {})
        return envelope([{"Ref": ref, "CostOnSite": str(self.price), "EstimatedDeliveryDate": "25.11.2026",
                          "IntDocNumber": number, "TypeDocument": "InternetDocument"}])

    def m_InternetDocument_update(self, props):
        # Source: developers.novaposhta.ua, InternetDocument.update ("Редагувати ЕН"): the fields of save plus
        # the document Ref; only a document not yet handed over to Nova Poshta can be changed.
        ref = props.get("Ref")
        if ref not in self.documents:
            return envelope(errors=["Document not found"], codes=["20000300415"])
        document = self.documents[ref]
        if self.statuses.get(document["IntDocNumber"], ("1",))[0] != "1":
            return envelope(errors=["Document can not be changed"], codes=["20000200203"])
        checked = self.m_InternetDocument_save(dict(props, _validate_only=True))
        if not checked["success"]:
            return checked
        document.update({k: v for k, v in props.items() if k != "Ref"})
        return envelope([{"Ref": ref, "CostOnSite": str(self.price), "EstimatedDeliveryDate": "26.11.2026",
                          "IntDocNumber": document["IntDocNumber"], "TypeDocument": "InternetDocument"}])

    def m_InternetDocument_delete(self, props):
        refs = props.get("DocumentRefs")
        refs = refs if isinstance(refs, list) else [refs]
        for ref in refs:
            if ref not in self.documents:
                return envelope(errors=["Document not found"], codes=["20000300415"])
            if self.statuses.get(self.documents[ref]["IntDocNumber"], ("1",))[0] != "1":
                return envelope(errors=["Document can not be deleted"], codes=["20000200202"])
        for ref in refs:
            self.statuses.pop(self.documents.pop(ref)["IntDocNumber"], None)
            for sheet in self.scan_sheets.values():
                if ref in sheet["DocumentRefs"]:
                    sheet["DocumentRefs"].remove(ref)
        return envelope([{"Ref": ref} for ref in refs])

    def m_InternetDocument_getDocumentList(self, props):
        # Source: developers.novaposhta.ua, InternetDocument.getDocumentList ("Отримати список ЕН"):
        # DateTimeFrom/DateTimeTo (dd.mm.yyyy) filter on the document date; GetFullList=0 pages by 100
        # (Page), GetFullList=1 returns the whole list but not more than 500 documents, ignoring Page.
        def day(value):
            return datetime.datetime.strptime(value, "%d.%m.%Y").date()

        try:
            start = day(props["DateTimeFrom"]) if props.get("DateTimeFrom") else None
            end = day(props["DateTimeTo"]) if props.get("DateTimeTo") else None
        except ValueError:
            return envelope(errors=["DateTime is invalid format"], codes=["20000400456"])
        items = [{"Ref": d["Ref"], "IntDocNumber": d["IntDocNumber"], "InfoRegClientBarcodes":
                  d.get("InfoRegClientBarcodes", ""), "Description": d.get("Description", ""),
                  "AdditionalInformation": d.get("AdditionalInformation", ""),
                  "CostOnSite": d["CostOnSite"], "DateTime": d["DateTime"],
                  "RecipientsPhone": d.get("RecipientsPhone", ""), "CityRecipient": d.get("CityRecipient", ""),
                  "RecipientAddress": d.get("RecipientAddress", ""),
                  "StateId": int(self.statuses.get(d["IntDocNumber"], ("1",))[0])} for d in self.documents.values()
                 if (not start or day(d["DateTime"]) >= start) and (not end or day(d["DateTime"]) <= end)]
        if self.list_without_barcodes:
            for item in items:
                item.pop("InfoRegClientBarcodes")
        if str(props.get("GetFullList")) == "1":
            return envelope(items[:500], info={"totalCount": len(items)})
        page = int(props.get("Page") or 1)
        return envelope(items[(page - 1) * 100: page * 100], info={"totalCount": len(items)})

    def m_TrackingDocument_getStatusDocuments(self, props):
        # Source: developers.novaposhta.ua, TrackingDocument.getStatusDocuments: up to 100 documents; the
        # phone (sender's or recipient's, 380XXXXXXXXX) unlocks the full data - without a matching phone only
        # the status comes back, with a warning.
        documents = props.get("Documents") or []
        if len(documents) > 100:
            return envelope(errors=["Too many documents"], codes=["20000100040"])
        out, warnings = [], []
        for item in documents:
            number = item.get("DocumentNumber")
            code, extra = self.statuses.get(number, ("3", {}))
            document = next((d for d in self.documents.values() if d["IntDocNumber"] == number), {})
            phones = {document.get("RecipientsPhone"), document.get("SendersPhone"), extra.get("_phone")} - {None}
            phone = str(item.get("Phone") or "")
            row = {"Number": number, "StatusCode": code, "Status": f"status {code}"}
            if re.fullmatch(r"380\d{9}", phone) and (phone in phones or not document and not extra.get("_phone")):
                row.update({k: v for k, v in extra.items() if not k.startswith("_")})
            else:
                warnings.append({f"ID_{number}": "Please enter a valid phone number from the express invoice "
                                                 "to show full information"})
            out.append(row)
        return envelope(out, warnings=warnings)

    def m_ScanSheet_insertDocuments(self, props):
        # Source: developers.novaposhta.ua, ScanSheet.insertDocuments ("Додати експрес-накладні до реєстру",
        # https://developers.novaposhta.ua/view/model/a46fc4f4-8512-11ec-8ced-005056b2dbe1):
        # success=true even when documents are refused; data[0] = {Ref, Number, Date, Errors, Warnings,
        # Success: [{Ref, Number}], Data: {Errors: [{Ref, Error}], Success, Warnings}}. A document that is
        # already in a registry, deleted or already handed over cannot be added.
        refs = props.get("DocumentRefs") or []
        if not isinstance(refs, list) or not refs:
            return envelope(errors=["DocumentRefs is empty"], codes=["20000300417"])
        in_sheets = {ref for sheet in self.scan_sheets.values() for ref in sheet["DocumentRefs"]}
        success, errors = [], []
        for ref in refs:
            document = self.documents.get(ref)
            if not document:
                errors.append({"Ref": ref, "Error": "Document not found"})
            elif ref in in_sheets:
                errors.append({"Ref": ref, "Error": "Document already in the registry"})
            elif self.statuses.get(document["IntDocNumber"], ("1",))[0] != "1":
                errors.append({"Ref": ref, "Error": "Document status does not allow adding to the registry"})
            else:
                success.append({"Ref": ref, "Number": document["IntDocNumber"]})
        if not success:
            return envelope([{"Ref": "", "Number": "", "Date": props.get("Date", ""), "Errors": [],
                              "Warnings": [], "Success": [],
                              "Data": {"Errors": errors, "Success": [], "Warnings": []}}])
        ref = props.get("Ref") or str(uuid.uuid4())
        sheet = self.scan_sheets.setdefault(ref, {
            "Number": f"105-{next(self._sheet_numbers):08d}", "Date": props.get("Date", ""), "DocumentRefs": []})
        sheet["DocumentRefs"].extend(item["Ref"] for item in success)
        return envelope([{"Ref": ref, "Number": sheet["Number"], "Date": sheet["Date"], "Errors": [],
                          "Warnings": [], "Success": success,
                          "Data": {"Errors": errors, "Success": success, "Warnings": []} if errors else None}])

    def handle_print(self, request, _match):
        if f"/apiKey/{self.api_key}" not in request.path:
            return Response.text("<html>Authorization failed</html>", content_type="text/html")
        return Response(200, PDF, {"Content-Type": "application/pdf"})
