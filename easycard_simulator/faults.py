"""Faults queued by tests, consumed by the requests they match.

A fault names an ``endpoint`` (one of ENDPOINTS, or ``*`` for every API endpoint and the
token endpoint), a ``kind``, how many ``times`` it applies (null: until cleared) and how many
matching requests it lets through first (``after``). For each request the first matching
fault applies.

Kinds for the API and the token endpoint:

* ``drop``: the connection closes unanswered, the request not carried out;
* ``drop_after``: the request is carried out, then the connection closes unanswered (a
  timeout that hides a completed charge);
* ``error_500``: 500 with an error body, nothing carried out;
* ``unauthorized``: 401 with no body, and the bearer token used is revoked, so only a new
  token works (forces re-authentication);
* ``bad_request``: 400 Validation Errors, nothing carried out;
* ``error_body_201``: 201 whose body says ``status: error``, nothing carried out;
* ``malformed``: the status of success with a body that is not JSON, nothing carried out.

Kinds for ``transactions.get`` and ``paymentIntent.get`` only: ``tamper_amount``,
``tamper_currency``, ``tamper_reference``: the entity answered with its amount raised by 1.00,
another currency or another dealReference.

Kinds for ``checkout`` only (the payer's redirect after a payment): ``redirect_without_id``
and ``redirect_other_id``.
"""

from __future__ import annotations

import threading

ENDPOINTS = (
    "token", "paymentIntent.create", "paymentIntent.get", "paymentIntent.delete",
    "transactions.list", "transactions.get", "transactions.create", "transactions.blocking",
    "transactions.selectJ5", "transactions.chargeback", "transmission.cancel",
    "cardtokens.list", "cardtokens.delete", "consumers.list", "consumers.create",
    "consumers.get", "webhooks.list", "checkout",
)
API_KINDS = ("drop", "drop_after", "error_500", "unauthorized", "bad_request",
             "error_body_201", "malformed")
TAMPER_KINDS = ("tamper_amount", "tamper_currency", "tamper_reference")
REDIRECT_KINDS = ("redirect_without_id", "redirect_other_id")
TAMPERABLE = ("transactions.get", "paymentIntent.get")


class FaultError(ValueError):
    pass


def _kinds_for(endpoint):
    if endpoint == "checkout":
        return REDIRECT_KINDS
    if endpoint in TAMPERABLE:
        return API_KINDS + TAMPER_KINDS
    return API_KINDS


def _count(spec, name, default, low):
    value = spec.get(name, default)
    if value is not None and (type(value) is not int or value < low):
        raise FaultError(f"{name} must be an integer >= {low}")
    return value


class FaultBook:
    """The queued faults; thread safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    def add(self, spec):
        if not isinstance(spec, dict):
            raise FaultError("a fault must be a JSON object")
        endpoint = spec.get("endpoint", "*")
        if endpoint != "*" and endpoint not in ENDPOINTS:
            raise FaultError("endpoint must be * or one of " + ", ".join(ENDPOINTS))
        kind = spec.get("kind")
        allowed = API_KINDS if endpoint == "*" else _kinds_for(endpoint)
        if kind not in allowed:
            raise FaultError(f"kind for {endpoint} must be one of " + ", ".join(allowed))
        fault = {"endpoint": endpoint, "kind": kind, "times": _count(spec, "times", 1, 1),
                 "after": _count(spec, "after", 0, 0)}
        if fault["after"] is None:
            raise FaultError("after must be an integer >= 0")
        with self._lock:
            self._faults.append(fault)
        return dict(fault)

    def take(self, endpoint):
        """The fault for one request to ``endpoint``, or None."""
        with self._lock:
            for fault in self._faults:
                wildcard = fault["endpoint"] == "*" and endpoint != "checkout"
                if not (wildcard or fault["endpoint"] == endpoint):
                    continue
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
