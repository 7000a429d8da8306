"""A live HIS simulator for the tests, on a free loopback port, and helpers around it."""

import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from odoo import fields
from odoo.tests import TransactionCase, new_test_user
from odoo.tests.common import _super_send

# The simulator is a package at the root of this repository, beside addons/.
_REPO_ROOT = Path(__file__).resolve().parents[3]
if str(_REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(_REPO_ROOT))

from his_simulator.server import make_server  # noqa: E402
from his_simulator.store import Store  # noqa: E402

API_KEY = "test-his-key"
PATIENTS = 60  # with ratio 0.9, BN000001..BN000054 have an account


class HisSimulatorMixin:
    """Starts one simulator per test class; each test starts from the same seed."""

    @classmethod
    def _request_handler(cls, session, request, /, **kwargs):
        # The simulator is on loopback: let the connector's own (connect, read) timeouts stand,
        # as the fault tests depend on them.
        if urlsplit(request.url).hostname == "127.0.0.1":
            return _super_send(session, request, **kwargs)
        return super()._request_handler(session, request, **kwargs)

    @classmethod
    def start_his(cls, api_key=API_KEY):
        cls.his_anchor = fields.Datetime.now().replace(minute=0, second=0, microsecond=0) \
            + timedelta(hours=1)
        cls.his_store = Store(patients=PATIENTS, seed=1, accounts_ratio=0.9,
                              anchor=cls.his_anchor.isoformat() + "Z")
        cls.his = make_server("127.0.0.1", 0, cls.his_store, api_key)
        thread = threading.Thread(target=cls.his.serve_forever, daemon=True)
        thread.start()
        cls.addClassCleanup(cls.his.server_close)
        cls.addClassCleanup(cls.his.shutdown)

    def reset_his(self):
        self.his_store.reset(PATIENTS, 1, 0.9, self.his_anchor.isoformat() + "Z")
        self.his.faults.clear()
        self.his.requests.clear()

    def his_requests(self, path_part=""):
        return [r for r in self.his.requests.entries() if path_part in r["path"]]

    def his_fault(self, **spec):
        self.his.faults.add(spec)

    def his_accounts_in(self, date_from, date_to):
        """Accounts the HIS lists for [date_from, date_to), read from its store."""
        items, cursor = [], None
        while True:
            page = self.his_store.list_accounts(date_from.isoformat() + "Z",
                                                date_to.isoformat() + "Z", "5000", cursor)
            items += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                return items


class IscSyncCase(HisSimulatorMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_his()
        cls.company = cls.env.company
        cls.company.write({
            "isc_his_base_url": cls.his.base_url + "/api/v1",
            "isc_his_api_key": API_KEY,
            "isc_his_read_timeout": 3.0,
            "isc_his_page_size": 10,
            "isc_sync_watermark": False,
        })
        # The test's HIS is the only one: the daily sync must not call another company's
        # (the demo hospital's simulator does not run during the tests).
        cls.env["res.company"].search([("id", "!=", cls.company.id)]).write(
            {"isc_his_base_url": False})
        cls.isc_user = new_test_user(cls.env, login="isc_user", name="Isc User",
                                     groups="base.group_user,crm_isc_sync.group_isc_sync_user")
        cls.isc_manager = new_test_user(
            cls.env, login="isc_manager", name="Isc Manager",
            groups="base.group_user,crm_isc_sync.group_isc_sync_manager")
        # Contacts of this test, with codes the demo data does not use.
        cls.patients = cls.env["res.partner"].create([
            {"name": f"Patient {i}", "isc_patient_code": f"BN{i:06d}"} for i in range(11, 41)])

    def setUp(self):
        super().setUp()
        self.reset_his()

    def his_raw_accounts(self, *items, listed_at=None):
        """Accounts the HIS lists as they are, at ``listed_at`` or their own updated_at."""
        self.his_store.add_raw_accounts(
            list(items), listed_at and listed_at.isoformat() + "Z")

    def his_time(self, delta=timedelta()):
        return (self.his_anchor + delta).isoformat() + "Z"

    def sync_range(self, date_from, date_to, **context):
        """The contact list's "Sync Isc account list", as an Isc user: (run, notification)."""
        wizard = self.env["isc.sync.range.wizard"].with_user(self.isc_user).with_context(
            **context).create({"date_from": date_from, "date_to": date_to})
        action = wizard.action_sync()
        run = self.env["isc.sync.run"].search([("mode", "=", "range")], limit=1)
        return run, action

    def run_cron_job(self, xmlid):
        """Run a scheduled action the way Odoo's cron worker does (progress API included)."""
        cron = self.env.ref(xmlid)
        self.env.flush_all()
        job = {**cron.read(load=None)[0], "done": 0, "remaining": 0, "timed_out_counter": 0}
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            self.registry["ir.cron"]._process_job(cr, job)

    def cron_called_again_within_a_minute(self, xmlid):
        soon = fields.Datetime.now() + timedelta(minutes=1)
        return bool(self.env["ir.cron.trigger"].search_count([
            ("cron_id", "=", self.env.ref(xmlid).id), ("call_at", "<=", soon)]))

    def full_range(self):
        return self.his_anchor - timedelta(days=31), self.his_anchor + timedelta(seconds=1)

    def patient(self, number):
        return self.patients.filtered(lambda p: p.isc_patient_code == f"BN{number:06d}")

    def codes_in_db(self):
        """Patient codes of the contacts a sync of the test's company matches: its own
        and those shared by all companies."""
        return set(self.env["res.partner"].with_context(active_test=False).search(
            [("isc_patient_code", "!=", False),
             ("company_id", "in", [self.company.id, False])]).mapped("isc_patient_code"))

    @staticmethod
    def parse_dt(text):
        return datetime.fromisoformat(text.rstrip("Z")).replace(microsecond=0)
