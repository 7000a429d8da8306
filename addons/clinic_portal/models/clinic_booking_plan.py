from odoo import api, models
from odoo.exceptions import UserError

from .. import const


class ClinicBooking(models.AbstractModel):
    """Booking a session of the patient's treatment plan from the client portal.

    Every portal rule of a booking applies (notice, horizon, change window, limit, gaps,
    parallel bookings, treating team); the service and its duration are the plan line's, no
    payment is taken (the plan is paid or invoiced as a whole), and the sessions left are
    counted again under the booking lock so that a session is never booked twice.
    """

    _inherit = "clinic.booking"

    @api.model
    def _book_plan_session(self, partner, line, start, policy, staff_user=None):
        """Book a session of the plan line ``line`` for ``partner`` at ``start`` (aware)
        with ``staff_user``, or with any staff member the line allows when it is empty.

        :returns: the new ``calendar.event`` (sudo), linked to ``line``
        :raises UserError: a clear message; nothing is created
        """
        self._check_open(policy)
        partner = partner.sudo()
        line = self._check_plan_line(partner, line, policy)
        product = line.product_id
        blockers = partner._clinic_booking_blockers(product)
        if blockers:
            raise UserError("\n".join(blockers))
        candidates = self._plan_candidates(partner, line, staff_user, policy)
        start = self._check_new_time(partner, start, policy)
        staff_user = self._pick_staff(partner, product, candidates, start, policy)
        self._lock(staff_user, partner)
        self._lock_plan_line(line)
        if line._sessions_left_fresh() <= 0:
            raise UserError(self._no_session_left_message(line))
        self._check_limit(partner, staff_user, policy)
        self._check_free(partner, product, staff_user, start, policy)
        events = self.env["calendar.event"].sudo()
        values = self._event_values(partner, product, staff_user, start, policy)
        event = events.with_context(
            mail_create_nosubscribe=True, **{const.CONTEXT_PATIENT_MAILED: True}).create(
                {**values, "clinic_plan_line_id": line.id}).with_env(events.env)
        event._clinic_mail_patient(const.MESSAGE_BOOKED)
        event.message_post(
            body=self.env._("Session of treatment plan %(plan)s booked by %(patient)s from the "
                            "client portal.", plan=line.plan_id.name, patient=partner.name),
            partner_ids=staff_user.partner_id.ids, subtype_xmlid="mail.mt_note")
        return event

    @api.model
    def _check_plan_line(self, partner, line, policy):
        """``line`` as superuser if ``partner`` may book a session of it now: the clinic
        books plans, the line is the patient's, its plan active and valid today, with
        sessions left. Another patient's line is refused as an unknown one."""
        if not policy.books_plans:
            raise UserError(self.env._(
                "Sessions of treatment plans are not booked in the client portal. %(contact)s",
                contact=self._contact_message(policy)))
        line = line.sudo().exists()
        if not line or line.partner_id != partner:
            raise UserError(self.env._("This treatment plan cannot be booked in the client "
                                       "portal."))
        if not self.env["clinic.availability"]._plan_line(partner, line.id):
            if line.sessions_left <= 0:
                raise UserError(self._no_session_left_message(line))
            raise UserError(self.env._(
                "Treatment plan %(plan)s is not open for booking now. %(contact)s",
                plan=line.plan_id.name, contact=self._contact_message(policy)))
        return line

    @api.model
    def _plan_candidates(self, partner, line, staff_user, policy):
        """The staff a session of ``line`` may go to: ``staff_user`` if allowed, else all
        allowed."""
        candidates = self.env["clinic.availability"]._plan_staff(partner, line, policy)
        if staff_user:
            if staff_user.sudo() not in candidates:
                raise UserError(self.env._(
                    "This staff member cannot be booked for this session of your plan."))
            candidates = staff_user.sudo()
        if not candidates:
            raise UserError(self.env._(
                "No staff member can be booked for this session of your plan."))
        return candidates

    @api.model
    def _lock_plan_line(self, line):
        """Serialise the bookings of one plan line, after the staff and patient locks (one
        order everywhere): its last session goes to one booking."""
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                            (const.LOCK_PLAN_LINE, line.id))

    @api.model
    def _check_staff_still_bookable(self, partner, product, staff_user, policy, plan_line=None):
        """Rescheduling a session of a plan: the plan still booked online and the staff member
        still allowed for it; it keeps its session."""
        if not plan_line:
            return super()._check_staff_still_bookable(partner, product, staff_user, policy)
        plan = plan_line.sudo().plan_id
        if not policy.books_plans or not plan._is_bookable_now():
            raise UserError(self.env._(
                "Treatment plan %(plan)s is no longer booked in the client portal. %(contact)s",
                plan=plan.name, contact=self._contact_message(policy)))
        staff = self.env["clinic.availability"]._plan_staff(partner, plan_line.sudo(), policy)
        if staff_user not in staff:
            raise UserError(self.env._(
                "This staff member can no longer be booked in the client portal. %(contact)s",
                contact=self._contact_message(policy)))
        return None

    @api.model
    def _no_session_left_message(self, line):
        return self.env._(
            "Every session of %(service)s in treatment plan %(plan)s is booked.",
            service=line.product_id.display_name, plan=line.plan_id.name)
