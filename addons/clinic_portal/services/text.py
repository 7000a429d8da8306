"""Free text and identifiers typed or tampered with in the portal: plain functions, no Odoo."""

import re

# Control characters PostgreSQL or the pages choke on; tab and line breaks are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Record ids in URLs and forms: ASCII digits only (``int()`` also takes "٣", not "²").
_ID = re.compile(r"^[0-9]{1,9}$")


def clean_text(value, max_chars):
    """``value`` without control characters, stripped and cut to ``max_chars``."""
    if not isinstance(value, str):
        return ""
    return _CONTROL.sub("", value).strip()[:max_chars]


def parse_id(value):
    """The positive record id ``value`` spells, or 0 for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else 0
    if isinstance(value, str) and _ID.match(value):
        return int(value)
    return 0
