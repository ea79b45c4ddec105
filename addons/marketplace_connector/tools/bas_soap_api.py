"""BAS (1C-based ERP) SOAP client: reads stock and prices published by a BAS web service (plain Python).

BAS is a source, not a sales channel: ``list_offers`` returns the warehouse's items (with quantity and price);
pushing stock/prices and orders are not part of the protocol.
"""

import logging
import time

import requests

from .marketplace_api import MarketplaceAdapter, MarketplaceError, Offer

_logger = logging.getLogger(__name__)


class BasSoapApi(MarketplaceAdapter):
    """:param base_url: the service URL (the WSDL is read from ``<base_url>?wsdl``)
    :param warehouse: BAS warehouse name whose stock is read"""

    batch_size = 1000

    def __init__(self, login, password, warehouse, base_url, timeout=30, session=None, on_call=None):
        super().__init__(base_url, timeout=timeout, session=session, on_call=on_call)
        self.session.auth = (login, password)
        self.warehouse = warehouse
        self._service = None
        self._last_status = None
        # zeep parses the body before looking at the HTTP status: remember the status ourselves
        self.session.hooks["response"].append(self._remember_status)

    def _remember_status(self, response, *args, **kwargs):
        self._last_status = response.status_code

    def _client_service(self):
        if self._service is None:
            from zeep import Client, Settings
            from zeep.transports import Transport

            transport = Transport(session=self.session, timeout=self.timeout, operation_timeout=self.timeout)
            client = Client(f"{self.base_url}?wsdl", transport=transport,
                            settings=Settings(strict=False, xml_huge_tree=True))
            self._service = client.service
        return self._service

    def _call(self, operation, **params):
        """One SOAP operation; transport, HTTP and SOAP faults become MarketplaceError (logged via on_call)."""
        from zeep.exceptions import Error as ZeepError
        from zeep.exceptions import Fault, TransportError

        start, status, error = time.monotonic(), 200, None
        self._last_status = None
        try:
            try:
                return getattr(self._client_service(), operation)(**params)
            except Fault as exc:
                status = 500
                raise MarketplaceError(f"BAS: {exc.message}", "soap_fault", 500) from exc
            except TransportError as exc:
                status = exc.status_code
                self._raise_http(status, exc)
            except requests.Timeout as exc:
                status = None
                raise MarketplaceError("BAS did not answer in time", "timeout", retryable=True) from exc
            except requests.RequestException as exc:
                status = None
                raise MarketplaceError(f"BAS is unreachable: {exc}", "network", retryable=True) from exc
            except (ZeepError, ValueError, AttributeError) as exc:  # zeep: non-XML body -> AttributeError
                status = self._last_status
                if status and status != 200:
                    self._raise_http(status, exc)
                raise MarketplaceError(f"BAS sent an unreadable answer: {exc}", "malformed", status,
                                       retryable=True) from exc
        except MarketplaceError as exc:
            error = exc.message
            raise
        finally:
            self.calls += 1
            seconds = time.monotonic() - start
            _logger.info("BAS %s: status %s in %.3fs", operation, status, seconds)
            if self.on_call:
                self.on_call(operation, "POST", operation, status, seconds, error)

    @staticmethod
    def _raise_http(status, exc):
        if status in (401, 403):
            raise MarketplaceError("BAS rejected the login or password", "auth", status) from exc
        raise MarketplaceError(f"BAS answered HTTP {status}", f"http_{status}", status,
                               retryable=status >= 500 or status == 429) from exc

    # -- interface ----------------------------------------------------------------------
    def test_connection(self):
        return self._call("Ping")

    def list_offers(self):
        result = self._call("GetStock", Warehouse=self.warehouse)
        # zeep unwraps a response whose only child is a list: accept both shapes
        items = result if isinstance(result, list) else (getattr(result, "Item", None) or [])
        return [Offer(external_id=item.Article, name=item.Name or "", sku=item.Article, barcode=item.Barcode or "",
                      price=float(item.Price or 0), quantity=float(item.Quantity or 0)) for item in items]

    def push_stock(self, updates):
        raise MarketplaceError("BAS is a stock source: nothing is pushed to it", "not_supported")

    def list_orders(self, since):
        return []

    def set_order_status(self, order_external_id, event, ttn=None, reason=None, current=None, **kwargs):
        raise MarketplaceError("BAS does not take order statuses", "not_supported")
