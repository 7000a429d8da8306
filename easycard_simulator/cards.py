"""The simulator's test cards and what the card form accepts.

EasyCard publishes no test cards, so these are the simulator's own:

====================  ===========  ==================================================
card                  brand        outcome
====================  ===========  ==================================================
4111111111111111      VISA         approved
5555555555554444      MASTERCARD   approved
4000000000000002      VISA         ``rejectedByProcessor``
4000000000003220      VISA         3-D Secure challenge: Approve approves, Fail gives
                                   ``rejectedBy3Dsecure``
4000000000009995      VISA         approved, then ``transmissionToProcessorFailed``
                                   at settlement
====================  ===========  ==================================================

Any other number that passes the Luhn check is approved, its brand read from its prefix.
A merchant-initiated charge of a stored card never asks for 3-D Secure.

``solek`` is the Israeli acquirer, not the brand: a MasterCard is acquired by Isracard here, as
it usually is in Israel, so a client must read the brand from ``cardBrand``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

APPROVE = "approve"
DECLINE = "decline"
CHALLENGE = "challenge"
SETTLEMENT_FAILURE = "settlement_failure"

OUTCOMES = {
    "4111111111111111": APPROVE,
    "5555555555554444": APPROVE,
    "4000000000000002": DECLINE,
    "4000000000003220": CHALLENGE,
    "4000000000009995": SETTLEMENT_FAILURE,
}

_EXPIRY = re.compile(r"(0[1-9]|1[0-2])\s*/\s*([0-9]{2}|[0-9]{4})")
_SEPARATORS = re.compile(r"[\s-]")


class CardError(ValueError):
    """Card form input that no card could have; ``field`` names the input."""

    def __init__(self, field):
        super().__init__(field)
        self.field = field


class CardFormError(ValueError):
    """The card form has invalid fields; ``fields`` lists their names in form order."""

    def __init__(self, fields):
        order = ("cardNumber", "expiry", "cvv", "cardOwnerName")
        self.fields = sorted(fields, key=order.index)
        super().__init__(", ".join(self.fields))


def expired(month, year, now_seconds):
    """Whether a card valid through ``month``/``year`` (four digits) has expired by now."""
    today = datetime.fromtimestamp(now_seconds, UTC)
    return (year, month) < (today.year, today.month)


@dataclass(frozen=True)
class Card:
    """A card as the simulator keeps it. The full number never leaves the process."""

    number: str
    month: int
    year: int  # four digits
    owner_name: str | None = None

    @property
    def brand(self):
        return brand_and_solek(self.number)[0]

    @property
    def solek(self):
        return brand_and_solek(self.number)[1]

    @property
    def masked(self):
        return f"{self.number[:6]}****{self.number[-4:]}"

    @property
    def expiration_text(self):
        return f"{self.month:02d}/{self.year % 100:02d}"

    @property
    def outcome(self):
        return OUTCOMES.get(self.number, APPROVE)

    def expired(self, now_seconds):
        return expired(self.month, self.year, now_seconds)


def luhn_valid(digits):
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def brand_and_solek(number):
    """(cardBrand, solek) read from the number's prefix."""
    if number.startswith("4"):
        return "VISA", "VISA"
    if number[:2] in {"51", "52", "53", "54", "55"} or "2221" <= number[:4] <= "2720":
        return "MASTERCARD", "ISRACARD"
    if number[:2] in {"34", "37"}:
        return "AMEX", "AMEX"
    if number[:2] in {"36", "38"}:
        return "DINERS_CLUB", "DINERS_CLUB"
    return "OTHER", "OTHER"


def parse_number(text):
    digits = _SEPARATORS.sub("", text or "")
    if not (digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19
            and luhn_valid(digits)):
        raise CardError("cardNumber")
    return digits


def parse_expiry(text, now_seconds):
    """``MM/YY`` or ``MM/YYYY`` -> (month, four-digit year), not in the past."""
    match = _EXPIRY.fullmatch((text or "").strip())
    if not match:
        raise CardError("expiry")
    month, year = int(match.group(1)), int(match.group(2))
    year += 2000 if year < 100 else 0
    if expired(month, year, now_seconds):
        raise CardError("expiry")
    return month, year


def parse_cvv(text):
    cvv = (text or "").strip()
    if not (cvv.isascii() and cvv.isdigit() and len(cvv) in (3, 4)):
        raise CardError("cvv")
    return cvv


def read_card_form(fields, now_seconds):
    """Card form fields -> Card; raises ValueError listing every invalid field name."""
    card, errors = {}, []
    for name, parse in (("cardNumber", parse_number), ("cvv", parse_cvv)):
        try:
            card[name] = parse(fields.get(name))
        except CardError as exc:
            errors.append(exc.field)
    try:
        card["expiry"] = parse_expiry(fields.get("expiry"), now_seconds)
    except CardError as exc:
        errors.append(exc.field)
    name = (fields.get("cardOwnerName") or "").strip()
    if not name:
        errors.append("cardOwnerName")
    if errors:
        raise CardFormError(errors)
    month, year = card["expiry"]
    return Card(card["cardNumber"], month, year, name)
