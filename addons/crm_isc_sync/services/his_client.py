"""Client of the hospital HIS API (contract: ../api/his_openapi.yaml).

Standalone on purpose (standard library and requests only, no Odoo, no relative imports)
so it can be unit tested and used from scripts as well as from the addon.

Every failure is raised as a subclass of :class:`HisError` whose ``reason`` is a short
English text for logs; callers translate by class for users.
"""

from __future__ import annotations

import json
import math
import queue
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import requests

API_PREFIX = "/api/v1"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ACCOUNT_STATUSES = frozenset({"active", "locked", "revoked"})
NO_ACCOUNT_CODES = frozenset({"not_found", "unknown_patient"})
USER_AGENT = "crm-isc-sync/1.0"
# Longest texts kept from the HIS: patient codes and logins are short; messages are for people.
MAX_CODE_LENGTH = 64
MAX_LOGIN_LENGTH = 128
MAX_MESSAGE_LENGTH = 300
# A timestamp further ahead of the HIS's own clock is an error: it would never fall in a window.
MAX_AHEAD_OF_HIS_CLOCK = timedelta(days=1)
# C0 and C1 control characters: PostgreSQL refuses NUL, the others garble logs and screens.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# Failures worth another attempt: the request may not have reached the HIS, or the answer
# was lost on the way (dropped connection, truncated body, timeout).
_TRANSIENT = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


# --- text from the HIS -----------------------------------------------------------------------


def clean_text(value, limit=MAX_MESSAGE_LENGTH):
    """``value`` as one printable line of at most ``limit`` characters, for logs and people."""
    text = " ".join(_CONTROL_CHARACTERS.sub(" ", str(value)).split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


# --- exceptions ------------------------------------------------------------------------------


class HisError(Exception):
    """Any failure talking to the HIS; ``kind`` names it for the message users read."""

    default_reason = "HIS request failed"
    kind = "error"

    def __init__(self, reason=None, *, status=None, code=None, message=None):
        self.reason = reason or self.default_reason
        self.status = status
        self.code = code
        self.message = message
        super().__init__(self.reason)

    def params(self):
        """What a message about this failure needs, as JSON values."""
        return {"status": self.status, "message": self.message, "reason": self.reason}


class HisConnectionError(HisError):
    """Network failure, timeout or dropped connection once retries ran out."""

    default_reason = "HIS unreachable"
    kind = "unreachable"


class HisServerError(HisConnectionError):
    """The HIS answered, with 5xx or 429, once retries ran out: reachable but failing."""

    default_reason = "HIS answered with an error"
    kind = "server_error"


class HisDeadlineReached(HisError):
    """The caller's time budget ran out before the HIS answered; the work can go on later."""

    default_reason = "time budget spent before the HIS answered"
    kind = "deadline"


class HisAuthError(HisError):
    """The HIS refused the API key (401/403)."""

    default_reason = "HIS refused the API key"
    kind = "auth"


class HisNotFound(HisError):
    """404 from the HIS."""

    default_reason = "not found on the HIS"
    kind = "not_found"


class HisRejected(HisError):
    """Another 4xx: the HIS refused the request; ``code`` and ``message`` come from it."""

    default_reason = "HIS rejected the request"
    kind = "rejected"

    def __init__(self, code, message, *, status=None):
        super().__init__(f"HIS rejected the request ({code}): {message}",
                         status=status, code=code, message=message)


class HisBadResponse(HisError):
    """The HIS answered something that is not valid JSON or not the expected shape."""

    default_reason = "unexpected answer from the HIS"
    kind = "bad_response"


class HisRecordError(HisError):
    """One malformed account record; ``patient_code`` is set when it could be read."""

    default_reason = "malformed account record"
    kind = "record"

    def __init__(self, reason, patient_code=None):
        patient_code = clean_text(patient_code, MAX_CODE_LENGTH) if patient_code else None
        if patient_code:
            reason = f"{reason} (patient {patient_code})"
        super().__init__(reason)
        self.patient_code = patient_code


# --- accounts --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IscAccount:
    patient_code: str
    login: str
    status: str
    issued_at: datetime  # naive, UTC
    updated_at: datetime  # naive, UTC


def _parse_utc(value):
    """``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` -> naive UTC datetime, or None when malformed."""
    # Checking the shape first keeps fromisoformat from accepting the many other ISO forms
    # (offsets, week dates, basic format) the contract does not allow.
    if (
        not isinstance(value, str)
        or len(value) not in (20, 27)
        or value[-1] != "Z"
        or value[10] != "T"
        or value[4] != "-"
        or value[7] != "-"
        or value[13] != ":"
        or value[16] != ":"
        or (len(value) == 27 and value[19] != ".")
    ):
        return None
    try:
        moment = datetime.fromisoformat(value[:-1])
    except ValueError:
        return None
    return moment if moment.tzinfo is None else None


def _account_text(raw, field, limit, patient_code=None):
    """A text field of an account record, refused when it is empty, too long or not printable."""
    value = raw.get(field)
    if not isinstance(value, str) or not value.strip():
        raise HisRecordError(f"account record without {field}", patient_code)
    if _CONTROL_CHARACTERS.search(value):
        raise HisRecordError(f"account record whose {field} has control characters",
                             patient_code)
    if len(value) > limit:
        raise HisRecordError(f"account record whose {field} is longer than {limit} characters",
                             patient_code)
    return value


def _account_time(raw, field, not_after, patient_code):
    moment = _parse_utc(raw.get(field))
    if moment is None:
        raise HisRecordError(f"account record with an invalid {field}", patient_code)
    if not_after is not None and moment > not_after:
        raise HisRecordError(f"account record whose {field} is more than a day ahead of the "
                             f"HIS clock", patient_code)
    return moment


def parse_account(raw, his_now=None):
    """Validate one account record of the HIS; raises HisRecordError when malformed.

    ``his_now`` is the HIS's clock (naive UTC): timestamps more than a day after it are refused.
    """
    if not isinstance(raw, dict):
        raise HisRecordError("account record is not an object")
    given_code = raw.get("patient_code")
    code = _account_text(raw, "patient_code", MAX_CODE_LENGTH,
                         given_code if isinstance(given_code, str) else None)
    login = _account_text(raw, "login", MAX_LOGIN_LENGTH, code)
    status = raw.get("status")
    if status not in ACCOUNT_STATUSES:
        raise HisRecordError(
            f"account record with unknown status {clean_text(repr(status), 40)}", code)
    not_after = his_now + MAX_AHEAD_OF_HIS_CLOCK if his_now is not None else None
    issued_at = _account_time(raw, "issued_at", not_after, code)
    updated_at = _account_time(raw, "updated_at", not_after, code)
    return IscAccount(code, login, status, issued_at, updated_at)


def parse_page(raw_items, his_now=None):
    """Parse one page: (accounts, errors), errors the HisRecordError of each malformed record,
    which is skipped."""
    accounts, errors = [], []
    for raw in raw_items:
        try:
            accounts.append(parse_account(raw, his_now))
        except HisRecordError as error:
            errors.append(error)
    return accounts, errors


def format_utc(moment):
    """Datetime (naive meaning UTC) -> ``YYYY-MM-DDTHH:MM:SSZ`` (fraction kept if any)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def retry_after_seconds(value):
    """Seconds to wait from a Retry-After header (seconds or HTTP date), None if unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def _error_fields(response):
    """(code, message) from an error body, with fallbacks for non-conforming bodies."""
    try:
        error = json.loads(response.content)["error"]
        code, message = error["code"], error["message"]
    except (ValueError, KeyError, TypeError):
        code = message = None
    if isinstance(code, str) and isinstance(message, str):
        return clean_text(code, MAX_CODE_LENGTH), clean_text(message)
    return f"http_{response.status_code}", clean_text(response.text or "") or "no detail"


def _response_time(response):
    """The HIS's clock from the Date header (naive UTC), or None."""
    try:
        moment = parsedate_to_datetime(response.headers.get("Date") or "")
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


# --- client ----------------------------------------------------------------------------------


class HisClient:
    """Talks to one HIS; reuses connections and retries transient failures.

    ``base_url`` is the HIS root (``https://his.example``); a trailing ``/api/v1`` is
    tolerated. ``sleep`` is injectable so tests do not wait for backoffs. ``deadline``
    (``time.monotonic()`` seconds, or None) bounds every call, retries and waits included:
    past it the call raises :class:`HisDeadlineReached`.
    """

    def __init__(
        self,
        base_url,
        api_key,
        connect_timeout=5.0,
        read_timeout=30.0,
        max_retries=3,
        backoff=0.5,
        max_backoff=30.0,
        sleep=time.sleep,
        session=None,
    ):
        base = (base_url or "").strip().rstrip("/")
        if not base:
            raise ValueError("the HIS base URL is required")
        self.base_url = base.removesuffix(API_PREFIX)
        self.api_key = api_key or ""
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_retries = max(0, int(max_retries))
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self._own_session = session is None
        self.session = session if session is not None else requests.Session()
        self.request_count = 0  # HTTP attempts, retries included
        self.retry_count = 0
        self.deadline = None
        self.his_now = None  # the HIS's clock at its last answer

    def clock(self):
        """The HIS's clock (naive UTC) as of its last answer; ours when it sent none."""
        return self.his_now or datetime.now(UTC).replace(tzinfo=None)

    def close(self):
        if self._own_session:
            self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # --- transport ---------------------------------------------------------------------------

    def _delay(self, attempt, retry_after):
        delay = self.backoff * 2**attempt if retry_after is None else retry_after
        return min(delay, self.max_backoff)

    def _timeouts(self, method, path):
        """(connect, read) timeouts of the next attempt, cut to what is left of the deadline."""
        if self.deadline is None:
            return self.connect_timeout, self.read_timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise HisDeadlineReached(f"time budget spent before {method} {path}")
        return min(self.connect_timeout, left), min(self.read_timeout, left)

    def _wait_before_retry(self, delay, failure):
        if self.deadline is not None and time.monotonic() + delay >= self.deadline:
            raise HisDeadlineReached(f"time budget spent, last attempt: {failure.reason}")
        self.sleep(delay)

    def _request(self, method, path, params=None, payload=None):
        """One API call with retries; returns the 2xx response or raises a HisError."""
        url = self.base_url + API_PREFIX + path
        headers = {
            "X-Api-Key": self.api_key,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        body = None
        if payload is not None:
            # Serialised once, here: a value JSON cannot hold is the caller's bug (TypeError),
            # not a network failure.
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            timeouts = self._timeouts(method, path)
            self.request_count += 1
            retry_after = None
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=body,
                    headers=headers,
                    timeout=timeouts,
                    # A redirect could hand the API key to another host.
                    allow_redirects=False,
                )
            except requests.exceptions.Timeout:
                if timeouts != (self.connect_timeout, self.read_timeout):
                    raise HisDeadlineReached(
                        f"time budget spent waiting for {method} {path}") from None
                failure = HisConnectionError(
                    f"HIS did not answer {method} {path} in time "
                    f"(connect {self.connect_timeout}s, read {self.read_timeout}s)")
            except _TRANSIENT as exc:
                failure = HisConnectionError(
                    f"connection to the HIS failed on {method} {path}: {type(exc).__name__}")
            except requests.exceptions.RequestException as exc:
                # Invalid URL and the like: retrying cannot help.
                raise HisConnectionError(
                    f"cannot call the HIS at {url}: {type(exc).__name__}") from exc
            else:
                self.his_now = _response_time(response) or self.his_now
                status = response.status_code
                if status not in RETRY_STATUSES:
                    self._check_status(response, method, path)
                    return response
                code, message = _error_fields(response)
                failure = HisServerError(
                    f"HIS answered HTTP {status} on {method} {path}: {message}",
                    status=status, code=code, message=message)
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            if attempt >= self.max_retries:
                if self.max_retries:
                    failure.reason += f" (after {attempt + 1} attempts)"
                    failure.args = (failure.reason,)
                raise failure
            self._wait_before_retry(self._delay(attempt, retry_after), failure)
            attempt += 1
            self.retry_count += 1

    @staticmethod
    def _check_status(response, method, path):
        status = response.status_code
        if 200 <= status < 300:
            return
        code, message = _error_fields(response)
        if status in (401, 403):
            raise HisAuthError(f"HIS refused the API key (HTTP {status}): {message}",
                               status=status, code=code, message=message)
        if status == 404:
            raise HisNotFound(f"HIS has no {path} ({code}): {message}",
                              status=status, code=code, message=message)
        if 400 <= status < 500:
            raise HisRejected(code, message, status=status)
        if status >= 500:
            raise HisServerError(f"HIS answered HTTP {status} on {method} {path}",
                                     status=status, code=code, message=message)
        raise HisBadResponse(f"unexpected HTTP {status} from the HIS on {method} {path}",
                             status=status)

    @staticmethod
    def _json_object(response):
        try:
            data = json.loads(response.content)
        except ValueError as exc:  # includes JSONDecodeError and UnicodeDecodeError
            raise HisBadResponse("HIS answered with invalid JSON",
                                 status=response.status_code) from exc
        if not isinstance(data, dict):
            raise HisBadResponse("HIS answered JSON that is not an object",
                                 status=response.status_code)
        return data

    # --- API ---------------------------------------------------------------------------------

    def health(self):
        """``{"status": "ok", "version": ...}``; proves the URL and the key work."""
        data = self._json_object(self._request("GET", "/health"))
        if not isinstance(data.get("status"), str):
            raise HisBadResponse("HIS health answer has no status")
        return data

    def create_booking_order(self, payload):
        """Create (or, for a known ``reference``, fetch back) a booking order.

        Returns ``{"order_number", "patient_code", "existing_patient"}``. Retried on
        transient failures: the reference makes the call idempotent on the HIS side.
        """
        data = self._json_object(self._request("POST", "/booking-orders", payload=payload))
        for key in ("order_number", "patient_code"):
            value = data.get(key)
            if not isinstance(value, str) or not value.strip():
                raise HisBadResponse(f"HIS booking order answer has no {key}")
        return data

    def get_account(self, patient_code):
        """The patient's Isc account, or None when the HIS has none for them (yet)."""
        if not patient_code:
            raise ValueError("patient_code is required")
        path = f"/patients/{quote(patient_code, safe='')}/isc-account"
        try:
            response = self._request("GET", path)
        except HisNotFound as exc:
            if exc.code in NO_ACCOUNT_CODES:
                return None
            raise
        return parse_account(self._json_object(response), self.clock())

    def iter_account_pages(self, updated_from, updated_to, page_size=1000, cursor=None):
        """Yield ``(raw_items, next_cursor)`` for accounts updated in [from, to).

        Items are left raw so the caller can parse each one, skip malformed ones and commit
        its progress with ``next_cursor`` after every page; pass that cursor back (with the
        same range) to resume. ``next_cursor`` is None on the last page.
        """
        params = {
            "updated_from": format_utc(updated_from),
            "updated_to": format_utc(updated_to),
            "limit": int(page_size),
        }
        while True:
            if cursor:
                params["cursor"] = cursor
            data = self._json_object(self._request("GET", "/isc-accounts", params=params))
            items = data.get("items")
            next_cursor = data.get("next_cursor")
            if not isinstance(items, list):
                raise HisBadResponse("HIS account page has no items list")
            if next_cursor is not None and (not isinstance(next_cursor, str) or not next_cursor):
                raise HisBadResponse("HIS account page has an invalid next_cursor")
            if next_cursor is not None and next_cursor == cursor:
                # The same cursor again would loop forever.
                raise HisBadResponse("HIS account paging does not advance")
            yield items, next_cursor
            if next_cursor is None:
                return
            cursor = next_cursor


# --- fetching ahead --------------------------------------------------------------------------


class Prefetcher:
    """Iterate ``pages`` with the next item already on its way: one thread fetches it (and
    ``prepare`` turns it into what the caller wants) while the caller handles this one.

    At most one item is fetched ahead: the thread asks ``pages`` for the next item only once
    the caller has taken the one before. An exception of ``pages`` or ``prepare`` is raised
    to the caller where that item would have come, in order, after every item before it.
    Use it as a context manager: leaving stops the thread, which ends once the request in
    flight (bounded by the client's timeouts and deadline) has returned.

    The thread runs ``pages`` and ``prepare`` only: no database and no shared state of the
    caller may be touched there.

    It keeps the seconds of each item, for the log and the benchmark: ``fetch_seconds`` (the
    thread fetching and preparing it), ``wait_seconds`` (the caller waiting for it: the
    fetching that did not overlap the caller's work) and ``handle_seconds`` (the caller's
    work on it, up to asking for the next one).
    """

    _ITEM, _END, _ERROR = "item", "end", "error"

    def __init__(self, pages, prepare=None, name="his-prefetch", join_timeout=1.0):
        self._pages = iter(pages)
        self._prepare = prepare
        self._join_timeout = join_timeout
        self._wanted = queue.SimpleQueue()  # True: fetch the next item; False: stop
        self._ready = queue.SimpleQueue()  # (kind, value), one at a time
        self._done = False
        self.fetch_seconds, self.wait_seconds, self.handle_seconds = [], [], []
        self._returned_at = None
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()
        self._wanted.put(True)

    def _work(self):
        while self._wanted.get():
            began = time.monotonic()
            try:
                item = next(self._pages)
                if self._prepare is not None:
                    item = self._prepare(item)
                self.fetch_seconds.append(time.monotonic() - began)
            except StopIteration:
                self._ready.put((self._END, None))
                return
            except BaseException as error:  # handed to the caller's thread
                self._ready.put((self._ERROR, error))
                return
            self._ready.put((self._ITEM, item))

    def __iter__(self):
        return self

    def __next__(self):
        if self._done:
            raise StopIteration
        asked = time.monotonic()
        if self._returned_at is not None:
            self.handle_seconds.append(asked - self._returned_at)
        kind, value = self._ready.get()
        if kind == self._ITEM:
            self._wanted.put(True)  # the next one is fetched while the caller handles this one
            self._returned_at = time.monotonic()
            self.wait_seconds.append(self._returned_at - asked)
            return value
        self.close()
        if kind == self._ERROR:
            raise value
        raise StopIteration

    def close(self):
        """Stop fetching; waits for the thread a moment, it ends on its own past that."""
        self._done = True
        self._wanted.put(False)
        if self._thread is not threading.current_thread():
            self._thread.join(self._join_timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
