import logging
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..services import his_client, sync_plan

_logger = logging.getLogger(__name__)

# One advisory lock per company: the daily sync and the manual range sync never overlap.
LOCK_NAMESPACE = 7419
# The daily sync starts this much before the watermark, so late HIS writes are not missed.
WATERMARK_OVERLAP = timedelta(minutes=15)
# A manual range sync works this long inside the user's request, then goes on in background.
INLINE_SECONDS = 10.0
# Per-record errors kept per run; the count goes on past it.
MAX_ERROR_LINES = 1000


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
    failure_reason = fields.Text(readonly=True)
    error_ids = fields.One2many("isc.sync.run.error", "run_id", string="Record errors",
                                readonly=True)

    _state_idx = models.Index("(company_id, state)")

    @api.depends("mode", "date_from", "date_to")
    def _compute_name(self):
        modes = dict(self._fields["mode"]._description_selection(self.env))
        for run in self:
            run.name = self.env._("Isc sync #%(id)s (%(mode)s)", id=run.id or "",
                                  mode=modes.get(run.mode, ""))

    # --- entry points -------------------------------------------------------------------
    @api.model
    def _cron_daily_sync(self):
        """Way 1: from each company's watermark to now, resuming an unfinished daily run."""
        now = fields.Datetime.now()
        companies = self.env["res.company"].sudo().search([("isc_his_base_url", "!=", False)])
        for company in companies:
            pending = self.search([("company_id", "=", company.id), ("mode", "=", "daily"),
                                   ("state", "in", ("queued", "running", "failed"))])
            pending.filtered(lambda r: r.state == "failed").write({"state": "queued"})
            start = company.isc_sync_watermark
            start = start - WATERMARK_OVERLAP if start else now - timedelta(days=1)
            if not pending or max(pending.mapped("date_to")) < now - timedelta(hours=1):
                self.create({"mode": "daily", "company_id": company.id, "date_from": start,
                             "date_to": now, "user_id": self.env.ref("base.user_root").id})
            self._process_queue(company)

    @api.model
    def _cron_process_queue(self):
        """Background worker: queued or interrupted runs, e.g. large manual ranges."""
        self = self.with_context(isc_background=True)
        for company in self.search([("state", "in", ("queued", "running"))]).company_id:
            self._process_queue(company)

    @api.model
    def _process_queue(self, company):
        runs = self.search([("company_id", "=", company.id), ("state", "in", ("queued", "running")),
                            ("mode", "!=", "contact")], order="id")
        for run in runs:
            if run._execute() == "continue":
                return

    def _start_range(self, date_from, date_to):
        """Way 2: sync a range inside the request while it is short, then in background."""
        run = self.create({"mode": "range", "date_from": date_from, "date_to": date_to})
        outcome = run._execute(time_budget=self.env.context.get("isc_inline_seconds",
                                                                 INLINE_SECONDS))
        if outcome != "finished":
            self.env.ref("crm_isc_sync.ir_cron_isc_sync_queue")._trigger()
        return run, outcome

    # --- the engine ---------------------------------------------------------------------
    def _execute(self, time_budget=None):
        """Process this run from its cursor; 'finished', 'continue' (budget spent) or 'locked'."""
        self.ensure_one()
        if not self._try_lock():
            return "locked"
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        deadline = time.monotonic() + time_budget if time_budget is not None else None
        try:
            self.write({"state": "running", "started_at": self.started_at or fields.Datetime.now()})
            client = self.company_id._isc_his_client()
            page_size = self.company_id.sudo().isc_his_page_size
            with client:
                pages = client.iter_account_pages(self.date_from, self.date_to,
                                                  page_size=page_size, cursor=self.cursor or None)
                for raw_items, next_cursor in pages:
                    with self.env.cr.savepoint():
                        self._apply_accounts(*self._parse_page(raw_items))
                        self.cursor = next_cursor
                        self.flush_recordset()
                    if not next_cursor:
                        break
                    budget_left = (self.env["ir.cron"]._commit_progress(len(raw_items))
                                   if in_cron else float("inf"))
                    if not budget_left or (deadline and time.monotonic() > deadline):
                        return "continue"
        except (his_client.HisError, UserError) as error:
            reason = (self.company_id._isc_his_error_message(error)
                      if isinstance(error, his_client.HisError) else error.args[0])
            _logger.info("Isc sync run %s failed: %s", self.id, reason)
            self.write({"state": "failed", "failure_reason": reason,
                        "ended_at": fields.Datetime.now()})
            self._notify_done()
            return "finished"
        finally:
            self._unlock()
        self._finish()
        return "finished"

    def _finish(self):
        self.write({"state": "done", "ended_at": fields.Datetime.now(), "cursor": False})
        if self.mode == "daily":
            company = self.company_id.sudo()
            if not company.isc_sync_watermark or company.isc_sync_watermark < self.date_to:
                company.isc_sync_watermark = self.date_to
        self._notify_done()

    def _parse_page(self, raw_items):
        """Parsed accounts, and (patient code, reason) of each malformed one, which is skipped."""
        accounts, errors = [], []
        for raw in raw_items:
            try:
                accounts.append(his_client.parse_account(raw))
            except his_client.HisRecordError as error:
                code = error.patient_code or (raw.get("patient_code") if isinstance(raw, dict)
                                              else None)
                errors.append((code, self.company_id._isc_his_error_message(error)))
        return accounts, errors

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
            Partner.browse([pid for pid, _vals in changes])._write_multi(
                [dict(vals, isc_account_synced_on=now) for _pid, vals in changes])
        if unchanged:
            Partner.browse(unchanged)._write({"isc_account_synced_on": now})
        Partner.invalidate_model(["isc_account_synced_on", *sync_plan.ROW_FIELDS[2:]])
        room = MAX_ERROR_LINES - self.count_errors
        if errors and room > 0:
            self.env["isc.sync.run.error"].create([
                {"run_id": self.id, "patient_code": code, "reason": reason}
                for code, reason in errors[:room]])
        self.write({
            "count_updated": self.count_updated + len(changes),
            "count_unchanged": self.count_unchanged + len(unchanged),
            "count_unmatched": self.count_unmatched + len(unmatched),
            "count_errors": self.count_errors + len(errors),
        })

    def _run_for_partners(self, partners, skipped=None):
        """Way 3: fetch the account of each contact from its company's HIS; one run per company."""
        runs = self.browse()
        by_company = partners.grouped(lambda p: p.company_id or self.env.company)
        for company, company_partners in by_company.items() or [(self.env.company, partners)]:
            run = self.create({"mode": "contact", "state": "running", "company_id": company.id,
                               "started_at": fields.Datetime.now()})
            try:
                with company._isc_his_client() as client:
                    for partner in company_partners:
                        account = client.get_account(partner.isc_patient_code)
                        if account is None:
                            run.count_unmatched += 1
                        else:
                            run._apply_accounts([account], partners=partner)
            except his_client.HisError as error:
                run.write({"state": "failed", "ended_at": fields.Datetime.now(),
                           "failure_reason": company._isc_his_error_message(error)})
            else:
                run.write({"state": "done", "ended_at": fields.Datetime.now()})
            runs |= run
        runs[:1].count_unmatched += len(skipped or [])
        return runs

    # --- lock ---------------------------------------------------------------------------
    def _try_lock(self):
        self.env.cr.execute(SQL("SELECT pg_try_advisory_lock(%s, %s)", LOCK_NAMESPACE,
                                self.company_id.id))
        return self.env.cr.fetchone()[0]

    def _unlock(self):
        self.env.cr.execute(SQL("SELECT pg_advisory_unlock(%s, %s)", LOCK_NAMESPACE,
                                self.company_id.id))

    # --- feedback -----------------------------------------------------------------------
    def _summary(self):
        return self.env._(
            "%(updated)s updated, %(unchanged)s unchanged, %(unmatched)s with no matching "
            "contact, %(errors)s errors.",
            updated=self.count_updated, unchanged=self.count_unchanged,
            unmatched=self.count_unmatched, errors=self.count_errors)

    def _notify_done(self):
        """Tell the user who started a background run how it ended."""
        if self.mode != "range" or not self.env.context.get("isc_background"):
            return
        self.user_id._bus_send("simple_notification", {
            "type": "success" if self.state == "done" else "danger",
            "title": self.env._("Isc account sync finished") if self.state == "done"
            else self.env._("Isc account sync failed"),
            "message": self.failure_reason or self._summary(),
            "sticky": True,
        })

    def _notification_action(self, single=False):
        """The notification a user gets for this run, with a link to it in the log."""
        env = self.env
        if self.state == "failed":
            kind, title, message = "danger", env._("Isc account sync failed"), self.failure_reason
        elif self.state in ("queued", "running"):
            kind, title = "info", env._("Isc account sync continues in background")
            message = env._("Many accounts to sync: you will be notified when it is done (%s).")
        elif single and self.count_unmatched:
            kind, title = "warning", env._("No Isc account yet")
            message = env._("The HIS has not issued an Isc account for this patient yet (it is "
                            "issued after the health check).")
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
