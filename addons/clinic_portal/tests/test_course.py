from datetime import timedelta

import psycopg2

from odoo.exceptions import UserError, ValidationError
from odoo.tests import TransactionCase, freeze_time, tagged
from odoo.tools import mute_logger

from .booking_common import NOW, utc
from .course_common import CourseSetup


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestCourseMakeup(CourseSetup, TransactionCase):
    """Make-up sessions: a missed meeting made up in another group of the same course.

    Now is Monday 2 March 2026 06:00 UTC; the Monday group meets at 18:00 from today, the
    Wednesday group from the 4th; 24 hours' notice, a 30-day window, 14 make-ups."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_courses(cls.env, utc(2026, 3, 2, 18))

    def test_an_enrolled_client_has_a_seat_in_each_future_meeting_of_their_group(self):
        for meeting in self._meetings(self.group_a):
            self.assertEqual(meeting.clinic_seat_ids.partner_id, self.patient)
            self.assertIn(self.patient, meeting.attendee_ids.partner_id)
            self.assertIn(self.staff.partner_id, meeting.partner_ids)
            # A meeting is no appointment of the client's.
            self.assertFalse(meeting.clinic_patient_id)
        self.assertEqual(self.group_a.enrolled_count, 1)

    def test_makeup_is_offered_in_future_meetings_of_other_groups_of_the_same_service(self):
        offered = self.enrollment._makeup_meetings(self._policy())
        self.assertEqual(offered, self._meetings(self.group_b))

    def test_a_makeup_seats_the_client_and_counts_against_the_allowance(self):
        meeting = self._meetings(self.group_b)[0]
        seat = self._book_makeup(meeting)
        self.assertEqual((seat.kind, seat.state, seat.enrollment_id),
                         ("makeup", "booked", self.enrollment))
        self.assertEqual((self.enrollment.makeup_used, self.enrollment.makeup_left), (1, 13))
        self.assertIn(self.patient, meeting.attendee_ids.partner_id)
        self.assertIn(self.patient, meeting.partner_ids)
        self.assertEqual(meeting.clinic_seats_taken, 2)
        self.assertFalse(meeting.clinic_patient_id)
        # It is not offered twice.
        self.assertNotIn(meeting, self.enrollment._makeup_meetings(self._policy()))
        with self.assertRaisesRegex(UserError, "already have a seat"):
            self._book_makeup(meeting)

    def test_no_makeup_online_when_the_allowance_is_zero(self):
        self.company.clinic_portal_makeup_sessions = 0
        with self.assertRaisesRegex(UserError, "cannot be booked online"):
            self._book_makeup(self._meetings(self.group_b)[0])
        self.assertFalse(self.enrollment.seat_ids.filtered(lambda s: s.kind == "makeup"))

    def test_no_makeup_beyond_the_allowance(self):
        self.company.clinic_portal_makeup_sessions = 2
        first, second, third = self._meetings(self.group_b)[:3]
        self._book_makeup(first)
        self._book_makeup(second)
        self.assertEqual(self.enrollment.makeup_left, 0)
        with self.assertRaisesRegex(UserError, "used all 2 make-up sessions"):
            self._book_makeup(third)
        self.assertEqual(third.clinic_seats_taken, 1)

    def test_a_full_meeting_is_neither_offered_nor_booked(self):
        meeting = self._meetings(self.group_b)[0]
        for login in ("third_client", "fourth_client"):
            self._book_makeup(meeting, self._enroll(
                self.env, self._client(self.env, login), self.group_a))
        self.assertEqual((meeting.clinic_seats_taken, meeting.clinic_seats_free), (3, 0))
        self.assertNotIn(meeting, self.enrollment._makeup_meetings(self._policy()))
        with self.assertRaisesRegex(UserError, "This meeting is full"):
            self._book_makeup(meeting)
        self.assertEqual(meeting.clinic_seats_taken, 3)

    def test_only_meetings_of_the_same_service_and_not_of_the_own_group(self):
        for meeting in (self._meetings(self.group_yoga)[1], self._meetings(self.group_a)[1]):
            with self.assertRaisesRegex(UserError, "not open for make-up sessions"):
                self._book_makeup(meeting)

    def test_meetings_outside_the_search_window_are_neither_offered_nor_booked(self):
        self.company.clinic_portal_search_range_days = 10
        offered = self.enrollment._makeup_meetings(self._policy())
        self.assertEqual(offered, self._meetings(self.group_b)[:2])
        with self.assertRaisesRegex(UserError, "outside the days open for booking"):
            self._book_makeup(self._meetings(self.group_b)[2])

    def test_meetings_inside_the_minimum_notice_are_neither_offered_nor_booked(self):
        self.company.clinic_portal_min_hours_new = 72
        soon = self._meetings(self.group_b)[0]
        self.assertNotIn(soon, self.enrollment._makeup_meetings(self._policy()))
        with self.assertRaisesRegex(UserError, "at least 72 hours in advance"):
            self._book_makeup(soon)

    def test_a_meeting_at_the_time_of_another_appointment_is_not_offered(self):
        meeting = self._meetings(self.group_b)[0]
        self._event(self.staff, utc(2026, 3, 4, 18, 30), partners=self.patient)
        self.assertNotIn(meeting, self.enrollment._makeup_meetings(self._policy()))
        with self.assertRaisesRegex(UserError, "appointment at this time"):
            self._book_makeup(meeting)

    def test_cancelling_a_makeup_gives_it_back_and_frees_the_seat(self):
        meeting = self._meetings(self.group_b)[0]
        seat = self._book_makeup(meeting)
        self._cancel_makeup(seat)
        self.assertEqual((seat.state, seat.seat_no), ("cancelled", 0))
        self.assertEqual((self.enrollment.makeup_used, self.enrollment.makeup_left), (0, 14))
        self.assertEqual(meeting.clinic_seats_taken, 1)
        self.assertNotIn(self.patient, meeting.attendee_ids.partner_id)
        self.assertNotIn(self.patient, meeting.partner_ids)
        self.assertIn(meeting, self.enrollment._makeup_meetings(self._policy()))

    def test_a_makeup_cannot_be_cancelled_online_inside_the_change_window(self):
        seat = self._book_makeup(self._meetings(self.group_b)[0])
        with freeze_time(NOW + timedelta(hours=40)), \
                self.assertRaisesRegex(UserError, "up to 24 hours before it starts"):
            self._cancel_makeup(seat)
        self.assertEqual((seat.state, self.enrollment.makeup_used), ("booked", 1))

    def test_a_makeup_is_not_cancelled_online_when_the_clinic_takes_cancellations(self):
        seat = self._book_makeup(self._meetings(self.group_b)[0])
        self.company.clinic_portal_allow_cancel = False
        with self.assertRaisesRegex(UserError, "cannot be cancelled in the client portal"):
            self._cancel_makeup(seat)
        self.assertEqual((seat.state, self.enrollment.makeup_used), ("booked", 1))
        self.company.clinic_portal_allow_cancel = True
        self._cancel_makeup(seat)
        self.assertEqual((seat.state, self.enrollment.makeup_used), ("cancelled", 0))

    def test_a_client_cannot_cancel_another_clients_makeup(self):
        seat = self._book_makeup(self._meetings(self.group_b)[0])
        with self.assertRaisesRegex(UserError, "does not exist"):
            self._cancel_makeup(seat, enrollment=self.other_enrollment)
        self.assertEqual(seat.state, "booked")

    def test_staff_mark_a_client_absent_or_present_in_one_click(self):
        seat = self._meetings(self.group_a)[0].clinic_seat_ids
        seat.with_user(self.staff).action_absent()
        self.assertEqual(seat.state, "absent")
        seat.with_user(self.staff).action_present()
        self.assertEqual(seat.state, "attended")

    def test_leaving_the_group_frees_the_seats_of_its_future_meetings(self):
        makeup = self._book_makeup(self._meetings(self.group_b)[1])
        self.enrollment.action_cancel()
        self.assertEqual(set(self.enrollment.seat_ids.mapped("state")), {"cancelled"})
        self.assertEqual(makeup.state, "cancelled")
        with self.assertRaisesRegex(UserError, "no longer enrolled"):
            self._book_makeup(self._meetings(self.group_b)[2])


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestCourseCapacity(CourseSetup, TransactionCase):
    """The capacity of a group is a rule of the database: no write over-fills a meeting."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_courses(cls.env, utc(2026, 3, 2, 18), capacity=2)
        cls.meeting = cls.group_b.meeting_ids.sorted("start")[0]
        cls.env["clinic.booking.engine"]._book(cls.enrollment._makeup_request(
            cls.meeting, cls.env.company._clinic_portal_policy()))

    def _insert_seat(self, seat_no):
        self.env.flush_all()
        self.env.cr.execute("""
            INSERT INTO clinic_course_seat (meeting_id, course_id, capacity, partner_id,
                                            enrollment_id, kind, state, seat_no)
            VALUES (%s, %s, %s, %s, %s, 'makeup', 'booked', %s)
        """, (self.meeting.id, self.group_b.id, 2, self.staff.partner_id.id,
              self.enrollment.id, seat_no))

    @mute_logger("odoo.sql_db")
    def test_the_database_refuses_a_seat_beyond_the_capacity_written_in_sql(self):
        with self.assertRaises(psycopg2.errors.CheckViolation), self.env.cr.savepoint():
            self._insert_seat(3)
        with self.assertRaises(psycopg2.errors.UniqueViolation), self.env.cr.savepoint():
            self._insert_seat(2)

    @mute_logger("odoo.sql_db")
    def test_the_database_refuses_a_seat_beyond_the_capacity_written_by_the_orm(self):
        third = self._client(self.env, "third_client")
        enrollment = self._enroll(self.env, third, self.group_a)
        with self.assertRaises(psycopg2.IntegrityError), self.env.cr.savepoint():
            self.env["clinic.course.seat"].create({
                "meeting_id": self.meeting.id, "partner_id": third.id,
                "enrollment_id": enrollment.id, "kind": "makeup"})
            self.env.flush_all()
        self.assertEqual(self.meeting.clinic_seats_taken, 2)

    def test_the_capacity_cannot_be_lowered_below_the_seats_taken(self):
        with self.assertRaisesRegex(ValidationError, "cannot be lower"):
            self.group_b.capacity = 1

    def test_the_capacity_can_be_lowered_while_the_seats_taken_fit(self):
        # The Wednesday client leaves: seat 1 is free, the make-up keeps seat 2.
        self.other_enrollment.action_cancel()
        self.group_b.capacity = 1
        self.assertEqual(self.meeting.clinic_seat_ids.filtered("is_live").seat_no, 1)
        self.assertEqual(self.meeting.clinic_seats_free, 0)


@tagged("post_install", "-at_install")
class TestCourseDemo(TransactionCase):
    """make run shows a course: two groups of one service, the demo patient in one."""

    def test_the_demo_patient_is_enrolled_in_one_of_two_groups_of_a_course(self):
        sunday = self.env.ref("clinic_portal.course_hydrotherapy_sunday")
        tuesday = self.env.ref("clinic_portal.course_hydrotherapy_tuesday")
        noa = self.env.ref("clinic_portal.partner_noa_mizrahi")
        self.assertEqual(sunday.product_id, tuesday.product_id)
        self.assertEqual(sunday.enrollment_ids.partner_id, noa)
        self.assertEqual((len(sunday.meeting_ids), len(tuesday.meeting_ids)), (6, 6))
        self.assertEqual(sunday.company_id, noa.company_id)
        self.assertEqual({m.start.weekday() for m in sunday.meeting_ids}, {6})
        self.assertEqual({m.start.weekday() for m in tuesday.meeting_ids}, {1})
        for meeting in sunday.meeting_ids:
            self.assertEqual(meeting.clinic_seat_ids.partner_id, noa)
