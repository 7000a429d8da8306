from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.http import request

from .. import const
from ..services import courses
from ..services.text import parse_id
from .portal import ClinicPortal, page_reads

COURSE_MESSAGES = (const.MESSAGE_MAKEUP_BOOKED, const.MESSAGE_MAKEUP_CANCELLED)


class ClinicCoursePortal(ClinicPortal):
    """The client's courses: their meetings, and make-up sessions in other groups.

    The client's enrollments and seats are reached through the portal's gate
    (``_document_check_access``, ``_documents_search``), as superuser for the models: another
    client's is a 404. The models check every rule.
    """

    # ------------------------------------------------------------------------------------
    # The client's enrollments and seats
    # ------------------------------------------------------------------------------------
    def _course_enrollment_domain(self):
        """The enrollments the pages show: in an active group of the portal's company, not
        cancelled."""
        return Domain([("company_id", "=", self._clinic_policy().company_id),
                       ("state", "!=", const.ENROLLMENT_CANCELLED)]) \
            & Domain("course_id", "any!", [("active", "=", True)])

    def _course_enrollments(self):
        """The user's enrollments the pages show; none when the portal is closed."""
        return self._documents_search("clinic.course.enrollment",
                                      self._course_enrollment_domain())

    def _enrollment_or_404(self, enrollment_id):
        enrollment = self._document_or_404("clinic.course.enrollment", enrollment_id)
        if not enrollment.filtered_domain(self._course_enrollment_domain()):
            raise NotFound()
        return enrollment

    def _seat_or_404(self, seat_id):
        seat = self._document_or_404("clinic.course.seat", seat_id)
        if not seat.enrollment_id.filtered_domain(self._course_enrollment_domain()):
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
    @http.route("/my/courses", type="http", auth="user", website=True, methods=["GET"],
                readonly=page_reads)
    def clinic_courses(self, message=None, **kw):
        return self._courses_page(message=message if message in COURSE_MESSAGES else None)

    def _courses_page(self, message=None, error=None):
        if not self._clinic_policy().enabled:
            raise NotFound()
        enrollments = self._course_enrollments()
        now = fields.Datetime.now()
        seats = self._documents_search("clinic.course.seat", [
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
