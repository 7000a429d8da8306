from datetime import datetime, timedelta

from odoo import api, models
from odoo.exceptions import UserError
from odoo.fields import Command

from .. import const
from ..services import slots


class ClinicSlotTaken(UserError):
    """The chosen time was taken by someone else meanwhile: the patient picks another."""


class ClinicBooking(models.AbstractModel):
    """Booking an appointment from the client portal, and the checks changes share.

    Every rule is checked here, on the server, whatever the pages showed; what times are
    free is ``clinic.availability``. Methods take the patient (``res.partner``) and the
    ``PortalPolicy`` explicitly and work as superuser on what they validated: portal users
    have no write access to ``calendar.event``.
    """

    _name = "clinic.booking"
    _description = "Client portal booking"

    @api.model
    def _book(self, partner, product, start, policy, staff_user=None, payment_done=False):
        """Book ``product`` for ``partner`` at ``start`` (aware) with ``staff_user``, or with
        any available staff member when it is empty.

        :param payment_done: the payment step (when the service needs one) is completed; the
            controller passes it once payments exist
        :returns: the new ``calendar.event`` (sudo)
        :raises UserError: a clear message; nothing is created
        """
        self._check_open(policy)
        partner = partner.sudo()
        product = self._check_service(partner, product, payment_done, policy)
        candidates = self._candidates(partner, product, staff_user, policy)
        start = self._check_new_time(partner, start, policy)
        staff_user = self._pick_staff(partner, product, candidates, start, policy)
        self._lock(staff_user, partner)
        self._check_limit(partner, staff_user, policy)
        self._check_free(partner, product, staff_user, start, policy)
        events = self.env["calendar.event"].sudo()
        event = events.with_context(
            mail_create_nosubscribe=True, **{const.CONTEXT_PATIENT_MAILED: True}).create(
                self._event_values(partner, product, staff_user, start, policy)
        ).with_env(events.env)
        event._clinic_mail_patient(const.MESSAGE_BOOKED)
        event.message_post(
            body=self.env._("Booked by %(patient)s from the client portal.",
                            patient=partner.name),
            partner_ids=staff_user.partner_id.ids, subtype_xmlid="mail.mt_note")
        return event

    @api.model
    def _event_values(self, partner, product, staff_user, start, policy):
        duration = timedelta(minutes=product.clinic_duration_minutes)
        return {
            "name": f"{product.name} – {partner.name}",
            "start": slots.to_naive_utc(start),
            "stop": slots.to_naive_utc(start + duration),
            "duration": duration.total_seconds() / 3600,
            "user_id": staff_user.id,
            "partner_ids": [(6, 0, (staff_user.partner_id | partner).ids)],
            "clinic_patient_id": partner.id,
            "clinic_product_id": product.id,
            "clinic_portal_booked": True,
            "alarm_ids": self._alarm_commands(policy),
        }

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
    def _check_service(self, partner, product, payment_done, policy):
        """The service if the portal offers it to ``partner`` now, and nothing blocks it."""
        product, offer = self.env["clinic.availability"]._service(partner, product.id)
        if not offer:
            raise UserError(self.env._("This service cannot be booked in the client portal."))
        blockers = partner._clinic_booking_blockers(product)
        if blockers:
            raise UserError("\n".join(blockers))
        if offer["payment"] != const.PAYMENT_NONE and not payment_done:
            raise UserError(self.env._(
                "%(service)s needs a payment at booking, which the client portal does not take "
                "yet. Please contact the clinic to book it%(phone)s.",
                service=product.display_name, phone=self._phone_suffix(policy)))
        return product

    @api.model
    def _candidates(self, partner, product, staff_user, policy):
        """The staff the booking may go to: ``staff_user`` if allowed, else all allowed."""
        candidates = self.env["clinic.availability"]._staff(partner, product, policy)
        if staff_user:
            if staff_user.sudo() not in candidates:
                raise UserError(self.env._(
                    "This staff member cannot be booked for this service."))
            candidates = staff_user.sudo()
        if not candidates:
            raise UserError(self.env._("No staff member can be booked for this service."))
        return candidates

    @api.model
    def _check_staff_still_bookable(self, partner, product, staff_user, policy):
        """Rescheduling: the service is still offered and its staff member still bookable."""
        product, offer = self.env["clinic.availability"]._service(partner, product.id)
        if not offer:
            raise UserError(self.env._(
                "This service is no longer booked in the client portal. %(contact)s",
                contact=self._contact_message(policy)))
        if staff_user not in self.env["clinic.availability"]._staff(partner, product, policy):
            raise UserError(self.env._(
                "This staff member can no longer be booked in the client portal. %(contact)s",
                contact=self._contact_message(policy)))

    @api.model
    def _check_new_time(self, partner, start, policy):
        """A start in the booking horizon, after the minimum notice, to the minute."""
        if not isinstance(start, datetime) or start.tzinfo is None:
            raise UserError(self.env._("Choose a time from the list."))
        if start.second or start.microsecond:
            raise UserError(self.env._("Choose a time from the list."))
        first, after = self.env["clinic.availability"]._horizon(partner, policy)
        if not first <= start < after:
            raise UserError(self.env._(
                "This time is outside the days open for booking. Please choose another."))
        availability = self.env["clinic.availability"]
        if start < slots.earliest_new_start(availability._now(), policy.min_hours_new):
            raise UserError(self.env._(
                "Appointments must be booked at least %(hours)s hours in advance. Please "
                "choose a later time.", hours=policy.min_hours_new))
        return slots.from_naive_utc(slots.to_naive_utc(start))

    @api.model
    def _check_limit(self, partner, staff_user, policy, ignore_event=None):
        """The future appointments limit, counted under the lock in a fresh snapshot: a
        parallel booking of the same patient that committed meanwhile counts."""
        limited = self.env["clinic.availability"]._limited_staff(
            partner, staff_user, policy, ignore_event=ignore_event, fresh=True)
        if limited:
            raise UserError(self._limit_message(policy))

    @api.model
    def _pick_staff(self, partner, product, candidates, start, policy):
        """The staff member to book: the only candidate, else the first one free at ``start``
        below the future appointments limit."""
        limited = self.env["clinic.availability"]._limited_staff(partner, candidates, policy)
        if limited and not candidates - candidates.browse(limited):
            raise UserError(self._limit_message(policy))
        candidates -= candidates.browse(limited)
        if len(candidates) == 1:
            return candidates
        availability = self.env["clinic.availability"]
        for user in candidates:
            if availability._time_state(partner, product, user, start,
                                        policy) == const.TIME_FREE:
                return user
        raise ClinicSlotTaken(self._taken_message())

    @api.model
    def _check_free(self, partner, product, staff_user, start, policy, ignore_event=None):
        state = self.env["clinic.availability"]._time_state(
            partner, product, staff_user, start, policy, ignore_event=ignore_event, fresh=True)
        if state == const.TIME_TAKEN:
            raise ClinicSlotTaken(self._taken_message())
        if state != const.TIME_FREE:
            raise UserError(self.env._(
                "This time is not offered for booking. Please choose another."))

    @api.model
    def _lock(self, staff_user, partner):
        """Serialise bookings of one staff calendar and of one patient.

        Transaction-level advisory locks, staff first then patient (one order everywhere, so
        no deadlock): a second booking of the same staff member or patient waits here until
        the first commits. Odoo's transactions are REPEATABLE READ, so the checks that
        follow read again in a new snapshot (``fresh=True``), which sees what the first
        booking just committed.
        """
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s, %s), pg_advisory_xact_lock(%s, %s)",
                            (const.LOCK_STAFF, staff_user.id, const.LOCK_PATIENT, partner.id))

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
