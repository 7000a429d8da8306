from datetime import datetime, timedelta
from unittest.mock import patch

from lxml import etree

from odoo.tests import tagged

from ..models import isc_sync_run
from ..services.his_client import IscAccount
from .common import IscSyncCase


@tagged("post_install", "-at_install")
class TestSyncLog(IscSyncCase):
    """The Isc sync log, as staff read it: one line per run, the failure first."""

    def unmatched_codes(self, run):
        listed = {a["patient_code"] for a in self.his_accounts_in(run.date_from, run.date_to)}
        return listed - self.codes_in_db()

    def test_the_log_list_shows_six_columns_by_default(self):
        arch = self.env["isc.sync.run"].with_user(self.isc_user).get_view(
            self.env.ref("crm_isc_sync.isc_sync_run_view_list").id, "list")["arch"]
        shown = [node.get("name") for node in etree.fromstring(arch).iterfind("field")
                 if node.get("optional") != "hide" and not node.get("column_invisible")]
        self.assertEqual(shown, ["started_at", "mode", "partner_id", "state", "outcome",
                                 "duration"])

    def test_a_finished_run_sums_up_its_counts_in_one_line(self):
        run, _action = self.sync_range(*self.full_range())
        self.assertEqual(run.outcome, f"{run.count_updated} updated, "
                                      f"{run.count_unmatched} with no matching contact")

    def test_a_failed_run_leads_with_its_failure(self):
        # The third page fails after retries: two pages of 10 are saved.
        self.his_fault(endpoint="isc-accounts", kind="error", status=503, after=2)
        run, _action = self.sync_range(*self.full_range())
        self.assertEqual(run.state, "failed")
        self.assertEqual(run.outcome, f"Failed after 20 accounts: {run.failure_reason}")

    def test_the_log_shows_how_long_a_run_took(self):
        start = datetime(2026, 1, 2, 3, 4, 5)
        run = self.env["isc.sync.run"].create({
            "mode": "range", "date_from": start - timedelta(days=1), "date_to": start,
            "state": "done", "started_at": start, "ended_at": start + timedelta(minutes=90)})
        self.assertEqual(run.duration, 1.5)

    def test_accounts_with_no_matching_contact_are_listed_on_the_run(self):
        run, _action = self.sync_range(*self.full_range())
        expected = self.unmatched_codes(run)
        self.assertTrue(expected)
        self.assertEqual(set(run.unmatched_ids.mapped("patient_code")), expected)
        line = run.unmatched_ids[:1]
        account = self.his_store.get_account(line.patient_code)
        self.assertEqual((line.login, line.status), (account["login"], account["status"]))
        self.assertFalse(run.unmatched_note)

    def test_the_list_of_unmatched_accounts_stops_at_its_cap_and_says_how_many_more(self):
        with patch.object(isc_sync_run, "MAX_UNMATCHED_LINES", 5):
            run, _action = self.sync_range(*self.full_range())
            more = run.count_unmatched - 5
            self.assertGreater(more, 0)
            self.assertEqual(len(run.unmatched_ids), 5)
            self.assertIn(f"and {more} more", run.unmatched_note)

    def test_listing_unmatched_accounts_costs_no_query_per_account(self):
        run = self.env["isc.sync.run"].create({
            "mode": "range", "date_from": datetime(2026, 1, 1), "date_to": datetime(2026, 1, 2)})
        now = datetime(2026, 1, 1, 12)

        def queries_to_apply(count, prefix):
            accounts = [IscAccount(f"{prefix}{i}", f"isc{i}", "active", now, now)
                        for i in range(count)]
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            run._apply_accounts(accounts)
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        queries_to_apply(1, "XX")  # caches warm up on the first page
        self.assertEqual(queries_to_apply(40, "ZZ"), queries_to_apply(1, "YY"))
        self.assertEqual(len(run.unmatched_ids), 42)
