import time
from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged

from .common import IscSyncCase

ENGINE_LOGGER = "odoo.addons.crm_isc_sync.models.isc_sync_run"


@tagged("post_install", "-at_install")
class TestSyncFaults(IscSyncCase):
    """What the HIS may send or do, and how the sync keeps going."""

    def raw_account(self, number, **values):
        return {"patient_code": f"BN{number:06d}", "login": f"isc{number:06d}",
                "status": "active", "issued_at": self.his_time(-timedelta(days=20)),
                "updated_at": self.his_time(-timedelta(days=1)), **values}

    def test_a_login_the_database_cannot_store_is_a_record_error(self):
        self.his_raw_accounts(self.raw_account(11, login="isc\u0000011"),
                              self.raw_account(12, login="x" * 100_000))
        run, action = self.sync_range(*self.full_range())
        self.assertEqual(run.state, "done")
        self.assertEqual(sorted(run.error_ids.mapped("patient_code")), ["BN000011", "BN000012"])
        self.assertEqual(action["params"]["type"], "warning")
        self.assertNotEqual(self.patient(12).isc_account_login, "x" * 100_000)
        self.assertTrue(self.patient(25).isc_account_login)  # the good accounts are kept

    def test_a_nul_in_a_login_does_not_stop_the_daily_sync(self):
        self.company.isc_sync_watermark = self.his_anchor - timedelta(days=31)
        self.his_raw_accounts(self.raw_account(11, login="isc\u0000011"))
        for errors in (1, 0):  # the next day's window starts after the bad account
            self.env["isc.sync.run"]._cron_daily_sync()
            run = self.env["isc.sync.run"].search([("mode", "=", "daily")], limit=1)
            self.assertEqual((run.state, run.count_errors), ("done", errors))
            self.assertEqual(self.company.isc_sync_watermark, run.date_to)
            self.company.isc_sync_watermark -= timedelta(hours=2)  # time passes

    def test_an_unexpected_error_fails_that_run_only(self):
        mark = self.his_anchor - timedelta(days=31)
        self.company.isc_sync_watermark = mark
        Run = self.env["isc.sync.run"]
        broken = Run.create({"mode": "range", "date_from": self.full_range()[0],
                             "date_to": self.full_range()[1]})
        apply_accounts = type(Run)._apply_accounts
        calls = []

        def second_page_breaks(run, *args, **kwargs):
            calls.append(run.id)
            if run == broken and calls.count(run.id) == 2:
                raise RuntimeError("something nobody foresaw")
            return apply_accounts(run, *args, **kwargs)

        with (patch.object(type(Run), "_apply_accounts", second_page_breaks),
              self.assertLogs(ENGINE_LOGGER, "ERROR")):
            Run._cron_daily_sync()
        self.assertEqual(broken.state, "failed")
        self.assertIn("unexpected error", broken.failure_reason)
        self.assertTrue(broken.cursor)  # it resumes after the page it had saved
        self.assertEqual(broken.count_updated + broken.count_unmatched, 10)
        daily = Run.search([("mode", "=", "daily")], limit=1)
        self.assertEqual(daily.state, "done")
        self.assertGreater(self.company.isc_sync_watermark, mark)

    def test_a_time_far_ahead_of_the_his_clock_is_a_record_error(self):
        self.his_raw_accounts(
            self.raw_account(13, login="far", updated_at="9999-12-31T23:59:59Z"),
            self.raw_account(14, login="soon", updated_at=self.his_time(timedelta(hours=20))),
            listed_at=self.his_anchor - timedelta(seconds=5))
        run, _action = self.sync_range(*self.full_range())
        self.assertEqual(run.error_ids.mapped("patient_code"), ["BN000013"])
        self.assertIn("ahead of the HIS clock", run.error_ids.reason)
        self.assertNotEqual(self.patient(13).isc_account_login, "far")
        self.assertEqual(self.patient(14).isc_account_login, "soon")

    def test_a_slow_his_page_does_not_hold_the_user_past_the_inline_budget(self):
        # Each attempt would wait the full 3 s read timeout, four times, with backoff.
        self.his_fault(endpoint="isc-accounts", kind="latency", latency_ms=5000, after=1)
        started = time.monotonic()
        run, action = self.sync_range(*self.full_range(), isc_inline_seconds=1.5)
        self.assertLess(time.monotonic() - started, 2.5)
        self.assertEqual(run.state, "running")
        self.assertEqual(action["params"]["type"], "info")
        self.assertTrue(self.cron_called_again_within_a_minute(
            "crm_isc_sync.ir_cron_isc_sync_queue"))
        self.his.faults.clear()
        self.env["isc.sync.run"]._cron_process_queue()
        self.assertEqual(run.state, "done")

    def test_an_error_answer_is_told_apart_from_an_unreachable_his(self):
        self.his_fault(endpoint="isc-accounts", kind="error", status=500)
        run, action = self.sync_range(*self.full_range())
        self.assertEqual(run.failure_reason, "The HIS answered with an error (HTTP 500).")
        self.assertEqual(action["params"]["message"], run.failure_reason)
        self.reset_his()
        self.his_fault(endpoint="isc-accounts", kind="drop")
        run, _action = self.sync_range(*self.full_range())
        self.assertIn("Could not reach the HIS", run.failure_reason)
