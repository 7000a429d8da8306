from datetime import datetime, timedelta

from odoo import api, fields, models
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
    def _book(self, partner, product, start, policy, staff_user=None):
        """Book ``product`` for ``partner`` at ``start`` (aware) with ``staff_user``, or with
        any available staff member when it is empty.

        A service with a prepayment is held for the patient instead, with its draft invoice,
        until they pay it (``calendar.event._clinic_hold``). A service with a card guarantee
        is booked with the patient's saved card, or held until they save one
        (``calendar.event._clinic_hold_for_card``). A second submit of the same booking
        returns the hold the first one made.

        :returns: the new ``calendar.event`` (sudo), or the hold made by a parallel request of
            the same booking (which this transaction may not read yet: use its id)
        :raises UserError: a clear message; nothing is created
        """
        self._check_open(policy)
        partner = partner.sudo()
        product, offer = self._check_service(partner, product, policy)
        candidates = self._candidates(partner, product, staff_user, policy)
        start = self._check_new_time(partner, start, policy)
        prepaid = offer["payment"] == const.PAYMENT_PREPAYMENT
        card = self._guarantee_card(partner, offer, policy)
        holds = prepaid or (offer["payment"] == const.PAYMENT_GUARANTEE and not card)
        if holds and (held := self._held_for(partner, product, start)):
            return held
        staff_user = self._pick_staff(partner, product, candidates, start, policy)
        self._lock(staff_user, partner)
        if holds and (held := self._held_for(partner, product, start)):
            return held
        self._check_limit(partner, staff_user, policy)
        self._check_free(partner, product, staff_user, start, policy)
        events = self.env["calendar.event"].sudo()
        event = events.with_context(
            mail_create_nosubscribe=True, **{const.CONTEXT_PATIENT_MAILED: True}).create(
                self._event_values(partner, product, staff_user, start, policy)
        ).with_env(events.env)
        if prepaid:
            event._clinic_hold(offer, policy)
            return event
        if holds:
            event._clinic_hold_for_card(policy)
            return event
        if card:
            event._clinic_book_guaranteed(card)
            return event
        event._clinic_mail_patient(const.MESSAGE_BOOKED)
        event.message_post(
            body=self.env._("Booked by %(patient)s from the client portal.",
                            patient=partner.name),
            partner_ids=staff_user.partner_id.ids, subtype_xmlid="mail.mt_note")
        return event

    @api.model
    def _held_for(self, partner, product, start):
        """The patient's live hold of ``product`` at ``start``, or their booking of it paid
        from the balance, also one that a parallel request committed meanwhile (a double
        submit): read in a new snapshot too."""
        params = (partner.id, product.id, slots.to_naive_utc(start), const.PAYMENT_AWAITING,
                  fields.Datetime.now())
        self.env["calendar.event"].flush_model()
        ids = self._held_ids(self.env.cr, params)
        if not ids:
            with self.env.registry.cursor() as cr:
                ids = self._held_ids(cr, params)
        return self.env["calendar.event"].sudo().browse(ids[:1])

    @api.model
    def _held_ids(self, cr, params):
        cr.execute("""
            SELECT id FROM calendar_event
             WHERE clinic_patient_id = %s AND clinic_product_id = %s AND start = %s
               AND active AND ((clinic_payment_state = %s AND clinic_hold_expiry > %s)
                               OR clinic_paid_from_balance)
             ORDER BY id
        """, params)
        return [row[0] for row in cr.fetchall()]

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
    def _check_service(self, partner, product, policy):
        """``(product, offer)`` if the portal offers the service to ``partner`` now, nothing
        blocks it, and the payment it needs at booking can be taken online."""
        product, offer = self.env["clinic.availability"]._service(partner, product.id)
        if not offer:
            raise UserError(self.env._("This service cannot be booked in the client portal."))
        blockers = partner._clinic_booking_blockers(product)
        if blockers:
            raise UserError("\n".join(blockers))
        if not self._payment_possible(partner, product, offer, policy):
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
            partner, self.env["res.company"].browse(policy.company_id))

    @api.model
    def _payment_possible(self, partner, product, offer, policy):
        """Whether the payment step of the offer can be taken online: none is needed, a card
        guarantee with a payment provider to save the card, or a prepayment with a sales
        journal to invoice it and a payment provider to pay it."""
        if offer["payment"] == const.PAYMENT_NONE:
            return True
        if offer["payment"] == const.PAYMENT_GUARANTEE:
            return bool(self.env["calendar.event"]._clinic_guarantee_providers(
                partner, self.env["res.company"].browse(policy.company_id)))
        if offer["payment"] != const.PAYMENT_PREPAYMENT:
            return False
        journal = self.env["res.company"].browse(policy.company_id)._clinic_portal_issuer(product)
        if not journal:
            return False
        return bool(self.env["payment.provider"].sudo()._get_compatible_providers(
            journal.company_id.id, partner.id, offer["price"], currency_id=offer["currency_id"]))

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
