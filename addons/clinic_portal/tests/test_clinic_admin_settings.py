from odoo.exceptions import AccessError, ValidationError
from odoo.fields import Command
from odoo.tests import Form, new_test_user, tagged

from .common import ClinicPortalCase


@tagged("post_install", "-at_install")
class TestClinicAdminSettings(ClinicPortalCase):
    """The clinic administrator configures the client portal under Clinic > Configuration,
    without Odoo's system-administrator right, and only the portal's settings of the
    clinic's own companies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "Other Clinic"})
        cls.manager = new_test_user(
            cls.env, login="clinic_manager", name="Clinic Manager",
            groups="base.group_user,base.group_partner_manager,clinic_portal.group_clinic_admin",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )
        cls.desk = new_test_user(
            cls.env, login="clinic_desk", name="Clinic Desk",
            groups="base.group_user,clinic_portal.group_clinic_front_desk",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)],
        )

    def _settings_form(self, user):
        env = self.env(user=user, context=dict(self.env.context,
                                               allowed_company_ids=self.company.ids))
        return Form(env["clinic.portal.settings"])

    def test_clinic_administrator_without_system_rights_changes_the_portal_settings(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        survey = self.env["survey.survey"].create({"title": "Allergies"})
        with self._settings_form(self.manager) as form:
            self.assertEqual(form.clinic_portal_min_hours_new, 48)
            form.clinic_portal_enabled = True
            form.clinic_portal_min_hours_new = 72
            with form.clinic_registration_field_ids.edit(0) as line:
                line.required = True
            with form.clinic_mandatory_form_ids.new() as line:
                line.survey_id = survey
                line.frequency = "yearly"
        action = form.save().execute()
        self.assertEqual(action["tag"], "reload")
        self.assertTrue(self.company.clinic_portal_enabled)
        self.assertEqual(self.company.clinic_portal_min_hours_new, 72)
        self.assertTrue(self.company.clinic_registration_field_ids.sorted("sequence")[0].required)
        self.assertEqual(self.company.clinic_mandatory_form_ids.survey_id, survey)
        self.assertEqual(self.other_company.clinic_portal_min_hours_new, 48)

    def test_the_screen_changes_the_portal_settings_and_nothing_else_of_the_company(self):
        company = self.company.with_user(self.manager)
        with self.assertRaises(AccessError):
            company.name = "Renamed by the clinic administrator"
        with self.assertRaises(AccessError):
            company.clinic_portal_min_hours_new = 12
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(self.manager).create({})
        self.assertEqual(self.company.name, "Test Clinic")

    def test_bad_values_get_the_company_s_own_message_and_change_nothing(self):
        with self.assertRaises(ValidationError) as caught, \
                self._settings_form(self.manager) as form:
            form.clinic_portal_search_range_days = 400
        self.assertIn("365", str(caught.exception))
        self.assertEqual(self.company.clinic_portal_search_range_days, 30)

    def test_another_company_s_settings_are_refused(self):
        settings = self.env["clinic.portal.settings"].with_user(self.manager)
        with self.assertRaisesRegex(AccessError, "your own companies"):
            settings.create({"company_id": self.other_company.id,
                             "clinic_portal_min_hours_new": 1})
        own = settings.with_context(allowed_company_ids=self.company.ids).create({})
        with self.assertRaisesRegex(AccessError, "your own companies"):
            own.write({"company_id": self.other_company.id, "clinic_portal_min_hours_new": 1})
        self.assertEqual(self.other_company.clinic_portal_min_hours_new, 48)

    def test_front_desk_and_patients_do_not_open_the_screen(self):
        for user in (self.desk, self.patient, self.staff):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["clinic.portal.settings"].with_user(user).create(
                    {"clinic_portal_min_hours_new": 1})
        self.assertEqual(self.company.clinic_portal_min_hours_new, 48)

    def test_the_menu_opens_the_screen_for_the_clinic_administrator(self):
        menu = self.env.ref("clinic_portal.res_config_settings_menu")
        self.assertEqual(menu.action, self.env.ref("clinic_portal.clinic_portal_settings_action"))
        visible = self.env["ir.ui.menu"].with_user(self.manager)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        self.assertNotIn(menu.id, self.env["ir.ui.menu"].with_user(self.desk)._visible_menu_ids())
