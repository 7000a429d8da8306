"""In-memory HIS data: patients, Isc accounts and booking orders.

Independent of HTTP so tests can drive it directly. Every public method is thread safe.

Seeding is deterministic for a given (patients, seed, accounts_ratio, anchor):

* patient i (1-based) has code ``BN%06d``, name ``Patient i``, mobile ``09%08d`` and
  national ID ``%012d``;
* the first ``max(ceil(accounts_ratio * N), min(10, N))`` patients have an Isc account and
  the others none yet, so patients 1..10 always have one;
* logins are ``isc%06d``; patients 1..10 are active except patient 3 (locked); the others
  are active (90 %), locked (7 %) or revoked (3 %), drawn from the seed;
* ``updated_at`` is spread over the 30 days before the anchor (whole seconds, anchor
  excluded); ``issued_at`` lies between the start of that window and ``updated_at``.

Seeded patients are not stored one by one: their data derives from their number, which
keeps 100,000 patients cheap. Only accounts, added patients and orders take memory.
"""

from __future__ import annotations

import base64
import bisect
import json
import math
import random
import re
import threading
import time
from datetime import UTC, date, datetime, timedelta

WINDOW_SECONDS = 30 * 86_400
DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
ACCOUNT_STATUSES = ("active", "locked", "revoked")
GENDERS = ("male", "female", "other")
ALWAYS_WITH_ACCOUNT = 10
LOCKED_DEMO_PATIENT = 3

_US = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class StoreError(Exception):
    """A request the HIS refuses; ``status`` is the HTTP status it maps to."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _invalid(message, code="validation_error"):
    return StoreError(422, code, message)


# --- timestamps ------------------------------------------------------------------------------
# Kept as integer microseconds since the epoch (UTC): exact ordering, cheap to store.


def parse_timestamp(value):
    """ISO 8601 text (``Z``, an offset, or naive meaning UTC) -> microseconds since epoch."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        moment = datetime.fromisoformat(value)
    else:
        raise ValueError("not a timestamp")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _ONE_US


def format_timestamp(us):
    """Microseconds since epoch -> ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``."""
    seconds, micros = divmod(us, _US)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{text}.{micros:06d}Z" if micros else text + "Z"


def _timestamp_param(value, name):
    try:
        return parse_timestamp(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise _invalid(f"{name} is not an ISO 8601 date-time", "invalid_parameter") from exc


def default_anchor(now_seconds):
    """The default anchor: the given instant truncated to the hour."""
    return int(now_seconds) // 3600 * 3600


# --- cursors ---------------------------------------------------------------------------------
# A cursor is the sort key (updated_at, patient_code, raw sequence) of the last item sent.
# Clients must treat it as opaque.


def encode_cursor(key):
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text):
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        us, code, seq = json.loads(raw)
    except (ValueError, TypeError) as exc:
        raise _invalid("cursor is not one this server issued", "invalid_cursor") from exc
    if type(us) is not int or not isinstance(code, str) or type(seq) is not int:
        raise _invalid("cursor is not one this server issued", "invalid_cursor")
    return (us, code, seq)


# --- seeding ---------------------------------------------------------------------------------


def accounts_for(patients, accounts_ratio):
    """How many of the first patients get an account when seeding."""
    wanted = math.ceil(round(accounts_ratio * patients, 9))
    return max(wanted, min(ALWAYS_WITH_ACCOUNT, patients))


def _seed_accounts(patients, seed, accounts_ratio, anchor_s):
    rand = random.Random(seed).random
    start = anchor_s - WINDOW_SECONDS
    accounts = {}
    keys = []
    for i in range(1, accounts_for(patients, accounts_ratio) + 1):
        code = f"BN{i:06d}"
        offset = int(rand() * WINDOW_SECONDS)
        updated = (start + offset) * _US
        issued = (start + int(rand() * (offset + 1))) * _US
        draw = rand()  # drawn for every patient so later ones do not depend on 1..10
        if i <= ALWAYS_WITH_ACCOUNT:
            status = "locked" if i == LOCKED_DEMO_PATIENT else "active"
        else:
            status = "active" if draw < 0.9 else "locked" if draw < 0.97 else "revoked"
        accounts[code] = (code, f"isc{i:06d}", status, issued, updated)
        keys.append((updated, code, 0))
    keys.sort()
    return accounts, keys


def _account_json(account):
    code, login, status, issued, updated = account
    return {
        "patient_code": code,
        "login": login,
        "status": status,
        "issued_at": format_timestamp(issued),
        "updated_at": format_timestamp(updated),
    }


# --- validation helpers ----------------------------------------------------------------------


# What the contract calls blank: space, tab and line breaks (not every Unicode space).
BLANK = " \t\r\n"


def _text(body, field, required=False):
    value = body.get(field)
    if value is None:
        if required:
            raise _invalid(f"{field} is required")
        return None
    if not isinstance(value, str):
        raise _invalid(f"{field} must be a string")
    value = value.strip(BLANK)
    if not value:
        if required:
            raise _invalid(f"{field} is required")
        return None
    return value


def _date(body, field, required=False):
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise _invalid(f"{field} is required" if value is None else f"{field} must be a string")
    try:
        if not _DATE_RE.fullmatch(value):
            raise ValueError(value)
        date.fromisoformat(value)
    except ValueError as exc:
        raise _invalid(f"{field} must be a date YYYY-MM-DD") from exc
    return value


def _int_param(value, name, default, low, high):
    if value is None:
        return default
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            raise _invalid(f"{name} must be an integer", "invalid_parameter")
        value = int(value)
    if type(value) is not int or not low <= value <= high:
        raise _invalid(f"{name} must be between {low} and {high}", "invalid_parameter")
    return value


class Store:
    """Patients, Isc accounts and booking orders of one simulated HIS."""

    def __init__(self, patients=1000, seed=1, accounts_ratio=0.9, anchor=None, clock=time.time):
        self._lock = threading.RLock()
        self._clock = clock
        self.reset(patients, seed, accounts_ratio, anchor)

    # --- lifecycle ---------------------------------------------------------------------------

    def reset(self, patients, seed, accounts_ratio, anchor=None):
        """Re-seed from scratch; ``anchor`` is ISO text, a datetime, or None for now."""
        if type(patients) is not int or patients < 0:
            raise _invalid("patients must be a non-negative integer")
        if type(seed) is not int:
            raise _invalid("seed must be an integer")
        if not isinstance(accounts_ratio, int | float) or not 0 <= accounts_ratio <= 1:
            raise _invalid("accounts_ratio must be between 0 and 1")
        if anchor is None:
            anchor_s = default_anchor(self._clock())
        else:
            anchor_s = _timestamp_param(anchor, "anchor") // _US
        accounts, keys = _seed_accounts(patients, seed, accounts_ratio, anchor_s)
        with self._lock:
            self.seeded_patients = patients
            self.seed = seed
            self.accounts_ratio = accounts_ratio
            self.anchor = format_timestamp(anchor_s * _US)
            self._accounts = accounts
            self._keys = keys
            self._raw = []
            self._extra = {}
            self._by_national_id = {}
            self._by_mobile = {}
            self._next_index = patients
            self._orders = []
            self._orders_by_ref = {}

    def describe(self):
        with self._lock:
            return {
                "patients": self.seeded_patients + len(self._extra),
                "seeded_patients": self.seeded_patients,
                "seed": self.seed,
                "accounts_ratio": self.accounts_ratio,
                "anchor": self.anchor,
                "accounts": len(self._accounts),
                "raw_accounts": len(self._raw),
                "booking_orders": len(self._orders),
            }

    def _now_us(self):
        return int(self._clock() * _US)

    # --- patients ----------------------------------------------------------------------------

    def _seeded_index(self, code):
        digits = code[2:]
        if code.startswith("BN") and digits.isascii() and digits.isdigit():
            index = int(digits)
            if 1 <= index <= self.seeded_patients and code == f"BN{index:06d}":
                return index
        return 0

    def _seeded_patient(self, index):
        return {
            "patient_code": f"BN{index:06d}",
            "name": f"Patient {index}",
            "mobile": f"09{index:08d}",
            "national_id": f"{index:012d}",
            "birth_date": None,
            "gender": None,
        }

    def get_patient(self, code):
        with self._lock:
            if code in self._extra:
                return dict(self._extra[code])
            index = self._seeded_index(code)
            return self._seeded_patient(index) if index else None

    def _patient_exists(self, code):
        return code in self._extra or bool(self._seeded_index(code))

    def _find_by_national_id(self, national_id):
        if national_id in self._by_national_id:
            return self._by_national_id[national_id]
        if len(national_id) == 12 and national_id.isascii() and national_id.isdigit():
            index = int(national_id)
            if 1 <= index <= self.seeded_patients:
                return f"BN{index:06d}"
        return None

    def _find_by_mobile(self, mobile):
        if mobile in self._by_mobile:
            return self._by_mobile[mobile]
        digits = mobile[2:]
        if len(mobile) == 10 and mobile.startswith("09") and digits.isascii() and digits.isdigit():
            index = int(digits)
            if 1 <= index <= self.seeded_patients:
                return f"BN{index:06d}"
        return None

    def _allocate_code(self):
        while True:
            self._next_index += 1
            code = f"BN{self._next_index:06d}"
            if code not in self._extra:
                return code

    def _add_patient(self, patient):
        code = patient["patient_code"] or self._allocate_code()
        patient["patient_code"] = code
        self._extra[code] = patient
        # The first patient registered with a national ID or mobile keeps matching it.
        if patient["national_id"]:
            self._by_national_id.setdefault(patient["national_id"], code)
        if patient["mobile"]:
            self._by_mobile.setdefault(patient["mobile"], code)
        return code

    def add_patients(self, items):
        """Add patients without an account; returns their codes. All or nothing."""
        if not isinstance(items, list):
            raise _invalid("patients must be a list")
        patients = []
        for item in items:
            if not isinstance(item, dict):
                raise _invalid("each patient must be an object")
            patients.append({
                "patient_code": _text(item, "patient_code"),
                "name": _text(item, "name", required=True),
                "mobile": _text(item, "mobile"),
                "national_id": _text(item, "national_id"),
                "birth_date": _date(item, "birth_date"),
                "gender": None,
            })
        with self._lock:
            wanted = [p["patient_code"] for p in patients if p["patient_code"]]
            if len(set(wanted)) != len(wanted):
                raise StoreError(409, "conflict", "the same patient_code is given twice")
            for code in wanted:
                if self._patient_exists(code):
                    raise StoreError(409, "conflict", f"patient {code} already exists")
            return [self._add_patient(patient) for patient in patients]

    # --- booking orders ----------------------------------------------------------------------

    def create_booking_order(self, body):
        """Returns (created, order); a known reference returns its order, created False."""
        if not isinstance(body, dict):
            raise _invalid("the body must be a JSON object", "invalid_body")
        if "reference" in body and body["reference"] is None:
            raise _invalid("reference must be a string")  # optional, but never null
        raw_reference = body.get("reference")
        if isinstance(raw_reference, str) and len(raw_reference) > 128:  # as sent, untrimmed
            raise _invalid("reference must be at most 128 characters")
        reference = _text(body, "reference")
        name = _text(body, "name", required=True)
        mobile = _text(body, "mobile")
        national_id = _text(body, "national_id")
        birth_date = _date(body, "birth_date")
        requested_date = _date(body, "requested_date", required=True)
        service = _text(body, "service")
        gender = body.get("gender")
        if gender is not None and gender not in GENDERS:
            raise _invalid("gender must be one of male, female, other or null")
        with self._lock:
            if reference is not None and reference in self._orders_by_ref:
                return False, dict(self._orders_by_ref[reference])
            code = None
            if national_id:
                code = self._find_by_national_id(national_id)
            if code is None and mobile:
                code = self._find_by_mobile(mobile)
            existing = code is not None
            if not existing:
                code = self._add_patient({
                    "patient_code": None,
                    "name": name,
                    "mobile": mobile,
                    "national_id": national_id,
                    "birth_date": birth_date,
                    "gender": gender,
                })
            order = {
                "order_number": f"HIS-ORD-{len(self._orders) + 1:06d}",
                "patient_code": code,
                "existing_patient": existing,
            }
            self._orders.append({
                **order,
                "reference": reference,
                "name": name,
                "requested_date": requested_date,
                "service": service,
            })
            if reference is not None:
                self._orders_by_ref[reference] = order
            return True, dict(order)

    def booking_orders(self):
        with self._lock:
            return [dict(order) for order in self._orders]

    # --- accounts ----------------------------------------------------------------------------

    def get_account(self, code):
        """The account of a patient as JSON; StoreError 404 when there is none."""
        with self._lock:
            account = self._accounts.get(code)
            if account is not None:
                return _account_json(account)
            if self._patient_exists(code):
                raise StoreError(404, "not_found", f"patient {code} has no Isc account yet")
        raise StoreError(404, "unknown_patient", f"no patient {code}")

    def _item(self, key):
        seq = key[2]
        return self._raw[seq - 1] if seq else _account_json(self._accounts[key[1]])

    def list_accounts(self, updated_from=None, updated_to=None, limit=None, cursor=None):
        """One page of accounts with updated_at in [updated_from, updated_to).

        Parameters are the raw query values (text or None), validated here.
        """
        # Missing means no bound; an empty value is not a date-time.
        low = None if updated_from is None else _timestamp_param(updated_from, "updated_from")
        high = None if updated_to is None else _timestamp_param(updated_to, "updated_to")
        if low is not None and high is not None and low > high:
            raise _invalid("updated_from is after updated_to", "invalid_range")
        limit = _int_param(limit, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        after = decode_cursor(cursor) if cursor else None
        with self._lock:
            keys = self._keys
            start = 0 if low is None else bisect.bisect_left(keys, (low,))
            if after is not None:
                start = max(start, bisect.bisect_right(keys, after))
            end = len(keys) if high is None else bisect.bisect_left(keys, (high,))
            stop = min(end, start + limit)
            items = [self._item(key) for key in keys[start:stop]]
            next_cursor = encode_cursor(keys[stop - 1]) if stop < end else None
        return {"items": items, "next_cursor": next_cursor}

    def account_snapshot(self):
        """Every well-formed account as JSON, in listing order."""
        with self._lock:
            return [_account_json(self._accounts[key[1]]) for key in self._keys if not key[2]]

    def upsert_accounts(self, items):
        """Create or replace accounts; updated_at defaults to now. All or nothing."""
        if not isinstance(items, list):
            raise _invalid("accounts must be a list")
        now = self._now_us()
        rows = []
        for item in items:
            if not isinstance(item, dict):
                raise _invalid("each account must be an object")
            code = _text(item, "patient_code", required=True)
            login = _text(item, "login", required=True)
            status = item.get("status")
            if status not in ACCOUNT_STATUSES:
                raise _invalid("status must be one of " + ", ".join(ACCOUNT_STATUSES))
            issued = item.get("issued_at")
            updated = item.get("updated_at")
            issued = None if issued is None else _timestamp_param(issued, "issued_at")
            updated = now if updated is None else _timestamp_param(updated, "updated_at")
            rows.append((code, login, status, issued, updated))
        with self._lock:
            for code, login, status, issued, updated in rows:
                old = self._accounts.get(code)
                if old is not None:
                    self._remove_key((old[4], code, 0))
                    if issued is None:
                        issued = old[3]
                self._accounts[code] = (code, login, status,
                                        updated if issued is None else issued, updated)
                bisect.insort(self._keys, (updated, code, 0))
        return len(rows)

    def _remove_key(self, key):
        index = bisect.bisect_left(self._keys, key)
        if index < len(self._keys) and self._keys[index] == key:
            del self._keys[index]

    def add_raw_accounts(self, items, listed_at=None):
        """Store JSON objects the listing returns untouched, to test client robustness.

        They sort by ``listed_at`` when given (a HIS whose change log disagrees with the
        record), else by their updated_at when it parses, otherwise as if updated now.
        """
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise _invalid("items must be a list of JSON objects")
        listed = None if listed_at is None else _timestamp_param(listed_at, "listed_at")
        with self._lock:
            now = self._now_us()
            for item in items:
                try:
                    updated = listed or parse_timestamp(item.get("updated_at"))
                except (ValueError, TypeError, OverflowError):
                    updated = now
                code = item.get("patient_code")
                self._raw.append(item)
                key = (updated, code if isinstance(code, str) else "", len(self._raw))
                bisect.insort(self._keys, key)
        return len(items)
