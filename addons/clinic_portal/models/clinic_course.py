from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import const


class ClinicCourse(models.Model):
    """A group of a course: a service given to a group of enrolled clients in meetings.

    Groups of one course share its service: a client who misses a meeting of their group
    makes it up in a meeting of another group of the same service.
    """

    _name = "clinic.course"
    _description = "Course group"
    _order = "date_start desc, name, id"

    name = fields.Char(string="Group", required=True, translate=True,
                       help="The group as clients and staff know it, e.g. \"Hydrotherapy, "
                            "Sunday evening\".")
    product_id = fields.Many2one(
        "product.product", string="Service", required=True, ondelete="restrict",
        domain=[("type", "=", "service")],
        help="The course this group gives: groups of the same service are groups of one "
             "course, where clients make up a missed meeting.")
    instructor_ids = fields.Many2many(
        "res.users", "clinic_course_instructor_rel", "course_id", "user_id",
        string="Instructors", domain=[("share", "=", False)],
        help="Staff who give the meetings: they attend each one, in their calendar.")
    capacity = fields.Integer(
        required=True, default=8,
        help="Seats of each meeting: the enrolled clients and those making up a meeting.")
    company_id = fields.Many2one("res.company", required=True, index=True,
                                 default=lambda self: self.env.company)
    active = fields.Boolean(default=True)
    meeting_ids = fields.One2many("calendar.event", "clinic_course_id", string="Meetings")
    enrollment_ids = fields.One2many("clinic.course.enrollment", "course_id",
                                     string="Enrollments")
    enrolled_count = fields.Integer(string="Enrolled", compute="_compute_enrolled_count")
    date_start = fields.Datetime(string="First meeting", compute="_compute_dates", store=True)
    date_end = fields.Datetime(string="Last meeting", compute="_compute_dates", store=True)
    plan_first_start = fields.Datetime(
        string="Weekly from", help="Start of the first of the weekly meetings to plan.")
    plan_count = fields.Integer(string="Weeks", default=6,
                                help="How many weekly meetings to plan.")

    _capacity_positive = models.Constraint(
        "CHECK (capacity > 0)", "A group has at least one seat.")

    @api.depends("meeting_ids.start", "meeting_ids.active")
    def _compute_dates(self):
        for course in self:
            starts = course.meeting_ids.filtered("active").mapped("start")
            course.date_start = min(starts, default=False)
            course.date_end = max(starts, default=False)

    @api.depends("enrollment_ids.state")
    def _compute_enrolled_count(self):
        for course in self:
            course.enrolled_count = len(course.enrollment_ids.filtered(
                lambda e: e.state == const.ENROLLMENT_ENROLLED))

    @api.constrains("capacity")
    def _check_capacity_fits_seats(self):
        for course in self:
            for meeting in course.meeting_ids:
                if meeting.clinic_seats_taken > course.capacity:
                    raise ValidationError(self.env._(
                        "%(meeting)s already has %(taken)s seats taken: the capacity cannot be "
                        "lower.", meeting=meeting.display_name,
                        taken=meeting.clinic_seats_taken))

    def write(self, vals):
        if "capacity" in vals:
            self._compact_seats(vals["capacity"])
        return super().write(vals)

    def _compact_seats(self, capacity):
        """Move seats numbered beyond a lower ``capacity`` to free lower numbers, one by one
        (seat numbers are unique per meeting), so that the capacity can be lowered as long
        as the seats taken fit."""
        seats = self.env["clinic.course.seat"].sudo().search(
            [("course_id", "in", self.ids), ("seat_no", ">", capacity)])
        for seat in seats:
            taken = seat.meeting_id.clinic_seat_ids.mapped("seat_no")
            free = [n for n in range(1, capacity + 1) if n not in taken]
            if free:
                seat.seat_no = free[0]

    # ------------------------------------------------------------------------------------
    # Meetings and enrollment
    # ------------------------------------------------------------------------------------
    def action_plan_meetings(self):
        """Plan the weekly meetings the form asks for."""
        for course in self:
            if not course.plan_first_start or course.plan_count < 1:
                raise UserError(self.env._(
                    "Give the start of the first meeting and how many weeks to plan."))
            course._plan_weekly_meetings(course.plan_first_start, course.plan_count)
        self.write({"plan_first_start": False})
        return True

    def _plan_weekly_meetings(self, first_start, count):
        """``count`` weekly meetings from ``first_start`` (naive UTC), each as long as the
        service; each seats the enrolled clients and blocks the instructors' calendars."""
        self.ensure_one()
        if not self.instructor_ids:
            raise UserError(self.env._("Choose the instructors of the group first."))
        duration = timedelta(minutes=self.product_id.clinic_duration_minutes or 60)
        return self.env["calendar.event"].with_context(no_mail_to_attendees=True).create([{
            "name": self.name,
            "start": first_start + timedelta(weeks=week),
            "stop": first_start + timedelta(weeks=week) + duration,
            "duration": duration.total_seconds() / 3600,
            "user_id": self.instructor_ids[0].id,
            "partner_ids": [(6, 0, self.instructor_ids.partner_id.ids)],
            "clinic_course_id": self.id,
        } for week in range(count)])

    def action_view_seats(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "clinic_portal.clinic_course_seat_action")
        action["domain"] = [("course_id", "in", self.ids)]
        return action
