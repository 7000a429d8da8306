from odoo import api, fields, models

from .. import const


class CalendarEvent(models.Model):
    """A meeting of a course group: its seats, in the instructors' calendars."""

    _inherit = "calendar.event"  # pylint: disable=consider-merging-classes-inherited

    clinic_course_id = fields.Many2one(
        "clinic.course", string="Course group", index="btree_not_null", ondelete="cascade",
        help="The group this event is a meeting of: its enrolled clients have a seat in it, "
             "and clients of other groups of the course may make up a meeting in it.")
    clinic_seat_ids = fields.One2many("clinic.course.seat", "meeting_id", string="Seats")
    clinic_seats_taken = fields.Integer(string="Seats taken",
                                        compute="_compute_clinic_seats")
    clinic_seats_free = fields.Integer(string="Free seats", compute="_compute_clinic_seats")

    @api.depends("clinic_seat_ids.state", "clinic_course_id.capacity")
    def _compute_clinic_seats(self):
        for event in self:
            taken = len(event.clinic_seat_ids.filtered(
                lambda s: s.state != const.SEAT_CANCELLED))
            event.clinic_seats_taken = taken
            event.clinic_seats_free = max(event.clinic_course_id.capacity - taken, 0)

    def _clinic_single_client(self):
        # A meeting of a course is no client's appointment, whoever attends it.
        if self.clinic_course_id:
            return self.env["res.partner"]
        return super()._clinic_single_client()

    @api.model_create_multi
    def create(self, vals_list):
        events = super().create(vals_list)
        events.clinic_course_id.enrollment_ids.filtered(
            lambda e: e.state == const.ENROLLMENT_ENROLLED)._seat_in_meetings()
        return events

    def action_clinic_attendance(self):
        """The attendance of this meeting: a seat per client, present or absent in a click."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "clinic_portal.clinic_course_seat_action")
        action.update(name=self.env._("Attendance: %(meeting)s", meeting=self.display_name),
                      domain=[("meeting_id", "=", self.id)],
                      context={"default_meeting_id": self.id})
        return action
