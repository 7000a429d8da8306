from datetime import UTC, datetime, timedelta

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .booking_common import BookingSetup
from .test_booking_tours import speak_hebrew


@tagged("post_install", "-at_install")
class TestFrontDesk(BookingSetup, HttpCase):
    """The front desk sees every client appointment, the portal's included, by staff member;
    marks a no-show once the time has come, and charges the fee with its own group's rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        speak_hebrew(cls)
        cls.desk = new_test_user(
            cls.env, login="front_desk", name="Front Desk", tz="UTC", lang="he_IL",
            groups="base.group_user,clinic_portal.group_clinic_front_desk")
        cls.patient.phone = "+972 50 765 4321"

    def setUp(self):
        super().setUp()
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        midday = now.replace(hour=12, minute=0)
        self.booked = self._event(self.staff2, midday, partners=self.patient,
                                 name=f"Check-up – {self.patient.name}",
                                 clinic_patient_id=self.patient.id,
                                 clinic_product_id=self.service.id, clinic_portal_booked=True)
        self.missed = self._event(self.staff, now - timedelta(days=3), partners=self.other,
                                 name=f"Check-up – {self.other.name}",
                                 clinic_patient_id=self.other.id,
                                 clinic_product_id=self.service.id, clinic_portal_booked=True)
        self.coming = self._event(self.staff, now + timedelta(days=3), partners=self.other,
                                 name=f"Check-up – {self.other.name}",
                                 clinic_patient_id=self.other.id, clinic_product_id=self.service.id)
        self.private = self._event(self.staff, now + timedelta(days=4), name="Staff meeting")

    def _action_records(self):
        action = self.env["ir.actions.actions"]._for_xml_id(
            "clinic_portal.calendar_event_action_clinic_appointments")
        return self.env["calendar.event"].with_user(self.desk).search(
            safe_eval(action["domain"]))

    def test_the_front_desk_sees_every_client_appointment_and_charges_fees(self):
        self.assertTrue(self.desk.has_group("account.group_account_invoice"),
                        "the no-show fee needs invoicing rights: the front desk group has them")
        self.assertFalse(self.desk.has_group("clinic_portal.group_clinic_admin"))
        seen = self._action_records()
        self.assertLessEqual(self.booked | self.missed | self.coming, seen)
        self.assertNotIn(self.private, seen, "not a client's appointment")
        visible = self.env["ir.ui.menu"].with_user(self.desk)._visible_menu_ids()
        self.assertIn(self.env.ref("clinic_portal.clinic_appointments_menu").id, visible)
        self.assertNotIn(self.env.ref("clinic_portal.clinic_configuration_menu").id, visible,
                         "configuration stays the clinic administrator's")

    def test_only_a_started_appointment_can_be_marked_a_no_show(self):
        with self.assertRaises(UserError):
            self.coming.with_user(self.desk).action_clinic_mark_no_show()
        self.assertFalse(self.coming.clinic_no_show)
        self.missed.with_user(self.desk).action_clinic_mark_no_show()
        self.assertTrue(self.missed.clinic_no_show)

    def test_tour_the_front_desk_calendar_and_list_in_hebrew(self):
        self.start_tour("/odoo/action-clinic_portal.calendar_event_action_clinic_appointments",
                        "clinic_portal_front_desk_he", login="front_desk")
        self.assertTrue(self.missed.clinic_no_show, "marked from the list, in one click")
        self.assertFalse(self.coming.clinic_no_show)
