from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from odoo.sql_db import db_connect
from odoo.tests import tagged

from ..models.isc_sync_run import LOCK_NAMESPACE
from .common import IscSyncCase

DAILY = "crm_isc_sync.ir_cron_isc_daily_sync"
WORKER = "crm_isc_sync.ir_cron_isc_sync_queue"
CRON_MODULE = "odoo.addons.base.models.ir_cron"


@tagged("post_install", "-at_install")
class TestSyncBackground(IscSyncCase):
    """Runs the lock or the time budget held back start again within a minute, unattended."""

    @contextmanager
    def lock_held_elsewhere(self):
        other = db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_NAMESPACE, self.company.id))
            yield
        finally:
            other.execute("SELECT pg_advisory_unlock_all()")
            other.close()

    @contextmanager
    def tiny_cron_budget(self):
        """One page per call of a cron job: its time budget is spent at once."""
        with patch(f"{CRON_MODULE}.MIN_TIME_PER_JOB", 0), \
                patch(f"{CRON_MODULE}.MIN_RUNS_PER_JOB", 1):
            yield

    def run_worker_until_done(self, run, calls=10):
        for _call in range(calls):
            if run.state == "done":
                return
            self.assertTrue(self.cron_called_again_within_a_minute(WORKER), run.state)
            self.run_cron_job(WORKER)
        self.assertEqual(run.state, "done")

    def test_a_range_run_queued_behind_the_lock_starts_when_it_is_free(self):
        with self.lock_held_elsewhere():
            run, _action = self.sync_range(*self.full_range())
            self.assertEqual(run.state, "queued")
            self.run_cron_job(WORKER)
            self.assertEqual(run.state, "queued")
            self.assertTrue(self.cron_called_again_within_a_minute(WORKER))
        self.run_cron_job(WORKER)
        self.assertEqual(run.state, "done")

    def test_a_range_run_past_the_worker_budget_goes_on_unattended(self):
        with self.tiny_cron_budget():
            run, _action = self.sync_range(*self.full_range(), isc_inline_seconds=0)
            self.run_worker_until_done(run)
        total = len(self.his_accounts_in(run.date_from, run.date_to))
        self.assertEqual(run.count_updated + run.count_unmatched, total)

    def test_a_daily_run_behind_the_lock_starts_when_it_is_free(self):
        with self.lock_held_elsewhere():
            self.run_cron_job(DAILY)
            run = self.env["isc.sync.run"].search([("mode", "=", "daily")], limit=1)
            self.assertEqual(run.state, "queued")
            self.run_cron_job(WORKER)
            self.assertEqual(run.state, "queued")
        self.run_worker_until_done(run)
        self.assertEqual(self.company.isc_sync_watermark, run.date_to)

    def test_a_daily_run_past_its_budget_goes_on_unattended(self):
        self.company.isc_sync_watermark = self.his_anchor - timedelta(days=31)
        with self.tiny_cron_budget():
            self.run_cron_job(DAILY)
            run = self.env["isc.sync.run"].search([("mode", "=", "daily")], limit=1)
            self.assertEqual(run.state, "running")
            self.assertTrue(run.cursor)
            self.run_worker_until_done(run)
        self.assertEqual(self.company.isc_sync_watermark, run.date_to)
