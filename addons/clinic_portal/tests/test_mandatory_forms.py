from datetime import datetime, timedelta

from odoo.exceptions import UserError
from odoo.tests import HttpCase, TransactionCase, freeze_time, new_test_user, tagged

from .booking_common import NOW, BookingSetup, utc


@tagged("post_install", "-at_install")
class TestMandatoryForms(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        Survey = cls.env["survey.survey"]
        cls.health = Survey.create({"title": "Health check (test)"})
        cls.nutrition = Survey.create({"title": "Nutrition (test)"})
        cls.intake = Survey.create({"title": "Intake (test)"})
        cls.consent = Survey.create({"title": "Laser consent (test)"})
        cls.company.write({"clinic_portal_enabled": True, "clinic_mandatory_form_ids": [
            (5, 0, 0),
            (0, 0, {"survey_id": cls.health.id, "frequency": "yearly", "sequence": 1}),
            (0, 0, {"survey_id": cls.nutrition.id, "frequency": "once",
                    "audience": "new_clients", "sequence": 2}),
            (0, 0, {"survey_id": cls.intake.id, "frequency": "once", "sequence": 3}),
        ]})
        cls.user = new_test_user(cls.env, login="forms_patient", groups="base.group_portal",
                                 password="forms_patient-2026")
        cls.patient = cls.user.partner_id
        cls.patient.company_id = cls.company
        cls.service = cls.env["product.product"].create({
            "name": "Laser (test)", "type": "service",
            "clinic_required_survey_id": cls.consent.id})

    def complete(self, survey, when):
        with freeze_time(when):
            answer = survey._create_answer(partner=self.patient)
            answer._mark_done()
        return answer

    def test_a_new_client_has_every_form_due(self):
        self.assertEqual(self.patient._clinic_forms_due(),
                         self.health | self.nutrition | self.intake)

    def test_once_is_due_until_completed(self):
        self.complete(self.intake, datetime.now())
        self.assertNotIn(self.intake, self.patient._clinic_forms_due())

    def test_yearly_is_due_again_after_twelve_months(self):
        self.complete(self.health, datetime(2025, 1, 10, 9, 0))
        with freeze_time("2025-12-20 09:00:00"):
            self.assertNotIn(self.health, self.patient._clinic_forms_due())
        with freeze_time("2026-01-11 09:00:00"):
            self.assertIn(self.health, self.patient._clinic_forms_due())

    def test_new_clients_only_is_not_asked_of_a_client_with_a_past_appointment(self):
        self.assertIn(self.nutrition, self.patient._clinic_forms_due())
        start = datetime.now() - timedelta(days=10)
        self.env["calendar.event"].create({
            "name": "Earlier visit", "start": start, "stop": start + timedelta(hours=1),
            "partner_ids": [(4, self.patient.id)]})
        self.assertNotIn(self.nutrition, self.patient._clinic_forms_due())

    def test_a_form_for_chosen_statuses_is_asked_only_of_clients_of_those_statuses(self):
        vip = self.env["clinic.client.status"].create({"name": "VIP (test)"})
        form = self.company.clinic_mandatory_form_ids.filtered(
            lambda f: f.survey_id == self.intake)
        form.write({"audience": "statuses", "status_ids": [(6, 0, vip.ids)]})
        self.assertNotIn(self.intake, self.patient._clinic_forms_due())
        self.patient.clinic_status_id = vip
        self.assertIn(self.intake, self.patient._clinic_forms_due())

    def test_a_services_own_form_is_due_before_booking_it(self):
        self.assertIn(self.consent, self.patient._clinic_forms_due(self.service))
        self.assertNotIn(self.consent, self.patient._clinic_forms_due())
        self.complete(self.consent, datetime.now())
        self.assertNotIn(self.consent, self.patient._clinic_forms_due(self.service))

    def test_portal_home_lists_the_forms_due_with_their_links(self):
        self.authenticate("forms_patient", "forms_patient-2026")
        page = self.url_open("/my").text
        self.assertIn("o_clinic_forms_due", page)
        for survey in (self.health, self.nutrition, self.intake):
            self.assertIn(f'href="/my/forms/{survey.id}"', page)
        response = self.url_open(f"/my/forms/{self.health.id}", allow_redirects=False)
        self.assertIn(self.health.get_start_url(), response.headers["Location"])
        for survey in (self.health, self.nutrition, self.intake):
            self.complete(survey, datetime.now())
        self.assertNotIn("o_clinic_forms_due", self.url_open("/my").text)

    def test_staff_see_which_forms_were_completed_when(self):
        self.complete(self.intake, datetime(2026, 3, 4, 10, 0))
        self.patient.invalidate_recordset(["clinic_forms_summary"])
        self.assertIn("Intake (test)", self.patient.clinic_forms_summary)
        self.assertIn("2026-03-04", self.patient.clinic_forms_summary)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestBookingWaitsForForms(BookingSetup, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        cls.intake = cls.env["survey.survey"].create({"title": "Intake before booking"})
        cls.company.sudo().clinic_mandatory_form_ids = [
            (0, 0, {"survey_id": cls.intake.id, "frequency": "once"})]

    def test_booking_is_refused_on_the_server_while_a_form_is_due(self):
        events = self.env["calendar.event"].search_count([])
        with self.assertRaisesRegex(UserError, "Intake before booking"):
            self._book(utc(2026, 3, 3, 9))
        self.assertEqual(self.env["calendar.event"].search_count([]), events)

    def test_forms_and_booking_follow_the_same_company_for_a_client_of_a_branch(self):
        branch = self.env["res.company"].create({"name": "Branch (test)",
                                                 "parent_id": self.company.id})
        self.patient_user.write({"company_ids": [(4, branch.id)], "company_id": branch.id})
        self.patient.company_id = branch
        # The website's company rules both: its form is due, and booking waits for it.
        self.assertEqual(self.patient._clinic_forms_due(), self.intake)
        with self.assertRaisesRegex(UserError, "Intake before booking"):
            self._book(utc(2026, 3, 3, 9))

    def test_a_completed_form_unlocks_booking_at_once(self):
        self.intake._create_answer(partner=self.patient)._mark_done()
        event = self._book(utc(2026, 3, 3, 9))
        self.assertIn(self.patient, event.partner_ids)
