"""HTTP front of the HIS simulator.

``/api/v1/...`` speaks the contract (addons/crm_isc_sync/api/his_openapi.yaml) and needs the
``X-Api-Key`` header. ``/_sim/...`` is an admin API outside the contract, without a key,
that tests use to re-seed, change data, read the request log and inject faults:

* ``POST /_sim/reset`` ``{"patients", "seed", "accounts_ratio", "anchor"}`` re-seeds (missing
  keys keep their current value, a missing or null anchor means now) and clears the request
  log and the faults.
* ``GET /_sim/state`` the store's figures, the pending faults and the request-log size.
* ``GET /_sim/requests`` ``{"requests": [{"method", "path", "query", "at", "status"}]}``, the
  last contract requests, oldest first; ``DELETE /_sim/requests`` clears them.
* ``PUT /_sim/faults`` ``{"endpoint", "kind", "latency_ms", "status", "retry_after",
  "times", "after"}`` queues a fault (``after``: let that many matching requests through
  first); ``GET`` lists and ``DELETE`` clears them. For each request the
  first queued fault whose endpoint matches (or is ``*``) applies and uses up one of its
  ``times`` (null: until cleared). ``latency_ms`` delays any kind; ``latency`` then answers
  normally, ``error`` answers ``status`` (503), ``rate_limit`` 429 with ``Retry-After``,
  ``malformed`` a 200 whose body is not JSON, ``drop`` closes the connection unanswered.
* ``PUT /_sim/accounts`` ``{"accounts": [...]}`` upserts accounts (updated_at defaults to now).
* ``PUT /_sim/raw-accounts`` ``{"items": [...], "listed_at"}`` stores objects the listing
  returns as-is (listed at ``listed_at`` when given, else at their updated_at).
* ``POST /_sim/patients`` ``{"patients": [...]}`` adds patients without an account.
* ``GET /_sim/booking-orders`` the orders created so far, with their request data.
"""

from __future__ import annotations

import collections
import contextlib
import hmac
import json
import re
import socket
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from his_simulator.store import StoreError, format_timestamp

VERSION = "1.0.0"
API_PREFIX = "/api/v1"
ENDPOINT_METHODS = {
    "health": "GET",
    "booking-orders": "POST",
    "isc-accounts": "GET",
    "isc-account": "GET",
}
# The query parameters each endpoint takes; any other is refused, as the contract lists them all.
ENDPOINT_QUERY = {"isc-accounts": {"updated_from", "updated_to", "limit", "cursor"}}
FAULT_KINDS = ("latency", "error", "rate_limit", "malformed", "drop")
REQUEST_LOG_LIMIT = 100_000
MALFORMED_BODY = b'{"items": [{"patient_code": "BN0'

_ACCOUNT_PATH = re.compile(re.escape(API_PREFIX) + r"/patients/([^/]+)/isc-account")
_FIXED_PATHS = {
    API_PREFIX + "/health": "health",
    API_PREFIX + "/booking-orders": "booking-orders",
    API_PREFIX + "/isc-accounts": "isc-accounts",
}


def route(path):
    """Contract path -> (endpoint name or None, patient code or None)."""
    endpoint = _FIXED_PATHS.get(path)
    if endpoint:
        return endpoint, None
    match = _ACCOUNT_PATH.fullmatch(path)
    if match:
        return "isc-account", unquote(match.group(1))
    return None, None


def _bad(message):
    return StoreError(422, "validation_error", message)


def _optional_int(spec, field, default, low, high=None):
    value = spec.get(field)
    if value is None:
        return default
    if type(value) is not int or value < low or (high is not None and value > high):
        raise _bad(f"{field} must be an integer >= {low}")
    return value


class FaultBook:
    """Faults queued by the admin API, consumed by contract requests."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    def add(self, spec):
        if not isinstance(spec, dict):
            raise _bad("a fault must be an object")
        endpoint = spec.get("endpoint", "*")
        if endpoint != "*" and endpoint not in ENDPOINT_METHODS:
            raise _bad("endpoint must be * or one of " + ", ".join(ENDPOINT_METHODS))
        kind = spec.get("kind")
        if kind not in FAULT_KINDS:
            raise _bad("kind must be one of " + ", ".join(FAULT_KINDS))
        fault = {
            "endpoint": endpoint,
            "kind": kind,
            "latency_ms": _optional_int(spec, "latency_ms", 0, 0),
            "status": _optional_int(spec, "status", 503, 400, 599),
            "retry_after": _optional_int(spec, "retry_after", 1, 0),
            "times": _optional_int(spec, "times", None, 1),
            # Let this many matching requests through first: a failure half-way through a run.
            "after": _optional_int(spec, "after", 0, 0),
        }
        with self._lock:
            self._faults.append(fault)
        return dict(fault)

    def take(self, endpoint):
        """The fault for one request to ``endpoint``, or None."""
        with self._lock:
            for fault in self._faults:
                if fault["endpoint"] in ("*", endpoint):
                    if fault["after"]:
                        fault["after"] -= 1
                        continue
                    if fault["times"] is not None:
                        fault["times"] -= 1
                        if fault["times"] <= 0:
                            self._faults.remove(fault)
                    return dict(fault)
        return None

    def list(self):
        with self._lock:
            return [dict(fault) for fault in self._faults]

    def clear(self):
        with self._lock:
            self._faults.clear()


class RequestLog:
    """The last contract requests (bounded so a long run cannot exhaust memory)."""

    def __init__(self, limit=REQUEST_LOG_LIMIT):
        self._lock = threading.Lock()
        self._entries = collections.deque(maxlen=limit)

    def record(self, method, path, query):
        entry = {
            "method": method,
            "path": path,
            "query": query,
            "at": format_timestamp(time.time_ns() // 1000),
            "status": None,
        }
        with self._lock:
            self._entries.append(entry)
        return entry

    def entries(self):
        with self._lock:
            return [dict(entry) for entry in self._entries]

    def __len__(self):
        return len(self._entries)

    def clear(self):
        with self._lock:
            self._entries.clear()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse connections
    server_version = "HisSimulator/" + VERSION
    sys_version = ""
    timeout = 120  # closes idle keep-alive connections eventually
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid ~40 ms stalls

    def do_GET(self):
        self._dispatch()

    # Every method reaches the contract, which answers 405 to those an endpoint does not take.
    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_TRACE = do_QUERY = do_GET

    def log_message(self, format, *args):
        if not self.server.quiet:
            super().log_message(format, *args)

    # --- plumbing ----------------------------------------------------------------------------

    def _dispatch(self):
        self._entry = None
        split = urlsplit(self.path)
        length = self.headers.get("Content-Length") or "0"
        if not length.isdigit():
            self.close_connection = True
            self._error(400, "bad_request", "invalid Content-Length")
            return
        body = self.rfile.read(int(length)) if int(length) else b""
        if split.path == "/_sim" or split.path.startswith("/_sim/"):
            self._admin(split.path, body)
        else:
            self._contract(split.path, split.query, body)

    def _send(self, status, body, headers=None, content_type="application/json"):
        if self._entry is not None:
            self._entry["status"] = status
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":  # a HEAD answer has headers only
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. its read timeout fired during a latency fault).
            self.close_connection = True

    def _json(self, status, payload, headers=None):
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        self._send(status, body, headers)

    def _error(self, status, code, message, headers=None):
        self._json(status, {"error": {"code": code, "message": message}}, headers)

    @staticmethod
    def _parse_json(body):
        try:
            return json.loads(body) if body else None
        except ValueError as exc:
            raise StoreError(400, "invalid_json", "the body is not valid JSON") from exc

    # --- contract ----------------------------------------------------------------------------

    def _contract(self, path, query_text, body):
        server = self.server
        query = dict(parse_qsl(query_text, keep_blank_values=True))
        self._entry = server.requests.record(self.command, path, query)
        endpoint, patient_code = route(path)
        fault = server.faults.take(endpoint) if endpoint else None
        if fault is not None and self._apply_fault(fault):
            return
        given = self.headers.get("X-Api-Key") or ""
        if not hmac.compare_digest(given.encode(), server.api_key.encode()):
            self._error(401, "unauthorized", "missing or wrong X-Api-Key header")
            return
        if endpoint is None:
            self._error(404, "unknown_endpoint", f"no endpoint {path}")
            return
        if self.command != ENDPOINT_METHODS[endpoint]:
            self._error(405, "method_not_allowed", f"{self.command} is not allowed here",
                        {"Allow": ENDPOINT_METHODS[endpoint]})
            return
        unknown = sorted({name for name, _value in parse_qsl(query_text, keep_blank_values=True)}
                         - ENDPOINT_QUERY.get(endpoint, set()))
        if unknown:
            self._error(422, "invalid_parameter", f"unknown query parameter {unknown[0]!r}")
            return
        store = server.store
        try:
            if endpoint == "health":
                self._json(200, {"status": "ok", "version": VERSION})
            elif endpoint == "isc-accounts":
                page = store.list_accounts(query.get("updated_from"), query.get("updated_to"),
                                           query.get("limit"), query.get("cursor"))
                self._json(200, page)
            elif endpoint == "isc-account":
                self._json(200, store.get_account(patient_code))
            else:
                created, order = store.create_booking_order(self._parse_json(body))
                self._json(201 if created else 200, order)
        except StoreError as exc:
            self._error(exc.status, exc.code, exc.message)

    def _apply_fault(self, fault):
        """Play a fault; True when it replaced the normal answer."""
        if fault["latency_ms"]:
            time.sleep(fault["latency_ms"] / 1000)
        kind = fault["kind"]
        if kind == "latency":
            return False
        if kind == "error":
            self._error(fault["status"], "simulated_error", "simulated HIS failure")
        elif kind == "rate_limit":
            self._error(429, "rate_limited", "too many requests",
                        {"Retry-After": str(fault["retry_after"])})
        elif kind == "malformed":
            self._send(200, MALFORMED_BODY)
        else:  # drop
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
        return True

    # --- admin -------------------------------------------------------------------------------

    def _admin(self, path, body):
        server = self.server
        store = server.store
        try:
            payload = self._parse_json(body)
            if payload is None:
                payload = {}
            if not isinstance(payload, dict):
                raise _bad("the body must be a JSON object")
            action = (self.command, path)
            if action == ("POST", "/_sim/reset"):
                current = store.describe()
                store.reset(payload.get("patients", current["seeded_patients"]),
                            payload.get("seed", current["seed"]),
                            payload.get("accounts_ratio", current["accounts_ratio"]),
                            payload.get("anchor"))
                server.requests.clear()
                server.faults.clear()
                self._json(200, store.describe())
            elif action == ("GET", "/_sim/state"):
                self._json(200, {"store": store.describe(), "faults": server.faults.list(),
                                 "requests": len(server.requests)})
            elif action == ("GET", "/_sim/requests"):
                self._json(200, {"requests": server.requests.entries()})
            elif action == ("DELETE", "/_sim/requests"):
                server.requests.clear()
                self._json(200, {"requests": []})
            elif action == ("GET", "/_sim/faults"):
                self._json(200, {"faults": server.faults.list()})
            elif action == ("PUT", "/_sim/faults"):
                self._json(200, {"fault": server.faults.add(payload)})
            elif action == ("DELETE", "/_sim/faults"):
                server.faults.clear()
                self._json(200, {"faults": []})
            elif action == ("PUT", "/_sim/accounts"):
                self._json(200, {"upserted": store.upsert_accounts(payload.get("accounts"))})
            elif action == ("PUT", "/_sim/raw-accounts"):
                self._json(200, {"inserted": store.add_raw_accounts(payload.get("items"),
                                                                   payload.get("listed_at"))})
            elif action == ("POST", "/_sim/patients"):
                self._json(201, {"patient_codes": store.add_patients(payload.get("patients"))})
            elif action == ("GET", "/_sim/booking-orders"):
                self._json(200, {"booking_orders": store.booking_orders()})
            else:
                self._error(404, "unknown_endpoint", f"no admin endpoint {self.command} {path}")
        except StoreError as exc:
            self._error(exc.status, exc.code, exc.message)


class SimServer(ThreadingHTTPServer):
    """The simulator's HTTP server; holds the store, API key, request log and faults."""

    daemon_threads = True

    def __init__(self, address, store, api_key, quiet=True, log_limit=REQUEST_LOG_LIMIT):
        if not api_key:
            raise ValueError("an API key is required")
        self.store = store
        self.api_key = api_key
        self.quiet = quiet
        self.requests = RequestLog(log_limit)
        self.faults = FaultBook()
        super().__init__(address, Handler)

    def server_bind(self):
        # HTTPServer.server_bind resolves the host name, which can stall without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    @property
    def base_url(self):
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def handle_error(self, request, client_address):
        # Clients vanishing mid-request are expected (timeouts, drop faults); bugs are not.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


def make_server(host, port, store, api_key, quiet=True, log_limit=REQUEST_LOG_LIMIT):
    """A bound, not yet serving, simulator; run ``serve_forever()`` (in a thread)."""
    return SimServer((host, port), store, api_key, quiet=quiet, log_limit=log_limit)
