from odoo.fields import Command
from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged

from .booking_common import NOW, utc
from .course_common import CourseSetup


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestCourseCompanies(CourseSetup, TransactionCase):
    """Staff of another clinic (company) see none of this clinic's courses, enrollments or
    attendance; staff of this clinic see them all."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_courses(cls.env, utc(2026, 3, 2, 18))
        cls.other_company = cls.env["res.company"].create({"name": "Another clinic"})
        cls.stranger = new_test_user(
            cls.env, login="course_stranger", name="Other Clinic Staff",
            groups="base.group_user", company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)])
        cls.colleague = new_test_user(
            cls.env, login="course_colleague", name="Colleague", groups="base.group_user",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)])

    def _visible(self, user):
        env = self.env(user=user)
        return (env["clinic.course"].search_count([]),
                env["clinic.course.enrollment"].search_count([]),
                env["clinic.course.seat"].search_count([("meeting_id.clinic_course_id", "in",
                                                         self.group_a.ids)]))

    def test_staff_of_another_company_see_no_course_of_this_clinic(self):
        self.assertEqual(self._visible(self.stranger), (0, 0, 0))

    def test_staff_of_the_clinic_see_its_groups_enrollments_and_attendance(self):
        groups, enrollments, seats = self._visible(self.colleague)
        self.assertGreaterEqual(groups, 3)
        self.assertGreaterEqual(enrollments, 2)
        self.assertGreater(seats, 0)

    def test_a_makeup_mail_tells_the_terms_of_the_courses_clinic(self):
        seat = self._book_makeup(self._meetings(self.group_b)[0])
        self.company.phone = "+972 3 555 0100"
        self.other_company.phone = "+1 212 555 0100"
        # Whatever company the sender works in: the terms are those of the course's clinic.
        values = seat.with_company(self.other_company)._makeup_mail_values()
        self.assertEqual(values["policy"].phone, "+972 3 555 0100")
