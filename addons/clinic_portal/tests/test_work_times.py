from datetime import timedelta

from odoo.tests import TransactionCase, freeze_time, tagged

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
