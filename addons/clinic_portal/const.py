"""One home for the client portal's names: appointment states, time states, payment kinds,
lock keys, message codes and input limits."""

# Payment kinds are the service offers' (clinic_pricelist_portal): one home for them too.
from odoo.addons.clinic_pricelist_portal.tools.portal_offer import (  # noqa: F401
    PAYMENT_GUARANTEE,
    PAYMENT_NONE,
    PAYMENT_PREPAYMENT,
)

# Times travel in URLs and forms as UTC minutes (20260302T0800Z), read by services.text.
from .services.text import START_FORMAT  # noqa: F401

# What the portal shows of an appointment.
STATUS_UPCOMING = "upcoming"
STATUS_PAST = "past"
STATUS_CANCELLED = "cancelled"

# A start time as the booking rules see it when the patient submits it.
TIME_FREE = "free"
TIME_TAKEN = "taken"
TIME_NOT_OFFERED = "not_offered"

# Scope of the future appointments limit (company field clinic_portal_future_limit_scope).
LIMIT_PER_CALENDAR = "calendar"
LIMIT_GLOBAL = "global"

# Who a mandatory form is shown to (clinic.mandatory.form.audience).
AUDIENCE_ALL = "all"
AUDIENCE_NEW_CLIENTS = "new_clients"
AUDIENCE_STATUSES = "statuses"

# How often a mandatory form is asked (clinic.mandatory.form.frequency).
FREQUENCY_ONCE = "once"
FREQUENCY_YEARLY = "yearly"
FREQUENCY_NEW_CLIENTS = "new_clients"

# Advisory lock classes (pg_advisory_xact_lock(class, id)) of portal bookings.
LOCK_STAFF = 73110
LOCK_PATIENT = 73111
# ... and of the seats of one course meeting (make-up sessions booked in the portal).
LOCK_COURSE_MEETING = 73112
# ... and of registrations of one mobile number (double clicks, second tabs).
LOCK_REGISTRATION = 7421

# Outcomes of a valid registration: the person submitting sees one page for both.
REGISTRATION_RECEIVED = "received"
REGISTRATION_THROTTLED = "throttled"
# At most this many registrations an hour from one client address, and for one identity
# (mobile, national ID or e-mail), whatever became of them (README, "Security model").
REGISTRATION_ATTEMPTS_PER_HOUR = 5

# Outcome messages shown on the appointment page after a redirect (?message=...).
MESSAGE_BOOKED = "booked"
MESSAGE_RESCHEDULED = "rescheduled"
MESSAGE_CANCELLED = "cancelled"
MESSAGES = (MESSAGE_BOOKED, MESSAGE_RESCHEDULED, MESSAGE_CANCELLED)
# ... and the patient's mail about each of them (mail.template XML ids).
PATIENT_MAIL_TEMPLATES = {
    MESSAGE_BOOKED: "clinic_portal.mail_template_appointment_booked",
    MESSAGE_RESCHEDULED: "clinic_portal.mail_template_appointment_rescheduled",
    MESSAGE_CANCELLED: "clinic_portal.mail_template_appointment_cancelled",
}
# Context key of the portal's own changes to an appointment: it mails the patient itself.
CONTEXT_PATIENT_MAILED = "clinic_portal_patient_mailed"

# The booking pages' steps (one template, one step at a time).
STEP_SERVICE = "service"
STEP_STAFF = "staff"
STEP_DAY = "day"
STEP_TIME = "time"
STEP_CONFIRM = "confirm"
STEP_REFUSED = "refused"

# "Any available staff member" in the booking pages' staff parameter.
ANY_STAFF = "any"

# Payment state of an appointment booked with a prepayment (calendar.event
# clinic_payment_state): held for the patient while they pay, then paid, or released unpaid;
# a payment confirmed after its time was lost is refunded, or kept as the patient's balance.
PAYMENT_AWAITING = "awaiting"
PAYMENT_PAID = "paid"
PAYMENT_RELEASED = "released"
PAYMENT_REFUNDED = "refunded"
PAYMENT_CREDITED = "credited"
# An appointment booked against the patient's saved card (a card guarantee): nothing is
# charged at booking; a no-show fee may be charged to the card afterwards by the staff.
PAYMENT_GUARANTEED = "guaranteed"
PAYMENT_FEE_CHARGED = "fee_charged"
# ... and of a paid appointment the patient cancelled: its invoice reversed by a credit note,
# the money refunded to the card, or kept as the patient's balance.
PAYMENT_CANCEL_REFUNDED = "cancel_refunded"
PAYMENT_CANCEL_CREDITED = "cancel_credited"
# Where the money of a paid appointment cancelled in the portal goes (company field
# clinic_portal_cancel_refund): back to the card when the provider can refund, or the balance.
CANCEL_REFUND_CARD = "card"
CANCEL_REFUND_BALANCE = "balance"
# Minutes an appointment is held while the patient pays, unless the clinic sets another.
DEFAULT_HOLD_MINUTES = 15
HOLD_MAX_MINUTES = 1440
# Prefix of the reference of a prepayment transaction: APPT42, APPT42-1 ...
TRANSACTION_PREFIX = "APPT"
# Operations of the transactions of an appointment (payment.transaction.operation): the
# patient's prepayment from the payment form, the saving of the card of a guarantee, and the
# no-show fee the staff charge to that card.
PREPAYMENT_OPERATIONS = ("online_redirect", "online_direct", "online_token")
OPERATION_CARD_SAVED = "validation"
OPERATION_FEE = "offline"

# Longest free text kept from the portal (cancellation reason).
REASON_MAX_CHARS = 1000
# Minutes between offered start times unless the clinic sets another step.
DEFAULT_SLOT_STEP_MINUTES = 15

# Courses: an enrollment's state, a seat's kind and state (clinic.course.enrollment/seat).
ENROLLMENT_ENROLLED = "enrolled"
ENROLLMENT_DONE = "done"
ENROLLMENT_CANCELLED = "cancelled"
SEAT_REGULAR = "regular"
SEAT_MAKEUP = "makeup"
SEAT_BOOKED = "booked"
SEAT_ATTENDED = "attended"
SEAT_ABSENT = "absent"
SEAT_CANCELLED = "cancelled"
# Outcome messages of the course pages (?message=...).
MESSAGE_MAKEUP_BOOKED = "makeup_booked"
MESSAGE_MAKEUP_CANCELLED = "makeup_cancelled"
# ... and the client's mail about each of them (mail.template XML ids).
MAKEUP_MAIL_TEMPLATES = {
    MESSAGE_MAKEUP_BOOKED: "clinic_portal.mail_template_makeup_booked",
    MESSAGE_MAKEUP_CANCELLED: "clinic_portal.mail_template_makeup_cancelled",
}
# States of a treatment plan (clinic.treatment.plan.state): only an active plan is booked.
PLAN_DRAFT = "draft"
PLAN_ACTIVE = "active"
PLAN_DONE = "done"
PLAN_CANCELLED = "cancelled"
# What clients may book (company field clinic_portal_service_types): services of the price
# list, sessions of their treatment plan, or both.
SERVICE_TYPES_REGULAR = "regular"
SERVICE_TYPES_PLAN = "plan"
SERVICE_TYPES_BOTH = "both"
# Advisory lock class of the bookings of one treatment plan line (its last sessions).
LOCK_PLAN_LINE = 73113
