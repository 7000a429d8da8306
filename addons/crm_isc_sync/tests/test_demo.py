from datetime import timedelta
from urllib.parse import urlsplit

from odoo.tests import TransactionCase, tagged

from .common import HisSimulatorMixin

# make run starts the HIS simulator with this key on port 8899 (scripts/run.sh).
MAKE_RUN_HIS_KEY = "demo-his-key"
MAKE_RUN_HIS_PORT = 8899


@tagged("post_install", "-at_install")
class TestDemoHospital(HisSimulatorMixin, TransactionCase):
    """The demo's Vietnamese hospital: a company of its own, its HIS, its staff, its patients
    (the test tier installs with demo)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hospital = cls.env.ref("crm_isc_sync.demo_company_hospital")
        cls.staff = cls.env.ref("crm_isc_sync.demo_user_hospital_staff")
        cls.patients = cls.env["res.partner"].search([
            ("company_id", "=", cls.hospital.id), ("isc_patient_code", "!=", False)])

    def test_the_hospital_is_in_vietnam_and_counts_in_dong(self):
        self.assertEqual(self.hospital.country_id.code, "VN")
        self.assertEqual(self.hospital.currency_id, self.env.ref("base.VND"))
        self.assertTrue(self.hospital.currency_id.active)
        self.assertNotEqual(self.hospital, self.env.ref("base.main_company"))

    def test_its_front_desk_works_in_the_hospital_only(self):
        self.assertEqual(self.staff.company_id, self.hospital)
        self.assertEqual(self.staff.company_ids, self.hospital)
        self.assertTrue(self.staff.has_group("crm_isc_sync.group_isc_sync_user"))
        self.assertEqual(self.staff.with_user(self.staff).env.company, self.hospital)
        # The password is the login, as make run's banner says.
        auth = self.staff.with_user(self.staff)._check_credentials(
            {"type": "password", "password": "lan.nguyen"}, {"interactive": False})
        self.assertEqual(auth["uid"], self.staff.id)

    def test_its_front_desk_sees_the_hospitals_patients_not_another_companys(self):
        elsewhere = self.env["res.partner"].create({
            "name": "Another company's patient", "isc_patient_code": "BN000001",
            "company_id": self.env.ref("base.main_company").id})
        seen = self.env["res.partner"].with_user(self.staff).search(
            [("isc_patient_code", "!=", False)])
        self.assertEqual(len(self.patients), 5)
        self.assertLessEqual(self.patients, seen)
        self.assertNotIn(elsewhere, seen)
        order = self.env.ref("crm_isc_sync.demo_booking_order_new")
        self.assertEqual(order.company_id, self.hospital)
        self.assertIn(order, self.env["isc.booking.order"].with_user(self.staff).search([]))

    def test_the_hospitals_his_is_make_runs_simulator_and_syncs_its_patients(self):
        url = urlsplit(self.hospital.sudo().isc_his_base_url)
        self.assertEqual((url.hostname, url.port, url.path),
                         ("127.0.0.1", MAKE_RUN_HIS_PORT, "/api/v1"))
        # The simulator as make run starts it, on a free port instead of make run's.
        self.start_his(api_key=MAKE_RUN_HIS_KEY)
        self.hospital.sudo().isc_his_base_url = self.his.base_url + url.path
        self.assertTrue(self.hospital._isc_his_configured())
        settings = self.env["res.config.settings"].with_company(self.hospital).create({})
        self.assertEqual(settings.action_isc_test_connection()["params"]["type"], "success")

        self.env["isc.sync.run"]._cron_daily_sync()
        daily = self.env["isc.sync.run"].search([("mode", "=", "daily")])
        self.assertEqual(daily.company_id, self.hospital)
        self.assertEqual(daily.state, "done")

        date_from, date_to = self.his_anchor - timedelta(days=31), self.his_anchor
        listed = {account["patient_code"]: account["login"]
                  for account in self.his_accounts_in(date_from, date_to)}
        wizard = self.env["isc.sync.range.wizard"].with_user(self.staff).create(
            {"date_from": date_from, "date_to": date_to})
        wizard.action_sync()
        synced = {p.isc_patient_code: p.isc_account_login for p in self.patients
                  if p.isc_patient_code in listed}
        self.assertTrue(synced)
        self.assertEqual(synced, {code: listed[code] for code in synced})
