from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import UserError
from odoo.http import request

from .. import const
from ..services import courses
from ..services.text import parse_id
from .portal import ClinicPortal

COURSE_MESSAGES = (const.MESSAGE_MAKEUP_BOOKED, const.MESSAGE_MAKEUP_CANCELLED)


class ClinicCoursePortal(ClinicPortal):
    """The client's courses: their meetings, and make-up sessions in other groups.

    Portal users have no access to courses: the gates find the user's own enrollment or
    seat and return it as superuser; anything else is a 404. The models check every rule.
    """

    # ------------------------------------------------------------------------------------
    # The gates
    # ------------------------------------------------------------------------------------
    def _course_enrollments(self):
        """The user's enrollments in courses of the portal's company; none when it is
        closed."""
        policy = self._clinic_policy()
        if not policy.enabled:
            return request.env["clinic.course.enrollment"].sudo()
        return request.env["clinic.course.enrollment"].sudo().search([
            ("partner_id", "=", request.env.user.partner_id.id),
            ("company_id", "=", policy.company_id),
            ("state", "!=", const.ENROLLMENT_CANCELLED),
            ("course_id.active", "=", True),
        ])

    def _enrollment_or_404(self, enrollment_id):
        enrollment = self._course_enrollments().filtered(lambda e: e.id == enrollment_id)
        if not enrollment:
            raise NotFound()
        return enrollment

    def _seat_or_404(self, seat_id):
        seat = request.env["clinic.course.seat"].sudo().browse(seat_id).exists()
        if not seat or seat.enrollment_id not in self._course_enrollments():
            raise NotFound()
        return seat

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "clinic_course_count" in counters:
            values["clinic_course_count"] = len(self._course_enrollments())
        return values

    def _course_values(self, **values):
        policy = self._clinic_policy()
        return self._clinic_values(
            page_name="clinic_courses",
            makeup_left=lambda enrollment: courses.makeup_left(
                policy.makeup_sessions, enrollment.makeup_used),
            makeup_left_label=self._makeup_left_label,
            **values)

    def _makeup_left_label(self, count):
        if count == 1:
            return request.env._("1 make-up session left")
        return request.env._("%(count)s make-up sessions left", count=count)

    # ------------------------------------------------------------------------------------
    # Routes
    # ------------------------------------------------------------------------------------
    @http.route("/my/courses", type="http", auth="user", website=True, methods=["GET"])
    def clinic_courses(self, message=None, **kw):
        return self._courses_page(message=message if message in COURSE_MESSAGES else None)

    def _courses_page(self, message=None, error=None):
        if not self._clinic_policy().enabled:
            raise NotFound()
        enrollments = self._course_enrollments()
        now = fields.Datetime.now()
        seats = request.env["clinic.course.seat"].sudo().search([
            ("enrollment_id", "in", enrollments.ids), ("state", "!=", const.SEAT_CANCELLED),
            ("start", ">", now)], order="start, id")
        policy = self._clinic_policy()
        mailed = bool(message and request.env["clinic.course.seat"]._makeup_mail_template(
            message, request.env.user.partner_id))
        return request.render("clinic_portal.portal_my_courses", self._course_values(
            enrollments=enrollments,
            seats_of=lambda enrollment: seats.filtered(lambda s: s.enrollment_id == enrollment),
            can_cancel=lambda seat: not seat.enrollment_id._makeup_cancel_refusal(seat, policy),
            message=message, error=error, mailed=mailed))

    @http.route("/my/courses/<int:enrollment_id>/makeup", type="http", auth="user",
                website=True, methods=["GET"])
    def clinic_makeup(self, enrollment_id, **kw):
        return self._makeup_page(self._enrollment_or_404(enrollment_id))

    def _makeup_page(self, enrollment, error=None):
        policy = self._clinic_policy()
        refusal = ""
        try:
            enrollment._check_makeup_open(policy)
        except UserError as exc:
            refusal = exc.args[0]
        meetings = enrollment._makeup_meetings(policy) if not refusal else []
        return request.render("clinic_portal.portal_course_makeup", self._course_values(
            enrollment=enrollment, meetings=meetings, refusal=refusal, error=error))

    @http.route("/my/courses/<int:enrollment_id>/makeup", type="http", auth="user",
                website=True, methods=["POST"])
    def clinic_makeup_submit(self, enrollment_id, meeting=None, **kw):
        enrollment = self._enrollment_or_404(enrollment_id)
        target = enrollment._makeup_meeting(parse_id(meeting))
        try:
            request.env["clinic.booking.engine"]._book(
                enrollment._makeup_request(target, self._clinic_policy()))
        except UserError as exc:
            return self._makeup_page(enrollment, error=exc.args[0])
        return request.redirect(f"/my/courses?message={const.MESSAGE_MAKEUP_BOOKED}", code=303)

    @http.route("/my/courses/seats/<int:seat_id>/cancel", type="http", auth="user",
                website=True, methods=["POST"])
    def clinic_makeup_cancel(self, seat_id, **kw):
        seat = self._seat_or_404(seat_id)
        try:
            seat.enrollment_id._cancel_makeup(seat, self._clinic_policy())
        except UserError as exc:
            return self._courses_page(error=exc.args[0])
        return request.redirect(f"/my/courses?message={const.MESSAGE_MAKEUP_CANCELLED}",
                                code=303)
