from datetime import UTC, datetime, timedelta

from odoo.fields import Command
from odoo.tests import new_test_user

from .common import give_website_to

# Monday 2 March 2026, 06:00 UTC: "now" in the booking tests.
NOW = datetime(2026, 3, 2, 6, 0)


def utc(*args):
    """An aware UTC datetime: utc(2026, 3, 3, 8)."""
    return datetime(*args, tzinfo=UTC)


class BookingSetup:
    """Portal settings, a staff calendar, a free service and portal patients for booking tests.

    Working hours Monday to Friday 08:00-12:00 and 13:00-17:00, in UTC for readable
    assertions; the patient's zone is UTC too unless a test says otherwise. Prices are the
    services' sales prices: no pricelist (the demo clinic's shekel prices have their test).
    """

    @classmethod
    def _setup_booking(cls, env):
        cls.company = env.company
        cls.company.sudo().write({
            "phone": "+972 3 555 0100",
            "clinic_portal_enabled": True,
            "clinic_portal_self_scheduling": True,
            "clinic_portal_min_hours_new": 24,
            "clinic_portal_min_hours_change": 24,
            "clinic_portal_prevent_gaps": False,
            "clinic_portal_prevent_parallel": True,
            "clinic_portal_allow_cancel": True,
            "clinic_portal_allow_reschedule": True,
            "clinic_portal_future_limit": 0,
            "clinic_portal_future_limit_scope": "calendar",
            "clinic_portal_search_start_days": 0,
            "clinic_portal_search_range_days": 30,
            # Starts by the service's duration: hourly for the one-hour check-up.
            "clinic_portal_slot_step": 0,
            "clinic_portal_treating_team_only": False,
            # Mandatory forms have tests of their own; here nothing is due.
            "clinic_mandatory_form_ids": [Command.clear()],
        })
        give_website_to(cls.company)
        env["product.pricelist"].search([]).action_archive()
        cls.hours = cls._make_calendar(env, "Clinic booking hours")
        cls.staff = cls._make_staff(env, "booking_staff", "Booking Staff")
        cls.staff2 = cls._make_staff(env, "booking_staff2", "Booking Staff Two")
        cls.service = cls._make_service(env, "Check-up", 60, cls.staff | cls.staff2)
        cls.patient_user = new_test_user(
            env, login="booking_patient", name="Booking Patient", groups="base.group_portal",
            email="booking.patient@example.com", tz="UTC")
        cls.patient = cls.patient_user.partner_id
        cls.other_user = new_test_user(
            env, login="booking_other", name="Other Patient", groups="base.group_portal",
            email="other.patient@example.com", tz="UTC")
        cls.other = cls.other_user.partner_id

    @classmethod
    def _open_every_day(cls):
        """Working hours round the clock, every day: HttpCase's server runs on the real clock."""
        cls.hours.attendance_ids.unlink()
        cls.hours.attendance_ids = [
            Command.create({"name": f"d{day}", "dayofweek": str(day), "hour_from": 0.0,
                            "hour_to": 23.99, "day_period": "morning"}) for day in range(7)]

    @classmethod
    def _make_calendar(cls, env, name, tz="UTC", periods=((8, 12), (13, 17))):
        return env["resource.calendar"].create({
            "name": name,
            "tz": tz,
            "attendance_ids": [
                Command.create({"name": f"{day} {start}", "dayofweek": str(day),
                                "hour_from": start, "hour_to": end,
                                "day_period": "morning" if start < 12 else "afternoon"})
                for day in range(5) for start, end in periods
            ],
        })

    @classmethod
    def _make_staff(cls, env, login, name, calendar=None, tz="UTC"):
        user = new_test_user(env, login=login, name=name, groups="base.group_user", tz=tz,
                             email=f"{login}@example.com")
        user.write({"resource_calendar_id": (calendar or cls.hours).id,
                    "clinic_portal_bookable": True})
        return user

    @classmethod
    def _make_service(cls, env, name, minutes, staff=None, **values):
        template = env["product.template"].create({
            "name": name,
            "type": "service",
            "list_price": 0.0,
            "clinic_duration_minutes": minutes,
            "clinic_portal_visible": True,
            "clinic_staff_user_ids": [Command.set(staff.ids)] if staff else [],
            **values,
        })
        return template.product_variant_id

    def _event(self, staff, start, hours=1.0, partners=None, **values):
        """A busy appointment of ``staff`` (and ``partners``) from ``start`` (aware UTC)."""
        attendees = staff.partner_id | (partners or self.env["res.partner"])
        return self.env["calendar.event"].with_context(no_mail_to_attendees=True).create({
            "name": "Busy",
            "start": start.replace(tzinfo=None),
            "stop": start.replace(tzinfo=None) + timedelta(hours=hours),
            "user_id": staff.id,
            "partner_ids": [Command.set(attendees.ids)],
            **values,
        })

    def _policy(self):
        return self.env.company._clinic_portal_policy()

    def _slots(self, staff=None, product=None, partner=None, page=0):
        availability = self.env["clinic.availability.engine"]
        partner = partner or self.patient
        start, end = availability._window(partner, self._policy(), page)
        return availability._free_starts(partner, product or self.service,
                                         staff or self.staff, start, end, self._policy())

    def _book(self, start, staff=None, product=None, partner=None):
        engine = self.env["clinic.booking.engine"]
        return engine._book(engine._service_request(
            partner or self.patient, product or self.service, start, self._policy(),
            staff_user=self.staff if staff is None else staff))

    def _reschedule(self, event, start):
        return event._clinic_reschedule(start, self._policy())

    def _cancel(self, event, reason=""):
        return event._clinic_cancel(reason, self._policy())
