"""The policy of a client portal: the company's settings as one immutable value.

No Odoo import: ``PortalPolicy.from_company`` reads the company's fields once (Odoo builds it
with ``res.company._clinic_portal_policy``), and the plain functions below take the policy and
plain values, so the unit tier tests them in milliseconds. Attribute names are the company
fields' names without their ``clinic_portal_`` prefix; the dataclass defaults are the fields'
defaults too (``DEFAULTS``), so a new company and a policy built from nothing agree.
"""

from dataclasses import MISSING, dataclass, fields
from datetime import timedelta

from .. import const

PREFIX = "clinic_portal_"
# Attributes that are no company field of the same name.
NOT_SETTINGS = ("company", "phone")


@dataclass(frozen=True)
class PortalPolicy:
    # The company whose settings these are: a res.company (as superuser) in Odoo.
    company: object = None
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
    # Not "no limit" by default: one new account could otherwise hold every free time.
    future_limit: int = 3
    future_limit_scope: str = const.LIMIT_PER_CALENDAR
    search_start_days: int = 0
    search_range_days: int = 30
    slot_step: int = 15
    treating_team_only: bool = False
    hold_minutes: int = 15
    skip_payment_with_balance: bool = False
    cancel_refund: str = const.CANCEL_REFUND_CARD
    makeup_sessions: int = 14
    service_types: str = const.SERVICE_TYPES_BOTH
    plan_alias: str = ""
    plan_staff_only: bool = False
    allow_registration: bool = False

    @classmethod
    def from_company(cls, company):
        """The policy of ``company`` (a ``res.company``, read as superuser by the caller)."""
        values = {f.name: getattr(company, PREFIX + f.name) for f in fields(cls)
                  if f.name not in NOT_SETTINGS}
        return cls(company=company, phone=company.phone or "", **values)

    @property
    def company_id(self):
        return self.company.id if self.company else 0

    @property
    def books_plans(self):
        """Patients book the sessions of their treatment plans."""
        return self.service_types in (const.SERVICE_TYPES_PLAN, const.SERVICE_TYPES_BOTH)

    @property
    def books_services(self):
        """Patients book the services of the price list."""
        return self.service_types in (const.SERVICE_TYPES_REGULAR, const.SERVICE_TYPES_BOTH)

    @property
    def registration_open(self):
        """A prospect may register as a new client in the portal."""
        return self.enabled and self.allow_registration

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
    if policy.future_limit_scope == const.LIMIT_GLOBAL:
        return set(staff_ids) if total >= policy.future_limit else set()
    return {sid for sid in staff_ids if per_staff.get(sid, 0) >= policy.future_limit}


# The default of each setting, for the company's fields: one place for both.
DEFAULTS = {f.name: f.default for f in fields(PortalPolicy)
            if f.name not in NOT_SETTINGS and f.default is not MISSING}
