from odoo.tests import HttpCase, TransactionCase, tagged

from .journey_common import JourneyCounter
from .plan_common import PlanSetup
from .test_booking_tours import speak_hebrew


@tagged("post_install", "-at_install")
class TestTreatmentPlanTourHebrew(JourneyCounter, PlanSetup, HttpCase):
    """A Hebrew-speaking patient books, moves and cancels a session of their plan."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_plan(cls.env)
        speak_hebrew(cls)
        cls.company.sudo().with_context(lang="he_IL").clinic_portal_plan_alias = "שירות ממנו"

    def test_tour_a_session_of_the_plan_is_booked_moved_and_cancelled(self):
        self._counted_tour("/he/my/appointments/book", "clinic_portal_plan_session_he",
                           login="booking_patient")
        event = self.env["calendar.event"].with_context(active_test=False).search(
            [("clinic_patient_id", "=", self.patient.id)])
        self.assertEqual(len(event), 1)
        self.assertEqual(event.clinic_plan_line_id, self.line)
        self.assertFalse(event.active)
        self.assertFalse(event.clinic_payment_state)
        moves = event.message_ids.tracking_value_ids.filtered(
            lambda value: value.field_id.name == "start")
        self.assertEqual(len(moves), 1, "Moved once, by the patient")
        self.assertEqual(self.line.sessions_left, 10)


@tagged("post_install", "-at_install")
class TestTreatmentPlanDemo(TransactionCase):
    """make run shows a patient with an active plan she can book in the portal."""

    def test_demo_patient_has_an_active_ten_session_plan_she_can_book(self):
        noa = self.env.ref("clinic_portal.partner_noa_mizrahi")
        maya = self.env.ref("clinic_portal.user_maya_cohen")
        plan = self.env.ref("clinic_portal.treatment_plan_noa_physiotherapy")
        self.assertEqual((plan.partner_id, plan.state, plan.company_id),
                         (noa, "active", noa.company_id))
        availability = self.env["clinic.availability.engine"].with_company(plan.company_id)
        lines = availability._plan_lines(noa)
        self.assertEqual(lines, plan.line_ids)
        self.assertEqual((lines.sessions, lines.sessions_left), (10, 10))
        policy = plan.company_id._clinic_portal_policy()
        self.assertEqual(availability._plan_staff(noa, lines, policy), maya)
