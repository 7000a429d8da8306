"""Webhook events: queued when they happen, delivered only when a caller asks.

EasyCard POSTs a small JSON event (Webhooks.md) and the merchant re-fetches the entity. Security
is at most one static header, configured by EasyCard staff; there is no signature.

Nothing is sent by itself. ``deliver(url)`` POSTs the queue from the caller's thread: an Odoo
test calls it from its own thread, because the simulator's server thread calling into Odoo while
an Odoo worker waits on the simulator could deadlock.

Modes, read when an event is queued unless said otherwise:

* ``normal``: each event once, oldest first.
* ``before_redirect``: as normal, but the checkout holds the payer's redirect until the
  payment's events are delivered (see server.py), so the webhook wins the race.
* ``duplicate``: each event queued ``duplicates`` times with the same eventID.
* ``out_of_order``: delivered newest first (read at delivery).
* ``never``: nothing is queued.
* ``wrong_header``: delivered with the wrong custom-header value (read at delivery).
* ``unknown_id``: ``entityReference`` names an entity that does not exist.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
import uuid

from easycard_simulator.codec import dumps

MODES = ("normal", "before_redirect", "duplicate", "out_of_order", "never", "wrong_header",
         "unknown_id")
DELIVERY_TIMEOUT = 10

# Loopback targets only in tests: ignore any proxy configured in the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class WebhookConfigError(ValueError):
    pass


class WebhookHub:
    """The event queue, the delivery history and the webhook settings of one terminal."""

    def __init__(self, terminal_id, merchant_id, header=None):
        self.terminal_id = terminal_id
        self.merchant_id = merchant_id
        self._initial_header = header
        self._lock = threading.Lock()
        self._delivering = threading.Lock()  # two deliveries at once would send events twice
        self.reset()

    def reset(self):
        with self._lock:
            self.mode = "normal"
            self.duplicates = 2
            self.header = self._initial_header  # (name, value) or None
            self._queue = []  # [(intent id or None, payload)]
            self._history = []

    # --- settings -----------------------------------------------------------------------------

    def configure(self, spec):
        """Change mode, duplicates and header; keys left out keep their value."""
        mode = spec.get("mode", self.mode)
        duplicates = spec.get("duplicates", self.duplicates)
        header = self.header
        if "header_name" in spec or "header_value" in spec:
            header = _header(spec.get("header_name"), spec.get("header_value"))
        if mode not in MODES:
            raise WebhookConfigError("mode must be one of " + ", ".join(MODES))
        if type(duplicates) is not int or not 2 <= duplicates <= 20:
            raise WebhookConfigError("duplicates must be an integer from 2 to 20")
        if mode == "wrong_header" and header is None:
            raise WebhookConfigError("wrong_header needs a header_name and header_value")
        with self._lock:
            self.mode, self.duplicates, self.header = mode, duplicates, header
        return self.settings()

    def settings(self):
        with self._lock:
            return {"mode": self.mode, "duplicates": self.duplicates,
                    "header_name": self.header[0] if self.header else None,
                    "header_value": self.header[1] if self.header else None}

    # --- events -------------------------------------------------------------------------------

    def publish(self, event_name, entity_type, entity_reference, external_reference=None,
                failure=None, intent_id=None, timestamp=None):
        """Queue one event; ``failure`` is the error message of a failure event."""
        with self._lock:
            if self.mode == "never":
                return
            if self.mode == "unknown_id":
                entity_reference = str(uuid.uuid4())
            payload = {
                "eventID": str(uuid.uuid4()),
                "terminalID": self.terminal_id,
                "correlationId": str(uuid.uuid4()),
                "eventName": event_name,
                "entityType": entity_type,
                "entityReference": entity_reference,
                "entityExternalReference": external_reference,
                "eventTimestamp": timestamp,
                "isFailureEvent": failure is not None,
                "errorMesage": failure,  # sic: EasyCard's spelling
            }
            copies = self.duplicates if self.mode == "duplicate" else 1
            self._queue.extend([(intent_id, payload)] * copies)

    def pending_for(self, intent_id):
        """Whether events of this payment intent still wait for delivery."""
        with self._lock:
            return any(owner == intent_id for owner, _payload in self._queue)

    def queued(self):
        with self._lock:
            return [dict(payload) for _owner, payload in self._queue]

    def history(self):
        with self._lock:
            return [dict(entry) for entry in self._history]

    # --- delivery -----------------------------------------------------------------------------

    def deliver(self, url, timeout=DELIVERY_TIMEOUT):
        """POST the queued events to ``url`` from the calling thread.

        Returns ``[{"eventID", "eventName", "status", "error"}]`` in sending order. An event
        the target did not answer with 2xx stays queued for the next delivery.
        """
        with self._delivering:
            with self._lock:
                batch = list(self._queue)
                if self.mode == "out_of_order":
                    batch.reverse()
                headers = {"Content-Type": "application/json"}
                if self.header:
                    name, value = self.header
                    headers[name] = "wrong-" + value if self.mode == "wrong_header" else value
            return [self._send(url, item, headers, timeout) for item in batch]

    def _send(self, url, item, headers, timeout):
        _owner, payload = item
        status, error = _post(url, dumps(payload).encode(), headers, timeout)
        with self._lock:
            self._history.append({"merchantID": self.merchant_id,
                                  "terminalID": self.terminal_id, "url": url,
                                  "payload": dict(payload),
                                  "correlationId": payload["correlationId"],
                                  "eventID": payload["eventID"]})
            if status is not None and 200 <= status < 300 and item in self._queue:
                self._queue.remove(item)
        return {"eventID": payload["eventID"], "eventName": payload["eventName"],
                "status": status, "error": error}


def _header(name, value):
    if name is None and value is None:
        return None
    if not (isinstance(name, str) and name.strip() and isinstance(value, str) and value):
        raise WebhookConfigError("header_name and header_value must both be non-empty text")
    return name.strip(), value


def _post(url, body, headers, timeout):
    """(HTTP status or None, error text or None) of one POST."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            answer.read()
            return answer.status, None
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code, None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", exc))
