"""Client of the hospital HIS API (contract: ../api/his_openapi.yaml).

Standalone on purpose (standard library and requests only, no Odoo, no relative imports)
so it can be unit tested and used from scripts as well as from the addon.

Every failure is raised as a subclass of :class:`HisError` whose ``reason`` is a short
English text for logs; callers translate by class for users.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import requests

API_PREFIX = "/api/v1"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ACCOUNT_STATUSES = frozenset({"active", "locked", "revoked"})
NO_ACCOUNT_CODES = frozenset({"not_found", "unknown_patient"})
USER_AGENT = "crm-isc-sync/1.0"

# Failures worth another attempt: the request may not have reached the HIS, or the answer
# was lost on the way (dropped connection, truncated body, timeout).
_TRANSIENT = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


# --- exceptions ------------------------------------------------------------------------------


class HisError(Exception):
    """Any failure talking to the HIS."""

    default_reason = "HIS request failed"

    def __init__(self, reason=None, *, status=None, code=None, message=None):
        self.reason = reason or self.default_reason
        self.status = status
        self.code = code
        self.message = message
        super().__init__(self.reason)


class HisConnectionError(HisError):
    """Network failure, timeout, dropped connection, or 5xx/429 once retries ran out."""

    default_reason = "HIS unreachable"


class HisAuthError(HisError):
    """The HIS refused the API key (401/403)."""

    default_reason = "HIS refused the API key"


class HisNotFound(HisError):
    """404 from the HIS."""

    default_reason = "not found on the HIS"


class HisRejected(HisError):
    """Another 4xx: the HIS refused the request; ``code`` and ``message`` come from it."""

    default_reason = "HIS rejected the request"

    def __init__(self, code, message, *, status=None):
        super().__init__(f"HIS rejected the request ({code}): {message}",
                         status=status, code=code, message=message)


class HisBadResponse(HisError):
    """The HIS answered something that is not valid JSON or not the expected shape."""

    default_reason = "unexpected answer from the HIS"


class HisRecordError(HisError):
    """One malformed account record; ``patient_code`` is set when it could be read."""

    default_reason = "malformed account record"

    def __init__(self, reason, patient_code=None):
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


def parse_account(raw):
    """Validate one account record of the HIS; raises HisRecordError when malformed."""
    if not isinstance(raw, dict):
        raise HisRecordError("account record is not an object")
    code = raw.get("patient_code")
    if not isinstance(code, str) or not code.strip():
        raise HisRecordError("account record without patient_code")
    login = raw.get("login")
    if not isinstance(login, str) or not login.strip():
        raise HisRecordError("account record with an empty login", code)
    status = raw.get("status")
    if status not in ACCOUNT_STATUSES:
        raise HisRecordError(f"account record with unknown status {status!r}", code)
    issued_at = _parse_utc(raw.get("issued_at"))
    if issued_at is None:
        raise HisRecordError("account record with an invalid issued_at", code)
    updated_at = _parse_utc(raw.get("updated_at"))
    if updated_at is None:
        raise HisRecordError("account record with an invalid updated_at", code)
    return IscAccount(code, login, status, issued_at, updated_at)


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
        return code, message
    return f"http_{response.status_code}", (response.text or "")[:200].strip() or "no detail"


# --- client ----------------------------------------------------------------------------------


class HisClient:
    """Talks to one HIS; reuses connections and retries transient failures.

    ``base_url`` is the HIS root (``https://his.example``); a trailing ``/api/v1`` is
    tolerated. ``sleep`` is injectable so tests do not wait for backoffs.
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
            self.request_count += 1
            retry_after = None
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=body,
                    headers=headers,
                    timeout=(self.connect_timeout, self.read_timeout),
                    # A redirect could hand the API key to another host.
                    allow_redirects=False,
                )
            except requests.exceptions.Timeout:
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
                status = response.status_code
                if status not in RETRY_STATUSES:
                    self._check_status(response, method, path)
                    return response
                code, message = _error_fields(response)
                failure = HisConnectionError(
                    f"HIS answered HTTP {status} on {method} {path}: {message}",
                    status=status, code=code, message=message)
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            if attempt >= self.max_retries:
                if self.max_retries:
                    failure.reason += f" (after {attempt + 1} attempts)"
                    failure.args = (failure.reason,)
                raise failure
            self.sleep(self._delay(attempt, retry_after))
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
            raise HisConnectionError(f"HIS answered HTTP {status} on {method} {path}",
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
        return parse_account(self._json_object(response))

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
