from datetime import datetime

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import format_datetime

from .common import IscSyncCase


@tagged("post_install", "-at_install")
class TestSyncContact(IscSyncCase):
    """The one-contact sync: from the contact form (or several, from the Action menu)."""

    def test_sync_one_contact_shows_its_account(self):
        contact = self.patient(12).with_user(self.isc_user)
        action = contact.action_isc_sync_account()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(action["params"]["title"], "Sync succeeded")
        expected = self.his_store.get_account("BN000012")
        self.assertEqual(contact.isc_account_login, expected["login"])
        self.assertEqual(contact.isc_account_status, expected["status"])
        self.assertEqual(contact.isc_account_issued_on, self.parse_dt(expected["issued_at"]))
        self.assertTrue(contact.isc_account_synced_on)
        self.assertTrue(contact.isc_account_checked_on)
        self.assertEqual([r["method"] for r in self.his_requests()], ["GET"])

    def test_a_one_contact_run_names_its_contact_in_the_log(self):
        contact = self.patient(12)
        contact.with_user(self.isc_user).action_isc_sync_account()
        run = self.env["isc.sync.run"].search([("mode", "=", "contact")], limit=1)
        self.assertEqual(run.partner_id, contact)
        self.assertIn(contact.name, run.display_name)
        self.assertEqual(self.env["isc.sync.run"].search([("partner_id", "=", contact.id)]), run)

    def test_contact_without_patient_code_is_told_to_create_a_booking_order(self):
        contact = self.env["res.partner"].create({"name": "Brand new"})
        runs_before = self.env["isc.sync.run"].search_count([])
        with self.assertRaisesRegex(UserError, "booking order"):
            contact.with_user(self.isc_user).action_isc_sync_account()
        self.assertFalse(contact.isc_account_login)
        self.assertEqual(self.env["isc.sync.run"].search_count([]), runs_before)
        self.assertEqual(self.his_requests(), [])

    def test_patient_without_account_yet_is_told_so_and_when_it_was_checked(self):
        contact = self.patient(11)
        self.his_store.reset(10, 1, 0.9, self.his_anchor.isoformat() + "Z")  # BN11: no patient
        action = contact.with_user(self.isc_user).action_isc_sync_account()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertTrue(contact.isc_account_checked_on)
        checked_at = format_datetime(self.env(user=self.isc_user), contact.isc_account_checked_on,
                                     dt_format="short")  # in the time zone of who asked
        self.assertIn(f"No account found in the HIS for this contact, checked at {checked_at}",
                      action["params"]["message"])
        self.assertFalse(contact.isc_account_login)

    def test_his_down_keeps_the_stored_account(self):
        contact = self.patient(13)
        contact.with_user(self.isc_user).action_isc_sync_account()
        login = contact.isc_account_login
        self.assertTrue(login)
        contact.isc_account_checked_on = checked_on = datetime(2026, 1, 2, 3, 4, 5)
        self.his_fault(endpoint="isc-account", kind="error", status=503)
        action = contact.with_user(self.isc_user).action_isc_sync_account()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual(contact.isc_account_login, login)
        self.assertEqual(contact.isc_account_checked_on, checked_on)  # the HIS was not asked
        run = self.env["isc.sync.run"].search([("mode", "=", "contact")], limit=1)
        self.assertEqual(run.state, "failed")
        self.assertIn("HIS", run.failure_reason)

    def test_a_locked_account_reaches_the_contact(self):
        contact = self.patient(14)
        self.his_store.upsert_accounts([{"patient_code": "BN000014", "login": "isc000014",
                                         "status": "locked"}])
        contact.with_user(self.isc_user).action_isc_sync_account()
        self.assertEqual(contact.isc_account_status, "locked")

    def test_action_menu_updates_selected_contacts(self):
        contacts = self.patient(15) | self.patient(16) | self.env["res.partner"].create(
            {"name": "No code"})
        action = self.env.ref("crm_isc_sync.res_partner_action_isc_sync_account")
        result = action.with_user(self.isc_user).with_context(
            active_model="res.partner", active_ids=contacts.ids).run()
        self.assertEqual(result["params"]["type"], "success")
        self.assertTrue(self.patient(15).isc_account_login)
        self.assertTrue(self.patient(16).isc_account_login)
        run = self.env["isc.sync.run"].search([("mode", "=", "contact")], limit=1)
        self.assertEqual((run.count_updated, run.count_unmatched), (2, 1))
        self.assertFalse(run.partner_id)  # a run for several contacts names none
