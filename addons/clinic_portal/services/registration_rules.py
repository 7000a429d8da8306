"""Rules of the new-client registration form: plain values in, error codes out.

No Odoo here, so every rule is tested in milliseconds; the controller turns each code into a
translated message next to its field.
"""

import re
import unicodedata

import phonenumbers
from stdnum.il import idnr

from .text import parse_date

PHONE_CHARS = re.compile(r"^\+?[\d\s\-().]+$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
OLDEST_AGE_YEARS = 130

# Error codes (the controller maps them to translated messages).
REQUIRED = "required"
BAD_PHONE = "bad_phone"
BAD_EMAIL = "bad_email"
BAD_NATIONAL_ID = "bad_national_id"
BAD_DATE = "bad_date"
FUTURE_DATE = "future_date"
TOO_OLD = "too_old"
TOO_LONG = "too_long"
BAD_TEXT = "bad_text"
NOT_A_CHILD = "not_a_child"

# Longest accepted value per field: a bound on what anyone can make the clinic store.
MAX_LENGTH = {"first_name": 64, "last_name": 64, "email": 254, "national_id": 20,
              "birthdate": 10, "gender": 16, "health_fund": 12}
PHONE_MAX_LENGTH = 32
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

PHONE_FIELDS = ("mobile", "mobile2", "home_phone", "father_phone", "mother_phone")


def ascii_digits(value):
    """Any script's decimal digits (Arabic-Indic, Persian …) as ASCII digits."""
    return "".join(str(unicodedata.decimal(c)) if unicodedata.decimal(c, None) is not None
                   else c for c in value or "")


def phone_key(value, region):
    """The E.164 form of a phone number (``+972507654321``), or "" when it is not a number.

    ``region`` (ISO country code) reads numbers written without a country prefix.
    """
    try:
        number = phonenumbers.parse(ascii_digits(value).strip(), region or None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(key):
    """An E.164 key as people read it, with its country prefix (``+972 50-765-4321``)."""
    try:
        number = phonenumbers.parse(key or "", None)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def national_id_key(value):
    """The compact national ID (digits only, ``12345678-2`` → ``123456782``)."""
    return idnr.compact(ascii_digits(value)) if value else ""


def email_key(value):
    """E-mail addresses are compared trimmed and lower-cased, literally (no patterns)."""
    return (value or "").strip().lower()


def phone_error(value):
    value = ascii_digits(value)
    if not PHONE_CHARS.match(value):
        return BAD_PHONE
    digits = re.sub(r"\D", "", value)
    return None if 9 <= len(digits) <= 15 else BAD_PHONE


def national_id_error(value):
    return None if idnr.is_valid(ascii_digits(value)) else BAD_NATIONAL_ID


def email_error(value):
    return None if EMAIL.match(value) else BAD_EMAIL


def text_error(name, value):
    """Over-long values and control characters (NUL …) are refused before any other rule."""
    limit = PHONE_MAX_LENGTH if name in PHONE_FIELDS else MAX_LENGTH.get(name, 64)
    if len(value) > limit:
        return TOO_LONG
    return BAD_TEXT if CONTROL.search(value) else None


def birthdate_error(value, today):
    born = parse_date(value)
    if not born:
        return BAD_DATE
    if born >= today:
        return FUTURE_DATE
    if today.year - born.year > OLDEST_AGE_YEARS:
        return TOO_OLD
    return None


CHECKS = {
    "national_id": national_id_error,
    "email": email_error,
    **dict.fromkeys(PHONE_FIELDS, phone_error),
}


def field_error(name, value, today):
    if name == "birthdate":
        return birthdate_error(value, today)
    check = CHECKS.get(name)
    return check(value) if check else None


ALWAYS = ("first_name", "last_name", "mobile")
# A child added by a parent: their own mobile only if they have one, their birth date always.
CHILD_ALWAYS = ("first_name", "last_name", "birthdate")


def validate(values, shown, required, today, always=ALWAYS):
    """Errors of a registration form, as ``{field: code}``.

    :param values: the submitted text of each field (missing or blank = not given)
    :param shown: names of the optional fields the clinic shows
    :param required: names of the optional fields the clinic requires
    :param today: the clinic's date, for the date of birth
    :param always: the fields always shown and required: first name, last name and mobile
        (``CHILD_ALWAYS`` for a child: first name, last name and date of birth)
    """
    errors = {}
    for name in dict.fromkeys((*always, *shown)):
        value = (values.get(name) or "").strip()
        if not value:
            if name in always or name in required:
                errors[name] = REQUIRED
            continue
        error = text_error(name, value) or field_error(name, value, today)
        if error:
            errors[name] = error
    return errors
