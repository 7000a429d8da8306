from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from .common import ClinicPortalCase


@tagged("post_install", "-at_install")
class TestBookableStaff(ClinicPortalCase):
    def test_internal_user_with_working_hours_can_be_booked(self):
        self.staff.resource_calendar_id = self.calendar
        self.staff.clinic_portal_bookable = True
        self.assertTrue(self.staff.clinic_portal_bookable)

    def test_setting_working_hours_gives_the_user_a_resource(self):
        self.assertFalse(self.staff.resource_ids)
        self.staff.write({"resource_calendar_id": self.calendar.id,
                          "clinic_portal_bookable": True})
        self.assertEqual(self.staff.resource_ids.calendar_id, self.calendar)
        self.assertEqual(self.staff.resource_calendar_id, self.calendar)

    def test_new_user_with_working_hours_can_be_bookable_at_once(self):
        user = new_test_user(
            self.env, login="new_doctor", groups="base.group_user",
            resource_calendar_id=self.calendar.id, clinic_portal_bookable=True,
        )
        self.assertTrue(user.clinic_portal_bookable)
        self.assertEqual(user.resource_calendar_id, self.calendar)

    def test_user_without_working_hours_cannot_be_booked(self):
        with self.assertRaisesRegex(ValidationError, "no working hours"):
            self.staff.clinic_portal_bookable = True

    def test_portal_user_cannot_be_booked(self):
        with self.assertRaisesRegex(ValidationError, "not an internal user"):
            self.patient.clinic_portal_bookable = True

    def test_bookable_user_cannot_become_a_portal_user(self):
        self.staff.write({"resource_calendar_id": self.calendar.id,
                          "clinic_portal_bookable": True})
        with self.assertRaisesRegex(ValidationError, "not an internal user"):
            self.staff.group_ids = self.env.ref("base.group_portal")

    def test_bookable_user_keeps_working_hours(self):
        self.staff.write({"resource_calendar_id": self.calendar.id,
                          "clinic_portal_bookable": True})
        with self.assertRaisesRegex(ValidationError, "need working hours"):
            self.staff.resource_ids.calendar_id = False

    def test_unbooking_a_user_needs_no_working_hours(self):
        self.staff.write({"resource_calendar_id": self.calendar.id,
                          "clinic_portal_bookable": True})
        self.staff.clinic_portal_bookable = False
        self.staff.resource_ids.calendar_id = False
        self.assertFalse(self.staff.resource_calendar_id)
