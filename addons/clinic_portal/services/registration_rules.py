"""Rules of the new-client registration form: plain values in, error codes out.

No Odoo here, so every rule is tested in milliseconds; the controller turns each code into a
translated message next to its field.
"""

import re
from datetime import date

from stdnum.il import idnr

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

# Longest text kept per field: names are indexed, and a tampered megabyte must not reach them.
MAX_CHARS = 100
MAX_CHARS_BY_FIELD = {"email": 254}

PHONE_FIELDS = ("mobile", "mobile2", "home_phone", "father_phone", "mother_phone")


def normalize_phone(value):
    """Digits only, with a leading + kept: the form duplicates are looked up by."""
    value = (value or "").strip()
    digits = re.sub(r"\D", "", value)
    return ("+" + digits) if value.startswith("+") else digits


def phone_error(value):
    if not PHONE_CHARS.match(value):
        return BAD_PHONE
    digits = re.sub(r"\D", "", value)
    return None if 9 <= len(digits) <= 15 else BAD_PHONE


def national_id_error(value):
    return None if idnr.is_valid(value) else BAD_NATIONAL_ID


def email_error(value):
    return None if EMAIL.match(value) else BAD_EMAIL


def birthdate_error(value, today):
    try:
        born = date.fromisoformat(value)
    except ValueError:
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


def validate(values, shown, required, today):
    """Errors of a registration form, as ``{field: code}``.

    :param values: the submitted text of each field (missing or blank = not given)
    :param shown: names of the optional fields the clinic shows
    :param required: names of the optional fields the clinic requires
    :param today: the clinic's date, for the date of birth
    First name, last name and mobile are always shown and required.
    """
    errors = {}
    always = ("first_name", "last_name", "mobile")
    for name in (*always, *shown):
        value = (values.get(name) or "").strip()
        if not value:
            if name in always or name in required:
                errors[name] = REQUIRED
            continue
        if len(value) > MAX_CHARS_BY_FIELD.get(name, MAX_CHARS):
            errors[name] = TOO_LONG
            continue
        if name == "birthdate":
            error = birthdate_error(value, today)
        else:
            check = CHECKS.get(name)
            error = check(value) if check else None
        if error:
            errors[name] = error
    return errors
