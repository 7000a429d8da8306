from datetime import UTC, datetime, timedelta

from odoo.tests import HttpCase, tagged

from ..controllers.portal import format_start
from .booking_common import BookingSetup
from .payment_common import PrepaymentSetup


def speak_hebrew(cls):
    """The booking set-up of ``cls`` in Hebrew and in Jerusalem, open round the clock."""
    hebrew = cls.env["res.lang"]._activate_lang("he_IL")
    cls.env["ir.module.module"]._load_module_terms(
        ["base", "web", "portal", "website", "payment", "clinic_pricelist_portal",
         "clinic_portal"], ["he_IL"], overwrite=True)
    website = cls.env["website"].get_current_website()
    website.language_ids |= hebrew
    cls.hours.attendance_ids.unlink()
    cls.hours.write({"tz": "Asia/Jerusalem", "attendance_ids": [
        (0, 0, {"name": f"d{day}", "dayofweek": str(day), "hour_from": 0.0,
                "hour_to": 23.99, "day_period": "morning"}) for day in range(7)]})
    (cls.staff | cls.staff2).tz = "Asia/Jerusalem"
    cls.service.product_tmpl_id.clinic_staff_user_ids = cls.staff
    cls.patient_user.write({"lang": "he_IL", "tz": "Asia/Jerusalem"})


@tagged("post_install", "-at_install")
class TestBookingToursHebrew(BookingSetup, HttpCase):
    """A Hebrew-speaking patient on the portal, in Chromium, right-to-left."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        speak_hebrew(cls)

    def _tour(self, url, name):
        self.start_tour(f"/he{url}", name, login="booking_patient")

    def _mine(self):
        return self.env["calendar.event"].with_context(active_test=False).search(
            [("clinic_patient_id", "=", self.patient.id)])

    def test_tour_book(self):
        self._tour("/my/appointments", "clinic_portal_book_he")
        event = self._mine()
        self.assertEqual(len(event), 1)
        self.assertEqual(event.user_id, self.staff)
        self.assertTrue(event.clinic_portal_booked)

    def test_tour_reschedule(self):
        event = self._book(self._slots()[self.staff.id][100])
        before = event.start
        self._tour(event._clinic_portal_url(), "clinic_portal_reschedule_he")
        self.assertGreater(event.start, before)
        self.assertTrue(event.active)

    def test_tour_cancel(self):
        event = self._book(self._slots()[self.staff.id][100])
        self._tour(event._clinic_portal_url(), "clinic_portal_cancel_he")
        self.assertFalse(event.active)
        self.assertEqual(event.clinic_cancel_reason, 'אני בחו"ל')

    def test_tour_refused_for_minimum_notice(self):
        soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=2)
        self._tour(f"/my/appointments/book/confirm?service={self.service.id}"
                   f"&staff={self.staff.id}&start={format_start(soon)}",
                   "clinic_portal_refused_notice_he")
        self.assertFalse(self._mine())

    def test_tour_refused_for_future_appointment_limit(self):
        self.company.sudo().clinic_portal_future_limit = 1
        free = self._slots()[self.staff.id]
        self._book(free[0])
        self._tour(f"/my/appointments/book?service={self.service.id}&staff={self.staff.id}",
                   "clinic_portal_refused_limit_he")
        self._tour(f"/my/appointments/book/confirm?service={self.service.id}"
                   f"&staff={self.staff.id}&start={format_start(free[5])}",
                   "clinic_portal_refused_limit_submit_he")
        self.assertEqual(len(self._mine()), 1)

    def test_tour_refused_inside_the_change_window(self):
        self.company.sudo().clinic_portal_min_hours_new = 0
        soon = self._slots()[self.staff.id][2]  # two or three hours from now
        event = self._book(soon)
        self._tour(event._clinic_portal_url(), "clinic_portal_refused_change_window_he")
        self.assertTrue(event.active)

    def test_tour_a_logged_out_link_logs_in_and_opens_the_appointment(self):
        event = self._book(self._slots()[self.staff.id][100])
        self.start_tour(f"/he{event._clinic_portal_url()}", "clinic_portal_logged_out_link_he",
                        login=None)

    def test_tour_a_form_due_is_filled_and_the_booking_goes_on(self):
        survey = self.env["survey.survey"].create({
            "title": "Tour consent", "questions_layout": "one_page", "access_mode": "public",
            "lang_ids": False,  # every language: the client's own
            "question_and_page_ids": [(0, 0, {"title": "Do you agree?",
                                                "question_type": "char_box"})],
        })
        self.service.product_tmpl_id.clinic_required_survey_id = survey
        self._tour(f"/my/appointments/book?service={self.service.id}",
                   "clinic_portal_form_then_booking_he")
        self.assertIn(survey, self.patient._clinic_completed_forms())


@tagged("post_install", "-at_install")
class TestPrepaymentTourHebrew(PrepaymentSetup, HttpCase):
    """A Hebrew-speaking patient prepays a consultation on the Demo provider, in Chromium."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_prepayment(cls.env)
        speak_hebrew(cls)
        cls.consultation.product_tmpl_id.clinic_staff_user_ids = cls.staff

    def test_tour_prepay_and_book(self):
        self.start_tour(f"/he/my/appointments/book?service={self.consultation.id}",
                        "clinic_portal_prepay_he", login="booking_patient")
        event = self.env["calendar.event"].search([("clinic_patient_id", "=", self.patient.id)])
        self.assertEqual(event.clinic_payment_state, "paid")
        self.assertEqual(event.user_id, self.staff)
        self.assertEqual(event.clinic_transaction_id.provider_id, self.provider)
        self.assertIn(event.clinic_invoice_id.payment_state, ("paid", "in_payment"))
