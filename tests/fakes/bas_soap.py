"""Protocol fake of a BAS (1C-based) HTTP/SOAP web service publishing stock and prices.

BAS/1C web services are SOAP 1.1, document/literal, behind HTTP Basic auth; the WSDL is served at
``<service URL>?wsdl``. Sources: ones-devguide.github.io/dev-rules/theory/metadata/web_service (a 1C
"Web-сервис" metadata object is published with the infobase at http://server/<publication>/ws/..., its
contract is the generated WSDL); mngb.ru/dannye/28/kak-obratitsya-k-veb-servisu-1s (calls are HTTP POST of
a SOAP envelope, ``Content-Type: text/xml; charset=utf-8``, Basic authorization of a 1C user allowed to call
web services). The operations themselves are defined by the configuration (there is no standard BAS stock
service): this fake publishes the small ``StockExchange`` contract our client expects:

* ``Ping()`` -> ``return`` (string, the company name);
* ``GetStock(Warehouse)`` -> ``return`` with repeated ``Item{Article, Barcode, Name, Quantity, Price}``;
  an unknown warehouse answers a SOAP Fault (HTTP 500), bad credentials HTTP 401.

Source for the transport rules enforced per request: W3C Note "Simple Object Access Protocol (SOAP) 1.1"
(https://www.w3.org/TR/2000/NOTE-SOAP-20000508/): §6.1 a SOAP HTTP request is a POST with
``Content-Type: text/xml``; §6.1.1 the ``SOAPAction`` header MUST be present; §6.2 / §4.4 a failed request is
answered HTTP 500 with a ``soap:Fault`` (``faultcode`` Client for the caller's mistakes, Server otherwise).
"""

import base64
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from tests.fakes.base import FakeServer, Response

PATH = "/bas/ws/stock"
NS = "http://omnichannel-retail.ua/bas/stock"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"

WSDL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="{ns}" targetNamespace="{ns}" name="StockExchange">
  <types>
    <xs:schema targetNamespace="{ns}" elementFormDefault="qualified">
      <xs:complexType name="Item">
        <xs:sequence>
          <xs:element name="Article" type="xs:string"/>
          <xs:element name="Barcode" type="xs:string" minOccurs="0"/>
          <xs:element name="Name" type="xs:string"/>
          <xs:element name="Quantity" type="xs:decimal"/>
          <xs:element name="Price" type="xs:decimal"/>
        </xs:sequence>
      </xs:complexType>
      <xs:complexType name="ItemList">
        <xs:sequence><xs:element name="Item" type="tns:Item" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
      </xs:complexType>
      <xs:element name="Ping"><xs:complexType><xs:sequence/></xs:complexType></xs:element>
      <xs:element name="PingResponse"><xs:complexType><xs:sequence>
        <xs:element name="return" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
      <xs:element name="GetStock"><xs:complexType><xs:sequence>
        <xs:element name="Warehouse" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
      <xs:element name="GetStockResponse"><xs:complexType><xs:sequence>
        <xs:element name="return" type="tns:ItemList"/></xs:sequence></xs:complexType></xs:element>
    </xs:schema>
  </types>
  <message name="PingRequestMessage"><part name="parameters" element="tns:Ping"/></message>
  <message name="PingResponseMessage"><part name="parameters" element="tns:PingResponse"/></message>
  <message name="GetStockRequestMessage"><part name="parameters" element="tns:GetStock"/></message>
  <message name="GetStockResponseMessage"><part name="parameters" element="tns:GetStockResponse"/></message>
  <portType name="StockExchangePortType">
    <operation name="Ping"><input message="tns:PingRequestMessage"/>
      <output message="tns:PingResponseMessage"/></operation>
    <operation name="GetStock"><input message="tns:GetStockRequestMessage"/>
      <output message="tns:GetStockResponseMessage"/></operation>
  </portType>
  <binding name="StockExchangeSoapBinding" type="tns:StockExchangePortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="Ping"><soap:operation soapAction="{ns}#StockExchange:Ping" style="document"/>
      <input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>
    <operation name="GetStock"><soap:operation soapAction="{ns}#StockExchange:GetStock" style="document"/>
      <input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>
  </binding>
  <service name="StockExchange">
    <port name="StockExchangeSoap" binding="tns:StockExchangeSoapBinding">
      <soap:address location="{location}"/>
    </port>
  </service>
</definitions>
"""


def _envelope(body):
    return (f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:m="{NS}">'
            f"<soap:Body>{body}</soap:Body></soap:Envelope>")


class BasSoapFake(FakeServer):
    def __init__(self, user="odoo", password="secret", **kwargs):
        self.user, self.password = user, password
        self.company = "ТОВ Склад"
        self.warehouses = {"Основний": {}}  # warehouse -> {article: dict(Barcode, Name, Quantity, Price)}
        super().__init__(**kwargs)

    def add_item(self, article, quantity, price, name="", barcode="", warehouse="Основний"):
        self.warehouses.setdefault(warehouse, {})[article] = {
            "Barcode": barcode, "Name": name or article, "Quantity": quantity, "Price": price}

    def setup_routes(self):
        self.route("GET", PATH, self.wsdl)
        self.route("POST", PATH, self.call)

    def wsdl(self, request, _m):
        return Response.text(WSDL.format(ns=NS, location=self.url + PATH), content_type="text/xml; charset=utf-8")

    def _authorized(self, request):
        expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return request.header("Authorization") == f"Basic {expected}"

    @staticmethod
    def fault(text, code="soap:Server"):
        body = f"<soap:Fault><faultcode>{code}</faultcode><faultstring>{escape(text)}</faultstring></soap:Fault>"
        return Response.text(_envelope(body), status=500, content_type="text/xml; charset=utf-8")

    def call(self, request, _m):
        if not self._authorized(request):
            return Response.text("Unauthorized", status=401, headers={"WWW-Authenticate": 'Basic realm="BAS"'})
        # Source: SOAP 1.1 §6.1 - text/xml only (a SOAP 1.2 application/soap+xml call is refused)
        if not (request.header("Content-Type") or "").startswith("text/xml"):
            return Response.text("Unsupported Media Type", status=415)
        # Source: SOAP 1.1 §6.1.1 - "The SOAPAction HTTP request header field ... MUST be present"
        if request.header("SOAPAction") is None:
            return self.fault("SOAPAction header is required", "soap:Client")
        try:
            root = ET.fromstring(request.body)
        except ET.ParseError:
            return self.fault("Malformed SOAP envelope", "soap:Client")
        body = root.find(f"{{{SOAP_NS}}}Body")
        operation = body[0] if body is not None and len(body) else None
        if operation is None:
            return self.fault("Empty SOAP body", "soap:Client")
        name = operation.tag.split("}")[-1]
        # Source: the service's own WSDL above (document/literal operations Ping and GetStock of StockExchange)
        if name == "Ping":
            result = f"<m:PingResponse><m:return>{escape(self.company)}</m:return></m:PingResponse>"
        elif name == "GetStock":
            warehouse = (operation.findtext(f"{{{NS}}}Warehouse") or "").strip()
            if warehouse not in self.warehouses:
                return self.fault(f"Склад не знайдено: {warehouse}")
            items = "".join(
                f"<m:Item><m:Article>{escape(article)}</m:Article><m:Barcode>{escape(item['Barcode'])}</m:Barcode>"
                f"<m:Name>{escape(item['Name'])}</m:Name><m:Quantity>{item['Quantity']}</m:Quantity>"
                f"<m:Price>{item['Price']}</m:Price></m:Item>"
                for article, item in sorted(self.warehouses[warehouse].items()))
            result = f"<m:GetStockResponse><m:return>{items}</m:return></m:GetStockResponse>"
        else:
            return self.fault(f"Unknown operation {name}", "soap:Client")
        return Response.text(_envelope(result), content_type="text/xml; charset=utf-8")
