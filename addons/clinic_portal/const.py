"""One home for the client portal's names: appointment states, time states, payment kinds,
lock keys, message codes, setting values and their defaults, input limits.

No import, Odoo's least of all: the models, the controllers and the Odoo-free services
(``services/``) all read their names here.
"""

# The payment step of a service's portal offer, as clinic_pricelist_portal's
# ``tools/portal_offer.py`` decides it (the Odoo tier checks both name the same values).
PAYMENT_NONE = "none"
PAYMENT_GUARANTEE = "guarantee"
PAYMENT_PREPAYMENT = "prepayment"

# Times travel in URLs and forms as UTC minutes (20260302T0800Z), read by services.text.
START_FORMAT = "%Y%m%dT%H%MZ"

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

# What clients may book (company field clinic_portal_service_types): services of the price
# list, sessions of their treatment plan, or both.
SERVICE_TYPES_REGULAR = "regular"
SERVICE_TYPES_PLAN = "plan"
SERVICE_TYPES_BOTH = "both"

# Who a mandatory form is shown to (clinic.mandatory.form.audience).
AUDIENCE_ALL = "all"
AUDIENCE_NEW_CLIENTS = "new_clients"
AUDIENCE_STATUSES = "statuses"

# How often a mandatory form is asked (clinic.mandatory.form.frequency).
FREQUENCY_ONCE = "once"
FREQUENCY_YEARLY = "yearly"

# Advisory lock classes (pg_advisory_xact_lock(class, id)) of portal bookings, taken in this
# order: the staff calendar, the patient, then what is booked (a plan line's last sessions,
# a course meeting's last seats), then who pays for the patient.
LOCK_STAFF = 73110
LOCK_PATIENT = 73111
LOCK_PLAN_LINE = 73113
LOCK_COURSE_MEETING = 73112
# ... and last, the balance of a family member who pays for the patient.
LOCK_PAYER = 73114
# ... and of registrations of one mobile number (double clicks, second tabs).
LOCK_REGISTRATION = 7421

# Registration fields a clinic may show or require, with the contact field each one fills.
# First name, last name and mobile are always shown and required, so they are not listed.
# The e-mail is listed (it fills the contact's e-mail) but always asked: it is the login.
REGISTRATION_FIELDS = {
    "birthdate": "clinic_birthdate",
    "national_id": "clinic_national_id",
    "gender": "clinic_gender",
    "mobile2": "clinic_mobile2",
    "home_phone": "clinic_home_phone",
    "father_phone": "clinic_father_phone",
    "mother_phone": "clinic_mother_phone",
    "email": "email",
    "health_fund": "clinic_health_fund_id",
}
ALWAYS_ASKED = ("email",)
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
# The payment states each payment state may be reached from (calendar.event
# _clinic_payment_transition); False: an appointment with no payment state yet.
PAYMENT_TRANSITIONS = {
    PAYMENT_AWAITING: (False,),
    PAYMENT_PAID: (False, PAYMENT_AWAITING, PAYMENT_RELEASED),
    PAYMENT_RELEASED: (PAYMENT_AWAITING,),
    PAYMENT_REFUNDED: (PAYMENT_AWAITING, PAYMENT_RELEASED, PAYMENT_REFUNDED, PAYMENT_CREDITED),
    PAYMENT_CREDITED: (PAYMENT_AWAITING, PAYMENT_RELEASED, PAYMENT_REFUNDED, PAYMENT_CREDITED),
    PAYMENT_GUARANTEED: (False, PAYMENT_AWAITING),
    PAYMENT_FEE_CHARGED: (PAYMENT_GUARANTEED,),
    PAYMENT_CANCEL_REFUNDED: (PAYMENT_PAID,),
    PAYMENT_CANCEL_CREDITED: (PAYMENT_PAID,),
}
# Where the money of a paid appointment cancelled in the portal goes (company field
# clinic_portal_cancel_refund): back to the card when the provider can refund, or the balance.
CANCEL_REFUND_CARD = "card"
CANCEL_REFUND_BALANCE = "balance"
# Most minutes the clinic may hold an appointment while the patient pays.
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
# What a portal booking is for (services.booking.BookingRequest.purpose): a service of the
# price list, a session of a treatment plan, a make-up meeting of a course, or another time
# for an appointment the patient has.
PURPOSE_SERVICE = "service"
PURPOSE_PLAN_SESSION = "plan_session"
PURPOSE_MAKEUP = "makeup"
PURPOSE_RESCHEDULE = "reschedule"

# Family links (clinic.family.link): a parent's link to their child, or an adult's link to
# another adult who consented; why a link ended. A child comes of age at ADULT_AGE and may
# keep their parent's link from FAMILY_CONFIRM_DAYS before.
FAMILY_MINOR = "minor"
FAMILY_CONSENT = "consent"
FAMILY_END_ADULT = "adult"
FAMILY_END_PATIENT = "patient"
FAMILY_END_GUARDIAN = "guardian"
FAMILY_END_STAFF = "staff"
ADULT_AGE = 18
FAMILY_CONFIRM_DAYS = 30
# Outcome messages of the family page (?message=...).
MESSAGE_CHILD_ADDED = "child_added"
MESSAGE_ACCESS_ENDED = "access_ended"
MESSAGE_ACCESS_KEPT = "access_kept"
