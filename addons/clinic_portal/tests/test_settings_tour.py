from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestSettingsTourHebrew(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("he_IL")
        cls.env["ir.module.module"]._load_module_terms(
            ["base", "web", "clinic_pricelist_portal", "clinic_portal"], ["he_IL"],
            overwrite=True)
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.lang = "he_IL"
        cls.company = cls.admin.company_id

    def test_hebrew_admin_changes_minimum_hours_and_they_are_kept(self):
        self.assertEqual(self.company.clinic_portal_min_hours_new, 48)
        self.start_tour("/odoo/action-clinic_portal.clinic_portal_settings_action",
                        "clinic_portal_settings_he", login="admin")
        self.company.invalidate_recordset()
        self.assertEqual(self.company.clinic_portal_min_hours_new, 72)

    def test_validation_messages_are_translated(self):
        company = self.company.with_context(lang="he_IL")
        with self.assertRaisesRegex(ValidationError, "בין 1 ל-365 ימים"):
            company.clinic_portal_search_range_days = 400

    def test_the_demo_clinic_administrator_opens_the_settings_from_the_clinic_menu(self):
        rina = self.env.ref("clinic_portal.user_rina_frontdesk", raise_if_not_found=False)
        if not rina:
            self.skipTest("clinic_portal's demo data is not installed")
        self.assertFalse(rina.has_group("base.group_system"))
        rina.lang = "he_IL"
        clinic = rina.company_id
        self.assertNotEqual(clinic.clinic_portal_min_hours_new, 72)
        self.start_tour("/odoo/action-clinic_portal.calendar_event_action_clinic_appointments",
                        "clinic_portal_settings_clinic_admin_he", login="rina.shalom")
        clinic.invalidate_recordset()
        self.assertEqual(clinic.clinic_portal_min_hours_new, 72)
        self.assertEqual(self.company.clinic_portal_min_hours_new, 48,
                         "the administrator's company is not the clinic administrator's")
