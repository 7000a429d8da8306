from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ClinicServiceCase


@tagged("post_install", "-at_install")
class TestServiceFlags(ClinicServiceCase):
    def test_service_shown_in_portal_needs_a_positive_duration(self):
        for minutes in (0, -10):
            with self.subTest(minutes=minutes), self.assertRaises(ValidationError):
                self._service("No duration", clinic_duration_minutes=minutes)

    def test_hidden_service_may_have_no_duration(self):
        service = self._service("Back office", clinic_portal_visible=False,
                                clinic_duration_minutes=0)
        self.assertFalse(service.clinic_portal_visible)

    def test_negative_duration_is_refused_even_when_hidden(self):
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self._service("Odd", clinic_portal_visible=False, clinic_duration_minutes=-5)

    def test_only_services_can_be_shown_in_portal(self):
        with self.assertRaisesRegex(ValidationError, "Only services"):
            self.env["product.product"].create({
                "name": "Massage oil", "type": "consu", "clinic_duration_minutes": 10,
                "clinic_portal_visible": True})

    def test_hiding_from_portal_later_keeps_the_duration(self):
        service = self._service("Physio")
        service.clinic_portal_visible = False
        self.assertEqual(service.clinic_duration_minutes, 30)
        with self.assertRaises(ValidationError):
            service.write({"clinic_portal_visible": True, "clinic_duration_minutes": 0})

    def test_staff_restriction_and_colour_are_kept(self):
        staff = self.env.ref("base.user_admin")
        service = self._service("Dietitian", clinic_staff_user_ids=[(6, 0, staff.ids)],
                                clinic_color=3)
        self.assertEqual(service.clinic_staff_user_ids, staff)
        self.assertEqual(service.clinic_color, 3)
