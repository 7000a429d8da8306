from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from ..models.isc_sync_run import WATERMARK_OVERLAP
from .common import IscSyncCase


@tagged("post_install", "-at_install")
class TestSyncDaily(IscSyncCase):
    """The daily sync: the scheduled action, every 24 hours, from a watermark."""

    def daily_runs(self):
        return self.env["isc.sync.run"].search([("mode", "=", "daily")])

    def test_cron_is_scheduled_every_24_hours(self):
        cron = self.env.ref("crm_isc_sync.ir_cron_isc_daily_sync")
        self.assertTrue(cron.active)
        self.assertEqual((cron.interval_number, cron.interval_type), (24, "hours"))

    def test_first_run_covers_the_last_day_and_sets_the_watermark(self):
        self.env["isc.sync.run"]._cron_daily_sync()
        run = self.daily_runs()[:1]
        self.assertEqual(run.state, "done")
        self.assertAlmostEqual(run.date_to - run.date_from, timedelta(days=1),
                               delta=timedelta(seconds=5))
        self.assertEqual(self.company.isc_sync_watermark, run.date_to)

    def test_next_run_starts_at_the_watermark_less_the_overlap(self):
        mark = fields.Datetime.now() - timedelta(days=3)
        self.company.isc_sync_watermark = mark
        self.env["isc.sync.run"]._cron_daily_sync()
        run = self.daily_runs()[:1]
        self.assertEqual(run.date_from, mark - WATERMARK_OVERLAP)
        self.assertGreater(self.company.isc_sync_watermark, mark)
        in_range = {a["patient_code"] for a in self.his_accounts_in(run.date_from, run.date_to)}
        self.assertEqual(run.count_updated + run.count_unmatched, len(in_range))

    def test_his_down_keeps_the_watermark(self):
        mark = fields.Datetime.now() - timedelta(days=3)
        self.company.isc_sync_watermark = mark
        self.his_fault(endpoint="isc-accounts", kind="error", status=500)
        self.env["isc.sync.run"]._cron_daily_sync()
        self.assertEqual(self.daily_runs()[:1].state, "failed")
        self.assertEqual(self.company.isc_sync_watermark, mark)

    def test_run_failing_half_way_resumes_from_its_last_batch(self):
        self.company.isc_sync_watermark = self.his_anchor - timedelta(days=31)
        # The third page fails (after retries); the first two are kept.
        self.his_fault(endpoint="isc-accounts", kind="error", status=503, after=2)
        self.env["isc.sync.run"]._cron_daily_sync()
        run = self.daily_runs()[:1]
        self.assertEqual(run.state, "failed")
        self.assertTrue(run.cursor)
        done_before = run.count_updated + run.count_unmatched
        self.assertEqual(done_before, 20)  # two pages of 10
        self.his.faults.clear()
        self.his.requests.clear()
        self.env["isc.sync.run"]._cron_daily_sync()
        self.assertEqual(run.state, "done")
        first = self.his_requests("/isc-accounts")[0]["query"]
        self.assertIn("cursor", first)
        total = len(self.his_accounts_in(run.date_from, run.date_to))
        self.assertEqual(run.count_updated + run.count_unmatched, total)
        self.assertEqual(self.company.isc_sync_watermark.date(), fields.Datetime.now().date())
