import random
from datetime import timedelta

from odoo.tests import TransactionCase, freeze_time, tagged

from .booking_common import NOW, BookingSetup


def seed_busy_events(env, staff, first_day, days, count, seed=7):
    """Insert ``count`` one-hour busy events spread over the staff's days, with attendees."""
    rng = random.Random(seed)
    rows = []
    for _i in range(count):
        user = rng.choice(staff)
        start = first_day + timedelta(days=rng.randrange(days), hours=rng.randrange(7, 17))
        rows.append((user.id, user.partner_id.id, start))
    env.cr.execute("""
        WITH src AS (
            SELECT * FROM unnest(%s::int[], %s::int[], %s::timestamp[])
                       AS s(user_id, partner_id, start)
        ), ev AS (
            INSERT INTO calendar_event (name, start, stop, duration, allday, active, show_as,
                                        user_id, create_uid, write_uid, create_date,
                                        write_date)
            SELECT 'Seeded', start, start + interval '1 hour', 1.0, FALSE, TRUE, 'busy',
                   user_id, 1, 1, now(), now()
              FROM src
            RETURNING id, user_id
        )
        INSERT INTO calendar_attendee (event_id, partner_id, state, create_uid, write_uid,
                                       create_date, write_date)
        SELECT ev.id, u.partner_id, 'accepted', 1, 1, now(), now()
          FROM ev JOIN res_users u ON u.id = ev.user_id
        RETURNING id
    """, ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]))
    attendees = env["calendar.attendee"].browse([row[0] for row in env.cr.fetchall()])
    env.cr.execute("""
        INSERT INTO calendar_event_res_partner_rel (calendar_event_id, res_partner_id)
        SELECT a.event_id, a.partner_id
          FROM calendar_attendee a JOIN calendar_event e ON e.id = a.event_id
         WHERE e.name = 'Seeded'
        ON CONFLICT DO NOTHING
    """)
    env.invalidate_all()
    attendees._clinic_recompute_busy()


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestAvailabilityQueries(BookingSetup, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        second_hours = cls._make_calendar(cls.env, "Evening hours", periods=((14, 20),))
        cls.team = cls.env["res.users"]
        for i in range(20):
            cls.team |= cls._make_staff(cls.env, f"load_staff_{i}", f"Load Staff {i:02d}",
                                        calendar=second_hours if i % 2 else None)
        cls.service.product_tmpl_id.clinic_staff_user_ids = cls.team
        seed_busy_events(cls.env, cls.team, NOW.replace(hour=0), 30, 5000)

    def _availability(self, staff, days):
        availability = self.env["clinic.availability.engine"]
        policy = self._policy()
        start, _end = availability._window(self.patient, policy)
        end = start + timedelta(days=days)
        self.env.invalidate_all()
        return availability._free_starts(self.patient, self.service, staff, start, end, policy)

    def _queries(self, staff, days):
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        result = self._availability(staff, days)
        return self.cr.sql_log_count - before, result

    def test_twenty_staff_thirty_days_in_a_fixed_number_of_queries(self):
        self.env.flush_all()
        with self.assertQueryCount(15):
            result = self._availability(self.team, 30)
        self.assertEqual(set(result), set(self.team.ids))
        self.assertTrue(all(result.values()))

    def test_query_count_does_not_grow_with_staff_or_days(self):
        self.env.flush_all()
        # Warm the registry's caches, but not for the staff and days measured: their
        # working times are computed in both.
        self._availability(self.team[:1], 2)
        small, _result = self._queries(self.team[:2], 1)
        large, _result = self._queries(self.team, 30)
        self.assertEqual(small, large)

    def test_a_rush_on_one_month_reads_its_working_hours_once(self):
        self.env.flush_all()
        first, result = self._queries(self.team, 30)
        again, result_again = self._queries(self.team, 30)
        self.assertEqual(result_again, result)
        # The resources, working hours, attendances and leaves are not read again: the
        # service, the staff, the bookings and the patient's appointments are.
        self.assertEqual((first, again), (15, 6))

    def test_busy_seeded_events_are_not_offered(self):
        self.env.flush_all()
        user = self.team[0]
        result = self._availability(user, 30)[user.id]
        self.env.cr.execute("SELECT start FROM calendar_event e JOIN calendar_attendee a "
                            "ON a.event_id = e.id WHERE a.partner_id = %s",
                            (user.partner_id.id,))
        busy = {row[0] for row in self.env.cr.fetchall()}
        self.assertFalse({s.replace(tzinfo=None) for s in result} & busy)
