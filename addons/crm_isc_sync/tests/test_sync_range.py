from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.sql_db import db_connect
from odoo.tests import tagged

from ..models.isc_sync_run import LOCK_NAMESPACE
from .common import IscSyncCase


@tagged("post_install", "-at_install")
class TestSyncRange(IscSyncCase):
    """The date-range sync: the contact list's "Sync Isc account list" for a date range."""

    def expected_counts(self, date_from, date_to):
        listed = {a["patient_code"] for a in self.his_accounts_in(date_from, date_to)}
        matched = listed & self.codes_in_db()
        return len(matched), len(listed - matched)

    def test_range_sync_writes_every_matching_account_and_reports_counts(self):
        date_from, date_to = self.full_range()
        matched, unmatched = self.expected_counts(date_from, date_to)
        self.assertGreaterEqual(matched, 30)
        run, action = self.sync_range(date_from, date_to)
        self.assertEqual(run.state, "done")
        self.assertEqual((run.count_updated, run.count_unchanged, run.count_unmatched,
                          run.count_errors), (matched, 0, unmatched, 0))
        self.assertEqual(run.user_id, self.isc_user)
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn(f"{matched} updated", action["params"]["message"])
        self.assertIn(str(run.id), action["params"]["links"][0]["url"])
        for number in (11, 25, 40):
            account = self.his_store.get_account(f"BN{number:06d}")
            contact = self.patient(number)
            self.assertEqual(contact.isc_account_login, account["login"])
            self.assertEqual(contact.isc_account_status, account["status"])
            self.assertEqual(contact.isc_account_issued_on, self.parse_dt(account["issued_at"]))

    def test_same_range_twice_gives_the_same_result(self):
        date_from, date_to = self.full_range()
        self.sync_range(date_from, date_to)
        first = self.patients.read(["isc_account_login", "isc_account_status",
                                    "isc_account_issued_on"])
        run, _action = self.sync_range(date_from, date_to)
        self.assertEqual(run.count_updated, 0)
        self.assertEqual(run.count_unchanged, self.expected_counts(date_from, date_to)[0])
        self.patients.invalidate_recordset()
        self.assertEqual(self.patients.read(["isc_account_login", "isc_account_status",
                                             "isc_account_issued_on"]), first)

    def test_only_accounts_changed_in_the_range_are_pulled(self):
        date_from = self.his_anchor - timedelta(days=5)
        date_to = self.his_anchor - timedelta(days=2)
        in_range = {a["patient_code"] for a in self.his_accounts_in(date_from, date_to)}
        self.sync_range(date_from, date_to)
        for contact in self.patients:
            self.assertEqual(bool(contact.isc_account_login),
                             contact.isc_patient_code in in_range, contact.isc_patient_code)
        query = self.his_requests("/isc-accounts")[0]["query"]
        self.assertEqual(query["updated_from"], date_from.isoformat() + "Z")

    def test_malformed_account_is_logged_and_skipped(self):
        date_from, date_to = self.full_range()
        when = (self.his_anchor - timedelta(days=1)).isoformat() + "Z"
        self.his_store.add_raw_accounts([
            {"patient_code": "BN000011", "login": "", "status": "active",
             "issued_at": when, "updated_at": when},
            {"patient_code": "BN000012", "login": "x", "status": "sleeping",
             "issued_at": when, "updated_at": when},
        ])
        run, action = self.sync_range(date_from, date_to)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.count_errors, 2)
        self.assertEqual(action["params"]["type"], "warning")  # not a green success
        self.assertEqual(sorted(run.error_ids.mapped("patient_code")), ["BN000011", "BN000012"])
        self.assertTrue(all(run.error_ids.mapped("reason")))
        self.assertTrue(self.patient(11).isc_account_login)  # its well-formed record applied

    def test_his_down_fails_the_run_and_clears_nothing(self):
        date_from, date_to = self.full_range()
        self.sync_range(date_from, date_to)
        before = self.patients.read(["isc_account_login", "isc_account_status"])
        self.his_fault(endpoint="isc-accounts", kind="error", status=503)
        run, action = self.sync_range(date_from, date_to)
        self.assertEqual(run.state, "failed")
        self.assertIn("HIS", run.failure_reason)
        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual(self.patients.read(["isc_account_login", "isc_account_status"]), before)

    def test_sync_sends_the_his_no_write_request(self):
        self.sync_range(*self.full_range())
        methods = {r["method"] for r in self.his_requests()}
        self.assertEqual(methods, {"GET"})

    def test_range_must_be_ordered_and_not_too_long(self):
        now = fields.Datetime.now()
        with self.assertRaisesRegex(ValidationError, "start of the range"):
            self.sync_range(now, now - timedelta(hours=1))
        self.company.isc_sync_max_range_days = 7
        with self.assertRaisesRegex(ValidationError, "at most 7 days"):
            self.sync_range(now - timedelta(days=8), now)
        self.assertEqual(self.his_requests(), [])

    def test_wizard_defaults_to_the_last_24_hours(self):
        wizard = self.env["isc.sync.range.wizard"].with_user(self.isc_user).create({})
        self.assertAlmostEqual(wizard.date_to - wizard.date_from, timedelta(days=1),
                               delta=timedelta(seconds=5))

    def test_long_range_goes_on_in_background_and_finishes(self):
        date_from, date_to = self.full_range()
        matched, _unmatched = self.expected_counts(date_from, date_to)
        cron = self.env.ref("crm_isc_sync.ir_cron_isc_sync_queue")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        # The second page is slow: the inline part stops there, after one page.
        self.his_fault(endpoint="isc-accounts", kind="latency", latency_ms=2000, after=1, times=1)
        run, action = self.sync_range(date_from, date_to, isc_inline_seconds=1)
        self.assertEqual(run.state, "running")
        self.assertTrue(run.cursor)
        self.assertEqual(action["params"]["type"], "info")
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1)
        first_pages = len(self.his_requests("/isc-accounts"))
        self.env["isc.sync.run"]._cron_process_queue()
        self.assertEqual(run.state, "done")
        self.assertEqual(run.count_updated, matched)
        self.assertIn("cursor", self.his_requests("/isc-accounts")[first_pages]["query"])

    def test_a_sync_waits_while_another_holds_the_lock(self):
        other = db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_NAMESPACE, self.company.id))
            run, action = self.sync_range(*self.full_range())
            self.assertEqual(run.state, "queued")
            self.assertEqual(action["params"]["type"], "info")
            self.assertEqual(self.his_requests(), [])
            self.env["isc.sync.run"]._cron_process_queue()
            self.assertEqual(run.state, "queued")
        finally:
            other.execute("SELECT pg_advisory_unlock_all()")
            other.close()
        self.env["isc.sync.run"]._cron_process_queue()
        self.assertEqual(run.state, "done")

    def test_user_is_notified_when_a_background_sync_ends(self):
        run, _action = self.sync_range(*self.full_range(), isc_inline_seconds=0)
        self.env.cr.precommit.data.pop("bus.bus.values", None)
        self.env["isc.sync.run"]._cron_process_queue()
        self.assertEqual(run.state, "done")
        # Notifications are written at commit: read what is waiting for it.
        [note] = [n for n in self.env.cr.precommit.data.get("bus.bus.values", [])
                  if "Isc account sync finished" in n["message"]]
        self.assertIn(f'"res.partner",{self.isc_user.partner_id.id}]', note["channel"])
        self.assertIn(f"{run.count_updated} updated", note["message"])

    def test_the_newest_version_of_an_account_wins_and_never_moves_backwards(self):
        date_from, date_to = self.full_range()
        newer = {"patient_code": "BN000020", "login": "isc-new", "status": "locked",
                 "issued_at": self.his_time(-timedelta(days=9)),
                 "updated_at": self.his_time(-timedelta(seconds=10))}
        older = {**newer, "login": "isc-old", "status": "active",
                 "updated_at": self.his_time(-timedelta(seconds=20))}
        # Both versions in the last page, the newer one first.
        last = self.his_anchor - timedelta(seconds=5)
        self.his_raw_accounts(newer, older, listed_at=last)
        self.sync_range(date_from, date_to)
        self.assertEqual(self.patient(20).isc_account_login, "isc-new")
        # A later window holding only the older version does not bring it back.
        self.reset_his()
        self.his_raw_accounts(older, listed_at=last)
        for _again in range(2):
            self.sync_range(date_from, date_to)
            self.assertEqual(self.patient(20).isc_account_login, "isc-new")
            self.assertEqual(self.patient(20).isc_account_status, "locked")
