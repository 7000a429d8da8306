"""What a patient asks to book, as one value: plain Python, no Odoo.

Each source builds one (a service of the price list, a session of a treatment plan, a make-up
meeting of a course, another time for an appointment) and hands it to the one booking
pipeline, ``clinic.booking.engine._book``: one order of locks, one re-check.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .. import const


@dataclass(frozen=True)
class BookingRequest:
    purpose: str
    # The policy of the portal the request comes through (services.policy.PortalPolicy).
    policy: object
    # The patient (res.partner, as superuser).
    partner: object
    # The service booked: its duration sizes the appointment.
    product: object
    # The aware start asked for; a make-up takes its meeting's.
    start: datetime | None = None
    # The staff who may take it (res.users): one chosen, or all the patient may book.
    staff: object = None
    # The payment step: const.PAYMENT_NONE, PAYMENT_PREPAYMENT or PAYMENT_GUARANTEE, with
    # the service's portal offer (price, currency) and, for a guarantee, the saved card.
    payment: str = const.PAYMENT_NONE
    offer: dict | None = None
    card: object = None
    # What it is booked against: a treatment plan line; a course meeting and enrollment.
    plan_line: object = None
    meeting: object = None
    enrollment: object = None
    # The appointment moved to another time (a reschedule).
    event: object = None
    # Who pays (res.partner, as superuser): the patient when empty, else the family member
    # who books for them; their card, their balance, their invoice.
    payer: object = None

    @property
    def paid_by(self):
        return self.payer or self.partner

    @property
    def duration(self):
        return timedelta(minutes=self.product.clinic_duration_minutes)

    @property
    def holds(self):
        """Held for the patient until they pay, or until they save the card it needs."""
        return self.payment == const.PAYMENT_PREPAYMENT or (
            self.payment == const.PAYMENT_GUARANTEE and not self.card)

    @property
    def new_appointment(self):
        """It makes a new appointment (a make-up takes a seat, a reschedule moves one)."""
        return self.purpose in (const.PURPOSE_SERVICE, const.PURPOSE_PLAN_SESSION)

    def at(self, start, staff=None):
        """The same request at ``start``, with ``staff`` when given."""
        return replace(self, start=start, staff=self.staff if staff is None else staff)
