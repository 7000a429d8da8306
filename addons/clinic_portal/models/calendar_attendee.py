from datetime import UTC, datetime, time, timedelta

from odoo import api, fields, models

from .. import const


class CalendarAttendee(models.Model):
    _inherit = "calendar.attendee"

    # The time each attendance takes from its partner's calendar, kept with the attendance:
    # the booking pages read a whole team's busy times from this table alone, without
    # joining each attendance to its event (see clinic.availability._busy_seconds).
    clinic_busy_from = fields.Float(
        string="Busy from", compute="_compute_clinic_busy", store=True, readonly=True,
        help="Start of the time this attendance takes, in seconds since 1970-01-01 (UTC). "
             "Empty when it takes none: a declined invitation, an archived event, an event "
             "shown as free.")
    clinic_busy_to = fields.Float(
        string="Busy until", compute="_compute_clinic_busy", store=True, readonly=True,
        help="End of the time this attendance takes, in seconds since 1970-01-01 (UTC).")
    clinic_busy_hold = fields.Datetime(
        string="Busy while held until", compute="_compute_clinic_busy", store=True,
        readonly=True,
        help="An appointment held for payment takes its time only until its hold expires.")

    # The booking pages read one staff member's and one patient's appointments through their
    # attendances: found by partner, not by reading every attendance of the database.
    _clinic_partner_event_idx = models.Index("(partner_id, event_id)")
    _clinic_busy_idx = models.Index(
        "(partner_id, clinic_busy_to) INCLUDE (clinic_busy_from, clinic_busy_hold, event_id) "
        "WHERE clinic_busy_to IS NOT NULL")

    @api.depends("state", "event_id.active", "event_id.show_as", "event_id.start",
                 "event_id.stop", "event_id.allday", "event_id.start_date",
                 "event_id.stop_date", "event_id.clinic_payment_state",
                 "event_id.clinic_hold_expiry")
    def _compute_clinic_busy(self):
        for attendee in self:
            (attendee.clinic_busy_from, attendee.clinic_busy_to,
             attendee.clinic_busy_hold) = attendee._clinic_busy_span() or (False, False, False)

    def _clinic_busy_span(self):
        """``(start, end, hold expiry or False)`` of the time this attendance takes, start and
        end in seconds since the epoch; None when it takes none. An all-day event takes its
        whole days (UTC); an appointment held for payment without an expiry takes none."""
        event = self.event_id
        if (not event.active or event.show_as != "busy" or self.state == "declined"
                or not event.start or not event.stop):
            return None
        held = event.clinic_payment_state == const.PAYMENT_AWAITING
        if held and not event.clinic_hold_expiry:
            return None
        if event.allday and event.start_date and event.stop_date:
            start = datetime.combine(event.start_date, time.min)
            stop = datetime.combine(event.stop_date, time.min) + timedelta(days=1)
        else:
            start, stop = event.start, event.stop
        return (round(start.replace(tzinfo=UTC).timestamp()),
                round(stop.replace(tzinfo=UTC).timestamp()),
                held and event.clinic_hold_expiry)

    def _clinic_recompute_busy(self):
        """Compute again the busy spans of these attendances: for rows written without the
        ORM (an import in SQL), which the ORM could not follow."""
        for name in ("clinic_busy_from", "clinic_busy_to", "clinic_busy_hold"):
            self.env.add_to_compute(self._fields[name], self)
        self.flush_recordset()

    def _should_notify_attendee(self, notify_author=False):
        # One mail per change for the patient, the portal's: not Odoo's invitation as well.
        if (self.env.context.get(const.CONTEXT_PATIENT_MAILED)
                and self.partner_id == self.event_id.clinic_patient_id):
            return False
        return super()._should_notify_attendee(notify_author=notify_author)
