"""make test-cron: the scheduled jobs of our addons run exactly once each when two Odoo servers,
each with a cron worker, serve one database.

Loopback only and bounded: prepares a database of its own (clinic_portal, crm_isc_sync and
payment_easycard, no demo data; every scheduled job postponed by a day, so that only the jobs
fired here run), with the HIS simulator and EasyCard's simulator running in this process on
free 127.0.0.1 ports, the company's HIS connection and its EasyCard provider (test mode)
pointed at them. Starts two prefork Odoo servers over that database (--workers 2
--max-cron-threads 1, without HTTP) and waits until the cron worker of each listens for
triggered jobs. Then, --rounds times (3):

- seeds the round: 12 appointments held for payment whose hold lapsed a minute ago; the
  Isc accounts of 10 contacts changed in the HIS; 3 EasyCard payments made at EasyCard
  10 minutes ago that Odoo never heard back about (no return, no webhook);
- fires the daily Isc sync, the release of unpaid holds and EasyCard's reconciliation at once:
  ``ir.cron._trigger()`` of each, committed, whose NOTIFY wakes the cron workers of both
  servers, which race for the jobs;
- once the jobs ended and both servers' logs stayed still for SETTLE seconds, counts from
  those logs (ir_cron's "Job ... starting" lines) how often each job ran and on which server,
  and reads what the jobs did: each hold released, with one release note; one daily run in
  the Isc sync log, done, that updated the 10 accounts after one listing of the HIS; each
  EasyCard payment confirmed after one reading of its payment intent.

One line per round, one per job, then the last line:
two-server cron: <k> rounds, isc daily sync ran <a>/<k>, hold release ran <b>/<k>,
easycard reconcile ran <c>/<k>, <n> holds released once each, <e> server errors
where <a>, <b>, <c> count the rounds in which the job ran exactly once and did its work once.
Server errors: log records at ERROR or CRITICAL, and tracebacks, in the servers' logs. Exit
non-zero unless every job ran exactly once a round and did its work once, with no server
error, within DEADLINE seconds. Without Odoo 19: one line SKIPPED and exit 0.
"""

import argparse
import collections
import re
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from easycard_simulator.server import make_server as easycard_server  # noqa: E402
from his_simulator.server import make_server as his_server  # noqa: E402
from his_simulator.store import Store  # noqa: E402
from tests.harness import ensure_database  # noqa: E402
from tests.load.load_booking import odoo_19, odoo_command, stop_server  # noqa: E402

SERVERS = 2
WORKERS = 2  # makes each server a prefork one, whose cron worker is a process of its own
HOLDS = 12  # lapsed holds a round
ACCOUNTS = 10  # Isc accounts changed in the HIS a round
PAYMENTS = 3  # EasyCard payments without an outcome a round
DEADLINE = 180  # seconds for the whole run, from the start of the servers
ROUND_LIMIT = 60  # seconds for the jobs of one round to end
# A second run of a job would start right after the first one ends (the other server's worker
# read the job as ready, or was busy with another job meanwhile): seconds without a new log
# line before a round is counted.
SETTLE = 3
PREFIX = "cron_two_servers_"
HIS_KEY = "cron-his-key"
EASYCARD_TERMINAL = "6f1ee8e2-7c57-4b8e-9d33-3a9f7f2a1c01"
EASYCARD_KEY = "cron-easycard-key"
RELEASE_NOTE = "Released: not paid within the time the appointment was held."
JOBS = {  # label: XML id of the scheduled action
    "isc daily sync": "crm_isc_sync.ir_cron_isc_daily_sync",
    "hold release": "clinic_portal.ir_cron_release_holds",
    "easycard reconcile": "payment_easycard.cron_easycard_reconcile",
}
CRON_LOGGER = "odoo.addons.base.models.ir_cron"
SERVER_LOGGER = "odoo.service.server"
CRON_WORKER = re.compile(r"Worker WorkerCron \((\d+)\) alive")
# Odoo's log record: "<date> <time> <pid> <LEVEL> <database> <logger>: <message>"
RECORD = re.compile(r"^\S+ \S+ \d+ (?P<level>[A-Z]+) \S+ (?P<logger>[\w.]+): (?P<message>.*)$",
                    re.M)
JOB_STEP = re.compile(r"Job .* \((?P<id>\d+)\) (?P<step>starting|fully done|partially done"
                      r"|failed)")
TRACEBACK = "Traceback (most recent call"


def prepare(conf, db, his_url, easycard_url):
    """Create the database if needed and set it up; the job ids by label."""
    ensure_database(conf, db, "clinic_portal", label="cron",
                    extra=("crm_isc_sync", "payment_easycard"))
    from odoo import SUPERUSER_ID, api, fields
    from odoo.fields import Command
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["-c", str(conf), "-d", db, "--log-level=warn"])
    with Registry(db).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        now = fields.Datetime.now()
        # Only the jobs fired here run, when fired: nothing is due before tomorrow.
        env["ir.cron"].with_context(active_test=False).search([]).write(
            {"nextcall": now + timedelta(days=1)})
        env["ir.cron.trigger"].search([]).unlink()
        # An interrupted earlier run may have left a daily sync waiting, which the next daily
        # sync would take instead of starting its own, and payments that this run's EasyCard
        # never saw.
        env["isc.sync.run"].search([("state", "in", ("queued", "running", "failed"))]).unlink()
        env["payment.transaction"].search([("reference", "like", "CRON-%"),
                                           ("state", "in", ("draft", "pending"))]).write(
            {"state": "cancel"})
        env.company.write({"isc_his_base_url": f"{his_url}/api/v1", "isc_his_api_key": HIS_KEY,
                           "isc_his_page_size": 1000, "isc_sync_watermark": now})
        provider = env.ref("payment_easycard.payment_provider_easycard")
        provider.write({"state": "test", "company_id": env.company.id,
                        "easycard_terminal_id": EASYCARD_TERMINAL,
                        "easycard_private_key": EASYCARD_KEY,
                        "easycard_server_url": easycard_url})
        users = env["res.users"].with_context(no_reset_password=True)
        staff = users.search([("login", "=", f"{PREFIX}staff")]) or users.create({
            "name": "Cron Staff", "login": f"{PREFIX}staff", "tz": "UTC",
            "group_ids": [Command.set([env.ref("base.group_user").id])]})
        # Its notes come to its Odoo inbox: no mail server is needed.
        staff.notification_type = "inbox"
        partners = env["res.partner"]
        for i in range(1, max(HOLDS, ACCOUNTS) + 1):
            if not partners.search([("ref", "=", f"{PREFIX}{i}")]):
                partners.create({"name": f"Cron Patient {i}", "ref": f"{PREFIX}{i}",
                                 "isc_patient_code": account_code(i) if i <= ACCOUNTS else False})
        jobs = {label: env.ref(xmlid).id for label, xmlid in JOBS.items()}
        cr.commit()
    return jobs


def account_code(i):
    return f"CRON{i:04d}"


Seeded = collections.namedtuple("Seeded", "holds logins payments last_run")


def seed_round(env, number, stamp, his, easycard):
    """The work of round ``number`` (Seeded): lapsed holds, Isc logins changed at the HIS,
    EasyCard payments without an outcome, and the last run in the Isc sync log before it."""
    from odoo import fields
    from odoo.fields import Command

    from odoo.addons.clinic_portal import const

    now = fields.Datetime.now()
    staff = env["res.users"].search([("login", "=", f"{PREFIX}staff")])
    patients = env["res.partner"].search([("ref", "like", f"{PREFIX}%")], order="id")
    start = now.replace(minute=0, second=0) + timedelta(days=1, hours=number)
    holds = env["calendar.event"].with_context(no_mail_to_attendees=True, dont_notify=True,
                                               mail_create_nolog=True).create([{
        "name": f"Cron hold {stamp}-{number}-{i}", "user_id": staff.id,
        "start": start + timedelta(minutes=5 * i), "stop": start + timedelta(minutes=5 * i + 5),
        "partner_ids": [Command.set([patient.id, staff.partner_id.id])],
        "clinic_patient_id": patient.id,
    } for i, patient in enumerate(patients[:HOLDS])])
    # As the portal's booking of a service paid at booking leaves it, the hold lapsed.
    holds._clinic_payment_transition(const.PAYMENT_AWAITING,
                                     clinic_hold_expiry=now - timedelta(minutes=1))

    # Changed a moment ago at the HIS: within the daily sync's range, which ends at its start.
    changed = (now - timedelta(seconds=2)).isoformat() + "Z"
    logins = {account_code(i): f"isc{i:04d}-{stamp}-{number}" for i in range(1, ACCOUNTS + 1)}
    his.store.upsert_accounts([{"patient_code": code, "login": login, "status": "active",
                                "updated_at": changed} for code, login in logins.items()])

    provider = env.ref("payment_easycard.payment_provider_easycard")
    payments = env["payment.transaction"].create([{
        "provider_id": provider.id, "payment_method_id": env.ref("payment.payment_method_card").id,
        "reference": f"CRON-{stamp}-{number}-{i}", "amount": 50.0 + i,
        "currency_id": env.company.currency_id.id, "partner_id": patients[i].id,
        "operation": "online_redirect",
    } for i in range(PAYMENTS)])
    for payment in payments:
        payment._get_processing_values()  # the checkout: EasyCard's payment intent
        easycard.store.pay_headless({"paymentIntentID": payment.easycard_intent_id})
    # Paid at EasyCard long enough ago for the reconciliation, which leaves newer ones to the
    # payer's return and the webhook.
    env.flush_all()
    env.cr.execute("UPDATE payment_transaction SET create_date = %s WHERE id = ANY(%s)",
                   [now - timedelta(minutes=10), payments.ids])
    last_run = env["isc.sync.run"].search([], order="id desc", limit=1).id or 0
    return Seeded(holds.ids, list(logins.values()), payments.ids, last_run)


def fire(env, jobs):
    """Trigger the jobs now; the commit's NOTIFY wakes the cron workers of both servers."""
    for job_id in jobs.values():
        env["ir.cron"].browse(job_id)._trigger()
    env.cr.commit()


def start_server(conf, db, log):
    """A prefork Odoo server over ``db`` with one cron worker, in a process group of its own;
    not waited for. No HTTP: it plays no part in scheduled jobs, and a prefork server with HTTP
    also forks a websocket process, which needs gevent and its plugins to load."""
    # Its connections are named after their process, which wait_listening looks for.
    return subprocess.Popen(
        [*odoo_command(), "-c", str(conf), "-d", db, f"--workers={WORKERS}",
         "--max-cron-threads=1", "--no-http", "--db_app_name=odoo-{pid}", "--log-level=warn",
         f"--log-handler={CRON_LOGGER}:INFO", f"--log-handler={SERVER_LOGGER}:INFO"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def wait_listening(procs, paths, until):
    """Wait until the cron worker of each server listens for the NOTIFY of triggered jobs: the
    connection it opens as it starts ran LISTEN and committed (pg_stat_activity)."""
    from odoo import sql_db

    while True:
        for proc, path in zip(procs, paths, strict=True):
            if proc.poll() is not None:
                raise SystemExit(f"cron: Odoo exited, see {path}")
        workers = [CRON_WORKER.findall(path.read_text(errors="replace")) for path in paths]
        names = [f"odoo-{pids[-1]}" for pids in workers if pids]
        if len(names) == len(paths):
            with sql_db.db_connect("postgres").cursor() as cr:
                cr.execute("""
                    SELECT count(*) FROM pg_stat_activity
                     WHERE datname = 'postgres' AND application_name = ANY(%s)
                       AND state = 'idle' AND query = 'COMMIT'
                """, [names])
                if cr.fetchone()[0] == len(names):
                    return
        if time.monotonic() > until:
            raise SystemExit("cron: the cron workers of the servers did not start in time")
        time.sleep(0.2)


def read_logs(paths, offsets):
    """What the servers logged since ``offsets``: the job steps [(server, job id, step)] and
    the server errors (records at ERROR or CRITICAL, records with a traceback)."""
    steps, errors = [], 0
    for server, (path, offset) in enumerate(zip(paths, offsets, strict=True), 1):
        text = path.read_bytes()[offset:].decode(errors="replace")
        text = text[:text.rfind("\n") + 1]  # a record being written is read next time
        records = list(RECORD.finditer(text))
        bounds = [0, *(record.start() for record in records), len(text)]
        # What comes before the first record is output of the server outside its log.
        errors += int(TRACEBACK in text[:bounds[1]])
        for record, start, end in zip(records, bounds[1:], bounds[2:], strict=False):
            errors += int(record["level"] in ("ERROR", "CRITICAL")
                          or TRACEBACK in text[start:end])
            step = JOB_STEP.match(record["message"])
            if record["logger"] == CRON_LOGGER and record["level"] == "INFO" and step:
                steps.append((server, int(step["id"]), step["step"]))
    return steps, errors


def await_round(paths, offsets, job_ids, until):
    """The job steps logged since ``offsets`` once every job of ``job_ids`` ended, none runs
    and the logs stayed still for SETTLE seconds, or at ``until``."""
    seen, still_since = None, time.monotonic()
    while True:
        steps, _errors = read_logs(paths, offsets)
        now = time.monotonic()
        if steps != seen:
            seen, still_since = steps, now
        ends = [job for _server, job, step in steps if step != "starting"]
        idle = len(ends) == len(steps) - len(ends)
        if (set(job_ids) <= set(ends) and idle and now - still_since >= SETTLE) or now >= until:
            return steps
        time.sleep(0.2)


def round_outcome(env, his, intent_reads, seeded):
    """What the jobs did in the round, read from the database and the simulators: for each
    job label, (whether it did its work once, what it did in words); and the holds released
    once."""
    env.cr.execute("""
        SELECT event.id FROM calendar_event event
         WHERE event.id = ANY(%s) AND NOT event.active AND event.clinic_payment_state = 'released'
           AND (SELECT count(*) FROM mail_message message
                 WHERE message.model = 'calendar.event' AND message.res_id = event.id
                   AND message.body LIKE %s) = 1
    """, [seeded.holds, f"%{RELEASE_NOTE}%"])
    released = len(env.cr.fetchall())

    runs = env["isc.sync.run"].search([("mode", "=", "daily"), ("id", ">", seeded.last_run)])
    applied = env["res.partner"].search_count([("isc_account_login", "in", seeded.logins)])
    listings = sum(1 for request in his.requests.entries()
                   if request["path"].endswith("/isc-accounts"))
    isc_once = (len(runs) == 1 and runs.state == "done" and runs.count_updated == ACCOUNTS
                and applied == ACCOUNTS and listings == 1)

    txs = env["payment.transaction"].browse(seeded.payments)
    settled = len(txs.filtered(lambda tx: tx.state == "done"))
    reads = [intent_reads[tx.easycard_intent_id] for tx in txs]
    return {
        "isc daily sync": (isc_once, f"{len(runs)} daily run(s) in the sync log "
                                     f"({', '.join(runs.mapped('state')) or 'none'}), "
                                     f"{applied}/{ACCOUNTS} accounts applied, "
                                     f"{listings} HIS listing(s)"),
        "hold release": (released == len(seeded.holds),
                         f"{released}/{len(seeded.holds)} holds released with one note"),
        "easycard reconcile": (settled == len(txs) and reads == [1] * len(txs),
                               f"{settled}/{len(txs)} payments confirmed, intent reads "
                               f"{reads}"),
    }, released


def count_intent_reads(store):
    """Count EasyCard's readings of each payment intent (what the reconciliation asks first)."""
    reads = collections.Counter()
    get_intent = store.get_intent

    def counted(intent_id):
        reads[intent_id] += 1
        return get_intent(intent_id)

    store.get_intent = counted
    return reads


def run_rounds(args, his, easycard, jobs):
    """Start the servers, play the rounds, stop the servers; the exit code."""
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    registry = Registry(args.database)
    intent_reads = count_intent_reads(easycard.store)
    paths = [ROOT / "var" / f"cron-two-servers-odoo-{n}.log" for n in range(1, SERVERS + 1)]
    logs = [path.open("w") for path in paths]
    servers = []
    started = time.monotonic()
    stamp = str(int(time.time()))
    # Per job label: its runs in each round, the servers that ran it, the rounds in which it
    # ran exactly once and did its work once.
    runs = {label: [] for label in jobs}
    by_server = {label: collections.Counter() for label in jobs}
    once = collections.Counter()
    released = 0
    try:
        for log in logs:
            servers.append(start_server(args.config, args.database, log))
        wait_listening(servers, paths, started + DEADLINE)
        print(f"cron: the cron workers of {SERVERS} prefork servers listen, after "
              f"{time.monotonic() - started:.1f} s", flush=True)
        for number in range(1, args.rounds + 1):
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                seeded = seed_round(env, number, stamp, his, easycard)
                cr.commit()
                his.requests.clear()
                offsets = [path.stat().st_size for path in paths]
                fire(env, jobs)
            until = min(time.monotonic() + ROUND_LIMIT, started + DEADLINE)
            steps = await_round(paths, offsets, jobs.values(), until)
            with registry.cursor() as cr:
                outcome, released_now = round_outcome(api.Environment(cr, SUPERUSER_ID, {}),
                                                      his, intent_reads, seeded)
            released += released_now
            parts = []
            for label, job_id in jobs.items():
                ran_on = [server for server, job, step in steps
                          if job == job_id and step == "starting"]
                ended = [step for _server, job, step in steps
                         if job == job_id and step != "starting"]
                did_once, what = outcome[label]
                runs[label].append(len(ran_on))
                by_server[label].update(ran_on)
                once[label] += len(ran_on) == 1 and ended == ["fully done"] and did_once
                parts.append((f"{label} ran {len(ran_on)}x (on server "
                              f"{', '.join(map(str, ran_on))}: {', '.join(ended) or 'running'})"
                              if ran_on else f"{label} did not run") + f", {what}")
            print(f"cron: round {number}: " + "; ".join(parts), flush=True)
    finally:
        for proc in servers:
            stop_server(proc)
        for log in logs:
            log.close()
    elapsed = time.monotonic() - started
    errors = read_logs(paths, [0] * SERVERS)[1]
    rounds = args.rounds
    for label in jobs:
        print(f"{label}: ran {', '.join(map(str, runs[label]))} time(s) in rounds 1-{rounds}, "
              f"exactly once and did its work once in {once[label]}/{rounds}; runs by server: "
              + ", ".join(f"{n}: {by_server[label][n]}" for n in range(1, SERVERS + 1)))
    print(f"two-server cron: {rounds} rounds, isc daily sync ran {once['isc daily sync']}/"
          f"{rounds}, hold release ran {once['hold release']}/{rounds}, easycard reconcile ran "
          f"{once['easycard reconcile']}/{rounds}, {released} holds released once each, "
          f"{errors} server errors")
    if elapsed > DEADLINE:
        print(f"cron: over the time limit ({elapsed:.0f} s > {DEADLINE} s)")
        return 1
    return 0 if all(once[label] == rounds for label in jobs) and not errors else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="clinic_cron_two_servers")
    parser.add_argument("--config", default=str(ROOT / "var" / "odoo-test.conf"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not odoo_19():
        print("SKIPPED two-server cron: Odoo 19 not installed (see README)")
        return 0
    his = his_server("127.0.0.1", 0, Store(patients=0), HIS_KEY)
    easycard = easycard_server("127.0.0.1", 0, EASYCARD_TERMINAL, EASYCARD_KEY)
    for simulator in (his, easycard):
        threading.Thread(target=simulator.serve_forever, daemon=True).start()
    try:
        jobs = prepare(args.config, args.database, his.base_url, easycard.base_url)
        return run_rounds(args, his, easycard, jobs)
    finally:
        for simulator in (his, easycard):
            simulator.shutdown()
            simulator.server_close()


if __name__ == "__main__":
    sys.exit(main())
