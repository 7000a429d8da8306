from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..services import slots

# Advisory lock classes (pg_advisory_xact_lock(class, id)) of portal bookings.
LOCK_STAFF = 73110
LOCK_PATIENT = 73111
# Times are offered and accepted to the minute.
MINUTE = timedelta(minutes=1)


class ClinicSlotTaken(UserError):
    """The chosen time was taken by someone else meanwhile: the patient picks another."""


class ClinicBooking(models.AbstractModel):
    """The booking rules of the client portal: availability, book, reschedule, cancel.

    Every rule is checked here, on the server, whatever the pages showed. Data is gathered in
    a fixed number of queries; the arithmetic is ``services/slots.py``. Methods take the
    patient (``res.partner``) explicitly and work as superuser on what they validated: portal
    users have no write access to ``calendar.event``.
    """

    _name = "clinic.booking"
    _description = "Client portal booking rules"

    # ------------------------------------------------------------------------------------
    # Settings, services, staff
    # ------------------------------------------------------------------------------------
    @api.model
    def _clinic_settings(self):
        """The portal settings of the current company (the website's, in the portal)."""
        company = self.env.company.sudo()
        return {
            "company": company,
            "enabled": company.clinic_portal_enabled,
            "self_scheduling": company.clinic_portal_self_scheduling,
            "min_hours_new": company.clinic_portal_min_hours_new,
            "min_hours_change": company.clinic_portal_min_hours_change,
            "prevent_gaps": company.clinic_portal_prevent_gaps,
            "prevent_parallel": company.clinic_portal_prevent_parallel,
            "allow_cancel": company.clinic_portal_allow_cancel,
            "allow_reschedule": company.clinic_portal_allow_reschedule,
            "future_limit": company.clinic_portal_future_limit,
            "future_limit_scope": company.clinic_portal_future_limit_scope,
            "start_days": company.clinic_portal_search_start_days,
            "range_days": company.clinic_portal_search_range_days,
            "treating_team_only": company.clinic_portal_treating_team_only,
            "phone": company.phone or "",
        }

    @api.model
    def _clinic_booking_open(self, settings=None):
        settings = settings or self._clinic_settings()
        return bool(settings["enabled"] and settings["self_scheduling"])

    @api.model
    def _clinic_check_open(self, settings):
        if not settings["enabled"]:
            raise UserError(self.env._("The client portal is closed."))
        if not settings["self_scheduling"]:
            raise UserError(self.env._(
                "Booking appointments online is not available. Please contact the clinic."))

    @api.model
    def _clinic_services(self, partner):
        """Services the portal offers ``partner``: ``[(product, offer)]``, by name."""
        products = self.env["product.product"].sudo().search(
            [("clinic_portal_visible", "=", True)], order="name, id")
        offers = products._clinic_portal_offers(partner) if products else {}
        return [(product, offers[product.id]) for product in products
                if offers[product.id]["visible"]]

    @api.model
    def _clinic_service(self, partner, product_id):
        """The service ``product_id`` if the portal offers it to ``partner``, else refuse."""
        try:
            product_id = int(product_id or 0)
        except (TypeError, ValueError):
            product_id = 0
        product = self.env["product.product"].sudo().browse(product_id).exists()
        offer = product and product._clinic_portal_offer(partner)
        if not offer or not offer["visible"]:
            raise UserError(self.env._("This service cannot be booked in the client portal."))
        return product, offer

    @api.model
    def _clinic_payment_required(self, partner, product, offer=None):
        """The payment step booking ``product`` needs: 'none', 'guarantee' or 'prepayment'.

        The seam of the payment step: between "time chosen" and "appointment confirmed" the
        controller sends the patient to pay (or leave a card) when this is not 'none'. Until
        online payments exist, only services that need none are booked in the portal.
        """
        offer = offer or product._clinic_portal_offer(partner)
        return offer["payment"]

    @api.model
    def _clinic_staff(self, partner, product, settings=None):
        """Staff ``partner`` may book for ``product``: bookable, allowed for the service and,
        with "Only calendars of the treating team", in the patient's treating team."""
        settings = settings or self._clinic_settings()
        domain = [
            ("clinic_portal_bookable", "=", True),
            ("share", "=", False),
            ("company_ids", "in", settings["company"].id),
        ]
        if product.clinic_staff_user_ids:
            domain.append(("id", "in", product.clinic_staff_user_ids.ids))
        team = partner.sudo().clinic_treating_user_ids
        if settings["treating_team_only"] and team:
            domain.append(("id", "in", team.ids))
        return self.env["res.users"].sudo().search(domain, order="name, id")

    # ------------------------------------------------------------------------------------
    # Time: the patient's zone, the search window
    # ------------------------------------------------------------------------------------
    @api.model
    def _clinic_tz(self, partner):
        return pytz.timezone(partner.sudo().tz or self.env.user.tz or "UTC")

    @api.model
    def _clinic_now(self):
        return fields.Datetime.now().replace(tzinfo=UTC)

    @api.model
    def _clinic_window(self, partner, page=0, settings=None):
        """``(first instant, after-last instant)`` of the search window page, aware."""
        settings = settings or self._clinic_settings()
        tz = self._clinic_tz(partner)
        today = self._clinic_now().astimezone(tz).date()
        return slots.window_bounds(today, settings["start_days"], settings["range_days"], tz,
                                   page=page)

    # ------------------------------------------------------------------------------------
    # Data gathering: a fixed number of queries whatever the staff and days
    # ------------------------------------------------------------------------------------
    @api.model
    def _clinic_work_intervals(self, staff, start, end):
        """``{user id: [(start, end)]}``: working hours minus leaves, in each staff member's
        time zone; one batch per working-hours calendar."""
        company = self.env.company
        resources = self.env["resource.resource"].sudo()
        for user in staff.sudo():
            resource = (user.resource_ids.filtered(lambda r: r.company_id == company)
                        or user.resource_ids)[:1]
            resources |= resource
        by_calendar = defaultdict(lambda: self.env["resource.resource"].sudo())
        for resource in resources.filtered("calendar_id"):
            by_calendar[resource.calendar_id] |= resource
        work = defaultdict(list)
        for calendar, calendar_resources in by_calendar.items():
            intervals = calendar.sudo()._work_intervals_batch(start, end,
                                                              resources=calendar_resources)
            for resource in calendar_resources:
                work[resource.user_id.id] = [(s, e) for s, e, _m in intervals[resource.id]]
        return work

    @api.model
    def _clinic_busy_intervals(self, partners, start, end, ignore_event=None, fresh=False):
        """``{partner id: [(start, end)]}``: busy, active events in which each partner is an
        attendee who did not decline; one query.

        :param fresh: also read what other transactions committed since this one began (a
            new snapshot): the re-check made after the booking lock
        """
        self.env["calendar.event"].flush_model(
            ["start", "stop", "allday", "start_date", "stop_date", "active", "show_as"])
        self.env["calendar.attendee"].flush_model(["partner_id", "event_id", "state"])
        params = (list(partners.ids),
                  (end + timedelta(days=1)).astimezone(UTC).replace(tzinfo=None),
                  (start - timedelta(days=1)).astimezone(UTC).replace(tzinfo=None),
                  ignore_event.id if ignore_event else 0)
        rows = self._clinic_busy_rows(self.env.cr, params)
        if fresh:
            with self.env.registry.cursor() as cr:
                rows += self._clinic_busy_rows(cr, params)
        busy = defaultdict(set)
        for partner_id, ev_start, ev_stop, allday, start_date, stop_date in rows:
            if allday:
                ev_start = datetime.combine(start_date, time.min)
                ev_stop = datetime.combine(stop_date, time.min) + timedelta(days=1)
            busy[partner_id].add((ev_start.replace(tzinfo=UTC), ev_stop.replace(tzinfo=UTC)))
        return {partner_id: sorted(intervals) for partner_id, intervals in busy.items()}

    @api.model
    def _clinic_busy_rows(self, cr, params):
        cr.execute("""
            SELECT a.partner_id, e.start, e.stop, e.allday, e.start_date, e.stop_date
              FROM calendar_attendee a
              JOIN calendar_event e ON e.id = a.event_id
             WHERE a.partner_id = ANY(%s)
               AND a.state IS DISTINCT FROM 'declined'
               AND e.active
               AND e.show_as = 'busy'
               AND e.start < %s
               AND e.stop > %s
               AND e.id != %s
        """, params)
        return cr.fetchall()

    @api.model
    def _clinic_future_counts(self, partner, ignore_event=None):
        """``(total, {staff user id: count})`` of the patient's future appointments."""
        domain = [("clinic_patient_id", "=", partner.id),
                  ("start", ">", fields.Datetime.now())]
        if ignore_event:
            domain.append(("id", "!=", ignore_event.id))
        groups = self.env["calendar.event"].sudo()._read_group(domain, ["user_id"], ["__count"])
        per_staff = {user.id: count for user, count in groups}
        return sum(per_staff.values()), per_staff

    @api.model
    def _clinic_availability(self, partner, product, staff, start, end, settings=None,
                             ignore_event=None):
        """Free slot starts of each staff member for ``product`` between ``start`` and ``end``.

        :returns: ``{user id: [aware UTC datetimes]}``; staff whose per-calendar future
            appointments limit is reached get no slot.
        """
        settings = settings or self._clinic_settings()
        duration = timedelta(minutes=product.clinic_duration_minutes)
        not_before = max(start, slots.earliest_new_start(self._clinic_now(),
                                                         settings["min_hours_new"]))
        work = self._clinic_work_intervals(staff, start, end)
        partners = staff.sudo().partner_id | partner
        busy = self._clinic_busy_intervals(partners, start, end, ignore_event=ignore_event)
        limited = self._clinic_limited_staff(partner, staff, settings, ignore_event=ignore_event)
        result = {}
        for user in staff.sudo():
            if user.id in limited:
                result[user.id] = []
                continue
            staff_busy = busy.get(user.partner_id.id, [])
            own = [i for i in busy.get(partner.id, []) if i not in staff_busy]
            result[user.id] = slots.free_slots(
                work.get(user.id, []), staff_busy, duration,
                not_before=not_before, not_after=end,
                prevent_gaps=settings["prevent_gaps"],
                parallel=not settings["prevent_parallel"], blocking=own)
        return result

    @api.model
    def _clinic_limited_staff(self, partner, staff, settings, ignore_event=None):
        """Ids of staff the patient may book no more with, by the future appointments limit."""
        if not settings["future_limit"]:
            return set()
        total, per_staff = self._clinic_future_counts(partner, ignore_event=ignore_event)
        if settings["future_limit_scope"] == "global":
            reached = slots.future_limit_reached(total, settings["future_limit"])
            return set(staff.ids) if reached else set()
        return {user.id for user in staff
                if slots.future_limit_reached(per_staff.get(user.id, 0),
                                              settings["future_limit"])}

    # ------------------------------------------------------------------------------------
    # Book, reschedule, cancel
    # ------------------------------------------------------------------------------------
    @api.model
    def _clinic_book(self, partner, product, start, staff_user=None, payment_done=False):
        """Book ``product`` for ``partner`` at ``start`` (aware) with ``staff_user``, or with
        any available staff member when it is empty. Every rule is checked again here.

        :param payment_done: the payment step (when the service needs one) is completed; the
            controller passes it once payments exist
        :returns: the new ``calendar.event`` (sudo)
        :raises UserError: a clear message; nothing is created
        """
        settings = self._clinic_settings()
        self._clinic_check_open(settings)
        partner = partner.sudo()
        product, offer = self._clinic_service(partner, product.id)
        blockers = partner._clinic_booking_blockers(product)
        if blockers:
            raise UserError("\n".join(blockers))
        if self._clinic_payment_required(partner, product, offer) != "none" and not payment_done:
            raise UserError(self.env._(
                "%(service)s needs a payment at booking, which the client portal does not take "
                "yet. Please contact the clinic to book it%(phone)s.",
                service=product.display_name, phone=self._clinic_phone_suffix(settings)))
        candidates = self._clinic_staff(partner, product, settings)
        if staff_user:
            staff_user = staff_user.sudo()
            if staff_user not in candidates:
                raise UserError(self.env._(
                    "This staff member cannot be booked for this service."))
            candidates = staff_user
        if not candidates:
            raise UserError(self.env._("No staff member can be booked for this service."))
        start = self._clinic_check_new_time(partner, start, settings)
        limited = self._clinic_limited_staff(partner, candidates, settings)
        if limited and not candidates - candidates.browse(limited):
            raise UserError(self._clinic_limit_message(settings))
        candidates -= candidates.browse(limited)
        staff_user = self._clinic_pick_staff(partner, product, candidates, start, settings)
        self._clinic_lock(staff_user, partner)
        self._clinic_check_free(partner, product, staff_user, start, settings)
        duration = timedelta(minutes=product.clinic_duration_minutes)
        event = self.env["calendar.event"].sudo().with_context(
            mail_create_nosubscribe=True).create({
                "name": f"{product.name} – {partner.name}",
                "start": start.astimezone(UTC).replace(tzinfo=None),
                "stop": (start + duration).astimezone(UTC).replace(tzinfo=None),
                "duration": duration.total_seconds() / 3600,
                "user_id": staff_user.id,
                "partner_ids": [(6, 0, (staff_user.partner_id | partner).ids)],
                "clinic_patient_id": partner.id,
                "clinic_product_id": product.id,
                "clinic_portal_booked": True,
                "access_token": self.env["calendar.event"]._clinic_new_token(),
            })
        event.message_post(
            body=self.env._("Booked by %(patient)s from the client portal.",
                            patient=partner.name),
            partner_ids=staff_user.partner_id.ids, subtype_xmlid="mail.mt_note")
        return event

    @api.model
    def _clinic_reschedule(self, partner, event, start):
        """Move ``event`` of ``partner`` to ``start``, same staff and service, same rules."""
        settings = self._clinic_settings()
        self._clinic_check_open(settings)
        event = self._clinic_check_changeable(partner, event, settings)
        if not settings["allow_reschedule"]:
            raise UserError(self.env._("Appointments cannot be rescheduled in the client portal."))
        product, staff_user = event.clinic_product_id, event.user_id
        if not product or not staff_user:
            raise UserError(self._clinic_contact_message(settings))
        start = self._clinic_check_new_time(partner, start, settings)
        self._clinic_lock(staff_user, partner)
        self._clinic_check_free(partner, product, staff_user, start, settings, ignore_event=event)
        old_start = event.start
        duration = timedelta(minutes=product.clinic_duration_minutes)
        event.write({
            "start": start.astimezone(UTC).replace(tzinfo=None),
            "stop": (start + duration).astimezone(UTC).replace(tzinfo=None),
        })
        tz = self._clinic_tz(partner)
        event.message_post(
            body=self.env._(
                "Rescheduled by %(patient)s from the client portal: from %(old)s to %(new)s "
                "(%(tz)s).", patient=partner.name,
                old=old_start.replace(tzinfo=UTC).astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                new=start.astimezone(tz).strftime("%Y-%m-%d %H:%M"), tz=tz.zone),
            partner_ids=staff_user.partner_id.ids, subtype_xmlid="mail.mt_note")
        return event

    @api.model
    def _clinic_cancel(self, partner, event, reason=""):
        """Cancel ``event`` of ``partner``, with an optional reason told to the staff."""
        settings = self._clinic_settings()
        if not settings["enabled"]:
            raise UserError(self.env._("The client portal is closed."))
        event = self._clinic_check_changeable(partner, event, settings)
        if not settings["allow_cancel"]:
            raise UserError(self.env._("Appointments cannot be cancelled in the client portal."))
        reason = (reason or "").strip()[:1000]
        self._clinic_lock(event.user_id, partner)
        event.write({"clinic_cancel_reason": reason or False})
        body = self.env._("Cancelled by %(patient)s from the client portal.",
                          patient=partner.name)
        if reason:
            body = self.env._("Cancelled by %(patient)s from the client portal. Reason: "
                              "%(reason)s", patient=partner.name, reason=reason)
        event.message_post(body=body, partner_ids=event.user_id.partner_id.ids,
                           subtype_xmlid="mail.mt_note")
        event.action_archive()
        return event

    # ------------------------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------------------------
    @api.model
    def _clinic_check_new_time(self, partner, start, settings):
        """A start in the search horizon, after the minimum notice, to the minute."""
        if not isinstance(start, datetime) or start.tzinfo is None:
            raise UserError(self.env._("Choose a time from the list."))
        start = start.astimezone(UTC)
        if start.second or start.microsecond:
            raise UserError(self.env._("Choose a time from the list."))
        tz = self._clinic_tz(partner)
        today = self._clinic_now().astimezone(tz).date()
        first, after = slots.bookable_horizon(today, settings["start_days"],
                                              settings["range_days"], tz)
        if not first <= start < after:
            raise UserError(self.env._(
                "This time is outside the days open for booking. Please choose another."))
        if start < slots.earliest_new_start(self._clinic_now(), settings["min_hours_new"]):
            raise UserError(self.env._(
                "Appointments must be booked at least %(hours)s hours in advance. Please "
                "choose a later time.", hours=settings["min_hours_new"]))
        return start

    @api.model
    def _clinic_check_changeable(self, partner, event, settings):
        event = event.sudo()
        if not event.exists() or event.clinic_patient_id != partner or not event.active:
            raise AccessError(self.env._("This appointment is not yours, or no longer exists."))
        if event.start.replace(tzinfo=UTC) <= self._clinic_now():
            raise UserError(self.env._("This appointment has already started."))
        if not slots.change_allowed(event.start.replace(tzinfo=UTC), self._clinic_now(),
                                    settings["min_hours_change"]):
            raise UserError(self.env._(
                "Appointments can be changed or cancelled online only until %(hours)s hours "
                "before they start. %(contact)s", hours=settings["min_hours_change"],
                contact=self._clinic_contact_message(settings)))
        return event

    @api.model
    def _clinic_pick_staff(self, partner, product, candidates, start, settings):
        """The staff member to book: the only candidate, or the first one free at ``start``."""
        if len(candidates) == 1:
            return candidates
        for user in candidates:
            if self._clinic_time_state(partner, product, user, start, settings) == "free":
                return user
        raise ClinicSlotTaken(self._clinic_taken_message())

    @api.model
    def _clinic_check_free(self, partner, product, staff_user, start, settings,
                           ignore_event=None):
        state = self._clinic_time_state(partner, product, staff_user, start, settings,
                                        ignore_event=ignore_event, fresh=True)
        if state == "taken":
            raise ClinicSlotTaken(self._clinic_taken_message())
        if state != "free":
            raise UserError(self.env._(
                "This time is not offered for booking. Please choose another."))

    @api.model
    def _clinic_time_state(self, partner, product, staff_user, start, settings,
                           ignore_event=None, fresh=False):
        """'free'; 'taken' when an appointment overlaps it; 'not_offered' when it is outside
        working hours or, with "Prevent gaps", would leave a gap."""
        duration = timedelta(minutes=product.clinic_duration_minutes)
        end = start + duration
        day_start, day_end = start - timedelta(days=1), end + timedelta(days=1)
        work = self._clinic_work_intervals(staff_user, day_start, day_end).get(staff_user.id, [])
        busy = self._clinic_busy_intervals(staff_user.partner_id | partner, day_start, day_end,
                                           ignore_event=ignore_event, fresh=fresh)
        staff_busy = busy.get(staff_user.partner_id.id, [])
        own = [i for i in busy.get(partner.id, []) if i not in staff_busy]
        parallel = not settings["prevent_parallel"]
        if slots.slot_is_free(start, duration, work, staff_busy, blocking=own,
                              prevent_gaps=settings["prevent_gaps"], parallel=parallel):
            return "free"
        if not slots.slot_is_free(start, duration, work, [], parallel=True):
            return "not_offered"
        if slots.overlaps(start, end, own + ([] if parallel else staff_busy)):
            return "taken"
        return "not_offered"

    @api.model
    def _clinic_lock(self, staff_user, partner):
        """Serialise bookings of one staff calendar and of one patient.

        Transaction-level advisory locks, staff first then patient (one order everywhere, so
        no deadlock): a second booking of the same staff member or patient waits here until
        the first commits. Odoo's transactions are REPEATABLE READ, so the re-check that
        follows reads the busy times again in a new snapshot (``fresh=True``), which sees the
        appointment the first booking just committed.
        """
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s, %s), pg_advisory_xact_lock(%s, %s)",
                            (LOCK_STAFF, staff_user.id, LOCK_PATIENT, partner.id))

    # ------------------------------------------------------------------------------------
    # Messages
    # ------------------------------------------------------------------------------------
    @api.model
    def _clinic_taken_message(self):
        return self.env._("This time was just taken, please choose another.")

    @api.model
    def _clinic_limit_message(self, settings):
        if settings["future_limit_scope"] == "global":
            return self.env._(
                "You already have %(limit)s upcoming appointments, the most you can book "
                "online.", limit=settings["future_limit"])
        return self.env._(
            "You already have %(limit)s upcoming appointments with this staff member, the most "
            "you can book online.", limit=settings["future_limit"])

    @api.model
    def _clinic_phone_suffix(self, settings):
        return f" ({settings['phone']})" if settings["phone"] else ""

    @api.model
    def _clinic_contact_message(self, settings):
        if settings["phone"]:
            return self.env._("Please contact the clinic: %(phone)s.", phone=settings["phone"])
        return self.env._("Please contact the clinic.")
