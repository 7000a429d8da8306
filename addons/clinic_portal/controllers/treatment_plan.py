from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from .. import const
from ..services.text import parse_id
from .portal import ClinicPortal


class ClinicPlanPortal(ClinicPortal):
    """Booking the sessions of the patient's treatment plan: the booking pages with a
    ``plan_line`` parameter instead of ``service``.

    The plan line is read as superuser only after checking it is the patient's (the portal's
    gate, then ``clinic.availability._plan_line``): another patient's line is as unknown as a
    missing one. No payment is taken; every other booking rule applies (``clinic.booking``).
    """

    def _clinic_plan_line_of(self, event, plan_line):
        """The plan line the pages book: the appointment's when rescheduling one, else the
        ``plan_line`` parameter's (empty when it is not the patient's to book now); None
        when the pages book a service of the price list, or show the portal closed."""
        if event:
            return event.clinic_plan_line_id or None
        if plan_line is None or not self._clinic_policy().enabled:
            return None
        line = self._clinic_plan_line_or_none(plan_line)
        return line and request.env["clinic.availability.engine"]._plan_line(
            request.env.user.partner_id, line.id)

    def _clinic_plan_line_or_none(self, plan_line):
        """The plan line of the ``plan_line`` parameter as superuser if it is the user's,
        else none (an empty recordset)."""
        try:
            return self._document_check_access("clinic.treatment.plan.line", parse_id(plan_line))
        except (AccessError, MissingError):
            return request.env["clinic.treatment.plan.line"]

    def _clinic_values(self, **values):
        return super()._clinic_values(plan_left=self._clinic_plan_left_label, **values)

    def _clinic_plan_left_label(self, line):
        return request.env._("%(left)s of %(total)s left", left=line.sessions_left,
                             total=line.sessions)

    def _clinic_unknown_plan_line(self):
        return request.env._("This session of a treatment plan cannot be booked in the "
                             "client portal.")

    # ------------------------------------------------------------------------------------
    # Booking pages: service (with the plan's sessions), staff, day, time, confirm
    # ------------------------------------------------------------------------------------
    @http.route()
    def clinic_book(self, service=None, staff=None, page=0, day=None, plan_line=None, **kw):
        return self._clinic_choose(service=service, staff=staff, page=page, day=day,
                                   plan_line=plan_line)

    def _clinic_choose(self, service=None, staff=None, page=0, day=None, event=None,
                       error=None, plan_line=None):
        line = self._clinic_plan_line_of(event, plan_line)
        if line is None:
            response = super()._clinic_choose(service=service, staff=staff, page=page,
                                              day=day, event=event, error=error)
            if not event and response.qcontext.get("step") == const.STEP_SERVICE \
                    and response.qcontext.get("booking_open"):
                response.qcontext["plan_lines"] = request.env[
                    "clinic.availability.engine"]._plan_lines(
                    request.env.user.partner_id)
            return response
        if not line:
            return self._clinic_choose(error=self._clinic_unknown_plan_line())
        partner = request.env.user.partner_id
        values = self._clinic_values(event=event, error=error, step=const.STEP_SERVICE)
        if not values["booking_open"]:
            return request.render("clinic_portal.portal_book", values)
        values.update(self._clinic_plan_staff_step(partner, line, event))
        if not staff or values["blockers"]:
            return request.render("clinic_portal.portal_book", values)
        chosen = self._clinic_chosen_staff(values["staff_list"], staff)
        if not chosen:
            values["error"] = request.env._(
                "This staff member cannot be booked for this session of your plan.")
            return request.render("clinic_portal.portal_book", values)
        values.update(self._clinic_days_step(partner, line.product_id, chosen, staff, page,
                                             day, event))
        return request.render("clinic_portal.portal_book", values)

    def _clinic_plan_staff_step(self, partner, line, event):
        product = line.product_id
        return {
            "step": const.STEP_STAFF, "product": product, "offer": None, "plan_line": line,
            # The plan is paid or invoiced as a whole: nothing to pay at booking.
            "payment": const.PAYMENT_NONE, "payment_possible": True,
            "staff_list": request.env["clinic.availability.engine"]._plan_staff(
                partner, line, self._clinic_policy()),
            **self._clinic_blockers(partner, product, event),
        }

    @http.route()
    def clinic_book_confirm(self, service=None, staff=None, start=None, plan_line=None, **kw):
        return self._clinic_confirm_page(service, staff, start, plan_line=plan_line)

    def _clinic_confirm_page(self, service, staff, start, event=None, plan_line=None):
        line = self._clinic_plan_line_of(event, plan_line)
        if line is None:
            return super()._clinic_confirm_page(service, staff, start, event=event)
        if not line:
            return self._clinic_refused(UserError(self._clinic_unknown_plan_line()), None,
                                        staff, start)
        partner = request.env.user.partner_id
        values = self._clinic_values(step=const.STEP_CONFIRM, event=event)
        if not values["booking_open"]:
            return request.render("clinic_portal.portal_book", values)
        policy, product = values["policy"], line.product_id
        try:
            staff_user, when = self._clinic_confirm_time(
                partner, product, request.env["clinic.availability.engine"]._plan_staff(
                    partner, line, policy), staff, start, policy)
        except UserError as exc:
            return self._clinic_refused(exc, None, staff, start, event=event,
                                        plan_line=line.id)
        session = event._clinic_plan_session_number() if event else line.sessions_booked + 1
        values.update(product=product, offer=None, staff=staff or const.ANY_STAFF,
                      staff_user=staff_user, start=when, payment=const.PAYMENT_NONE,
                      balance_pays=False, plan_line=line,
                      plan_session=request.env._(
                          "Session %(number)s of %(total)s — %(plan)s", number=session,
                          total=line.sessions, plan=line.plan_id.name),
                      **self._clinic_blockers(partner, product, event))
        return request.render("clinic_portal.portal_book_confirm", values)

    @http.route()
    def clinic_book_submit(self, service=None, staff=None, start=None, plan_line=None, **kw):
        if plan_line is None:
            return super().clinic_book_submit(service=service, staff=staff, start=start, **kw)
        partner = request.env.user.partner_id
        line = self._clinic_plan_line_or_none(plan_line)
        try:
            staff_user, when = self._clinic_submitted(staff, start, request.env._(
                "This staff member cannot be booked for this session of your plan."))
            engine = request.env["clinic.booking.engine"]
            event = engine._book(engine._plan_session_request(
                partner, line, when, self._clinic_policy(), staff_user=staff_user))
        except UserError as exc:
            return self._clinic_refused(exc, None, staff, start, plan_line=plan_line)
        return request.redirect(
            f"{event._clinic_portal_url()}?message={const.MESSAGE_BOOKED}", code=303)

    @http.route()
    def clinic_form_start(self, survey_id, service=None, plan_line=None, **kw):
        """A form due before booking a session of the plan leads back to that session."""
        if plan_line is None:
            return super().clinic_form_start(survey_id, service=service, **kw)
        partner = request.env.user.partner_id
        line = self._clinic_plan_line_of(None, plan_line)
        survey = line and partner._clinic_forms_due(line.product_id).filtered(
            lambda s: s.id == survey_id)
        if not survey:
            raise NotFound()
        return self._clinic_open_form(survey, f"/my/appointments/book?plan_line={line.id}")

    # ------------------------------------------------------------------------------------
    # The appointment: the session of the plan it is, and no price of its own
    # ------------------------------------------------------------------------------------
    def _clinic_detail_values(self, event_sudo, **values):
        result = super()._clinic_detail_values(event_sudo, **values)
        if event_sudo.clinic_plan_line_id:
            result.update(offer=None, plan_session=event_sudo._clinic_plan_session_label())
        return result
