import importlib.util
from datetime import timedelta
from pathlib import Path

from odoo.tests import tagged
from odoo.tools.sql import column_exists

from .common import IscSyncCase

MIGRATION = Path(__file__).resolve().parents[1] / "migrations/19.0.1.1.0/post-migrate.py"


@tagged("post_install", "-at_install")
class TestSyncResume(IscSyncCase):
    """Failed runs, what the log says about them, and in which language."""

    def failed_range_run(self):
        # The third page fails after retries: two pages are saved.
        self.his_fault(endpoint="isc-accounts", kind="error", status=503, after=2)
        run, _action = self.sync_range(*self.full_range())
        self.assertEqual(run.state, "failed")
        self.assertTrue(run.cursor)
        self.his.faults.clear()
        return run

    def test_the_daily_sync_resumes_a_failed_range_run_and_clears_its_reason(self):
        run = self.failed_range_run()
        self.assertTrue(run.will_resume)
        self.env["isc.sync.run"]._cron_daily_sync()
        self.assertEqual(run.state, "done")
        self.assertFalse(run.failure_reason)
        total = len(self.his_accounts_in(run.date_from, run.date_to))
        self.assertEqual(run.count_updated + run.count_unmatched, total)

    def test_an_old_failed_range_run_is_not_resumed_and_the_log_says_so(self):
        run = self.failed_range_run()
        self.env.cr.execute("UPDATE isc_sync_run SET create_date = %s WHERE id = %s",
                            (run.create_date - timedelta(days=8), run.id))
        run.invalidate_recordset()
        self.assertFalse(run.will_resume)  # the log's form says it will not be resumed
        self.env["isc.sync.run"]._cron_daily_sync()
        self.assertEqual(run.state, "failed")
        self.assertFalse(run.will_resume)

    def test_each_reader_sees_the_failure_reason_in_their_language(self):
        self.env["res.lang"]._activate_lang("vi_VN")
        self.env["ir.module.module"]._load_module_terms(["crm_isc_sync"], ["vi_VN"],
                                                        overwrite=True)
        self.his_fault(endpoint="isc-accounts", kind="error", status=500)
        run, _action = self.sync_range(*self.full_range())
        english = "The HIS answered with an error (HTTP 500)."
        self.assertEqual(run.with_context(lang="en_US").failure_reason, english)
        vietnamese = run.with_context(lang="vi_VN").failure_reason
        self.assertIn("HTTP 500", vietnamese)
        self.assertNotEqual(vietnamese, english)

    def test_reasons_stored_before_the_upgrade_are_kept(self):
        run = self.failed_range_run()
        self.env.flush_all()
        self.env.cr.execute("ALTER TABLE isc_sync_run ADD COLUMN failure_reason text")
        self.env.cr.execute("UPDATE isc_sync_run SET failure_reason = 'Old reason', "
                            "failure_code = NULL WHERE id = %s", [run.id])
        spec = importlib.util.spec_from_file_location("post_migrate", MIGRATION)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.migrate(self.env.cr, "19.0.1.0.0")
        run.invalidate_recordset()
        self.assertEqual(run.failure_reason, "Old reason")
        self.assertFalse(column_exists(self.env.cr, "isc_sync_run", "failure_reason"))
