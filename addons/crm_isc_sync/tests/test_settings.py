from psycopg2.errors import UniqueViolation

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import IscSyncCase


@tagged("post_install", "-at_install")
class TestSettings(IscSyncCase):
    def settings(self, **vals):
        return self.env["res.config.settings"].with_user(self.env.ref("base.user_admin")).create(
            vals)

    def test_test_connection_says_it_works(self):
        action = self.settings().action_isc_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.his_requests()[0]["path"], "/api/v1/health")

    def test_test_connection_says_a_wrong_key_is_refused(self):
        self.company.isc_his_api_key = "wrong"
        action = self.settings().action_isc_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("API key", action["params"]["message"])

    def test_test_connection_says_the_his_is_unreachable(self):
        self.company.isc_his_base_url = "http://127.0.0.1:9/api/v1"
        action = self.settings().action_isc_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("Could not reach the HIS", action["params"]["message"])

    def test_bad_settings_are_refused(self):
        for vals in ({"isc_his_page_size": 0}, {"isc_his_read_timeout": 0},
                     {"isc_his_base_url": "his.local"}, {"isc_sync_max_range_days": 0}):
            with self.assertRaises(ValidationError):
                self.company.write(vals)

    def test_patient_codes_are_unique_per_company(self):
        other = self.env["res.company"].create({"name": "Second hospital"})
        twin = self.env["res.partner"].create({"name": "Other hospital's patient",
                                               "company_id": other.id,
                                               "isc_patient_code": "BN000011"})
        self.assertEqual(twin.isc_patient_code, "BN000011")
        with self.assertRaises(UniqueViolation), mute_logger("odoo.sql_db"), \
                self.env.cr.savepoint():
            self.env["res.partner"].create({"name": "Duplicate", "isc_patient_code": "BN000011",
                                            "company_id": other.id})
            self.env.flush_all()

    def test_the_isc_account_shows_only_where_the_his_is_configured(self):
        elsewhere = self.env["res.company"].create({"name": "Clinic without a HIS"})
        newcomer = self.env["res.partner"].create({"name": "Newcomer"})
        theirs = self.env["res.partner"].create({"name": "Theirs", "company_id": elsewhere.id})
        coded = self.env["res.partner"].create(
            {"name": "Coded", "company_id": elsewhere.id, "isc_patient_code": "BN999001"})
        self.assertTrue(newcomer.isc_shown, "the current company's HIS is configured")
        self.assertFalse(theirs.isc_shown, "their company has no HIS")
        self.assertTrue(coded.isc_shown, "Isc data already stored is never hidden")
        # Without a HIS anywhere, a new contact shows no Isc account, its form no Isc button.
        self.company.isc_his_api_key = False
        self.env.invalidate_all()
        self.assertFalse(newcomer.isc_shown)
