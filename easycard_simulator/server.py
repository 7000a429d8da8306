"""HTTP front of the EasyCard simulator: one server for the identity, API, metadata and
checkout paths EasyCard serves from four hosts.

Contract paths (EasyCard's own; names match case-insensitively, as ASP.NET routes do):

* ``POST /connect/token``, form ``client_id=terminal``, ``grant_type=terminal_rest_api``,
  ``authorizationKey``. Every ``/api`` path needs ``Authorization: Bearer <access_token>``,
  else 401 with no body.
* ``/api/paymentIntent`` (POST; GET and DELETE ``/{id}``), ``/api/transactions`` (GET list,
  GET ``/{id}``, POST ``create``, ``blocking``, ``selectJ5/{id}``, ``chargeback``),
  ``POST /api/transmission/cancel``, ``/api/cardtokens`` (GET, DELETE ``/{id}``),
  ``/api/consumers`` (GET, POST, GET ``/{id}``), ``GET /api/webhooks``.
* The hosted checkout: ``GET /i?r=&l=`` (card form), ``POST /i/pay``, ``GET``/``POST /i/3ds``
  (3-D Secure), then 302 to the intent's redirectUrl plus ``transactionID`` (or ``TokenID``
  when only saving a card; nothing after Cancel). In webhook mode ``before_redirect`` the
  payer gets a page whose link, ``GET /i/continue?r=``, answers 409 until the payment's
  webhooks are delivered, then redirects.

Test control under ``/_sim/`` (no token; JSON in and out):

* ``POST /_sim/reset`` ``{"allowed_redirects", "token_ttl"}`` (optional) forgets all data,
  faults and webhook settings; issued access tokens stay valid.
* ``GET /_sim/state`` everything held, as JSON; ``GET|PUT|DELETE /_sim/faults`` (faults.py).
* ``POST /_sim/transmit`` runs the settlement batch; ``POST /_sim/expire_j5``
  ``{"paymentTransactionID"}`` (optional: every hold) makes J5 holds expire.
* ``POST /_sim/pay`` ``{"paymentIntentID", "card", "expiry", "cvv", "name", "save_card",
  "three_ds"}`` pays an intent without the pages and answers the redirect URL.
* ``POST /_sim/decline_token`` ``{"creditCardTokenID"}``: later charges of it are declined.
* ``GET|PUT /_sim/webhooks`` ``{"mode", "duplicates", "header_name", "header_value"}`` and
  ``POST /_sim/webhooks/deliver`` ``{"url"}`` (webhooks.py). An Odoo test delivers with
  ``server.deliver_webhooks(url)`` from its own thread instead.
"""

from __future__ import annotations

import contextlib
import re
import socket
import socketserver
import sys
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, quote, unquote, urlsplit

from easycard_simulator import checkout
from easycard_simulator.cards import CardFormError
from easycard_simulator.codec import dumps, loads
from easycard_simulator.contract import ApiError, new_id, validation_error
from easycard_simulator.faults import TAMPER_KINDS, FaultBook, FaultError
from easycard_simulator.store import DEFAULT_TOKEN_TTL, LinkError, Store
from easycard_simulator.webhooks import WebhookConfigError

VERSION = "1.0.0"
MALFORMED_BODY = b'{"status":"success","entityUID":"'
ID = r"/([^/]+)"
# (method, path pattern, endpoint): the endpoint names faults use.
ROUTES = (
    ("POST", r"/connect/token", "token"),
    ("POST", r"/api/paymentIntent", "paymentIntent.create"),
    ("GET", r"/api/paymentIntent" + ID, "paymentIntent.get"),
    ("DELETE", r"/api/paymentIntent" + ID, "paymentIntent.delete"),
    ("GET", r"/api/transactions", "transactions.list"),
    ("POST", r"/api/transactions/create", "transactions.create"),
    ("POST", r"/api/transactions/blocking", "transactions.blocking"),
    ("POST", r"/api/transactions/selectJ5" + ID, "transactions.selectJ5"),
    ("POST", r"/api/transactions/chargeback", "transactions.chargeback"),
    ("GET", r"/api/transactions" + ID, "transactions.get"),
    ("POST", r"/api/transmission/cancel", "transmission.cancel"),
    ("GET", r"/api/cardtokens", "cardtokens.list"),
    ("DELETE", r"/api/cardtokens" + ID, "cardtokens.delete"),
    ("GET", r"/api/consumers", "consumers.list"),
    ("POST", r"/api/consumers", "consumers.create"),
    ("GET", r"/api/consumers" + ID, "consumers.get"),
    ("GET", r"/api/webhooks", "webhooks.list"),
)
_COMPILED = tuple((method, re.compile(pattern, re.IGNORECASE), endpoint)
                  for method, pattern, endpoint in ROUTES)
CREATED = {"paymentIntent.create", "transactions.create", "transactions.blocking",
           "transactions.selectJ5", "transactions.chargeback", "consumers.create"}
# endpoint -> what it does with (store, path argument, query pairs, JSON body reader)
HANDLERS = {
    "paymentIntent.create": lambda s, arg, q, body: s.create_intent(body()),
    "paymentIntent.get": lambda s, arg, q, body: s.get_intent(arg),
    "paymentIntent.delete": lambda s, arg, q, body: s.delete_intent(arg),
    "transactions.list": lambda s, arg, q, body: s.list_transactions(q),
    "transactions.get": lambda s, arg, q, body: s.get_transaction(arg),
    "transactions.create": lambda s, arg, q, body: s.charge(body()),
    "transactions.blocking": lambda s, arg, q, body: s.charge(body(), j5=True),
    "transactions.selectJ5": lambda s, arg, q, body: s.select_j5(arg),
    "transactions.chargeback": lambda s, arg, q, body: s.chargeback(body()),
    "transmission.cancel": lambda s, arg, q, body: s.cancel_transmission(body()),
    "cardtokens.list": lambda s, arg, q, body: s.list_tokens(q),
    "cardtokens.delete": lambda s, arg, q, body: s.delete_token(arg),
    "consumers.list": lambda s, arg, q, body: s.list_consumers(q),
    "consumers.create": lambda s, arg, q, body: s.create_consumer(body()),
    "consumers.get": lambda s, arg, q, body: s.get_consumer(arg),
    "webhooks.list": lambda s, arg, q, body: s.webhook_history(q),
}
REDIRECT_MODES = {"redirect_without_id": "no_id", "redirect_other_id": "other_id"}


def route(method, path):
    """(endpoint, path argument, allowed) of a contract path; endpoint None when unknown."""
    known = None
    for route_method, pattern, endpoint in _COMPILED:
        match = pattern.fullmatch(path)
        if match:
            if route_method == method:
                return endpoint, unquote(match.group(1)) if match.groups() else None, True
            known = endpoint
    return known, None, False


def tamper(payload, kind):
    """An entity answer changed the way a man in the middle or a bug would change it."""
    payload = dict(payload)
    if kind == "tamper_amount":
        for key in ("transactionAmount", "totalAmount", "amount", "initialPaymentAmount",
                    "paymentRequestAmount"):
            if isinstance(payload.get(key), Decimal):
                payload[key] += 1
    elif kind == "tamper_currency":
        payload["currency"] = "USD" if payload.get("currency") == "ILS" else "ILS"
    else:
        deal = dict(payload.get("dealDetails") or {})
        deal["dealReference"] = f"{deal.get('dealReference') or ''}-TAMPERED"
        payload["dealDetails"] = deal
    return payload


class AdminError(Exception):
    def __init__(self, status, message, **extra):
        super().__init__(message)
        self.status = status
        self.body = {"error": message, **extra}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients can reuse connections
    server_version = "EasyCardSimulator/" + VERSION
    sys_version = ""
    timeout = 120  # closes idle keep-alive connections eventually
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid ~40 ms stalls

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def log_message(self, format, *args):
        if not self.server.quiet:
            super().log_message(format, *args)

    # --- plumbing ----------------------------------------------------------------------------

    def _dispatch(self):
        split = urlsplit(self.path)
        length = self.headers.get("Content-Length") or "0"
        if not (length.isascii() and length.isdigit()):
            self.close_connection = True
            self._send(400, b"")
            return
        raw = self.rfile.read(int(length)) if int(length) else b""
        path = split.path
        if path == "/_sim" or path.startswith("/_sim/"):
            self._admin(path, raw)
        elif path == "/i" or path.startswith("/i/"):
            self._checkout(path, split.query, raw)
        else:
            self._contract(path, split.query, raw)

    def _send(self, status, body, content_type=None, headers=None):
        try:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up

    def _json(self, status, payload):
        self._send(status, dumps(payload).encode(), "application/json; charset=utf-8")

    def _html(self, status, text):
        self._send(status, text.encode(), "text/html; charset=utf-8",
                   {"Cache-Control": "no-store"})

    def _redirect(self, location, status=302):
        self._send(status, b"", headers={"Location": location, "Cache-Control": "no-store"})

    def _drop(self):
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    @staticmethod
    def _form(raw):
        fields = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        return {name: values[0] for name, values in fields.items()}

    # --- contract ----------------------------------------------------------------------------

    def _contract(self, path, query_text, raw):
        endpoint, argument, allowed = route(self.command, path)
        if endpoint is None or not allowed:
            self._send(404 if endpoint is None else 405, b"")
            return
        fault = self.server.faults.take(endpoint)
        kind = fault["kind"] if fault else None
        if kind and self._play_fault(endpoint, kind):
            return
        if endpoint != "token" and not self._authorized(kind):
            self._send(401, b"", headers={"WWW-Authenticate": "Bearer"})
            return
        status, payload = self._answer(endpoint, argument, query_text, raw)
        if kind in TAMPER_KINDS and status == 200:
            payload = tamper(payload, kind)
        if kind == "drop_after":
            self._drop()
            return
        self._json(status, payload)

    def _authorized(self, kind):
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        token = token.strip()
        if kind == "unauthorized":
            self.server.store.revoke_access_token(token)
            return False
        return scheme.lower() == "bearer" and self.server.store.access_token_valid(token)

    def _answer(self, endpoint, argument, query_text, raw):
        store = self.server.store
        try:
            if endpoint == "token":
                return store.issue_access_token(self._form(raw))
            pairs = parse_qsl(query_text, keep_blank_values=True)
            return HANDLERS[endpoint](store, argument, pairs, lambda: self._json_body(raw))
        except ApiError as exc:
            return exc.status, exc.body

    @staticmethod
    def _json_body(raw):
        try:
            return loads(raw) if raw else None
        except ValueError as exc:
            raise validation_error("body", "the body is not valid JSON") from exc

    def _play_fault(self, endpoint, kind):
        """Play a fault that replaces the answer; True when it did."""
        if kind == "drop":
            self._drop()
        elif kind == "error_500":
            self._json(500, {"message": "Internal Server Error (simulated)", "status": "error",
                             "correlationId": new_id()})
        elif kind == "bad_request":
            self._json(400, validation_error("simulated", "Simulated validation error").body)
        elif kind == "error_body_201":
            body = validation_error("simulated", "Simulated error under 201").body
            self._json(201, body)
        elif kind == "malformed":
            self._send(201 if endpoint in CREATED else 200, MALFORMED_BODY,
                       "application/json; charset=utf-8")
        elif kind == "unauthorized" and endpoint == "token":
            self._send(401, b"")
        else:
            return False
        return True

    # --- hosted checkout ---------------------------------------------------------------------

    def _checkout(self, path, query_text, raw):
        query = self._form(query_text.encode())
        pages = {("GET", "/i"): self._show_form, ("POST", "/i/pay"): self._submit,
                 ("GET", "/i/3ds"): self._show_challenge, ("POST", "/i/3ds"): self._answer_3ds,
                 ("GET", "/i/continue"): self._continue}
        page = pages.get((self.command, path))
        if page is None:
            self._send(404, b"")
            return
        fields = self._form(raw) if self.command == "POST" else query
        try:
            page(fields)
        except LinkError as exc:
            lang = checkout.language(fields.get("l"))
            self._html(404 if exc.reason == "invalid" else 410,
                       checkout.notice_page(exc.reason, lang))

    def _show_form(self, query):
        view = self.server.store.checkout_view(query.get("r"))
        lang = checkout.language(query.get("l") or view["language"])
        self._html(200, checkout.payment_page(view, lang))

    def _submit(self, form):
        store, opaque = self.server.store, form.get("r")
        lang = checkout.language(form.get("l"))
        if form.get("action") == "cancel":
            self._leave_checkout(store.cancel_checkout(opaque), opaque, lang)
            return
        try:
            step = store.pay(opaque, form, form.get("saveCard") == "1")
        except CardFormError as exc:
            view = store.checkout_view(opaque)
            self._html(400, checkout.payment_page(view, lang, exc.fields, form))
            return
        if step.challenge_id:
            self._redirect("/i/3ds?c=" + quote(step.challenge_id, safe=""), 303)
        else:
            self._leave_checkout(step.intent_id, opaque, lang)

    def _show_challenge(self, query):
        lang = checkout.language(self.server.store.challenge_language(query.get("c")))
        self._html(200, checkout.challenge_page(query.get("c"), lang))

    def _answer_3ds(self, form):
        store = self.server.store
        lang = checkout.language(store.challenge_language(form.get("c")))
        intent_id = store.answer_challenge(form.get("c"), form.get("action") == "approve")
        self._leave_checkout(intent_id, store.link_of(intent_id), lang)

    def _leave_checkout(self, intent_id, opaque, lang):
        """Send the payer back to the merchant, or hold them until the webhooks are sent."""
        hub = self.server.store.webhooks
        if hub.mode == "before_redirect" and hub.pending_for(intent_id):
            self._html(200, checkout.hold_page(self._continue_url(opaque), lang))
        else:
            self._redirect(self._merchant_url(intent_id))

    @staticmethod
    def _continue_url(opaque):
        return "/i/continue?r=" + quote(opaque, safe="")

    def _continue(self, query):
        store = self.server.store
        intent_id, language = store.intent_of_link(query.get("r"))
        if store.webhooks.pending_for(intent_id):
            page = checkout.hold_page(self._continue_url(query["r"]), checkout.language(language))
            self._html(409, page)
        else:
            self._redirect(self._merchant_url(intent_id))

    def _merchant_url(self, intent_id):
        fault = self.server.faults.take("checkout")
        mode = REDIRECT_MODES[fault["kind"]] if fault else "normal"
        return self.server.store.redirect_for(intent_id, mode)

    # --- test control ------------------------------------------------------------------------

    def _admin(self, path, raw):
        try:
            payload = loads(raw) if raw else {}
        except ValueError:
            self._json(400, {"error": "the body is not valid JSON"})
            return
        action = ADMIN.get((self.command, path))
        if action is None:
            self._json(404, {"error": f"no test control {self.command} {path}"})
            return
        try:
            if not isinstance(payload, dict):
                raise AdminError(400, "the body must be a JSON object")
            status, body = action(self.server, payload)
        except (FaultError, WebhookConfigError) as exc:
            status, body = 400, {"error": str(exc)}
        except ApiError as exc:
            status, body = exc.status, exc.body
        except AdminError as exc:
            status, body = exc.status, exc.body
        self._json(status, body)


# --- test control actions: (server, JSON body) -> (status, JSON answer) -----------------------


def _reset(server, body):
    server.store.reset(body.get("allowed_redirects"), body.get("token_ttl"))
    server.faults.clear()
    return 200, server.store.dump()["terminal"]


def _state(server, _body):
    return 200, {**server.store.dump(), "faults": server.faults.list()}


def _pay(server, body):
    try:
        intent_id = server.store.pay_headless(body)
    except LinkError as exc:
        raise AdminError(409, f"the payment intent cannot be paid: link {exc.reason}") from exc
    except CardFormError as exc:
        raise AdminError(400, "invalid card fields", fields=exc.fields) from exc
    _status, intent = server.store.get_intent(intent_id)
    fault = server.faults.take("checkout")
    mode = REDIRECT_MODES[fault["kind"]] if fault else "normal"
    return 200, {"paymentIntentID": intent_id, "status": intent["status"],
                 "transactionID": intent["paymentTransactionID"],
                 "tokenID": server.store.token_of(intent_id),
                 "redirect": server.store.redirect_for(intent_id, mode)}


def _deliver(server, body):
    url = body.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise AdminError(400, "url must be an http(s) URL")
    return 200, {"deliveries": server.deliver_webhooks(url)}


def _clear_faults(server, _body):
    server.faults.clear()
    return 200, {"faults": []}


def _decline_token(server, body):
    server.store.decline_token(body.get("creditCardTokenID"))
    return 200, {"creditCardTokenID": body.get("creditCardTokenID"), "declines": True}


ADMIN = {
    ("POST", "/_sim/reset"): _reset,
    ("GET", "/_sim/state"): _state,
    ("GET", "/_sim/faults"): lambda server, body: (200, {"faults": server.faults.list()}),
    ("PUT", "/_sim/faults"): lambda server, body: (200, {"fault": server.faults.add(body)}),
    ("DELETE", "/_sim/faults"): _clear_faults,
    ("POST", "/_sim/transmit"): lambda server, body: (200, server.store.transmit()),
    ("POST", "/_sim/expire_j5"): lambda server, body: (
        200, {"expired": server.store.expire_j5(body.get("paymentTransactionID"))}),
    ("POST", "/_sim/pay"): _pay,
    ("POST", "/_sim/decline_token"): _decline_token,
    ("GET", "/_sim/webhooks"): lambda server, body: (
        200, {**server.store.webhooks.settings(), "queued": server.store.webhooks.queued()}),
    ("PUT", "/_sim/webhooks"): lambda server, body: (
        200, server.store.webhooks.configure(body)),
    ("POST", "/_sim/webhooks/deliver"): _deliver,
}


class SimServer(ThreadingHTTPServer):
    """The simulator's HTTP server: holds the store and the faults."""

    daemon_threads = True

    def __init__(self, address, store, public_url=None, quiet=True):
        self.store = store
        self.quiet = quiet
        self.faults = FaultBook()
        super().__init__(address, Handler)
        store.public_url = (public_url or self.base_url).rstrip("/")

    def server_bind(self):
        # HTTPServer.server_bind resolves the host name, which can stall without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    @property
    def base_url(self):
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def deliver_webhooks(self, url, timeout=10):
        """POST the queued webhook events to ``url`` from the calling thread."""
        return self.store.webhooks.deliver(url, timeout)

    def handle_error(self, request, client_address):
        # Clients vanishing mid-request are expected (timeouts, drop faults); bugs are not.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


def make_server(host, port, terminal_id, private_key, allowed_redirects=(),
                token_ttl=DEFAULT_TOKEN_TTL, webhook_header=None, public_url=None, quiet=True,
                clock=time.time):
    """A bound, not yet serving, simulator; run ``serve_forever()`` (in a thread).

    ``webhook_header`` is the static (name, value) sent with every webhook, or None.
    ``public_url`` is the base the checkout links use (default: the bound address).
    """
    store = Store(terminal_id, private_key, allowed_redirects, token_ttl,
                  tuple(webhook_header) if webhook_header else None, clock)
    return SimServer((host, port), store, public_url, quiet)
