"""The new-client registration form's rules (clinic_portal), without Odoo."""

import importlib.util
from datetime import date
from pathlib import Path

_PATH = (Path(__file__).resolve().parents[2]
         / "addons/clinic_portal/services/registration_rules.py")
_spec = importlib.util.spec_from_file_location("registration_rules", _PATH)
rules = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rules)

TODAY = date(2026, 11, 22)
BASE = {"first_name": "Dana", "last_name": "Levi", "mobile": "050-1234567"}


def check(shown=(), required=(), **values):
    return rules.validate({**BASE, **values}, shown, required, TODAY)


def test_first_name_last_name_and_mobile_are_always_required():
    errors = rules.validate({}, (), (), TODAY)
    assert errors == {"first_name": "required", "last_name": "required", "mobile": "required"}


def test_a_complete_minimal_form_is_valid():
    assert check() == {}


def test_a_required_optional_field_must_be_given():
    assert check(shown=("email",), required=("email",)) == {"email": "required"}
    assert check(shown=("email",)) == {}


def test_a_hidden_field_is_ignored():
    assert check(national_id="123") == {}


def test_national_id_checksum():
    assert check(shown=("national_id",), national_id="123456782") == {}
    assert check(shown=("national_id",), national_id="123456789") == {
        "national_id": "bad_national_id"}


def test_phone_numbers():
    assert check(mobile="+972 50 123 4567") == {}
    assert check(mobile="050-12") == {"mobile": "bad_phone"}
    assert check(mobile="call me") == {"mobile": "bad_phone"}
    assert check(shown=("home_phone",), home_phone="03x5555555") == {"home_phone": "bad_phone"}


def test_email():
    assert check(shown=("email",), email="dana@example.com") == {}
    assert check(shown=("email",), email="dana@") == {"email": "bad_email"}


def test_date_of_birth_must_be_in_the_past():
    assert check(shown=("birthdate",), birthdate="1990-05-01") == {}
    assert check(shown=("birthdate",), birthdate="2026-11-22") == {"birthdate": "future_date"}
    assert check(shown=("birthdate",), birthdate="1880-01-01") == {"birthdate": "too_old"}
    assert check(shown=("birthdate",), birthdate="01/05/1990") == {"birthdate": "bad_date"}


def test_phones_are_normalized_for_duplicate_lookups():
    assert rules.normalize_phone("050-123 4567") == "0501234567"
    assert rules.normalize_phone("+972 (50) 1234567") == "+972501234567"


def test_a_megabyte_name_is_refused_as_too_long():
    assert check(first_name="x" * 1_000_000) == {"first_name": "too_long"}
    assert check(last_name="Levi" * 25) == {}
