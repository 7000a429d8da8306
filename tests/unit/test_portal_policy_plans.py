"""What the client portal books with the clinic's service types (clinic_portal), without Odoo."""

import importlib.util
from pathlib import Path

import pytest

_POLICY = Path(__file__).resolve().parents[2] / "addons/clinic_portal/services/policy.py"
_spec = importlib.util.spec_from_file_location("clinic_policy_plans", _POLICY)
_policy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_policy)
PortalPolicy = _policy.PortalPolicy


@pytest.mark.parametrize(("service_types", "services", "plans"), [
    ("regular", True, False),
    ("plan", False, True),
    ("both", True, True),
])
def test_service_types_choose_price_list_services_plan_sessions_or_both(service_types,
                                                                         services, plans):
    policy = PortalPolicy(company_id=1, service_types=service_types)
    assert (policy.books_services, policy.books_plans) == (services, plans)


def test_an_unknown_service_type_books_nothing():
    policy = PortalPolicy(company_id=1, service_types="")
    assert not policy.books_services and not policy.books_plans
