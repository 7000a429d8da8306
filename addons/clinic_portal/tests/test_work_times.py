from datetime import timedelta

from odoo.tests import TransactionCase, freeze_time, tagged

from .. import const
from ..services import slots
from .booking_common import NOW, BookingSetup, utc


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestWorkTimes(BookingSetup, TransactionCase):
    """The working time the portal offers is Odoo's, per staff member, though staff who work
    alike share one computation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        env = cls.env
        jerusalem = cls._make_calendar(env, "Jerusalem hours", tz="Asia/Jerusalem",
                                       periods=((9, 13), (14, 18)))
        flexible = cls._make_calendar(env, "Flexible hours")
        flexible.write({"flexible_hours": True, "hours_per_day": 6.0,
                        "full_time_required_hours": 30.0})
        cls.alike = cls._make_staff(env, "work_alike", "Works Like Booking Staff")
        cls.on_leave = cls._make_staff(env, "work_leave", "On Leave Tuesday")
        cls.brussels = cls._make_staff(env, "work_brussels", "Works From Brussels",
                                       tz="Europe/Brussels")
        cls.jerusalem = cls._make_staff(env, "work_jerusalem", "Works In Jerusalem",
                                        calendar=jerusalem, tz="Asia/Jerusalem")
        cls.flexible = cls._make_staff(env, "work_flexible", "Works Flexible Hours",
                                       calendar=flexible)
        cls.team = cls.staff | cls.alike | cls.on_leave | cls.brussels | cls.jerusalem \
            | cls.flexible
        leaves = env["resource.calendar.leaves"]
        leaves.create({"name": "Dentist", "resource_id": cls._resource(cls.on_leave).id,
                       "calendar_id": cls.hours.id, "date_from": "2026-03-03 10:00:00",
                       "date_to": "2026-03-03 12:00:00"})
        leaves.create({"name": "Purim", "calendar_id": cls.hours.id,
                       "company_id": env.company.id, "date_from": "2026-03-04 00:00:00",
                       "date_to": "2026-03-04 23:59:59"})

    @classmethod
    def _resource(cls, user):
        return user.resource_ids.filtered(lambda r: r.company_id == cls.env.company)[:1]

    def test_each_staff_member_gets_odoos_working_time(self):
        start, end = utc(2026, 3, 2), utc(2026, 3, 2) + timedelta(days=14)
        work = self.env["clinic.availability.engine"]._work_seconds(self.team, start, end)
        for user in self.team:
            resource = self._resource(user)
            odoo = resource.calendar_id._work_intervals_batch(
                start, end, resources=resource)[resource.id]
            with self.subTest(user=user.name):
                self.assertEqual(work[user.id], [(slots.to_seconds(s), slots.to_seconds(e))
                                                 for s, e, _m in odoo])
        # The cases differ, so sharing one computation would have shown.
        self.assertEqual(work[self.staff.id], work[self.alike.id])
        for other in (self.on_leave, self.brussels, self.jerusalem, self.flexible):
            self.assertNotEqual(work[self.staff.id], work[other.id], other.name)
        wednesday = slots.to_seconds(utc(2026, 3, 4, 12))
        self.assertFalse([s for s, e in work[self.staff.id] if s <= wednesday < e])

    def test_a_staff_members_leave_is_not_offered_and_not_shared(self):
        slots_by_user = self._slots(staff=self.staff | self.on_leave)
        ten = utc(2026, 3, 3, 10)
        self.assertIn(ten, slots_by_user[self.staff.id])
        self.assertNotIn(ten, slots_by_user[self.on_leave.id])
        self.assertIn(utc(2026, 3, 3, 9), slots_by_user[self.on_leave.id])

    def test_a_leave_or_new_hours_show_at_once_though_pages_reuse_working_times(self):
        # A rush of patients opens one month: its working times are computed once, and an
        # edit of leaves or working hours drops them, on every server.
        availability = self.env["clinic.availability.engine"]
        start, end = utc(2026, 3, 2), utc(2026, 3, 2) + timedelta(days=14)

        def shown():
            return availability._work_seconds_shown(self.alike, start, end)[self.alike.id]

        before = shown()
        eleven = slots.to_seconds(utc(2026, 3, 5, 11))
        self.assertTrue(any(s <= eleven < e for s, e in before))
        leave = self.env["resource.calendar.leaves"].create({
            "name": "Conference", "resource_id": self._resource(self.alike).id,
            "calendar_id": self.hours.id, "date_from": "2026-03-05 09:00:00",
            "date_to": "2026-03-05 12:00:00"})
        self.assertFalse(any(s <= eleven < e for s, e in shown()))
        leave.unlink()
        self.assertEqual(shown(), before)
        self.hours.attendance_ids.filtered(lambda a: a.hour_from == 13).write({"hour_to": 15})
        four = slots.to_seconds(utc(2026, 3, 5, 16))
        self.assertTrue(any(s <= four < e for s, e in before))
        self.assertFalse(any(s <= four < e for s, e in shown()))

    def test_a_booking_is_checked_against_the_hours_as_they_are_now(self):
        # Hours that change where no edit of ours sees it (an employee's next contract) may
        # be shown a few minutes more; the booking's own check reads them afresh.
        availability = self.env["clinic.availability.engine"]
        start, end = utc(2026, 3, 2), utc(2026, 3, 2) + timedelta(days=14)
        four = utc(2026, 3, 5, 16)
        shown = availability._work_seconds_shown(self.alike, start, end)[self.alike.id]
        self.assertTrue(any(s <= slots.to_seconds(four) < e for s, e in shown))
        self.env.flush_all()
        self.env.cr.execute("UPDATE resource_calendar_attendance SET hour_to = 15 "
                            "WHERE calendar_id = %s AND hour_from = 13", [self.hours.id])
        self.env.invalidate_all()
        state = availability._time_state(self.patient, self.service, self.alike, four,
                                         self._policy())
        self.assertEqual(state, const.TIME_NOT_OFFERED)
