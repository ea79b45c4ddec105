"""Base of the local protocol fakes.

A :class:`FakeServer` is a threaded HTTP server bound to 127.0.0.1 on a random port.
It records every request it gets and answers either from a scripted queue of
responses/faults or from the route handlers a concrete fake defines, so tests can
speak the real wire protocol of Nova Poshta, Checkbox, Prom, Rozetka, Telegram,
Viber, NBU... without the network.

Usage::

    class NovaPoshtaFake(FakeServer):
        def setup_routes(self):
            self.route("POST", "/v2.0/json/", self.handle_json)

        def handle_json(self, request):
            return Response.json({"success": True, "data": []})

    with NovaPoshtaFake() as fake:
        requests.post(fake.url + "/v2.0/json/", json={...}, timeout=5)
        fake.fail_next(Fault.server_error(502))       # next call gets a 502
        fake.fail_next(Fault.timeout(), times=2)       # two calls hang past the client timeout
        assert fake.requests[0].json["calledMethod"] == "getCities"
"""

import datetime
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def utc_now():
    """Naive UTC now, as marketplaces stamp their orders: fakes date new orders with it by default, so a
    test never ages out of an import window."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes
    received_at: float = field(default_factory=time.monotonic)
    query_names: frozenset = frozenset()  # every parameter name sent, blank ones (``?json``) included

    @property
    def json(self):
        """The body decoded as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    def header(self, name, default=None):
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return default


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (simulates a slow or hung server)
    drop: bool = False  # close the connection without answering

    @classmethod
    def json(cls, payload, status=200, headers=None, delay=0.0):
        hdrs = {"Content-Type": "application/json; charset=utf-8"}
        hdrs.update(headers or {})
        return cls(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), hdrs, delay)

    @classmethod
    def text(cls, text, status=200, content_type="text/plain; charset=utf-8", headers=None):
        hdrs = {"Content-Type": content_type}
        hdrs.update(headers or {})
        return cls(status, text.encode("utf-8"), hdrs)


class Fault:
    """Ready-made faulty responses."""

    @staticmethod
    def timeout(seconds=3.0):
        """Answer only after `seconds`; a client with a shorter timeout gives up."""
        return Response(200, b"{}", {"Content-Type": "application/json"}, delay=seconds)

    @staticmethod
    def server_error(status=500, body="Internal Server Error"):
        return Response.text(body, status=status)

    @staticmethod
    def malformed_json(status=200):
        return Response(status, b'{"success": tru', {"Content-Type": "application/json"})

    @staticmethod
    def too_many_requests(retry_after=1, payload=None):
        if payload is None:
            return Response.text("Too Many Requests", status=429, headers={"Retry-After": str(retry_after)})
        return Response.json(payload, status=429, headers={"Retry-After": str(retry_after)})

    @staticmethod
    def connection_drop():
        return Response(drop=True)


class FakeServer:
    """Threaded HTTP fake on 127.0.0.1:<random port>. Subclasses add routes in setup_routes()."""

    def __init__(self, host="127.0.0.1", port=0):
        self._routes = []  # (method, compiled regex, handler)
        self._scripted = []  # queue of (Response, remaining times, method filter, path filter)
        self._lock = threading.Lock()
        self.requests = []
        self._server = ThreadingHTTPServer((host, port), self._make_handler())
        self._server.daemon_threads = True
        self._thread = None
        self.setup_routes()

    # -- configuration -----------------------------------------------------
    def setup_routes(self):
        """Override: register handlers with self.route()."""

    def route(self, method, path_regex, handler):
        """Register `handler(request: RecordedRequest, match) -> Response` for METHOD + full-match path regex."""
        self._routes.append((method.upper(), re.compile(path_regex), handler))

    def fail_next(self, response, times=1, method=None, path=None):
        """Answer the next `times` matching requests with `response` instead of the route handler."""
        with self._lock:
            self._scripted.append([response, times, method, path])

    def respond_next(self, response, times=1, method=None, path=None):
        """Alias of fail_next for scripted successful answers."""
        self.fail_next(response, times, method, path)

    def reset(self):
        with self._lock:
            self.requests.clear()
            self._scripted.clear()

    # -- lifecycle ---------------------------------------------------------
    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- querying ------------------------------------------------------------
    def requests_to(self, path_regex, method=None):
        pattern = re.compile(path_regex)
        with self._lock:
            return [r for r in self.requests
                    if pattern.fullmatch(r.path) and (method is None or r.method == method.upper())]

    # -- internals ---------------------------------------------------------
    def _take_scripted(self, request):
        with self._lock:
            for entry in self._scripted:
                response, times, method, path = entry
                if method and method.upper() != request.method:
                    continue
                if path and not re.fullmatch(path, request.path):
                    continue
                entry[1] -= 1
                if entry[1] <= 0:
                    self._scripted.remove(entry)
                return response
        return None

    def dispatch(self, request):
        scripted = self._take_scripted(request)
        if scripted is not None:
            return scripted
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                return handler(request, match)
        return Response.json({"error": "not found", "path": request.path}, status=404)

    def _make_handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # headers and body go out in separate writes: without this, Nagle + delayed ACK add
                # ~40 ms to every call on a kept-alive connection and distort client latencies
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args):  # keep test output clean
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = RecordedRequest(
                    method=self.command, path=parts.path,
                    query={k: v if len(v) > 1 else v[0] for k, v in parse_qs(parts.query).items()},
                    headers=dict(self.headers.items()), body=body,
                    query_names=frozenset(parse_qs(parts.query, keep_blank_values=True)),
                )
                with fake._lock:
                    fake.requests.append(request)
                try:
                    response = fake.dispatch(request)
                except Exception as error:  # a bug in a fake must show as a 500, not hang the client
                    response = Response.text(f"fake error: {error!r}", status=500)
                if response.delay:
                    time.sleep(response.delay)
                if response.drop:
                    self.close_connection = True
                    return
                try:
                    self.send_response(response.status)
                    for key, value in response.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        return Handler
