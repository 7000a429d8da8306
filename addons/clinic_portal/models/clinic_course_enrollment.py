from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import const, db
from ..services import courses, slots
from ..services.booking import BookingRequest


class ClinicMeetingFull(UserError):
    """The last seat of the meeting was taken meanwhile: the client picks another."""


class ClinicCourseEnrollment(models.Model):
    """A client enrolled in a group of a course, and the make-up sessions they book.

    Make-up sessions are booked and cancelled here on the enrollment as the portal's gate
    returns it, as superuser (other groups' meetings and seats are read and written); every
    rule is checked here, whatever the pages showed.
    """

    _name = "clinic.course.enrollment"
    _description = "Course enrollment"
    _order = "course_id, partner_id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Client", required=True, index=True,
                                 ondelete="restrict")
    course_id = fields.Many2one("clinic.course", string="Group", required=True, index=True,
                                ondelete="cascade")
    product_id = fields.Many2one(related="course_id.product_id", string="Service")
    company_id = fields.Many2one(related="course_id.company_id", store=True)
    state = fields.Selection(
        selection=[(const.ENROLLMENT_ENROLLED, "Enrolled"), (const.ENROLLMENT_DONE, "Done"),
                   (const.ENROLLMENT_CANCELLED, "Cancelled")],
        required=True, default=const.ENROLLMENT_ENROLLED,
        help="Enrolled: the client has a seat in each meeting of the group and may make up "
             "missed meetings in the portal. Done or cancelled: no longer.")
    seat_ids = fields.One2many("clinic.course.seat", "enrollment_id", string="Seats")
    makeup_used = fields.Integer(
        string="Make-up sessions used", compute="_compute_makeup_used", store=True,
        help="Make-up sessions in other groups this client holds or attended.")
    makeup_left = fields.Integer(
        string="Make-up sessions left", compute="_compute_makeup_left",
        help="How many more make-up sessions the client may book in the portal: the "
             "company's allowance less those used.")

    _partner_course_unique = models.Constraint(
        "UNIQUE (partner_id, course_id)", "This client is already enrolled in this group.")

    @api.constrains("state", "course_id")
    def _check_group_not_full(self):
        for course in self.course_id:
            if course.enrolled_count > course.capacity:
                raise ValidationError(self.env._(
                    "%(group)s is full: it has %(capacity)s seats.", group=course.name,
                    capacity=course.capacity))

    @api.depends("seat_ids.kind", "seat_ids.state")
    def _compute_makeup_used(self):
        for enrollment in self:
            enrollment.makeup_used = len(enrollment.seat_ids.filtered(
                lambda s: s.kind == const.SEAT_MAKEUP and s.state != const.SEAT_CANCELLED))

    @api.depends("makeup_used", "company_id")
    def _compute_makeup_left(self):
        for enrollment in self:
            # A portal setting, which clients reading their enrollment do not read.
            allowance = enrollment.company_id.sudo().clinic_portal_makeup_sessions
            enrollment.makeup_left = courses.makeup_left(allowance, enrollment.makeup_used)

    @api.depends("partner_id", "course_id")
    def _compute_display_name(self):
        for enrollment in self:
            enrollment.display_name = f"{enrollment.partner_id.name} – {enrollment.course_id.name}"

    @api.model_create_multi
    def create(self, vals_list):
        enrollments = super().create(vals_list)
        enrollments.filtered(lambda e: e.state == const.ENROLLMENT_ENROLLED)._seat_in_meetings()
        return enrollments

    def _seat_in_meetings(self):
        """A regular seat for each enrollment in each future meeting of its group."""
        now = fields.Datetime.now()
        seats = self.env["clinic.course.seat"].sudo()
        for enrollment in self:
            for meeting in enrollment.course_id.meeting_ids.filtered(
                    lambda m: m.active and m.start > now):
                sitting = meeting.clinic_seat_ids.filtered("is_live").partner_id
                if enrollment.partner_id not in sitting:
                    seats._seat(meeting, enrollment, const.SEAT_REGULAR)

    def action_cancel(self):
        """Leave the group: the seats of its future meetings, make-ups included, are freed."""
        now = fields.Datetime.now()
        self.seat_ids.filtered(lambda s: s.is_live and s.meeting_id.start > now)._cancel()
        self.write({"state": const.ENROLLMENT_CANCELLED})

    def action_done(self):
        self.write({"state": const.ENROLLMENT_DONE})

    def action_enroll(self):
        self.write({"state": const.ENROLLMENT_ENROLLED})
        self._seat_in_meetings()

    # ------------------------------------------------------------------------------------
    # Make-up sessions in the portal
    # ------------------------------------------------------------------------------------
    def _makeup_meetings(self, policy):
        """The meetings this enrollment may make up a meeting in now: of other active groups
        of the same service and company, in the portal's search window and after the
        minimum notice, with a free seat, not one the client sits in and, with "Prevent
        parallel appointments", not at the time of another of their appointments."""
        self.ensure_one()
        first, after = self._makeup_bounds(policy)
        if first >= after:
            return self.env["calendar.event"]
        meetings = self.env["calendar.event"].search([
            ("clinic_course_id.product_id", "=", self.course_id.product_id.id),
            ("clinic_course_id.company_id", "=", self.course_id.company_id.id),
            ("clinic_course_id", "!=", self.course_id.id),
            ("start", ">=", slots.to_naive_utc(first)),
            ("start", "<", slots.to_naive_utc(after)),
        ], order="start, id")
        busy = self._busy(meetings, policy)
        return meetings.filtered(lambda m: m.clinic_seats_taken < m.clinic_course_id.capacity
                                 and self.partner_id not in m.clinic_seat_ids.filtered(
                                     "is_live").partner_id
                                 and not self._overlaps(m, busy))

    def _makeup_bounds(self, policy):
        """``(first, after)`` aware: the portal's search window after the minimum notice."""
        availability = self.env["clinic.availability.engine"]
        first, after = availability._horizon(self.partner_id, policy)
        notice = slots.earliest_new_start(availability._now(), policy.min_hours_new)
        return max(first, notice), after

    def _busy(self, meetings, policy):
        if not policy.prevent_parallel or not meetings:
            return []
        start = slots.from_naive_utc(min(meetings.mapped("start")))
        stop = slots.from_naive_utc(max(meetings.mapped("stop")))
        return self.env["clinic.availability.engine"]._busy_intervals(
            self.partner_id, start, stop, fresh=True).get(self.partner_id.id, [])

    def _overlaps(self, meeting, busy):
        start, stop = slots.from_naive_utc(meeting.start), slots.from_naive_utc(meeting.stop)
        return any(b_start < stop and start < b_stop for b_start, b_stop in busy)

    def _makeup_meeting(self, meeting_id):
        """The meeting a client chose for a make-up, by its id from the page: any id, which
        ``_makeup_request`` then checks is one offered to this enrollment."""
        return self.env["calendar.event"].browse(meeting_id or 0)

    def _makeup_request(self, meeting, policy):
        """Booking a seat for this enrollment's client in ``meeting`` of another group, as a
        make-up session, for ``clinic.booking.engine._book``.

        :raises UserError: a clear message
        """
        self.ensure_one()
        self._check_makeup_open(policy)
        meeting = meeting.exists()
        if not meeting or meeting not in self._makeup_candidates(meeting, policy):
            raise UserError(self._makeup_refusal(meeting, policy))
        return BookingRequest(
            purpose=const.PURPOSE_MAKEUP, policy=policy, partner=self.partner_id,
            product=meeting.clinic_course_id.product_id,
            start=slots.from_naive_utc(meeting.start), staff=self.env["res.users"],
            meeting=meeting, enrollment=self)

    def _makeup_seat_number(self, meeting, policy):
        """The number of a free seat of ``meeting`` for a make-up of this enrollment, counted
        under the booking locks in a new snapshot too: the last seat booked by two clients at
        once goes to one."""
        taken, used = self._fresh_counts(meeting)
        if used >= policy.makeup_sessions:
            raise UserError(self._used_up_message(policy))
        number = courses.first_free_seat(taken, meeting.clinic_course_id.capacity)
        if number is None:
            raise ClinicMeetingFull(self.env._("This meeting is full. Please choose another."))
        return number

    def _makeup_seat(self, meeting, seat_no):
        """Seat this enrollment's client in ``meeting`` as a make-up, in seat ``seat_no``.

        :returns: the new seat (sudo)
        """
        seat = self.env["clinic.course.seat"]._seat(
            meeting, self, const.SEAT_MAKEUP, seat_no=seat_no)
        meeting.message_post(
            body=self.env._("%(client)s booked a make-up session from the client portal.",
                            client=self.partner_id.name),
            subtype_xmlid="mail.mt_note")
        seat._makeup_mail(const.MESSAGE_MAKEUP_BOOKED)
        return seat

    def _check_makeup_open(self, policy):
        if not policy.enabled:
            raise UserError(self.env._("The client portal is closed."))
        if not policy.self_scheduling or policy.makeup_sessions <= 0:
            raise UserError(self.env._(
                "Make-up sessions cannot be booked online. Please contact the clinic."))
        if self.state != const.ENROLLMENT_ENROLLED:
            raise UserError(self.env._("You are no longer enrolled in this course."))
        if self.makeup_used >= policy.makeup_sessions:
            raise UserError(self._used_up_message(policy))

    def _makeup_candidates(self, meeting, policy):
        """``meeting`` if it is one this enrollment may make up a meeting in, else nothing:
        the list's rules, for one meeting."""
        return self._makeup_meetings(policy).filtered(lambda m: m == meeting)

    def _makeup_refusal(self, meeting, policy):
        """Why ``meeting`` cannot be booked as a make-up session of this enrollment."""
        course = meeting.clinic_course_id
        if not meeting.exists() or not course or not meeting.active or course == self.course_id \
                or course.product_id != self.course_id.product_id \
                or course.company_id != self.course_id.company_id:
            return self.env._("This meeting is not open for make-up sessions of your course.")
        first, after = self.env["clinic.availability.engine"]._horizon(self.partner_id, policy)
        start = slots.from_naive_utc(meeting.start)
        if not first <= start < after:
            return self.env._("This meeting is outside the days open for booking.")
        if start < self._makeup_bounds(policy)[0]:
            return self.env._("Make-up sessions must be booked at least %(hours)s hours in "
                              "advance.", hours=policy.min_hours_new)
        if self.partner_id in meeting.clinic_seat_ids.filtered("is_live").partner_id:
            return self.env._("You already have a seat in this meeting.")
        if meeting.clinic_seats_taken >= course.capacity:
            return self.env._("This meeting is full. Please choose another.")
        return self.env._("You already have an appointment at this time.")

    def _used_up_message(self, policy):
        return self.env._("You have used all %(count)s make-up sessions of this course.",
                          count=policy.makeup_sessions)

    def _fresh_counts(self, meeting):
        """``(seat numbers taken in meeting, make-ups this enrollment holds)``, read in a new
        snapshot too: what a parallel booking committed meanwhile counts."""
        self.env["clinic.course.seat"].flush_model()
        taken = db.rows(self.env, "SELECT seat_no FROM clinic_course_seat WHERE meeting_id = %s "
                        "AND seat_no > 0", [meeting.id], fresh=True)
        counts = db.rows(self.env, "SELECT count(*) FROM clinic_course_seat WHERE "
                         "enrollment_id = %s AND kind = %s AND state != %s",
                         [self.id, const.SEAT_MAKEUP, const.SEAT_CANCELLED], fresh=True)
        return {row[0] for row in taken}, max(row[0] for row in counts)

    def _makeup_cancel_refusal(self, seat, policy):
        """Why the client cannot cancel the make-up ``seat`` online now, or ''."""
        if not policy.enabled:
            return self.env._("The client portal is closed.")
        if seat.kind != const.SEAT_MAKEUP or seat.state != const.SEAT_BOOKED:
            return self.env._("This make-up session can no longer be cancelled.")
        if not policy.allow_cancel:
            # "Allow cancelling appointments" off: the clinic takes cancellations itself.
            return self.env._("Make-up sessions cannot be cancelled in the client portal. "
                              "%(contact)s",
                              contact=self.env["clinic.booking.engine"]._contact_message(policy))
        now = self.env["clinic.availability.engine"]._now()
        limit = now + timedelta(hours=policy.min_hours_change)
        if slots.from_naive_utc(seat.meeting_id.start) < limit:
            return self.env._("A make-up session can be cancelled online only up to %(hours)s "
                              "hours before it starts. Please contact the clinic.",
                              hours=policy.min_hours_change)
        return ""

    def _cancel_makeup(self, seat, policy):
        """Cancel the make-up ``seat`` of this enrollment: the seat is freed and the make-up
        session given back.

        :raises UserError: a clear message; nothing is changed
        """
        self.ensure_one()
        if seat.enrollment_id != self:
            raise UserError(self.env._("This make-up session does not exist."))
        refusal = self._makeup_cancel_refusal(seat, policy)
        if refusal:
            raise UserError(refusal)
        seat._cancel()
        seat.meeting_id.message_post(
            body=self.env._("%(client)s cancelled a make-up session from the client portal.",
                            client=self.partner_id.name),
            subtype_xmlid="mail.mt_note")
        seat._makeup_mail(const.MESSAGE_MAKEUP_CANCELLED)
