import logging
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL, format_datetime

from ..services import his_client, sync_plan
from .res_partner import ISC_STATUSES

_logger = logging.getLogger(__name__)

# One advisory lock per company: the daily sync and the manual range sync never overlap.
LOCK_NAMESPACE = 7419
# The daily sync starts this much before the watermark, so late HIS writes are not missed.
WATERMARK_OVERLAP = timedelta(minutes=15)
# A manual range sync works this long inside the user's request, then goes on in background.
INLINE_SECONDS = 10.0
# Per-record errors kept per run; the count goes on past it.
MAX_ERROR_LINES = 1000
# Accounts with no matching contact listed per run; the count goes on past it.
MAX_UNMATCHED_LINES = 500
# The daily sync resumes failed range runs this recent; older ones are left for a new sync.
RESUME_RANGE_DAYS = 7
# What _execute reports: the run ended (done or failed), its time budget ran out, or another
# sync of the company holds the lock.
FINISHED, CONTINUE, LOCKED = "finished", "continue", "locked"
PENDING_STATES = ("queued", "running")
FAILURE_CODES = [
    ("unreachable", "HIS unreachable"),
    ("server_error", "HIS error answer"),
    ("auth", "API key refused"),
    ("bad_response", "Unreadable answer"),
    ("rejected", "Request refused"),
    ("not_found", "Not found on the HIS"),
    ("record", "Malformed account"),
    ("not_configured", "HIS connection not configured"),
    ("unexpected", "Unexpected error"),
    ("error", "HIS error"),
    ("legacy", "Earlier version"),
]


class IscSyncRun(models.Model):
    _name = "isc.sync.run"
    _description = "Isc account sync run"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    mode = fields.Selection(
        [("daily", "Daily (automatic)"), ("range", "Date range"), ("contact", "Contacts")],
        required=True, readonly=True)
    user_id = fields.Many2one("res.users", string="Started by", readonly=True,
                              default=lambda self: self.env.user)
    partner_id = fields.Many2one("res.partner", string="Contact", readonly=True,
                                 ondelete="set null", index="btree_not_null",
                                 help="The contact a one-contact sync was for.")
    company_id = fields.Many2one("res.company", required=True, readonly=True,
                                 default=lambda self: self.env.company)
    date_from = fields.Datetime(string="From", readonly=True)
    date_to = fields.Datetime(string="To", readonly=True)
    started_at = fields.Datetime(readonly=True)
    ended_at = fields.Datetime(readonly=True)
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        default="queued", required=True, readonly=True)
    cursor = fields.Char(readonly=True, copy=False,
                         help="Where the HIS listing resumes after the last committed batch.")
    count_updated = fields.Integer(string="Updated", readonly=True)
    count_unchanged = fields.Integer(string="Unchanged", readonly=True)
    count_unmatched = fields.Integer(string="No matching contact", readonly=True)
    count_errors = fields.Integer(string="Errors", readonly=True)
    # Stored as a code and its values, so that each reader gets the reason in their language.
    failure_code = fields.Selection(FAILURE_CODES, string="Failure", readonly=True, copy=False)
    failure_params = fields.Json(string="Failure details", readonly=True, copy=False)
    failure_reason = fields.Text(compute="_compute_failure_reason")
    outcome = fields.Char(compute="_compute_outcome", help="What the run did, in one line.")
    duration = fields.Float(compute="_compute_duration", help="Hours from start to end.")
    will_resume = fields.Boolean(
        string="Resumed by the daily sync", compute="_compute_will_resume",
        help="The next daily sync resumes this failed run from its last saved batch.")
    error_ids = fields.One2many("isc.sync.run.error", "run_id", string="Record errors",
                                readonly=True)
    unmatched_ids = fields.One2many("isc.sync.run.unmatched", "run_id",
                                    string="Accounts with no matching contact", readonly=True)
    unmatched_note = fields.Char(compute="_compute_unmatched_note")

    _state_idx = models.Index("(company_id, state)")

    @api.constrains("mode", "date_from", "date_to")
    def _check_range(self):
        """Runs are made by the engine; these hold whoever asks for one."""
        # The HIS's clock may run ahead of Odoo's, but not by a day (as for its records).
        latest = fields.Datetime.now() + timedelta(days=1)
        for run in self.filtered(lambda r: r.date_from and r.date_to):
            if run.date_from > run.date_to:
                raise ValidationError(
                    self.env._("The start of the range must not be after its end."))
            if run.date_to > latest:
                raise ValidationError(self.env._(
                    "A sync cannot reach into the future (%(date)s).", date=run.date_to))
            longest = run.company_id.sudo().isc_sync_max_range_days
            if run.mode == "range" and run.date_to - run.date_from > timedelta(days=longest):
                raise ValidationError(self.env._(
                    "The range may span at most %(days)s days; sync it in parts.", days=longest))

    @api.depends("mode", "partner_id")
    def _compute_name(self):
        modes = dict(self._fields["mode"]._description_selection(self.env))
        for run in self:
            if run.partner_id:
                run.name = self.env._("Isc sync #%(id)s (%(contact)s)", id=run.id or "",
                                      contact=run.partner_id.display_name)
            else:
                run.name = self.env._("Isc sync #%(id)s (%(mode)s)", id=run.id or "",
                                      mode=modes.get(run.mode, ""))

    @api.depends("mode", "count_unmatched")
    def _compute_unmatched_note(self):
        for run in self:
            unlisted = run.count_unmatched - MAX_UNMATCHED_LINES
            run.unmatched_note = run.mode != "contact" and unlisted > 0 and self.env._(
                "… and %(count)s more: a run lists at most %(max)s.",
                count=unlisted, max=MAX_UNMATCHED_LINES)

    @api.depends("failure_code", "failure_params")
    @api.depends_context("lang")
    def _compute_failure_reason(self):
        for run in self:
            run.failure_reason = run.failure_code and run.company_id._isc_failure_text(
                run.failure_code, run.failure_params)

    @api.depends("state", "mode", "failure_code", "failure_params", "count_updated",
                 "count_unchanged", "count_unmatched", "count_errors")
    @api.depends_context("lang")
    def _compute_outcome(self):
        for run in self:
            run.outcome = run._outcome_line()

    @api.depends("state", "started_at", "ended_at")
    def _compute_duration(self):
        now = fields.Datetime.now()
        for run in self:
            end = run.ended_at or (run.state == "running" and now)
            run.duration = ((end - run.started_at).total_seconds() / 3600
                            if run.started_at and end else 0.0)

    @api.depends("state", "mode", "create_date")
    def _compute_will_resume(self):
        oldest = fields.Datetime.now() - timedelta(days=RESUME_RANGE_DAYS)
        for run in self:
            run.will_resume = run.state == "failed" and (
                run.mode == "daily"
                or (run.mode == "range" and (run.create_date or oldest) >= oldest))

    # --- entry points -------------------------------------------------------------------
    @api.model
    def _cron_daily_sync(self):
        """The daily sync: from each company's watermark to now; the rest goes on in background."""
        companies = self.env["res.company"].sudo().search([("isc_his_base_url", "!=", False)])
        for company in companies:
            self._resume_failed(company)
            self._queue_daily_run(company)
            if self._process_queue(company) != FINISHED:
                self._trigger_worker()

    @api.model
    def _cron_process_queue(self):
        """Background worker: queued or interrupted runs, e.g. large manual ranges.

        It reports the runs still waiting (lock taken, time budget spent), so that Odoo calls
        it again at once rather than tomorrow.
        """
        self = self.with_context(isc_background=True)
        for company in self._pending().company_id:
            self._process_queue(company)
        waiting = len(self._pending())
        if waiting:
            _logger.info("Isc sync: %s run(s) wait for the next call of the worker", waiting)
        self._report_progress(remaining=waiting)

    @api.model
    def _pending(self, company=None):
        domain = [("state", "in", PENDING_STATES), ("mode", "!=", "contact")]
        if company:
            domain.append(("company_id", "=", company.id))
        return self.search(domain, order="id")

    @api.model
    def _process_queue(self, company):
        """Run the company's waiting runs, oldest first: FINISHED, or why it stopped."""
        # Searched again after each run: runs queued meanwhile are taken too.
        while run := self._pending(company)[:1]:
            outcome = run._execute()
            if outcome != FINISHED:
                return outcome
        return FINISHED

    @api.model
    def _resume_failed(self, company):
        # Each failure already logs whether it will be resumed; the form says it too.
        resumed = self.search([("company_id", "=", company.id), ("state", "=", "failed"),
                               ("mode", "in", ("daily", "range"))]).filtered("will_resume")
        if resumed:
            _logger.info("Isc sync: resuming failed runs %s", resumed.ids)
            resumed.write({"state": "queued", "failure_code": False, "failure_params": False,
                           "ended_at": False})

    @api.model
    def _queue_daily_run(self, company):
        now = fields.Datetime.now()
        pending = self._pending(company).filtered(lambda r: r.mode == "daily")
        if pending and max(pending.mapped("date_to")) >= now - timedelta(hours=1):
            return
        start = company.isc_sync_watermark
        start = start - WATERMARK_OVERLAP if start else now - timedelta(days=1)
        self.create({"mode": "daily", "company_id": company.id, "date_from": start,
                     "date_to": now, "user_id": self.env.ref("base.user_root").id})

    def _start_range(self, date_from, date_to):
        """The date-range sync: inside the request while it is short, then in background."""
        run = self.create({"mode": "range", "date_from": date_from, "date_to": date_to})
        outcome = run._execute(time_budget=self.env.context.get("isc_inline_seconds",
                                                                 INLINE_SECONDS))
        if outcome != FINISHED or self._pending(run.company_id):
            self._trigger_worker()
        return run, outcome

    def _trigger_worker(self):
        self.env.ref("crm_isc_sync.ir_cron_isc_sync_queue").sudo()._trigger()

    def _report_progress(self, processed=0, remaining=None):
        """Commit a batch inside a cron job; the seconds left of its time budget."""
        if not self.env.context.get("ir_cron_progress_id"):
            return float("inf")
        return self.env["ir.cron"]._commit_progress(processed, remaining=remaining)

    # --- the engine ---------------------------------------------------------------------
    def _execute(self, time_budget=None):
        """Process this run from its cursor: FINISHED, CONTINUE (budget spent) or LOCKED."""
        self.ensure_one()
        if not self._try_lock():
            _logger.info("Isc sync run %s waits: another sync of company %s holds the lock",
                         self.id, self.company_id.id)
            return LOCKED
        try:
            return self._execute_locked(time_budget)
        finally:
            self._unlock()

    def _execute_locked(self, time_budget):
        if not self.company_id._isc_his_configured():
            return self._fail("not_configured", {})
        deadline = time.monotonic() + time_budget if time_budget is not None else None
        self.write({"state": "running", "started_at": self.started_at or fields.Datetime.now()})
        _logger.info("Isc sync run %s (%s) runs from %s", self.id, self.mode,
                     "its last saved batch" if self.cursor else "the start")
        try:
            with self.company_id._isc_his_client() as client:
                client.deadline = deadline
                finished = self._sync_pages(client, deadline)
        except his_client.HisDeadlineReached:
            finished = False
        except his_client.HisError as error:
            return self._fail(error.kind, error.params())
        except Exception:
            # Only this run stops: the cursor keeps its last saved batch, other runs go on.
            _logger.exception("Isc sync run %s stopped on an unexpected error", self.id)
            return self._fail("unexpected", {})
        if not finished:
            _logger.info("Isc sync run %s paused: time budget spent, it goes on in background",
                         self.id)
            return CONTINUE
        self._finish()
        return FINISHED

    def _sync_pages(self, client, deadline):
        """Apply the pages from the run's cursor; False when the time budget ran out first.

        The HIS sends page N+1 while page N is written: a thread fetches and parses it (plain
        Python, no database), this one writes and saves the cursor. A failure of either
        leaves the cursor at the last page written, as without fetching ahead.
        """
        pages = client.iter_account_pages(self.date_from, self.date_to,
                                          page_size=self.company_id.sudo().isc_his_page_size,
                                          cursor=self.cursor or None)

        def parse(page):
            raw_items, next_cursor = page
            return (*his_client.parse_page(raw_items, client.clock()), next_cursor,
                    len(raw_items))

        with his_client.Prefetcher(pages, parse) as parsed_pages:
            try:
                for accounts, record_errors, next_cursor, size in parsed_pages:
                    with self.env.cr.savepoint():
                        self._apply_accounts(accounts, self._record_errors(record_errors))
                        self.cursor = next_cursor
                        self.flush_recordset()
                    if not next_cursor:
                        break
                    budget_left = self._report_progress(size)
                    if not budget_left or (deadline is not None
                                           and time.monotonic() > deadline):
                        return False
            finally:
                # Whether the HIS or the database sets the pace of a large sync.
                _logger.info("Isc sync run %s: %s pages from the HIS, %.1f s spent waiting "
                             "for them (%.1f s fetching, %.1f s writing)", self.id,
                             len(parsed_pages.wait_seconds), sum(parsed_pages.wait_seconds),
                             sum(parsed_pages.fetch_seconds), sum(parsed_pages.handle_seconds))
        return True

    def _fail(self, code, params):
        self.write({"state": "failed", "failure_code": code, "failure_params": params,
                    "ended_at": fields.Datetime.now()})
        _logger.info("Isc sync run %s failed (%s: %s); %s", self.id, code, params,
                     "the next daily sync resumes it" if self.will_resume
                     else "it will not be resumed")
        self._notify_done()
        return FINISHED

    def _finish(self):
        self.write({"state": "done", "ended_at": fields.Datetime.now(), "cursor": False,
                    "failure_code": False, "failure_params": False})
        if self.mode == "daily":
            company = self.company_id.sudo()
            if not company.isc_sync_watermark or company.isc_sync_watermark < self.date_to:
                company.isc_sync_watermark = self.date_to
        _logger.info("Isc sync run %s done: %s updated, %s unchanged, %s unmatched, %s errors",
                     self.id, self.count_updated, self.count_unchanged, self.count_unmatched,
                     self.count_errors)
        self._notify_done()

    def _record_errors(self, errors):
        """(patient code, reason) of each malformed account, the reason in the user's words."""
        return [(error.patient_code, self.company_id._isc_his_error_message(error))
                for error in errors]

    def _apply_accounts(self, accounts, errors=(), partners=None):
        """Match accounts to contacts by patient code and write what changed, in bulk.

        Contacts are those of the run's company (or shared), or the given ``partners``.
        """
        Partner = self.env["res.partner"].sudo()
        Partner.flush_model(sync_plan.ROW_FIELDS[1:])
        self.env.cr.execute(SQL(
            """SELECT id, isc_patient_code, isc_account_login, isc_account_status,
                      isc_account_issued_on, isc_account_his_updated_at
                 FROM res_partner
                WHERE isc_patient_code = ANY(%s) AND %s""",
            [a.patient_code for a in accounts],
            SQL("id = ANY(%s)", partners.ids) if partners is not None
            else SQL("(company_id = %s OR company_id IS NULL)", self.company_id.id)))
        changes, unchanged, unmatched = sync_plan.plan_page(accounts, self.env.cr.fetchall())
        now = fields.Datetime.now()
        if changes:
            self._write_changes(changes, now)
        if unchanged:
            self.env.cr.execute(SQL(
                """UPDATE res_partner
                      SET isc_account_synced_on = %s, write_uid = %s, write_date = %s
                    WHERE id = ANY(%s)""",
                now, self.env.uid, self.env.cr.now(), unchanged))
        Partner.invalidate_model(["isc_account_synced_on", *sync_plan.ROW_FIELDS[2:]])
        self._log_errors(errors)
        self._log_unmatched(unmatched)
        self.write({
            "count_updated": self.count_updated + len(changes),
            "count_unchanged": self.count_unchanged + len(unchanged),
            "count_unmatched": self.count_unmatched + len(unmatched),
            "count_errors": self.count_errors + len(errors),
        })

    def _write_changes(self, changes, now):
        """Write the accounts that changed in one statement, whatever the page size.

        What the ORM's low-level write would do (no recomputation depends on these fields),
        with the values sent as one array per column rather than one parameter per value.
        """
        ids, logins, statuses, issued, updated = [], [], [], [], []
        for pid, vals in changes:
            ids.append(pid)
            logins.append(vals["isc_account_login"])
            statuses.append(vals["isc_account_status"])
            issued.append(vals["isc_account_issued_on"])
            updated.append(vals["isc_account_his_updated_at"])
        self.env.cr.execute(SQL(
            """UPDATE res_partner p
                  SET isc_account_login = v.login, isc_account_status = v.status,
                      isc_account_issued_on = v.issued, isc_account_his_updated_at = v.updated,
                      isc_account_synced_on = %s, write_uid = %s, write_date = %s
                 FROM unnest(%s::int[], %s::varchar[], %s::varchar[], %s::timestamp[],
                             %s::timestamp[]) AS v(id, login, status, issued, updated)
                WHERE p.id = v.id""",
            now, self.env.uid, self.env.cr.now(), ids, logins, statuses, issued, updated))

    def _log_errors(self, errors):
        """Store a page's record errors, in one insert, up to the cap of the run."""
        room = MAX_ERROR_LINES - self.count_errors
        if errors and room > 0:
            self.env["isc.sync.run.error"].create([
                {"run_id": self.id, "patient_code": code, "reason": reason}
                for code, reason in errors[:room]])

    def _log_unmatched(self, accounts):
        """List a page's accounts that matched no contact, in one insert, up to the cap."""
        room = MAX_UNMATCHED_LINES - self.count_unmatched
        if accounts and room > 0:
            self.env["isc.sync.run.unmatched"].create([
                {"run_id": self.id, "patient_code": account.patient_code,
                 "login": account.login, "status": account.status,
                 "his_updated_at": account.updated_at.replace(microsecond=0)}
                for account in accounts[:room]])

    def _run_for_partners(self, partners, skipped=None):
        """One-contact sync: each contact's account from its company's HIS; a run per company.

        A run for a single contact names it, so that the log says whom it was for.
        """
        runs = self.browse()
        single = len(partners) + len(skipped or []) == 1
        by_company = partners.grouped(lambda p: p.company_id or self.env.company)
        for company, company_partners in by_company.items() or [(self.env.company, partners)]:
            run = self.create({"mode": "contact", "state": "running", "company_id": company.id,
                               "partner_id": single and company_partners.id,
                               "started_at": fields.Datetime.now()})
            run._sync_partners(company_partners)
            runs |= run
        runs[:1].count_unmatched += len(skipped or [])
        return runs

    def _sync_partners(self, partners):
        """Ask the HIS for each contact's account; each contact asked is marked checked."""
        checked_ids = []
        try:
            with self.company_id._isc_his_client() as client:
                for partner in partners:
                    account = client.get_account(partner.isc_patient_code)
                    checked_ids.append(partner.id)
                    if account is None:
                        self.count_unmatched += 1
                    else:
                        self._apply_accounts([account], partners=partner)
        except his_client.HisError as error:
            self._fail(error.kind, error.params())
        else:
            self.write({"state": "done", "ended_at": fields.Datetime.now()})
        # Found or not: the contact form shows when the HIS was last asked.
        self.env["res.partner"].sudo().browse(checked_ids).write(
            {"isc_account_checked_on": fields.Datetime.now()})

    # --- lock ---------------------------------------------------------------------------
    def _try_lock(self):
        self.env.cr.execute(SQL("SELECT pg_try_advisory_lock(%s, %s)", LOCK_NAMESPACE,
                                self.company_id.id))
        return self.env.cr.fetchone()[0]

    def _unlock(self):
        self.env.cr.execute(SQL("SELECT pg_advisory_unlock(%s, %s)", LOCK_NAMESPACE,
                                self.company_id.id))

    # --- feedback -----------------------------------------------------------------------
    def _outcome_line(self):
        """The run's outcome in one line, for the log's list; a failure comes first."""
        env = self.env
        processed = (self.count_updated + self.count_unchanged + self.count_unmatched
                     + self.count_errors)
        if self.state == "failed":
            return env._("Failed after %(count)s accounts: %(reason)s",
                         count=processed, reason=self.failure_reason)
        if self.state == "queued":
            return env._("Waiting to start")
        if self.state == "running":
            return env._("In progress: %(count)s accounts so far", count=processed)
        return self._count_line() or env._("No account to sync")

    def _count_line(self):
        """The run's counts that are not zero, e.g. "12 updated, 3 unchanged"."""
        env = self.env
        texts = [
            (self.count_updated, lambda n: env._("%(count)s updated", count=n)),
            (self.count_unchanged, lambda n: env._("%(count)s unchanged", count=n)),
            (self.count_unmatched, lambda n: env._("%(count)s with no account in the HIS", count=n)
             if self.mode == "contact"
             else env._("%(count)s with no matching contact", count=n)),
            (self.count_errors, lambda n: env._("%(count)s errors", count=n)),
        ]
        return ", ".join(text(count) for count, text in texts if count)

    def _summary(self):
        return self.env._(
            "%(updated)s updated, %(unchanged)s unchanged, %(unmatched)s with no matching "
            "contact, %(errors)s errors.",
            updated=self.count_updated, unchanged=self.count_unchanged,
            unmatched=self.count_unmatched, errors=self.count_errors)

    def _notify_done(self):
        """Tell the user who started a background run how it ended, in their language."""
        if self.mode != "range" or not self.env.context.get("isc_background"):
            return
        run = self.with_context(lang=self.user_id.lang)
        kind, title, message = run._outcome_texts()
        self.user_id._bus_send("simple_notification", {
            "type": kind, "title": title, "message": message, "sticky": True,
        })

    def _outcome_texts(self):
        """(notification type, title, message) of a run that ended."""
        env = self.env
        if self.state == "failed":
            return "danger", env._("Isc account sync failed"), self.failure_reason
        if self.count_errors:
            return "warning", env._("Isc account sync finished with errors"), self._summary()
        return "success", env._("Isc account sync finished"), self._summary()

    def _notification_action(self, single=False):
        """The notification a user gets for this run, with a link to it in the log."""
        env = self.env
        if self.state == "failed":
            kind, title, message = "danger", env._("Isc account sync failed"), self.failure_reason
        elif self.state in ("queued", "running"):
            kind, title = "info", env._("Isc account sync continues in background")
            message = env._("Many accounts to sync: you will be notified when it is done (%s).")
        elif self.count_errors:
            kind, title = "warning", env._("Isc account sync finished with errors")
            message = self._summary() + " (%s)"
        elif single and self.count_unmatched:
            kind, title = "warning", env._("No Isc account yet")
            message = env._(
                "No account found in the HIS for this contact, checked at %(time)s (the HIS "
                "issues it after the health check).",
                time=format_datetime(env, self.partner_id.isc_account_checked_on,
                                     dt_format="short"))
        elif single:
            kind, title = "success", env._("Sync succeeded")
            message = env._("The Isc account was updated from the HIS.")
        else:
            kind, title, message = "success", env._("Sync succeeded"), self._summary() + " (%s)"
        params = {"type": kind, "title": title, "message": message, "sticky": kind != "success",
                  "next": {"type": "ir.actions.client", "tag": "soft_reload"}}
        if "%s" in message:
            params["links"] = [{
                "label": self.name,
                "url": f"/odoo/action-crm_isc_sync.isc_sync_run_action/{self.id}",
            }]
        return {"type": "ir.actions.client", "tag": "display_notification", "params": params}


class IscSyncRunError(models.Model):
    _name = "isc.sync.run.error"
    _description = "Isc account sync: record error"
    _order = "id"

    run_id = fields.Many2one("isc.sync.run", required=True, ondelete="cascade", index=True)
    patient_code = fields.Char()
    reason = fields.Char(required=True)


class IscSyncRunUnmatched(models.Model):
    _name = "isc.sync.run.unmatched"
    _description = "Isc account sync: account with no matching contact"
    _order = "id"

    run_id = fields.Many2one("isc.sync.run", required=True, ondelete="cascade", index=True)
    patient_code = fields.Char(required=True)
    login = fields.Char(string="Isc account")
    status = fields.Selection(ISC_STATUSES)
    his_updated_at = fields.Datetime(string="Changed in HIS")
