from urllib.parse import urlencode

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from ..services.text import parse_id
from .booking_choice import BookingChoice
from .portal import ClinicPortal


class ClinicPlanPortal(ClinicPortal):
    """Booking the sessions of the patient's treatment plan: the booking pages with a
    ``plan_line`` parameter instead of ``service``.

    The plan line is read as superuser only after checking it is the patient's (the portal's
    gate, then ``clinic.availability._plan_line``): another patient's line is as unknown as a
    missing one. No payment is taken; every other booking rule applies (``clinic.booking``).
    """

    def _clinic_plan_line_of(self, event, plan_line, patient=None):
        """The plan line the pages book: the appointment's when rescheduling one, else the
        ``plan_line`` parameter's (empty when it is not the line of ``patient``, the user by
        default, to book now); None when the pages book a service of the price list, or
        show the portal closed."""
        if event:
            return event.clinic_plan_line_id or None
        if plan_line is None or not self._clinic_policy().enabled:
            return None
        line = self._clinic_plan_line_or_none(plan_line)
        return line and request.env["clinic.availability.engine"]._plan_line(
            patient or request.env.user.partner_id, line.id)

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
    # Booking pages: the plan's sessions beside the services, then the same steps
    # ------------------------------------------------------------------------------------
    def _clinic_choice_params(self, params):
        if params.get("plan_line") is not None:
            return {"plan_line": params["plan_line"], **self._clinic_patient_params(params)}
        return super()._clinic_choice_params(params)

    def _clinic_choice(self, params, event=None, priced=True):
        patient = self._clinic_patient_of(params, event)
        line = self._clinic_plan_line_of(event, params.get("plan_line"), patient)
        if line is None:
            return super()._clinic_choice(params, event, priced=priced)
        if not line:
            raise UserError(self._clinic_unknown_plan_line())
        return BookingChoice(
            product=line.product_id, plan_line=line, patient=patient,
            params={"plan_line": line.id, **self._clinic_patient_params(params)},
            staff_list=request.env["clinic.availability.engine"]._plan_staff(
                patient, line, self._clinic_policy()),
            staff_error=request.env._(
                "This staff member cannot be booked for this session of your plan."))

    def _clinic_service_list(self, partner, values, event):
        values = super()._clinic_service_list(partner, values, event)
        if not event:
            values["plan_lines"] = request.env["clinic.availability.engine"]._plan_lines(
                partner)
        return values

    def _clinic_confirm_values(self, choice, event):
        values = super()._clinic_confirm_values(choice, event)
        line = choice.plan_line
        if line:
            session = event._clinic_plan_session_number() if event else line.sessions_booked + 1
            values["plan_session"] = request.env._(
                "Session %(number)s of %(total)s — %(plan)s", number=session,
                total=line.sessions, plan=line.plan_id.name)
        return values

    def _clinic_request(self, params, staff, start):
        """A submitted session of the patient's plan; a service otherwise."""
        if "plan_line" not in params:
            return super()._clinic_request(params, staff, start)
        line = self._clinic_plan_line_or_none(params["plan_line"])
        staff_user, when = self._clinic_submitted(staff, start, request.env._(
            "This staff member cannot be booked for this session of your plan."))
        engine = request.env["clinic.booking.engine"]
        return engine._plan_session_request(self._clinic_patient_of(params), line, when,
                                            self._clinic_policy(), staff_user=staff_user,
                                            payer=request.env.user.partner_id)

    @http.route()
    def clinic_form_start(self, survey_id, service=None, plan_line=None, **kw):
        """A form due before booking a session of the plan leads back to that session."""
        if plan_line is None:
            return super().clinic_form_start(survey_id, service=service, **kw)
        for_patient = self._clinic_patient_params(kw)
        partner = self._clinic_patient(for_patient.get("patient"))
        line = self._clinic_plan_line_of(None, plan_line, partner)
        survey = line and partner._clinic_forms_due(line.product_id).filtered(
            lambda s: s.id == survey_id)
        if not survey:
            raise NotFound()
        query = {"plan_line": line.id, **for_patient}
        return self._clinic_open_form(survey, f"/my/appointments/book?{urlencode(query)}",
                                      line.product_id, query, partner)

    # ------------------------------------------------------------------------------------
    # The appointment: the session of the plan it is, and no price of its own
    # ------------------------------------------------------------------------------------
    def _clinic_detail_values(self, event_sudo, **values):
        result = super()._clinic_detail_values(event_sudo, **values)
        if event_sudo.clinic_plan_line_id:
            result.update(offer=None, plan_session=event_sudo._clinic_plan_session_label())
        return result
