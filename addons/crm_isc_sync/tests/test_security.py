from odoo.exceptions import AccessError
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
            self.assertNotIn("isc_his_api_key", company.read(["name", "isc_his_base_url"])[0])
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
