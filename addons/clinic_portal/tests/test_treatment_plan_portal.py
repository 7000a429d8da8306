import re
from datetime import UTC

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from ..controllers.portal import format_start
from .common import require_form
from .plan_common import ALIAS, PlanSetup


@tagged("post_install", "-at_install")
class TestTreatmentPlanPortal(PlanSetup, HttpCase):
    """The booking pages with the patient's plan: its sessions under the clinic's alias,
    booked with no payment, and nobody else's plan."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_plan(cls.env)
        cls._open_every_day()
        # A prepaid service of the price list: its sessions in the plan pay nothing.
        cls.physio.write({"list_price": 100.0, "clinic_prepayment_required": True})

    def setUp(self):
        super().setUp()
        self.authenticate("booking_patient", "booking_patient")

    def _settings(self, **values):
        self.company.sudo().write({f"clinic_portal_{k}": v for k, v in values.items()})

    def _free_start(self, skip=0):
        return self._slots(product=self.physio)[self.staff.id][skip]

    def _csrf(self):
        page = self.url_open("/my/appointments").text
        return re.search(r'csrf_token: "([^"]+)"', page).group(1)

    def _post_session(self, start, line=None, staff=None):
        return self.url_open("/my/appointments/book/confirm", data={
            "plan_line": line if line is not None else self.line.id,
            "staff": staff if staff is not None else self.staff.id,
            "start": format_start(start), "csrf_token": self._csrf(),
        }, allow_redirects=False)

    def _mine(self):
        return self.env["calendar.event"].with_context(active_test=False).search(
            [("clinic_patient_id", "=", self.patient.id)])

    def test_the_service_step_shows_the_plan_sessions_under_the_alias(self):
        page = self.url_open("/my/appointments/book").text
        self.assertIn(ALIAS, page)
        self.assertIn(f'data-plan-line-id="{self.line.id}"', page)
        self.assertIn("10 of 10 left", page)
        self.assertIn(f'data-service-id="{self.service.id}"', page)

    def test_service_types_regular_and_plan_show_one_list_each(self):
        self._settings(service_types="regular")
        page = self.url_open("/my/appointments/book").text
        self.assertNotIn("data-plan-line-id", page)
        self.assertIn(f'data-service-id="{self.service.id}"', page)
        self._settings(service_types="plan")
        page = self.url_open("/my/appointments/book").text
        self.assertIn(f'data-plan-line-id="{self.line.id}"', page)
        self.assertNotIn("data-service-id", page)
        self.assertNotIn("o_clinic_no_service", page)
        page = self.url_open(f"/my/appointments/book?service={self.service.id}").text
        self.assertIn("This service cannot be booked in the client portal.", page)

    def test_booking_a_session_goes_from_the_plan_to_the_appointment_without_payment(self):
        staff = self.url_open(f"/my/appointments/book?plan_line={self.line.id}").text
        self.assertIn(f'data-staff-id="{self.staff.id}"', staff)
        self.assertIn(f"plan_line={self.line.id}&amp;staff=any", staff)
        self.assertNotIn("o_clinic_prepayment_note", staff)
        days = self.url_open(
            f"/my/appointments/book?plan_line={self.line.id}&staff={self.staff.id}").text
        day = re.search(r'data-day="([\d-]+)"', days).group(1)
        times = self.url_open(f"/my/appointments/book?plan_line={self.line.id}"
                              f"&staff={self.staff.id}&day={day}").text
        start = re.search(r'data-start="(\w+)"', times).group(1)
        self.assertIn(f"plan_line={self.line.id}&amp;staff={self.staff.id}&amp;start={start}",
                      times)
        confirm = self.url_open(f"/my/appointments/book/confirm?plan_line={self.line.id}"
                                f"&staff={self.staff.id}&start={start}").text
        self.assertIn(f"Session 1 of 10 — {self.plan.name}", confirm)
        self.assertIn(f'name="plan_line" value="{self.line.id}"', confirm)
        self.assertNotIn("o_clinic_price", confirm)
        self.assertNotIn("Continue to payment", confirm)
        response = self._post_session(self._free_start())
        self.assertEqual(response.status_code, 303)
        self.env.invalidate_all()
        event = self._mine()
        self.assertEqual(event.clinic_plan_line_id, self.line)
        self.assertFalse(event.clinic_payment_state)
        self.assertIn(f"{event._clinic_portal_url()}?message=booked",
                      response.headers["Location"])
        detail = self.url_open(event._clinic_portal_url()).text
        self.assertIn(f"Session 1 of 10 — {self.plan.name}", detail)
        self.assertNotIn("o_clinic_price", detail)
        self.assertIn("9 of 10 left", self.url_open("/my/appointments/book").text)
        self.assertIn(f"Session 1 of 10 — {self.plan.name}",
                      self.url_open("/my/appointments").text)

    def test_another_patients_plan_is_refused_and_not_shown(self):
        theirs = self._make_plan(self.env, self.other, self.physio, 5)
        for url in (f"/my/appointments/book?plan_line={theirs.line_ids.id}",
                    f"/my/appointments/book?plan_line={theirs.line_ids.id}&staff=any",
                    "/my/appointments/book?plan_line=999999",
                    "/my/appointments/book?plan_line=x'1"):
            with self.subTest(url=url):
                response = self.url_open(url)
                self.assertEqual(response.status_code, 200)
                self.assertIn("This session of a treatment plan cannot be booked", response.text)
                self.assertNotIn(theirs.name, response.text)
        response = self.url_open(f"/my/appointments/book/confirm?plan_line={theirs.line_ids.id}"
                                 f"&staff=any&start={format_start(self._free_start())}")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn(theirs.name, response.text)
        response = self._post_session(self._free_start(), line=theirs.line_ids.id)
        self.assertEqual(response.status_code, 200)
        self.assertIn("This treatment plan cannot be booked", response.text)
        self.assertNotIn(theirs.name, response.text)
        self.assertFalse(self.env["calendar.event"].search(
            [("clinic_plan_line_id", "=", theirs.line_ids.id)]))

    def test_a_patient_reads_their_own_plans_and_plan_lines_alone(self):
        theirs = self._make_plan(self.env, self.other, self.physio, 5)
        env = self.env(user=self.patient_user)
        self.assertEqual(env["clinic.treatment.plan"].search([]), self.plan)
        self.assertEqual(env["clinic.treatment.plan.line"].search([]), self.line)
        for record in (theirs, theirs.line_ids):
            with self.subTest(model=record._name), self.assertRaises(AccessError):
                env[record._name].browse(record.id).read(["partner_id"])
        with self.assertRaises(AccessError):
            self.line.with_user(self.patient_user).write({"sessions": 3})

    def test_a_closed_portal_shows_closed_whatever_the_plan_line(self):
        start = format_start(self._free_start())
        self._settings(enabled=False)
        for url in (f"/my/appointments/book?plan_line={self.line.id}",
                    f"/my/appointments/book/confirm?plan_line={self.line.id}&staff=any"
                    f"&start={start}"):
            with self.subTest(url=url):
                response = self.url_open(url)
                self.assertEqual(response.status_code, 200)
                self.assertIn("The client portal is closed", response.text)
                self.assertNotIn("o_clinic_error", response.text)

    def test_a_taken_time_goes_back_to_the_sessions_times(self):
        start = self._free_start()
        self._event(self.staff, start)
        response = self._post_session(start)
        self.assertEqual(response.status_code, 200)
        self.assertIn("This time was just taken, please choose another", response.text)
        self.assertIn(f"plan_line={self.line.id}&amp;staff={self.staff.id}", response.text)
        self.assertFalse(self._mine())

    def test_a_session_is_rescheduled_and_cancelled_in_the_portal(self):
        event = self._book_session(self._free_start())
        page = self.url_open(f"{event._clinic_portal_url()}/reschedule").text
        day = re.search(r'data-day="([\d-]+)"', page).group(1)
        times = self.url_open(f"{event._clinic_portal_url()}/reschedule?day={day}").text
        start = re.findall(r'data-start="(\w+)"', times)[-1]
        confirm = self.url_open(
            f"{event._clinic_portal_url()}/reschedule/confirm?start={start}").text
        self.assertIn(f"Session 1 of 10 — {self.plan.name}", confirm)
        response = self.url_open(f"{event._clinic_portal_url()}/reschedule", data={
            "start": start, "csrf_token": self._csrf()}, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.env.invalidate_all()
        self.assertEqual(format_start(event.start.replace(tzinfo=UTC)), start)
        response = self.url_open(f"{event._clinic_portal_url()}/cancel", data={
            "csrf_token": self._csrf()}, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.env.invalidate_all()
        self.assertFalse(event.active)
        self.assertIn("10 of 10 left", self.url_open("/my/appointments/book").text)

    def test_a_form_due_before_a_session_leads_back_to_that_session(self):
        survey = require_form(self.env, self.physio, "Consent before physiotherapy")
        page = self.url_open(f"/my/appointments/book?plan_line={self.line.id}").text
        link = f"/my/forms/{survey.id}?service={self.physio.id}&plan_line={self.line.id}"
        self.assertIn(link, page.replace("&amp;", "&"))
        other_line = self._make_plan(self.env, self.other, self.physio, 2).line_ids
        self.assertEqual(self.url_open(
            f"/my/forms/{survey.id}?plan_line={other_line.id}").status_code, 404)
        response = self.url_open(link, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn(survey.get_start_url(), response.headers["Location"])
        answer = survey.sudo()._create_answer(partner=self.patient)
        answer._mark_done()
        page = self.url_open(f"/survey/{survey.access_token}/{answer.access_token}").text
        self.assertIn("o_clinic_back_to_booking", page)
        self.assertIn(f"/my/appointments/book?plan_line={self.line.id}", page)
        # Filled: the form is due no more, and the session's staff step has no form to fill.
        self.assertNotIn("o_clinic_form_link", self.url_open(
            f"/my/appointments/book?plan_line={self.line.id}").text)
