from datetime import UTC, datetime, timedelta

from odoo.tests import HttpCase, tagged

from .guarantee_common import GuaranteeSetup
from .journey_common import JourneyCounter
from .test_booking_tours import speak_hebrew


@tagged("post_install", "-at_install")
class TestGuaranteeToursHebrew(JourneyCounter, GuaranteeSetup, HttpCase):
    """In Hebrew, in Chromium: a patient leaves a card and books; an accountant charges the
    no-show fee to it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_guarantee(cls.env)
        speak_hebrew(cls)
        cls.physio.product_tmpl_id.clinic_staff_user_ids = cls.staff
        cls.accountant.write({"lang": "he_IL", "tz": "Asia/Jerusalem"})

    def test_tour_leave_a_card_and_book(self):
        self.start_tour(f"/he/my/appointments/book?service={self.physio.id}",
                        "clinic_portal_guarantee_he", login="booking_patient")
        event = self.env["calendar.event"].search([("clinic_patient_id", "=", self.patient.id)])
        self.assertEqual(event.clinic_payment_state, "guaranteed")
        self.assertEqual(event.user_id, self.staff)
        self.assertEqual(event.clinic_guarantee_token_id.payment_details, "4242")
        self.assertEqual(event.clinic_guarantee_token_id.provider_id, self.provider)
        self.assertFalse(event.clinic_invoice_ids, "nothing charged at booking")

    def test_tour_leave_a_card_and_book_on_one_page(self):
        _loads, taps = self._counted_tour("/he/my/appointments/book",
                                          "clinic_portal_one_page_guarantee_he",
                                          login="booking_patient")
        event = self.env["calendar.event"].search([("clinic_patient_id", "=", self.patient.id)])
        self.assertEqual(event.clinic_payment_state, "guaranteed")
        self.assertEqual(event.clinic_product_id, self.physio)
        self.assertEqual(event.clinic_guarantee_token_id.payment_details, "4242")
        self.assertFalse(event.clinic_invoice_ids, "nothing charged at booking")

    def test_tour_staff_charges_a_no_show_fee(self):
        card = self._card_of(self.patient, details="4242")
        yesterday = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) \
            - timedelta(days=1)
        event = self._event(self.staff, yesterday, partners=self.patient,
                            clinic_patient_id=self.patient.id,
                            clinic_product_id=self.physio.id)
        event._clinic_book_guaranteed(card)
        self.start_tour(
            f"/odoo/action-clinic_portal.calendar_event_action_clinic_payments/{event.id}",
            "clinic_portal_no_show_fee_he", login="guarantee_accountant")
        self.assertEqual(event.clinic_payment_state, "fee_charged")
        invoice = event.clinic_fee_invoice_id
        self.assertEqual(invoice.state, "posted")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(invoice.partner_id, self.patient)
