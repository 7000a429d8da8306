import math
import threading
import time
from unittest.mock import patch

from odoo.tests import tagged

from .common import IscSyncCase

ENGINE_LOGGER = "odoo.addons.crm_isc_sync.models.isc_sync_run"
PAGE_SIZE = 10  # the test company's page size


@tagged("post_install", "-at_install")
class TestSyncPrefetch(IscSyncCase):
    """The HIS sends the next page while this one is written, and never further ahead."""

    def page_requests(self):
        return self.his_requests("/isc-accounts")

    def wait_for_requests(self, count, seconds=5.0):
        """The HIS's account requests once it got ``count`` of them (or the wait ran out)."""
        until = time.monotonic() + seconds
        while len(self.page_requests()) < count and time.monotonic() < until:
            time.sleep(0.01)
        return len(self.page_requests())

    def assert_no_fetching_thread(self):
        self.assertFalse([t for t in threading.enumerate()
                          if t.name == "his-prefetch" and t.is_alive()])

    def patched_apply(self, before_write):
        """_apply_accounts calling ``before_write(page number)`` before each page's write."""
        Run = type(self.env["isc.sync.run"])
        apply_accounts = Run._apply_accounts
        written = []

        def apply(run, *args, **kwargs):
            written.append(run.id)
            before_write(len(written))
            return apply_accounts(run, *args, **kwargs)

        return patch.object(Run, "_apply_accounts", apply)

    def test_the_next_page_is_fetched_while_this_one_is_written_and_no_further(self):
        pages = math.ceil(len(self.his_accounts_in(*self.full_range())) / PAGE_SIZE)
        self.assertGreater(pages, 3)
        seen = []

        def before_write(page):
            # While page N is written, the HIS is asked for page N+1 (not on the last page)...
            wanted = page + 1 if page < pages else page
            self.wait_for_requests(wanted)
            time.sleep(0.05)  # ...and for nothing beyond it, however long the write takes
            seen.append(len(self.page_requests()))

        with self.patched_apply(before_write):
            run, _action = self.sync_range(*self.full_range())
        self.assertEqual(run.state, "done")
        self.assertEqual(seen, [*range(2, pages + 1), pages])
        self.assert_no_fetching_thread()

    def test_a_failed_fetch_of_the_next_page_leaves_the_cursor_after_the_last_page_written(self):
        # Page 3 fails (after retries) while page 2 is written: pages 1 and 2 are kept.
        self.his_fault(endpoint="isc-accounts", kind="error", status=503, after=2)
        run, _action = self.sync_range(*self.full_range())
        self.assertEqual(run.state, "failed")
        self.assertEqual(run.count_updated + run.count_unmatched, 2 * PAGE_SIZE)
        third = self.page_requests()[2]
        self.assertEqual(run.cursor, third["query"]["cursor"])
        self.assert_no_fetching_thread()
        # Resumed, it asks the HIS for page 3 again and ends with every account.
        self.his.faults.clear()
        self.his.requests.clear()
        run._execute()
        self.assertEqual(run.state, "done")
        self.assertEqual(self.page_requests()[0]["query"]["cursor"], third["query"]["cursor"])
        total = len(self.his_accounts_in(run.date_from, run.date_to))
        self.assertEqual(run.count_updated + run.count_unmatched, total)

    def test_a_failed_write_stops_the_fetching_and_keeps_the_cursor_of_the_page_before(self):
        def before_write(page):
            if page == 2:
                self.wait_for_requests(3)  # page 3 is on its way, or here already
                raise RuntimeError("the database refused page 2")

        with self.patched_apply(before_write), self.assertLogs(ENGINE_LOGGER, "ERROR"):
            run, _action = self.sync_range(*self.full_range())
        self.assertEqual(run.state, "failed")
        self.assertEqual(run.count_updated + run.count_unmatched, PAGE_SIZE)
        self.assertEqual(run.cursor, self.page_requests()[1]["query"]["cursor"])
        self.assertEqual(len(self.page_requests()), 3)  # one page ahead, no more
        self.assert_no_fetching_thread()
