"""The client portal's booking policy and input cleaning (clinic_portal), without Odoo."""

import ast
import importlib.util
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from odoo_free import ADDON, clinic_portal

policy_module = clinic_portal("services.policy")
text = clinic_portal("services.text")
PortalPolicy = policy_module.PortalPolicy


def company(**values):
    """A stand-in for res.company with the portal fields the policy reads."""
    fields = {f"clinic_portal_{name}": default
              for name, default in policy_module.DEFAULTS.items()}
    fields.update({f"clinic_portal_{k}": v for k, v in values.items()})
    return SimpleNamespace(id=7, phone="+972 3 555 0100", **fields)


def test_the_policy_is_built_from_the_company_fields_and_frozen():
    policy = PortalPolicy.from_company(company(enabled=True, future_limit=3))
    assert (policy.company_id, policy.phone, policy.future_limit) == (7, "+972 3 555 0100", 3)
    with pytest.raises(FrozenInstanceError):
        policy.future_limit = 4


def test_registration_is_open_only_with_the_portal():
    assert PortalPolicy.from_company(company(enabled=True,
                                             allow_registration=True)).registration_open
    assert not PortalPolicy.from_company(company(enabled=False,
                                                 allow_registration=True)).registration_open


def test_booking_is_open_only_with_the_portal_and_self_scheduling():
    assert PortalPolicy.from_company(company(enabled=True, self_scheduling=True)).booking_open
    assert not PortalPolicy.from_company(company(enabled=False,
                                                 self_scheduling=True)).booking_open
    assert not PortalPolicy.from_company(company(enabled=True,
                                                 self_scheduling=False)).booking_open


def test_the_grid_is_the_step_or_the_services_duration():
    hour = timedelta(hours=1)
    assert PortalPolicy().step_for(hour) == timedelta(minutes=15)
    assert PortalPolicy(slot_step=0).step_for(hour) == hour


def test_future_limit_per_calendar_and_global():
    per_calendar = PortalPolicy(future_limit=2)
    assert policy_module.limited_staff(per_calendar, [1, 2], 2, {1: 2}) == {1}
    global_limit = PortalPolicy(future_limit=2, future_limit_scope="global")
    assert policy_module.limited_staff(global_limit, [1, 2], 2, {1: 1, 2: 1}) == {1, 2}
    assert policy_module.limited_staff(PortalPolicy(future_limit=0), [1], 9, {1: 9}) == set()


def test_free_text_loses_nul_and_control_characters_and_is_cut():
    assert text.clean_text("ill\x00 and\x07 tired\n", 1000) == "ill and tired"
    assert text.clean_text("x" * 5000, 1000) == "x" * 1000
    assert text.clean_text(None, 10) == ""


def test_ids_are_ascii_digits_only():
    assert text.parse_id("42") == 42
    assert [text.parse_id(v) for v in ("²", "٣", "-1", "1e3", "", None, "9" * 20)] == [0] * 7
    assert [text.parse_id(v) for v in ("０", "4２", " 42", "42\n", True, 2**31, "2147483648")] \
        == [0] * 7
    assert text.parse_id(2**31 - 1) == 2**31 - 1


def test_numbers_are_bounded_ascii_digits():
    assert text.parse_int("0") == 0
    assert text.parse_int("7", low=1, high=5) is None
    assert [text.parse_int(v) for v in ("¹", "𝟠", "1" * 100_000, "-0", "+3", "3.0", [3])] \
        == [None] * 7


def test_days_and_starts_are_read_from_ascii_only():
    assert text.parse_date("2026-03-02") == date(2026, 3, 2)
    assert [text.parse_date(v) for v in ("２０２６-03-02", "2026-02-30", "0000-01-01",
                                         "2026-03-02\x00", "2026-3-2", None)] == [None] * 6
    assert text.parse_start("20260302T0800Z") == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert [text.parse_start(v) for v in ("20260302T0860Z", "٢٠٢٦0302T0800Z", "20260302T0800",
                                          "00000101T0000Z", "", 20260302)] == [None] * 6
    assert text.parse_month("2026-12") == date(2026, 12, 1)
    assert [text.parse_month(v) for v in ("2026-13", "２０２６-03", "0000-01", "2026-03-01",
                                          "2026-3", None, ["2026-03"])] == [None] * 7


courses = clinic_portal("services.courses")


def test_makeup_left_is_the_allowance_less_the_used_never_below_zero():
    assert courses.makeup_left(14, 3) == 11
    assert courses.makeup_left(0, 0) == 0
    assert courses.makeup_left(2, 5) == 0


def test_first_free_seat_is_the_lowest_number_not_taken_within_the_capacity():
    assert courses.first_free_seat([], 5) == 1
    assert courses.first_free_seat([1, 2, 4], 5) == 3
    assert courses.first_free_seat([1, 2, 3, 4, 5], 5) is None


def test_the_makeup_allowance_is_read_from_the_company_like_every_setting():
    assert PortalPolicy.from_company(company(makeup_sessions=0)).makeup_sessions == 0
    assert PortalPolicy.from_company(company(makeup_sessions=3)).makeup_sessions == 3


def test_the_constants_module_imports_nothing_so_every_service_can_use_it():
    tree = ast.parse((ADDON / "const.py").read_text())
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]


def test_payment_kinds_are_those_the_service_offers_decide():
    path = ADDON.parent / "clinic_pricelist_portal" / "tools" / "portal_offer.py"
    spec = importlib.util.spec_from_file_location("portal_offer", path)
    offer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(offer)
    const = clinic_portal("const")
    for name in ("PAYMENT_NONE", "PAYMENT_GUARANTEE", "PAYMENT_PREPAYMENT"):
        assert getattr(const, name) == getattr(offer, name)


def test_every_payment_state_is_reached_through_the_transitions():
    const = clinic_portal("const")
    states = {value for name, value in vars(const).items()
              if name.startswith("PAYMENT_") and isinstance(value, str)
              and name not in ("PAYMENT_NONE", "PAYMENT_GUARANTEE", "PAYMENT_PREPAYMENT")}
    assert set(const.PAYMENT_TRANSITIONS) == states
    assert all(source is False or source in states
               for sources in const.PAYMENT_TRANSITIONS.values() for source in sources)
