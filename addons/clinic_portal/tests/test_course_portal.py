import re
from datetime import UTC, datetime, timedelta

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .course_common import CourseSetup
from .journey_common import JourneyCounter
from .test_booking_tours import speak_hebrew


def first_evening():
    """Tomorrow 18:00 UTC: the server thread of HttpCase runs on the real clock."""
    return (datetime.now(UTC) + timedelta(days=1)).replace(hour=18, minute=0, second=0,
                                                           microsecond=0)


@tagged("post_install", "-at_install")
class TestCoursePortal(CourseSetup, HttpCase):
    """The course pages: the client's own enrollment and seats only, every rule on the
    server, a clear message or a 404, never a server error."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_courses(cls.env, first_evening())
        cls.company.sudo().clinic_portal_min_hours_new = 0

    def setUp(self):
        super().setUp()
        self.authenticate("booking_patient", "booking_patient")

    def _csrf(self):
        page = self.url_open("/my/courses").text
        return re.search(r'csrf_token: "([^"]+)"', page).group(1)

    def _post(self, url, **data):
        return self.url_open(url, data={"csrf_token": self._csrf(), **data},
                             allow_redirects=False)

    def _post_makeup(self, meeting, enrollment=None):
        return self._post(f"/my/courses/{(enrollment or self.enrollment).id}/makeup",
                          meeting=meeting if isinstance(meeting, str) else meeting.id)

    def test_the_courses_page_shows_the_meetings_and_the_makeup_sessions_left(self):
        page = self.url_open("/my/courses")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Pilates, Monday", page.text)
        self.assertIn('data-left="14"', page.text)
        self.assertIn("14 make-up sessions left", page.text)
        self.assertEqual(page.text.count("o_clinic_course_meeting "), 4)
        self.assertNotIn("Pilates, Wednesday", page.text)

    def test_the_makeup_page_lists_meetings_of_other_groups_with_a_free_seat(self):
        page = self.url_open(f"/my/courses/{self.enrollment.id}/makeup").text
        for meeting in self._meetings(self.group_b):
            self.assertIn(f'name="meeting" value="{meeting.id}"', page)
        for meeting in self._meetings(self.group_a) | self._meetings(self.group_yoga):
            self.assertNotIn(f'name="meeting" value="{meeting.id}"', page)

    def test_booking_a_makeup_seats_the_client_and_cancelling_gives_it_back(self):
        meeting = self._meetings(self.group_b)[1]
        response = self._post_makeup(meeting)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/my/courses?message=makeup_booked", response.headers["Location"])
        seat = self.enrollment.seat_ids.filtered(lambda s: s.kind == "makeup")
        self.assertEqual(seat.meeting_id, meeting)
        self.assertIn('data-left="13"', self.url_open("/my/courses").text)
        response = self._post(f"/my/courses/seats/{seat.id}/cancel")
        self.assertEqual(response.status_code, 303)
        self.assertEqual(seat.state, "cancelled")
        self.assertEqual(self.enrollment.makeup_used, 0)

    def test_a_refused_makeup_says_why_and_books_nothing(self):
        own_group = self._meetings(self.group_a)[1]
        for meeting in (own_group, "nonsense", "999999999"):
            response = self._post_makeup(meeting)
            self.assertEqual(response.status_code, 200)
            self.assertIn("not open for make-up sessions", response.text)
        self.assertFalse(self.enrollment.seat_ids.filtered(lambda s: s.kind == "makeup"))

    def test_another_clients_enrollment_and_seat_are_not_found(self):
        meeting = self._meetings(self.group_a)[1]
        self.assertEqual(self.url_open(
            f"/my/courses/{self.other_enrollment.id}/makeup").status_code, 404)
        self.assertEqual(self._post_makeup(meeting, self.other_enrollment).status_code, 404)
        seat = self._book_makeup(meeting, self.other_enrollment)
        self.assertEqual(self._post(f"/my/courses/seats/{seat.id}/cancel").status_code, 404)
        self.assertEqual(self._post("/my/courses/seats/999999999/cancel").status_code, 404)
        self.assertEqual(seat.state, "booked")

    def test_a_cancelled_enrollment_and_its_seats_are_not_found(self):
        seat = self._book_makeup(self._meetings(self.group_b)[1])
        self.enrollment.state = "cancelled"
        self.assertEqual(self.url_open(
            f"/my/courses/{self.enrollment.id}/makeup").status_code, 404)
        self.assertEqual(self._post(f"/my/courses/seats/{seat.id}/cancel").status_code, 404)
        self.assertEqual(seat.state, "booked")

    def test_a_client_reads_their_own_enrollments_and_seats_alone(self):
        env = self.env(user=self.patient_user)
        self.assertEqual(env["clinic.course.enrollment"].search([]), self.enrollment)
        self.assertEqual(env["clinic.course.seat"].search([]), self.enrollment.seat_ids)
        self.assertFalse(env["clinic.course.seat"].search(
            [("enrollment_id", "=", self.other_enrollment.id)]))
        for record in (self.other_enrollment, self.other_enrollment.seat_ids[0]):
            with self.subTest(model=record._name), self.assertRaises(AccessError):
                env[record._name].browse(record.id).read(["state"])
        with self.assertRaises(AccessError):
            self.enrollment.with_user(self.patient_user).write({"state": "done"})

    def test_a_closed_portal_has_no_course_pages(self):
        self.company.sudo().clinic_portal_enabled = False
        self.assertEqual(self.url_open("/my/courses").status_code, 404)
        self.assertEqual(self.url_open(
            f"/my/courses/{self.enrollment.id}/makeup").status_code, 404)

    def test_a_closed_portal_cancels_no_makeup(self):
        seat = self._book_makeup(self._meetings(self.group_b)[1])
        csrf = self._csrf()
        self.company.sudo().clinic_portal_enabled = False
        response = self.url_open(f"/my/courses/seats/{seat.id}/cancel",
                                 data={"csrf_token": csrf}, allow_redirects=False)
        self.assertEqual(response.status_code, 404)
        self.assertEqual(seat.state, "booked")


@tagged("post_install", "-at_install")
class TestCourseTourHebrew(JourneyCounter, CourseSetup, HttpCase):
    """A Hebrew-speaking client in Chromium, right-to-left."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_courses(cls.env, first_evening())
        cls.company.sudo().clinic_portal_min_hours_new = 0
        speak_hebrew(cls)

    def test_an_enrolled_client_books_a_makeup_in_another_group(self):
        loads, taps = self._counted_tour("/he/my/courses", "clinic_portal_course_makeup_he",
                                         login="booking_patient")
        self.assertEqual((loads, taps), (2, 2), "the meetings to make up, then booked")
        seat = self.enrollment.seat_ids.filtered(lambda s: s.kind == "makeup")
        self.assertEqual(seat.meeting_id, self._meetings(self.group_b)[0])
        self.assertEqual(self.enrollment.makeup_left, 13)
