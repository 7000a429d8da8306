import re
from datetime import UTC, datetime, timedelta

from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from ..controllers.portal import format_start
from .booking_common import BookingSetup


@tagged("post_install", "-at_install")
class TestPortalAccess(BookingSetup, HttpCase):
    """Who opens an appointment page, and what no tampered request can do."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        # Real time here: the server thread of HttpCase runs on the clock.
        cls._open_every_day()

    def setUp(self):
        super().setUp()
        self.authenticate("booking_patient", "booking_patient")

    def _free_start(self, skip=0, partner=None):
        return self._slots(partner=partner)[self.staff.id][skip]

    def _csrf(self):
        page = self.url_open("/my/appointments").text
        return re.search(r'csrf_token: "([^"]+)"', page).group(1)

    def _invoice(self, partner):
        invoice = self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": partner.id,
            "invoice_line_ids": [Command.create({"name": "Check-up", "quantity": 1,
                                                 "price_unit": 100.0})]})
        invoice.action_post()
        return invoice

    # --- defect: HTTP 500 on tampered input ---------------------------------------------
    def test_tampered_input_gets_a_404_or_a_clear_message_never_a_server_error(self):
        event = self._book(self._free_start(skip=40))
        url = event._clinic_portal_url()
        self.logout()
        response = self.url_open(f"{url}?access_token=\u00e9\u05d0", allow_redirects=False)
        self.assertEqual(response.status_code, 303)  # to the login page: no appointment shown
        self.authenticate("booking_patient", "booking_patient")
        response = self.url_open("/my/appointments/book/confirm", data={
            "csrf_token": self._csrf(), "service": self.service.id, "staff": "\u00b2",
            "start": format_start(self._free_start(skip=2))}, allow_redirects=False)
        self.assertEqual(response.status_code, 200)
        self.assertIn("cannot be booked for this service", response.text)
        self.patient.tz = "Asia/Jerusalem"
        response = self.url_open(f"/my/appointments/book/confirm?service={self.service.id}"
                                 f"&staff={self.staff.id}&start=99991231T2359Z")
        self.assertEqual(response.status_code, 200)
        self.assertIn("outside the days open", response.text)
        response = self.url_open(f"{url}/cancel", data={
            "csrf_token": self._csrf(), "reason": "ill\x00ness"}, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(event.clinic_cancel_reason, "illness")

    # --- defect: core's access token is the meeting link's ----------------------------------
    def test_the_meeting_link_token_does_not_open_the_appointment(self):
        theirs = self._book(self._free_start(), partner=self.other)
        theirs._set_discuss_videocall_location()
        self.assertIn(theirs.access_token, theirs.videocall_location)
        url = theirs._clinic_portal_url()
        self.assertEqual(self.url_open(f"{url}?access_token={theirs.access_token}").status_code,
                         404)
        self.logout()
        response = self.url_open(f"{url}?access_token={theirs.access_token}",
                                 allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers["Location"])
        self.assertEqual(self.url_open(theirs._clinic_portal_share_url()).status_code, 200)

    # --- defect: another partner's invoice ---------------------------------------------------
    def test_only_an_invoice_of_the_patient_is_linked_from_the_appointment(self):
        event = self._book(self._free_start())
        event.clinic_invoice_id = self._invoice(self.other)
        page = self.url_open(event._clinic_portal_url()).text
        self.assertNotIn("o_clinic_invoice", page)
        self.assertNotIn(event.clinic_invoice_id.access_token or "no token", page)
        event.clinic_invoice_id = self._invoice(self.patient)
        page = self.url_open(event._clinic_portal_url()).text
        self.assertIn("o_clinic_invoice", page)

    # --- defect: "Enable client portal" off ---------------------------------------------------
    def test_a_closed_portal_closes_appointments_and_forms_but_not_invoices(self):
        event = self._book(self._free_start())
        form = self.env["survey.survey"].create({"title": "Closed-portal form"})
        self.company.sudo().write({
            "clinic_portal_enabled": False,
            "clinic_mandatory_form_ids": [Command.create({"survey_id": form.id})]})
        listing = self.url_open("/my/appointments").text
        self.assertIn("The client portal is closed", listing)
        self.assertNotIn(event._clinic_portal_url(), listing)
        later = format_start(self._free_start(5))
        for path in ("", "/reschedule", f"/reschedule/confirm?start={later}"):
            with self.subTest(path=path):
                self.assertEqual(self.url_open(event._clinic_portal_url() + path).status_code,
                                 404)
        home = self.url_open("/my").text
        self.assertNotIn("Closed-portal form", home)
        self.assertNotIn('href="/my/appointments"', home)
        self.assertEqual(self.url_open("/my/invoices").status_code, 200)

    # --- defect: front-desk appointments -------------------------------------------------------
    def test_a_front_desk_appointment_of_one_client_is_theirs_in_the_portal(self):
        start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=5)
        event = self._event(self.staff, start, partners=self.patient,
                            clinic_product_id=self.service.id)
        self.assertEqual(event.clinic_patient_id, self.patient)
        group = self._event(self.staff, start + timedelta(hours=3),
                            partners=self.patient | self.other)
        self.assertFalse(group.clinic_patient_id)
        page = self.url_open("/my/appointments").text
        self.assertIn(event._clinic_portal_url(), page)
        detail = self.url_open(event._clinic_portal_url()).text
        self.assertIn("o_clinic_reschedule", detail)
        response = self.url_open(f"{event._clinic_portal_url()}/cancel", data={
            "csrf_token": self._csrf(), "reason": "Travelling"}, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertFalse(event.active)
