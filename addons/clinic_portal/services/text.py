"""Values typed or tampered with in the portal: plain functions, no Odoo.

Every number, id, date and time a request carries is read here, once, at the edge: ASCII
digits only and bounded, so that no value ``int()`` or the datetime parsers would take
(``"٣"``) or refuse (``"²"``, a 10⁵-digit number) ever reaches a model. Anything else reads as
"no value", which the routes answer with a 404 or a clear message.
"""

import re
from datetime import UTC, date, datetime

from ..const import START_FORMAT

# Control characters PostgreSQL or the pages choke on; tab and line breaks are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# PostgreSQL's integer columns: no record id, page or count from a request goes beyond.
MAX_INT = 2**31 - 1
_INT = re.compile(r"[0-9]{1,10}", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}", re.ASCII)
_START = re.compile(r"[0-9]{8}T[0-9]{4}Z", re.ASCII)


def clean_text(value, max_chars):
    """``value`` without control characters, stripped and cut to ``max_chars``."""
    if not isinstance(value, str):
        return ""
    return _CONTROL.sub("", value).strip()[:max_chars]


def parse_int(value, low=0, high=MAX_INT):
    """The whole number ``value`` spells in ASCII digits, if within ``[low, high]``; else None.

    ``value`` may be an int already (JSON-RPC parameters are typed); a bool is not a number.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INT.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if low <= number <= high else None


def parse_id(value):
    """The positive record id ``value`` spells, or 0 for anything else."""
    return parse_int(value, low=1) or 0


def parse_date(value):
    """The day ``value`` spells as ``YYYY-MM-DD``, or None."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_month(value):
    """The first day of the month ``value`` spells as ``YYYY-MM``, or None."""
    if not isinstance(value, str) or not _MONTH.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value + "-01")
    except ValueError:
        return None


def parse_start(value):
    """The aware UTC start ``value`` spells in ``START_FORMAT``, or None."""
    if not isinstance(value, str) or not _START.fullmatch(value):
        return None
    try:
        return datetime.strptime(value, START_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
