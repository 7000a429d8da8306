from datetime import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command

from .. import const, db
from ..services import slots
from ..services.booking import BookingRequest


class ClinicSlotTaken(UserError):
    """The chosen time was taken by someone else meanwhile: the patient picks another."""


class ClinicBookingEngine(models.AbstractModel):
    """The one booking pipeline of the client portal, and the checks changes share.

    Each source builds a ``BookingRequest`` (``_service_request``, ``_plan_session_request``,
    ``_reschedule_request``, ``clinic.course.enrollment._makeup_request``) and hands it to
    ``_book``: one order of locks, one re-check in a new snapshot, then the record. Every rule
    is checked here, on the server, whatever the pages showed; what times are free is
    ``clinic.availability.engine``. Methods work as superuser on what they validated: portal
    users have no write access to appointments.
    """

    _name = "clinic.booking.engine"
    _description = "Client portal booking engine"

    # ------------------------------------------------------------------------------------
    # The requests, as each source builds them
    # ------------------------------------------------------------------------------------
    @api.model
    def _service_request(self, partner, product, start, policy, staff_user=None, payer=None):
        """Booking ``product`` for ``partner`` at ``start`` (aware) with ``staff_user``, or
        with any available staff member when it is empty. A service with a prepayment is
        held until it is paid; one with a card guarantee is booked with the saved card, or
        held until one is saved: the card and balance of ``payer`` (a family member booking
        for the patient), else the patient's.

        :raises UserError: a clear message
        """
        self._check_open(policy)
        partner = partner.sudo()
        payer = (payer or partner).sudo()
        product, offer = self._check_service(partner, product, policy, payer)
        return BookingRequest(
            purpose=const.PURPOSE_SERVICE, policy=policy, partner=partner, product=product,
            start=start, staff=self._candidates(
                self.env["clinic.availability.engine"]._staff(partner, product, policy),
                staff_user, self.env._("This staff member cannot be booked for this service."),
                self.env._("No staff member can be booked for this service.")),
            payment=offer["payment"], offer=offer, payer=payer,
            card=self._guarantee_card(payer, offer, policy))

    @api.model
    def _plan_session_request(self, partner, line, start, policy, staff_user=None,
                              payer=None):
        """Booking a session of the plan line ``line`` for ``partner`` at ``start`` (aware)
        with ``staff_user``, or with any staff member the line allows when it is empty. The
        service and its duration are the line's; nothing is paid (the plan is paid or
        invoiced as a whole).

        :raises UserError: a clear message
        """
        self._check_open(policy)
        partner = partner.sudo()
        line = self._check_plan_line(partner, line, policy)
        blockers = partner._clinic_booking_blockers(line.product_id)
        if blockers:
            raise UserError("\n".join(blockers))
        return BookingRequest(
            purpose=const.PURPOSE_PLAN_SESSION, policy=policy, partner=partner,
            product=line.product_id, start=start, plan_line=line,
            payer=(payer or partner).sudo(),
            staff=self._candidates(
                self.env["clinic.availability.engine"]._plan_staff(partner, line, policy),
                staff_user,
                self.env._("This staff member cannot be booked for this session of your plan."),
                self.env._("No staff member can be booked for this session of your plan.")))

    @api.model
    def _reschedule_request(self, event, start, policy):
        """Moving the appointment ``event`` to ``start``: same staff and service, same rules
        as a new booking; the service (or the plan) must still be booked online and the staff
        member still bookable for it.

        :raises UserError: a clear message
        """
        event_sudo = event.sudo()
        self._check_open(policy)
        event_sudo._clinic_check_changeable(policy)
        if not policy.allow_reschedule:
            raise UserError(self.env._("Appointments cannot be rescheduled in the client portal."))
        partner = event_sudo.clinic_patient_id
        product, staff_user = event_sudo.clinic_product_id, event_sudo.user_id
        if not product or not staff_user:
            raise UserError(self._contact_message(policy))
        if staff_user not in self._still_bookable_staff(event_sudo, policy):
            raise UserError(self.env._(
                "This staff member can no longer be booked in the client portal. %(contact)s",
                contact=self._contact_message(policy)))
        return BookingRequest(
            purpose=const.PURPOSE_RESCHEDULE, policy=policy, partner=partner, product=product,
            start=start, staff=staff_user, plan_line=event_sudo.clinic_plan_line_id,
            event=event_sudo)

    # ------------------------------------------------------------------------------------
    # The pipeline
    # ------------------------------------------------------------------------------------
    @api.model
    def _book(self, request):
        """Book ``request``: its time checked, its staff member chosen, then the locks (staff
        calendar, patient, plan line, course meeting: one order everywhere, so no deadlock),
        a re-check of everything a parallel booking may have changed, and the record.

        A second submit of a booking that is held for the patient returns the hold the first
        one made.

        :returns: the new appointment (``calendar.event``, sudo), the moved one, the make-up
            seat (``clinic.course.seat``), or the hold made by a parallel request of the same
            booking (which this transaction may not read yet: use its id)
        :raises UserError: a clear message; nothing is booked
        """
        if request.purpose != const.PURPOSE_MAKEUP:
            request = request.at(self._check_new_time(
                request.partner, request.start, request.policy))
        if request.holds and (held := self._held_for(request)):
            return held
        if request.new_appointment:
            request = request.at(request.start, self._pick_staff(
                request.partner, request.product, request.staff, request.start, request.policy))
        self._lock(request.staff, request.partner, plan_line=request.plan_line,
                   meeting=request.meeting, payer=request.paid_by)
        if request.holds and (held := self._held_for(request)):
            return held
        return self._commit(request, self._recheck(request))

    @api.model
    def _recheck(self, request):
        """Under the locks, read in a new snapshot too (``fresh``): what a parallel booking
        committed meanwhile counts. Returns the seat number of a make-up."""
        if request.purpose == const.PURPOSE_MAKEUP:
            return request.enrollment._makeup_seat_number(request.meeting, request.policy)
        line = request.plan_line
        if request.new_appointment and line and line._sessions_left_fresh() <= 0:
            raise UserError(self._no_session_left_message(line))
        if request.new_appointment:
            self._check_limit(request.partner, request.staff, request.policy)
        self._check_free(request.partner, request.product, request.staff, request.start,
                         request.policy, ignore_event=request.event)
        return None

    @api.model
    def _commit(self, request, seat_no):
        if request.purpose == const.PURPOSE_MAKEUP:
            return request.enrollment._makeup_seat(request.meeting, seat_no)
        if request.purpose == const.PURPOSE_RESCHEDULE:
            return request.event._clinic_move(request.start, request.policy)
        events = self.env["calendar.event"].sudo()
        event = events.with_context(
            mail_create_nosubscribe=True, **{const.CONTEXT_PATIENT_MAILED: True}).create(
                self._event_values(request)).with_env(events.env)
        event._clinic_booked(request)
        return event

    @api.model
    def _held_for(self, request):
        """The patient's live hold of the request's service at its start, or their booking
        of it paid from the balance, also one that a parallel request committed meanwhile (a
        double submit): read in a new snapshot too."""
        params = (request.partner.id, request.product.id, slots.to_naive_utc(request.start),
                  const.PAYMENT_AWAITING, fields.Datetime.now())
        self.env["calendar.event"].flush_model()
        query = """
            SELECT id FROM calendar_event
             WHERE clinic_patient_id = %s AND clinic_product_id = %s AND start = %s
               AND active AND ((clinic_payment_state = %s AND clinic_hold_expiry > %s)
                               OR clinic_paid_from_balance)
             ORDER BY id
        """
        ids = db.rows(self.env, query, params) or db.fresh_rows(self.env, query, params)
        return self.env["calendar.event"].sudo().browse([row[0] for row in ids[:1]])

    @api.model
    def _event_values(self, request):
        partner, staff_user, start = request.partner, request.staff, request.start
        values = {
            "name": f"{request.product.name} – {partner.name}",
            "start": slots.to_naive_utc(start),
            "stop": slots.to_naive_utc(start + request.duration),
            "duration": request.duration.total_seconds() / 3600,
            "user_id": staff_user.id,
            "partner_ids": [(6, 0, (staff_user.partner_id | partner).ids)],
            "clinic_patient_id": partner.id,
            "clinic_payer_id": request.paid_by.id,
            "clinic_product_id": request.product.id,
            "clinic_portal_booked": True,
            "alarm_ids": self._alarm_commands(request.policy),
        }
        if request.plan_line:
            values["clinic_plan_line_id"] = request.plan_line.id
        return values

    @api.model
    def _alarm_commands(self, policy):
        """The appointment's reminders: Odoo's e-mail alarm of the portal's reminder hours."""
        alarm = self.env["calendar.alarm"].sudo()._clinic_email_reminder(policy.reminder_hours)
        return [Command.set(alarm.ids)]

    # ------------------------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------------------------
    @api.model
    def _check_open(self, policy):
        if not policy.enabled:
            raise UserError(self.env._("The client portal is closed."))
        if not policy.self_scheduling:
            raise UserError(self.env._(
                "Booking appointments online is not available. Please contact the clinic."))

    @api.model
    def _check_service(self, partner, product, policy, payer=None):
        """``(product, offer)`` if the portal offers the service to ``partner`` now, nothing
        blocks it, and the payment it needs at booking can be taken online from ``payer``
        (the patient by default)."""
        product, offer = self.env["clinic.availability.engine"]._service(partner, product.id)
        if not offer:
            raise UserError(self.env._("This service cannot be booked in the client portal."))
        blockers = partner._clinic_booking_blockers(product)
        if blockers:
            raise UserError("\n".join(blockers))
        if not self._payment_possible(payer or partner, product, offer, policy):
            raise UserError(self.env._(
                "%(service)s needs a payment at booking, which the client portal cannot take "
                "now. Please contact the clinic to book it%(phone)s.",
                service=product.display_name, phone=self._phone_suffix(policy)))
        return product, offer

    @api.model
    def _guarantee_card(self, partner, offer, policy):
        """The saved card that guarantees a booking of ``offer``: none unless the service
        asks for a card guarantee and the patient has saved one."""
        if offer["payment"] != const.PAYMENT_GUARANTEE:
            return self.env["payment.token"]
        return self.env["calendar.event"]._clinic_saved_card(
            partner, policy.company)

    @api.model
    def _payment_possible(self, partner, product, offer, policy):
        """Whether the payment step of the offer can be taken online: none is needed, a card
        guarantee with a payment provider to save the card, or a prepayment with a sales
        journal to invoice it and a payment provider to pay it."""
        if offer["payment"] == const.PAYMENT_NONE:
            return True
        if offer["payment"] == const.PAYMENT_GUARANTEE:
            return bool(self.env["calendar.event"]._clinic_guarantee_providers(
                partner, policy.company))
        if offer["payment"] != const.PAYMENT_PREPAYMENT:
            return False
        journal = policy.company._clinic_portal_issuer(product)
        if not journal:
            return False
        return bool(self.env["payment.provider"].sudo()._get_compatible_providers(
            journal.company_id.id, partner.id, offer["price"], currency_id=offer["currency_id"]))

    @api.model
    def _candidates(self, allowed, staff_user, refused, missing):
        """The staff a booking may go to: ``staff_user`` if among ``allowed``, else all of
        them; ``refused`` and ``missing`` are the messages when it is not, or nobody is."""
        if staff_user:
            if staff_user.sudo() not in allowed:
                raise UserError(refused)
            allowed = staff_user.sudo()
        if not allowed:
            raise UserError(missing)
        return allowed

    @api.model
    def _still_bookable_staff(self, event, policy):
        """Rescheduling ``event`` (sudo): the staff its service, or its session of a plan, may
        still be booked with; refused when the service or the plan is no longer booked
        online (a session keeps its place in the plan)."""
        partner, line = event.clinic_patient_id, event.clinic_plan_line_id
        availability = self.env["clinic.availability.engine"]
        if line:
            if not policy.books_plans or not line.plan_id._is_bookable_now():
                raise UserError(self.env._(
                    "Treatment plan %(plan)s is no longer booked in the client portal. "
                    "%(contact)s", plan=line.plan_id.name, contact=self._contact_message(policy)))
            return availability._plan_staff(partner, line, policy)
        product, offer = availability._service(partner, event.clinic_product_id.id)
        if not offer:
            raise UserError(self.env._(
                "This service is no longer booked in the client portal. %(contact)s",
                contact=self._contact_message(policy)))
        return availability._staff(partner, product, policy)

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
        if not self.env["clinic.availability.engine"]._plan_line(partner, line.id):
            if line.sessions_left <= 0:
                raise UserError(self._no_session_left_message(line))
            raise UserError(self.env._(
                "Treatment plan %(plan)s is not open for booking now. %(contact)s",
                plan=line.plan_id.name, contact=self._contact_message(policy)))
        return line

    @api.model
    def _check_new_time(self, partner, start, policy):
        """A start in the booking horizon, after the minimum notice, to the minute."""
        if not isinstance(start, datetime) or start.tzinfo is None:
            raise UserError(self.env._("Choose a time from the list."))
        if start.second or start.microsecond:
            raise UserError(self.env._("Choose a time from the list."))
        first, after = self.env["clinic.availability.engine"]._horizon(partner, policy)
        if not first <= start < after:
            raise UserError(self.env._(
                "This time is outside the days open for booking. Please choose another."))
        availability = self.env["clinic.availability.engine"]
        if start < slots.earliest_new_start(availability._now(), policy.min_hours_new):
            raise UserError(self.env._(
                "Appointments must be booked at least %(hours)s hours in advance. Please "
                "choose a later time.", hours=policy.min_hours_new))
        return slots.from_naive_utc(slots.to_naive_utc(start))

    @api.model
    def _check_limit(self, partner, staff_user, policy, ignore_event=None):
        """The future appointments limit, counted under the lock in a fresh snapshot: a
        parallel booking of the same patient that committed meanwhile counts."""
        limited = self.env["clinic.availability.engine"]._limited_staff(
            partner, staff_user, policy, ignore_event=ignore_event, fresh=True)
        if limited:
            raise UserError(self._limit_message(policy))

    @api.model
    def _pick_staff(self, partner, product, candidates, start, policy):
        """The staff member to book: the only candidate, else the first one free at ``start``
        below the future appointments limit."""
        limited = self.env["clinic.availability.engine"]._limited_staff(partner, candidates, policy)
        if limited and not candidates - candidates.browse(limited):
            raise UserError(self._limit_message(policy))
        candidates -= candidates.browse(limited)
        if len(candidates) == 1:
            return candidates
        availability = self.env["clinic.availability.engine"]
        for user in candidates:
            if availability._time_state(partner, product, user, start,
                                        policy) == const.TIME_FREE:
                return user
        raise ClinicSlotTaken(self._taken_message())

    @api.model
    def _check_free(self, partner, product, staff_user, start, policy, ignore_event=None):
        state = self.env["clinic.availability.engine"]._time_state(
            partner, product, staff_user, start, policy, ignore_event=ignore_event, fresh=True)
        if state == const.TIME_TAKEN:
            raise ClinicSlotTaken(self._taken_message())
        if state != const.TIME_FREE:
            raise UserError(self.env._(
                "This time is not offered for booking. Please choose another."))

    @api.model
    def _lock(self, staff, partner, plan_line=None, meeting=None, payer=None):
        """Serialise bookings of one staff calendar, of one patient, of one plan line's last
        sessions, of one course meeting's last seats, and of one payer's balance when a
        family member pays for the patient.

        Transaction-level advisory locks in one order everywhere (``const.LOCK_*``): a
        second booking of the same staff member, patient, line or meeting waits here until
        the first commits, then re-checks in a new snapshot (``db.rows(fresh=True)``).
        """
        db.lock(self.env, (const.LOCK_STAFF, staff.id), (const.LOCK_PATIENT, partner.id),
                (const.LOCK_PLAN_LINE, plan_line.id if plan_line else 0),
                (const.LOCK_COURSE_MEETING, meeting.id if meeting else 0),
                (const.LOCK_PAYER, payer.id if payer and payer != partner else 0))

    # ------------------------------------------------------------------------------------
    # Messages
    # ------------------------------------------------------------------------------------
    @api.model
    def _taken_message(self):
        return self.env._("This time was just taken, please choose another.")

    @api.model
    def _limit_message(self, policy):
        if policy.future_limit_scope == const.LIMIT_GLOBAL:
            return self.env._(
                "You already have %(limit)s upcoming appointments, the most you can book "
                "online.", limit=policy.future_limit)
        return self.env._(
            "You already have %(limit)s upcoming appointments with this staff member, the most "
            "you can book online.", limit=policy.future_limit)

    @api.model
    def _change_terms(self, policy):
        """What the patient may change online, and until when: said before and after booking."""
        hours, phone = policy.min_hours_change, self._phone_suffix(policy)
        if policy.allow_reschedule and policy.allow_cancel:
            return self.env._("You can reschedule or cancel this appointment online up to "
                              "%(hours)s hours before it starts.", hours=hours)
        if policy.allow_reschedule:
            return self.env._("You can reschedule this appointment online up to %(hours)s "
                              "hours before it starts; to cancel it, contact the clinic%(phone)s.",
                              hours=hours, phone=phone)
        if policy.allow_cancel:
            return self.env._("You can cancel this appointment online up to %(hours)s hours "
                              "before it starts; to move it, contact the clinic%(phone)s.",
                              hours=hours, phone=phone)
        return self.env._("To change or cancel this appointment, contact the clinic%(phone)s.",
                          phone=phone)

    @api.model
    def _phone_suffix(self, policy):
        return f" ({policy.phone})" if policy.phone else ""

    @api.model
    def _contact_message(self, policy):
        if policy.phone:
            return self.env._("Please contact the clinic: %(phone)s.", phone=policy.phone)
        return self.env._("Please contact the clinic.")

    @api.model
    def _no_session_left_message(self, line):
        return self.env._(
            "Every session of %(service)s in treatment plan %(plan)s is booked.",
            service=line.product_id.display_name, plan=line.plan_id.name)
