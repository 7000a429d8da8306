"""What the client portal books with the clinic's service types (clinic_portal), without Odoo."""

import pytest
from odoo_free import clinic_portal

_policy = clinic_portal("services.policy")
PortalPolicy = _policy.PortalPolicy


@pytest.mark.parametrize(("service_types", "services", "plans"), [
    ("regular", True, False),
    ("plan", False, True),
    ("both", True, True),
])
def test_service_types_choose_price_list_services_plan_sessions_or_both(service_types,
                                                                         services, plans):
    policy = PortalPolicy(service_types=service_types)
    assert (policy.books_services, policy.books_plans) == (services, plans)


def test_an_unknown_service_type_books_nothing():
    policy = PortalPolicy(service_types="")
    assert not policy.books_services and not policy.books_plans
