from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ClinicPortalCase

SETTINGS_MODELS = ("clinic.client.status", "clinic.department", "clinic.health.fund",
                   "clinic.registration.field", "clinic.mandatory.form")


@tagged("post_install", "-at_install")
class TestSettingsAccess(ClinicPortalCase):
    def test_portal_users_read_none_of_the_settings_models(self):
        for model in SETTINGS_MODELS:
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.patient).search_read([], ["display_name"])

    def test_portal_users_read_no_portal_setting_of_their_company(self):
        company = self.patient.company_id.with_user(self.patient)
        for name in ("clinic_portal_min_hours_new", "clinic_portal_enabled",
                     "clinic_portal_issuer_journal_id", "clinic_registration_field_ids"):
            with self.subTest(setting=name), self.assertRaises(AccessError):
                company.read([name])

    def test_portal_users_cannot_open_the_settings_page(self):
        with self.assertRaises(AccessError):
            self.env["clinic.portal.settings"].with_user(self.patient).create({})

    def test_staff_read_the_lists_but_do_not_change_them(self):
        status = self.env["clinic.client.status"].with_user(self.staff)
        self.assertIn(self.status_interested, status.search([]))
        with self.assertRaises(AccessError):
            status.create({"name": "Staff-made status"})
        with self.assertRaises(AccessError):
            self.env["clinic.mandatory.form"].with_user(self.staff).create({
                "survey_id": self.env["survey.survey"].create({"title": "Staff form"}).id})

    def test_staff_read_the_portal_settings_of_their_company(self):
        company = self.company.with_user(self.staff)
        self.assertEqual(company.read(["clinic_portal_min_hours_new"])[0]
                         ["clinic_portal_min_hours_new"], 48)

    def test_clinic_administrators_maintain_the_lists(self):
        env = self.env(user=self.clinic_admin)
        status = env["clinic.client.status"].create({"name": "Returning"})
        env["clinic.department"].create({"name": "Dietetics"})
        env["clinic.health.fund"].create({"name": "Private"})
        registration = env["clinic.registration.field"].search(
            [("company_id", "=", self.clinic_admin.company_id.id)], limit=1)
        registration.show = True
        status.name = "Returning client"
        self.assertEqual(status.name, "Returning client")
        self.assertTrue(registration.show)
        with self.assertRaises(AccessError):
            registration.unlink()
