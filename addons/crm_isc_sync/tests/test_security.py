from datetime import datetime, timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import IscSyncCase


@tagged("post_install", "-at_install")
class TestSecurity(IscSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = new_test_user(cls.env, login="isc_portal", groups="base.group_portal")
        cls.employee = new_test_user(cls.env, login="isc_employee", groups="base.group_user")

    def test_api_key_is_unreadable_by_non_managers(self):
        for user in (self.isc_user, self.employee):
            company = self.company.with_user(user)
            with self.assertRaises(AccessError):
                company.read(["isc_his_api_key"])
            self.assertNotIn("isc_his_api_key", company.fields_get())
            with self.assertRaises(AccessError):
                company.search_read([("id", "=", self.company.id)], ["isc_his_api_key"])
        self.assertEqual(self.company.with_user(self.isc_manager).isc_his_api_key, "test-his-key")

    def test_api_key_is_not_in_the_settings_view_of_a_non_manager(self):
        admin = new_test_user(self.env, login="isc_admin_only", groups="base.group_system")
        arch = self.env["res.config.settings"].with_user(admin).get_view(
            view_type="form")["arch"]
        self.assertNotIn("isc_his_api_key", arch)
        manager_admin = self.env.ref("base.user_admin")  # in the manager group by default
        arch = self.env["res.config.settings"].with_user(manager_admin).get_view(
            view_type="form")["arch"]
        self.assertIn("isc_his_api_key", arch)

    def test_portal_user_can_call_none_of_it(self):
        patient = self.patient(11).with_user(self.portal)
        with self.assertRaises(AccessError):
            patient.action_isc_sync_account()
        with self.assertRaises(AccessError):
            self.env["isc.sync.range.wizard"].with_user(self.portal).create({})
        with self.assertRaises(AccessError):
            self.env["isc.booking.order"].with_user(self.portal).search([])
        with self.assertRaises(AccessError):
            self.env["isc.sync.run"].with_user(self.portal).search([])
        self.assertEqual(self.his_requests(), [])

    def test_employee_without_isc_group_cannot_sync(self):
        with self.assertRaises(AccessError):
            self.patient(11).with_user(self.employee).action_isc_sync_account()
        with self.assertRaises(AccessError):
            self.env["isc.booking.order"].with_user(self.employee).create(
                {"partner_id": self.patient(11).id})

    def test_users_see_their_own_runs_managers_see_all(self):
        self.patient(11).with_user(self.isc_manager).action_isc_sync_account()
        Run = self.env["isc.sync.run"]
        self.assertFalse(Run.with_user(self.isc_user).search([("user_id", "=",
                                                                self.isc_manager.id)]))
        self.patient(12).with_user(self.isc_user).action_isc_sync_account()
        self.assertEqual(len(Run.with_user(self.isc_manager).search(
            [("user_id", "in", (self.isc_user | self.isc_manager).ids)])), 2)

    def test_only_managers_change_the_api_key(self):
        with self.assertRaises(AccessError):
            self.company.with_user(self.isc_user).write({"isc_his_api_key": "stolen"})
        self.assertEqual(self.company.isc_his_api_key, "test-his-key")

    # --- runs are made by the engine ------------------------------------------------------
    def test_a_plain_isc_user_cannot_forge_a_daily_run_into_the_future(self):
        with self.assertRaises(AccessError):
            self.env["isc.sync.run"].with_user(self.isc_user).create({
                "mode": "daily", "date_from": "2026-01-01 00:00:00",
                "date_to": "2100-01-01 00:00:00"})
        with self.assertRaises(AccessError):
            self.env["isc.sync.run"].with_user(self.isc_manager).create({
                "mode": "daily", "date_from": "2026-01-01 00:00:00",
                "date_to": "2100-01-01 00:00:00"})
        self.assertFalse(self.env["isc.sync.run"].search([("date_to", ">", "2099-01-01")]))

    def test_no_run_reaches_a_day_into_the_future_or_past_the_longest_range(self):
        Run = self.env["isc.sync.run"]
        now = fields.Datetime.now()
        with self.assertRaisesRegex(ValidationError, "future"):
            Run.create({"mode": "daily", "date_from": now, "date_to": datetime(2100, 1, 1)})
        with self.assertRaisesRegex(ValidationError, "at most 366 days"):
            Run.create({"mode": "range", "date_from": datetime(2000, 1, 1), "date_to": now})
        with self.assertRaisesRegex(ValidationError, "after its end"):
            Run.create({"mode": "range", "date_from": now, "date_to": now - timedelta(hours=1)})

    def test_a_watermark_in_the_future_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "in the future"):
            self.company.isc_sync_watermark = datetime(2100, 1, 1)
        self.company.isc_sync_watermark = fields.Datetime.now() - timedelta(hours=1)

    def test_record_errors_follow_the_rules_of_their_runs(self):
        Run = self.env["isc.sync.run"]
        other_company = self.env["res.company"].create({"name": "Other hospital"})
        manager_run = Run.create({"mode": "range", "user_id": self.isc_manager.id,
                                  "date_from": datetime(2026, 1, 1),
                                  "date_to": datetime(2026, 1, 2)})
        elsewhere = Run.create({"mode": "daily", "company_id": other_company.id,
                                "date_from": datetime(2026, 1, 1),
                                "date_to": datetime(2026, 1, 2)})
        Error = self.env["isc.sync.run.error"]
        Error.create([{"run_id": manager_run.id, "patient_code": "BN1", "reason": "bad"},
                      {"run_id": elsewhere.id, "patient_code": "BN2", "reason": "bad"}])
        self.assertFalse(Error.with_user(self.isc_user).search([]))
        self.assertEqual(Error.with_user(self.isc_manager).search([]).patient_code, "BN1")

    def test_unmatched_accounts_follow_the_rules_of_their_runs(self):
        Run = self.env["isc.sync.run"]
        manager_run = Run.create({"mode": "range", "user_id": self.isc_manager.id,
                                  "date_from": datetime(2026, 1, 1),
                                  "date_to": datetime(2026, 1, 2)})
        own_run = Run.create({"mode": "range", "user_id": self.isc_user.id,
                              "date_from": datetime(2026, 1, 1),
                              "date_to": datetime(2026, 1, 2)})
        Unmatched = self.env["isc.sync.run.unmatched"]
        Unmatched.create([{"run_id": manager_run.id, "patient_code": "BN1"},
                          {"run_id": own_run.id, "patient_code": "BN2"}])
        self.assertEqual(Unmatched.with_user(self.isc_user).search([]).patient_code, "BN2")
        self.assertEqual(len(Unmatched.with_user(self.isc_manager).search([])), 2)
        with self.assertRaises(AccessError):
            Unmatched.with_user(self.employee).search([])

    # --- the HIS connection --------------------------------------------------------------
    def test_the_his_connection_is_for_managers_only(self):
        for user in (self.portal, self.employee, self.isc_user):
            company = self.company.with_user(user)
            for name in ("isc_his_base_url", "isc_his_read_timeout", "isc_his_page_size"):
                with self.subTest(user=user.login, field=name), self.assertRaises(AccessError):
                    company.read([name])
        self.assertTrue(self.company.with_user(self.isc_manager).isc_his_base_url)

    def test_the_api_key_never_travels_in_clear_outside_this_machine(self):
        with self.assertRaisesRegex(ValidationError, "https://"):
            self.company.isc_his_base_url = "http://his.hospital.example/api/v1"
        for url in ("https://his.hospital.example/api/v1", "http://localhost:8899/api/v1",
                    "http://127.0.0.1:8899/api/v1", "http://[::1]:8899/api/v1"):
            self.company.isc_his_base_url = url

    # --- what the HIS owns on a contact --------------------------------------------------
    def test_his_fields_of_a_contact_are_not_writable_by_contact_editors(self):
        editor = new_test_user(self.env, login="contact_editor",
                               groups="base.group_user,base.group_partner_manager")
        isc_editor = new_test_user(
            self.env, login="isc_contact_editor",
            groups="base.group_partner_manager,crm_isc_sync.group_isc_sync_user")
        manager = new_test_user(
            self.env, login="isc_contact_manager",
            groups="base.group_partner_manager,crm_isc_sync.group_isc_sync_manager")
        patient = self.patient(11)
        for values in ({"isc_patient_code": "BN999999"}, {"isc_account_login": "forged"},
                       {"isc_account_status": "revoked"}):
            for user in (editor, isc_editor):
                with self.subTest(user=user.login, values=values), \
                        self.assertRaises(AccessError):
                    patient.with_user(user).write(values)
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(editor).create(
                {"name": "Forged", "isc_patient_code": "BN777777"})
        patient.with_user(editor).write({"phone": "0901234567"})  # other fields stay editable
        patient.with_user(manager).write({"isc_account_login": "corrected"})
        self.assertEqual(patient.isc_account_login, "corrected")
