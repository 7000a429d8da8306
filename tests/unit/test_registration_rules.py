"""The new-client registration form's rules (clinic_portal), without Odoo."""

from datetime import date

from odoo_free import clinic_portal

rules = clinic_portal("services.registration_rules")

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


def test_one_phone_written_any_way_has_one_e164_key():
    writings = ["050-765 4321", "+972 (50) 7654321", "00972507654321",
                "\u0660\u0665\u0660-\u0667\u0666\u0665\u0664\u0663\u0662\u0661",  # Arabic-Indic
                "\u06f0\u06f5\u06f0\u06f7\u06f6\u06f5\u06f4\u06f3\u06f2\u06f1"]  # Persian
    assert {rules.phone_key(w, "IL") for w in writings} == {"+972507654321"}
    assert rules.phone_key("12", "IL") == ""
    assert rules.phone_key("not a phone", "IL") == ""


def test_a_phone_in_arabic_indic_digits_passes_the_phone_rule():
    assert check(mobile="\u0660\u0665\u0660\u0667\u0666\u0665\u0664\u0663\u0662\u0661") == {}


def test_national_id_key_is_the_compact_form():
    assert rules.national_id_key("12345678-2") == "123456782"
    assert rules.national_id_key(" 1234 5678 2 ") == "123456782"
    arabic_indic = "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0662"
    assert rules.national_id_key(arabic_indic) == "123456782"
    assert check(shown=("national_id",), national_id="12345678-2") == {}


def test_email_key_is_trimmed_and_lower_case_and_keeps_wildcards_literal():
    assert rules.email_key("  Dana.Levi@Example.COM ") == "dana.levi@example.com"
    assert rules.email_key("%@%.%") == "%@%.%"


def test_over_long_values_are_refused_before_any_other_rule():
    assert check(first_name="x" * 1_000_000) == {"first_name": "too_long"}
    assert check(mobile="0" * 40) == {"mobile": "too_long"}
    assert check(shown=("email",), email="a" * 250 + "@x.io") == {"email": "too_long"}


def test_control_characters_are_refused():
    assert check(last_name="Le\x00vi") == {"last_name": "bad_text"}
    assert check(first_name="Da\nna") == {"first_name": "bad_text"}
