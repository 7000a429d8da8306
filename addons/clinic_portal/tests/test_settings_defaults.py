from odoo.tests import Form, tagged

from odoo.addons.clinic_portal.const import ALWAYS_ASKED, REGISTRATION_FIELDS

from .common import ClinicPortalCase


@tagged("post_install", "-at_install")
class TestSettingsDefaults(ClinicPortalCase):
    def test_new_company_has_the_seed_example_numbers(self):
        self.assertEqual(self.company.clinic_portal_min_hours_new, 48)
        self.assertEqual(self.company.clinic_portal_min_hours_change, 24)
        self.assertEqual(self.company.clinic_portal_search_start_days, 0)
        self.assertEqual(self.company.clinic_portal_search_range_days, 30)


    def test_switches_are_off_until_the_clinic_turns_them_on(self):
        switches = [
            "clinic_portal_enabled", "clinic_portal_self_scheduling",
            "clinic_portal_prevent_gaps", "clinic_portal_allow_cancel",
            "clinic_portal_allow_reschedule",
            "clinic_portal_allow_registration", "clinic_portal_prevent_parallel",
            "clinic_portal_treating_team_only",
        ]
        for name in switches:
            with self.subTest(setting=name):
                self.assertFalse(self.company[name])

    def test_new_clients_are_interested_in_this_company_by_default(self):
        self.assertEqual(self.company.clinic_portal_new_client_status_id, self.status_interested)
        self.assertFalse(self.company.clinic_portal_new_client_company_id)
        self.assertEqual(self.company._clinic_portal_new_client_company(), self.company)
        self.assertFalse(self.company.clinic_mandatory_form_ids)

    def test_new_company_gets_one_registration_row_per_field_hidden_and_optional(self):
        rows = self.company.clinic_registration_field_ids
        self.assertCountEqual(rows.mapped("field_name"), list(REGISTRATION_FIELDS))
        optional = rows.filtered(lambda r: r.field_name not in ALWAYS_ASKED)
        self.assertFalse(any(optional.mapped("show")))
        self.assertFalse(any(optional.mapped("required")))
        asked = rows - optional
        self.assertEqual(asked.mapped("field_name"), ["email"], "the login is always asked")
        self.assertTrue(asked.show and asked.required)

    def test_setup_of_all_companies_adds_no_duplicate_row(self):
        self.env["res.company"]._clinic_portal_setup_all()
        self.assertEqual(len(self.company.clinic_registration_field_ids), len(REGISTRATION_FIELDS))
        for company in self.env["res.company"].search([]):
            with self.subTest(company=company.name):
                self.assertEqual(
                    sorted(company.clinic_registration_field_ids.mapped("field_name")),
                    sorted(REGISTRATION_FIELDS))

    def test_every_registration_field_fills_a_contact_field(self):
        partner_fields = self.env["res.partner"]._fields
        for line in self.company.clinic_registration_field_ids:
            with self.subTest(field=line.field_name):
                self.assertIn(line.partner_field, partner_fields)

    def test_settings_page_saves_to_the_current_company(self):
        settings_env = self.env(context=dict(self.env.context,
                                             allowed_company_ids=self.company.ids))
        with Form(settings_env["clinic.portal.settings"]) as form:
            self.assertEqual(form.clinic_portal_min_hours_new, 48)
            form.clinic_portal_min_hours_new = 72
            form.clinic_portal_enabled = True
            form.clinic_portal_future_limit_scope = "global"
        form.save().execute()
        self.assertEqual(self.company.clinic_portal_min_hours_new, 72)
        self.assertTrue(self.company.clinic_portal_enabled)
        self.assertEqual(self.company.clinic_portal_future_limit_scope, "global")
        self.assertEqual(self.env.ref("base.main_company").clinic_portal_future_limit_scope,
                         "calendar")

    def test_settings_page_edits_registration_fields_and_mandatory_forms(self):
        survey = self.env["survey.survey"].create({"title": "Allergies"})
        settings_env = self.env(context=dict(self.env.context,
                                             allowed_company_ids=self.company.ids))
        with Form(settings_env["clinic.portal.settings"]) as form:
            with form.clinic_registration_field_ids.edit(0) as line:
                line.required = True
            with form.clinic_mandatory_form_ids.new() as line:
                line.survey_id = survey
                line.frequency = "yearly"
        form.save().execute()
        first = self.company.clinic_registration_field_ids.sorted("sequence")[0]
        self.assertTrue(first.required)
        self.assertTrue(first.show, "requiring a field in the form also shows it")
        self.assertEqual(self.company.clinic_mandatory_form_ids.survey_id, survey)
        self.assertEqual(self.company.clinic_mandatory_form_ids.frequency, "yearly")
