"""The booking policy of a client portal: the company's settings as one immutable value.

No Odoo import: ``PortalPolicy.from_company`` reads the company's fields once, and the plain
functions below take the policy and plain values, so the unit tier tests them in milliseconds.
Attribute names are the company fields' names without their ``clinic_portal_`` prefix.
"""

from dataclasses import dataclass, fields
from datetime import timedelta

PREFIX = "clinic_portal_"


@dataclass(frozen=True)
class PortalPolicy:
    company_id: int
    phone: str = ""
    enabled: bool = False
    self_scheduling: bool = False
    min_hours_new: int = 48
    min_hours_change: int = 24
    reminder_hours: int = 24
    prevent_gaps: bool = False
    prevent_parallel: bool = False
    allow_cancel: bool = False
    allow_reschedule: bool = False
    future_limit: int = 0
    future_limit_scope: str = "calendar"
    search_start_days: int = 0
    search_range_days: int = 30
    slot_step: int = 15
    treating_team_only: bool = False
    hold_minutes: int = 15
    skip_payment_with_balance: bool = False
    cancel_refund: str = "card"
    makeup_sessions: int = 14
    service_types: str = "both"
    plan_alias: str = ""
    plan_staff_only: bool = False

    @classmethod
    def from_company(cls, company):
        """The policy of ``company`` (a ``res.company``, read as superuser by the caller)."""
        values = {f.name: getattr(company, PREFIX + f.name) for f in fields(cls)
                  if f.name not in ("company_id", "phone")}
        return cls(company_id=company.id, phone=company.phone or "", **values)

    @property
    def books_plans(self):
        """Patients book the sessions of their treatment plans."""
        return self.service_types in ("plan", "both")

    @property
    def books_services(self):
        """Patients book the services of the price list."""
        return self.service_types in ("regular", "both")

    @property
    def booking_open(self):
        """Patients may book, reschedule and see the booking pages."""
        return self.enabled and self.self_scheduling

    def step_for(self, duration):
        """The grid of offered starts for a service of ``duration``: the step, or the
        service's duration when the step is 0."""
        return timedelta(minutes=self.slot_step) if self.slot_step else duration


def limited_staff(policy, staff_ids, total, per_staff):
    """Ids of staff the patient may book no more with, by the future appointments limit.

    :param total: the patient's future appointments
    :param per_staff: ``{staff id: future appointments with them}``
    """
    if not policy.future_limit:
        return set()
    if policy.future_limit_scope == "global":
        return set(staff_ids) if total >= policy.future_limit else set()
    return {sid for sid in staff_ids if per_staff.get(sid, 0) >= policy.future_limit}
