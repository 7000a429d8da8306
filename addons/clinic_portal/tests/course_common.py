from datetime import timedelta

from odoo.fields import Command
from odoo.tests import new_test_user

from .booking_common import BookingSetup


class CourseSetup(BookingSetup):
    """Two groups of one course (Monday and Wednesday evenings, four weekly meetings each
    from ``first``), a group of another course, the booking patient enrolled in the Monday
    group and the other patient in the Wednesday group."""

    @classmethod
    def _setup_courses(cls, env, first, capacity=3):
        cls._setup_booking(env)
        cls.company.sudo().clinic_portal_makeup_sessions = 14
        cls.pilates = cls._make_service(env, "Pilates group", 60)
        cls.yoga = cls._make_service(env, "Yoga group", 60)
        cls.group_a = cls._group(env, "Pilates, Monday", cls.pilates, cls.staff, capacity,
                                 first)
        cls.group_b = cls._group(env, "Pilates, Wednesday", cls.pilates, cls.staff2, capacity,
                                 first + timedelta(days=2))
        cls.group_yoga = cls._group(env, "Yoga, Wednesday", cls.yoga, cls.staff2, capacity,
                                    first + timedelta(days=2, hours=2))
        cls.enrollment = cls._enroll(env, cls.patient, cls.group_a)
        cls.other_enrollment = cls._enroll(env, cls.other, cls.group_b)

    @classmethod
    def _group(cls, env, name, product, instructor, capacity, first):
        course = env["clinic.course"].create({
            "name": name, "product_id": product.id, "capacity": capacity,
            "instructor_ids": [Command.set(instructor.ids)]})
        course._plan_weekly_meetings(first.replace(tzinfo=None), 4)
        return course

    @classmethod
    def _enroll(cls, env, partner, course):
        return env["clinic.course.enrollment"].create(
            {"partner_id": partner.id, "course_id": course.id})

    @classmethod
    def _client(cls, env, login):
        return new_test_user(env, login=login, name=login.replace("_", " ").title(),
                             groups="base.group_portal", email=f"{login}@example.com",
                             tz="UTC").partner_id

    def _meetings(self, course):
        return course.meeting_ids.sorted("start")

    def _book_makeup(self, meeting, enrollment=None):
        return self.env["clinic.booking.engine"]._book(
            (enrollment or self.enrollment)._makeup_request(meeting, self._policy()))

    def _cancel_makeup(self, seat, enrollment=None):
        return (enrollment or self.enrollment)._cancel_makeup(seat, self._policy())
