from odoo import api, fields, models
from odoo.exceptions import UserError

from .. import const
from ..services import courses


class ClinicCourseSeat(models.Model):
    """A client's seat in a course meeting: their own group's (regular) or a make-up.

    A live seat holds a seat number of its meeting, unique and at most the group's
    capacity: the database itself refuses a seat more than the capacity, whatever writes it.
    """

    _name = "clinic.course.seat"
    _description = "Course meeting seat"
    _order = "start, meeting_id, seat_no, id"
    _rec_name = "partner_id"

    meeting_id = fields.Many2one("calendar.event", required=True,
                                 index=True, ondelete="cascade")
    course_id = fields.Many2one(related="meeting_id.clinic_course_id", store=True, index=True,
                                string="Group")
    capacity = fields.Integer(related="meeting_id.clinic_course_id.capacity", store=True)
    start = fields.Datetime(related="meeting_id.start", store=True)
    partner_id = fields.Many2one("res.partner", string="Client", required=True, index=True,
                                 ondelete="restrict")
    enrollment_id = fields.Many2one(
        "clinic.course.enrollment", required=True, index=True, ondelete="cascade",
        help="The client's enrollment: in this group, or in another group of the same course "
             "for a make-up session, which counts against its make-up sessions.")
    kind = fields.Selection(
        selection=[(const.SEAT_REGULAR, "Own group"), (const.SEAT_MAKEUP, "Make-up session")],
        required=True, default=const.SEAT_REGULAR)
    state = fields.Selection(
        selection=[(const.SEAT_BOOKED, "Booked"), (const.SEAT_ATTENDED, "Present"),
                   (const.SEAT_ABSENT, "Absent"), (const.SEAT_CANCELLED, "Cancelled")],
        required=True, default=const.SEAT_BOOKED)
    seat_no = fields.Integer(string="Seat", readonly=True, copy=False,
                             help="Its number in the meeting, from 1; 0 once cancelled.")
    is_live = fields.Boolean(compute="_compute_is_live")

    _seat_unique = models.UniqueIndex(
        "(meeting_id, seat_no) WHERE seat_no > 0", "This meeting is full.")
    _seat_within_capacity = models.Constraint(
        "CHECK (seat_no >= 0 AND seat_no <= capacity)", "This meeting is full.")
    _seat_numbered_while_live = models.Constraint(
        "CHECK ((state = 'cancelled') = (seat_no = 0))",
        "A seat has a number until it is cancelled.")
    _partner_meeting_unique = models.UniqueIndex(
        "(meeting_id, partner_id) WHERE state != 'cancelled'",
        "This client already has a seat in this meeting.")

    @api.depends("state")
    def _compute_is_live(self):
        for seat in self:
            seat.is_live = seat.state != const.SEAT_CANCELLED

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("seat_no") and vals.get("state") != const.SEAT_CANCELLED:
                vals["seat_no"] = self._next_seat_no(vals["meeting_id"], vals_list)
        return super().create(vals_list)

    def _next_seat_no(self, meeting_id, vals_list):
        """The lowest free number of the meeting, or one past its capacity when it is full
        (which the database refuses)."""
        # Every seat of the meeting holds its number, whoever may read it.
        meeting = self.env["calendar.event"].sudo().browse(meeting_id)
        taken = self.sudo().search([("meeting_id", "=", meeting_id),
                                    ("seat_no", ">", 0)]).mapped("seat_no") + [
            vals.get("seat_no") for vals in vals_list
            if vals.get("meeting_id") == meeting_id and vals.get("seat_no")]
        capacity = meeting.clinic_course_id.capacity
        number = courses.first_free_seat(taken, capacity)
        return capacity + 1 if number is None else number

    @api.model
    def _seat(self, meeting, enrollment, kind, seat_no=None):
        """Seat ``enrollment``'s client in ``meeting``, an attendee of it from now on.

        The client becomes an attendee without writing the meeting itself, which other
        clients' bookings of its seats read meanwhile.
        """
        seat = self.create({
            "meeting_id": meeting.id, "partner_id": enrollment.partner_id.id,
            "enrollment_id": enrollment.id, "kind": kind, "seat_no": seat_no})
        partner = enrollment.partner_id.sudo()
        if meeting not in partner.meeting_ids:
            partner.meeting_ids = [fields.Command.link(meeting.id)]
        if partner not in meeting.attendee_ids.partner_id:
            self.env["calendar.attendee"].sudo().create(
                {"event_id": meeting.id, "partner_id": partner.id, "state": "accepted"})
        return seat

    def _cancel(self):
        """Free the seats: no longer attendees of their meetings."""
        self.write({"state": const.SEAT_CANCELLED, "seat_no": 0})
        for seat in self:
            partner = seat.partner_id.sudo()
            partner.meeting_ids = [fields.Command.unlink(seat.meeting_id.id)]
            seat.meeting_id.attendee_ids.filtered(lambda a, p=partner: a.partner_id == p).unlink()

    def _check_live(self):
        if any(seat.state == const.SEAT_CANCELLED for seat in self):
            raise UserError(self.env._("A cancelled seat has no attendance."))

    def action_absent(self):
        self._check_live()
        self.write({"state": const.SEAT_ABSENT})

    def action_present(self):
        self._check_live()
        self.write({"state": const.SEAT_ATTENDED})

    def action_cancel(self):
        self._check_live()
        self._cancel()
