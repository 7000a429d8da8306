"""make bench-isc-sync [ARGS="--accounts 1000000"]: the date-range Isc account sync, end to end.

Seeds the HIS simulator (its own process, on loopback) with ``--accounts`` accounts (100,000 by
default) and a database with as many contacts holding their patient codes, then measures in
the same run:
- the engine: the range sync, as the background worker runs it (saving its progress after
  each page), of a hundredth, a tenth
  and all of the accounts (the first ones the HIS lists), one line per size:
  ``isc_sync scale: <N> accounts <S> s <A>/s <M> MiB`` where M is the growth of the process's
  peak resident memory (VmHWM, reset before each size) over its resident memory before the
  first size;
- a slow HIS: the simulator's latency fault adds ``--slow-his-ms`` (50) to each page of the
  full sync; printed with the latency that cannot be overlapped, replayed from the full
  sync's own per-page times (the fetching thread's and the writing's, as the engine's
  fetcher records them: the first page's latency, and whatever a page's fetching plus the
  latency takes beyond the writing of the page before), and with what the sync waited for
  the HIS (its slow-down from the latency, apart from run-to-run noise in the writing); the
  fast sync runs once more after the slow one and the slow-down is read against the mean
  of the two fast runs around it;
- naive: a 5,000-account sample applied with one search and one write per account;
- floor: the database work alone of the full sync: the same accounts, fetched and parsed
  page by page beforehand (not timed), each page's changes applied with a single raw SQL
  UPDATE and committed, as the engine commits each page.
Before each timed sync the contacts' accounts are cleared and the table vacuumed, so each
starts from the same table. The last line (the full sync):
isc_sync: <A> accounts/s, <N>x naive, <F>x raw-sql floor, <Q> queries/batch, <M> MiB peak.
"""

import argparse
import contextlib
import json
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import odoo  # noqa: E402
from odoo import SUPERUSER_ID, api, sql_db  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import config  # noqa: E402

from tests.harness import ensure_database, free_port  # noqa: E402

ACCOUNT_COLUMNS = ("isc_account_login", "isc_account_status", "isc_account_issued_on",
                   "isc_account_his_updated_at", "isc_account_synced_on")
API_KEY = "bench-his-key"


def memory_mib(field):
    """VmRSS (resident now) or VmHWM (its peak) of this process, in MiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak():
    """Start VmHWM again from the resident memory of now (Linux)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def start_simulator(accounts, anchor):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "his_simulator", "--host", "127.0.0.1", "--port", str(port),
         "--api-key", API_KEY, "--patients", str(accounts), "--accounts-ratio", "1.0",
         "--anchor", anchor.isoformat() + "Z", "--quiet"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if "listening" not in line:
        proc.kill()
        raise SystemExit(f"the HIS simulator did not start: {line!r}")
    return proc, f"http://127.0.0.1:{port}/api/v1"


def simulator_admin(base_url, method, path, payload=None):
    """Call the simulator's admin API (outside the contract), e.g. to set a fault."""
    url = base_url.removesuffix("/api/v1") + path
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def seed_contacts(env, count):
    cr = env.cr
    cr.execute("DELETE FROM res_partner WHERE name LIKE 'Bench %%'")
    cr.execute("UPDATE res_partner SET isc_patient_code = NULL WHERE isc_patient_code LIKE 'BN%%'")
    cr.execute("""
        INSERT INTO res_partner (name, complete_name, active, type, is_company, isc_patient_code,
                                 create_uid, write_uid, create_date, write_date)
        SELECT 'Bench ' || i, 'Bench ' || i, TRUE, 'contact', FALSE,
               'BN' || lpad(i::text, greatest(6, length(i::text)), '0'), 1, 1, now(),
               now()
          FROM generate_series(1, %s) AS i
    """, (count,))
    cr.execute("ANALYZE res_partner")
    cr.commit()


def clear_accounts(env):
    """No contact holds an account; the table vacuumed, as before the first sync."""
    env.cr.execute("UPDATE res_partner SET %s WHERE isc_patient_code LIKE 'BN%%' "
                   "AND isc_account_synced_on IS NOT NULL" % ", ".join(
                       f"{column} = NULL" for column in ACCOUNT_COLUMNS))
    env.cr.commit()
    env.invalidate_all()
    vacuum(env)


def vacuum(env):
    cr = env.cr
    cr.commit()
    with cr._cnx.cursor() as raw:
        cr._cnx.autocommit = True
        try:
            raw.execute("VACUUM ANALYZE res_partner")
        finally:
            cr._cnx.autocommit = False


@contextlib.contextmanager
def recorded_fetchers():
    """The engine's page fetchers made inside the block (their per-page times)."""
    from odoo.addons.crm_isc_sync.services import his_client
    made, original = [], his_client.Prefetcher.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(self)

    his_client.Prefetcher.__init__ = init
    try:
        yield made
    finally:
        his_client.Prefetcher.__init__ = original


def engine_sync(env, date_from, date_to, timings=None):
    """The range sync as the background worker runs a large one (the contact list's button
    hands it over after its first seconds): it saves its progress after each page.
    Returns (seconds, run, queries, pages); ``timings``, a dict, gets the per-page seconds
    of fetching (``fetch``), of writing (``handle``) and of waiting for the HIS (``wait``)."""
    with recorded_fetchers() as fetchers:
        outcome = _engine_sync(env, date_from, date_to)
    if timings is not None:
        for key in ("fetch", "wait", "handle"):
            timings[key] = [t for f in fetchers for t in getattr(f, f"{key}_seconds")]
    return outcome


def unhidden_latency(fetch, handle, latency):
    """Seconds a sync with these per-page fetching and writing times slows down when each
    page comes ``latency`` later, fetching one page ahead as the engine does: the first
    page's latency, and whatever a page's fetching plus the latency takes beyond the
    writing of the page before."""
    def total(extra):
        taken = fetch[0] + extra
        for index in range(1, len(fetch)):
            written = taken + (handle[index - 1] if index - 1 < len(handle) else 0.0)
            taken = max(taken + fetch[index] + extra, written)
        return taken
    return total(latency) - total(0.0)


def _engine_sync(env, date_from, date_to):
    cron = env.ref("crm_isc_sync.ir_cron_isc_sync_queue")
    progress = env["ir.cron.progress"].create({"cron_id": cron.id, "remaining": 0, "done": 0})
    env.cr.commit()
    queries = sql_db.sql_counter
    started = time.perf_counter()
    run = env["isc.sync.run"].with_context(
        ir_cron_progress_id=progress.id, cron_id=cron.id, isc_background=True,
    ).create({"mode": "range", "date_from": date_from, "date_to": date_to})
    outcome = run._execute()
    env.cr.commit()
    seconds = time.perf_counter() - started
    if outcome != "finished" or run.state != "done":
        raise SystemExit(f"bench: the sync did not finish: {run.state} {run.failure_reason}")
    pages = -(-(run.count_updated + run.count_unchanged + run.count_unmatched)
              // env.company.isc_his_page_size)
    return seconds, run, sql_db.sql_counter - queries, pages


def fetch_sample(env, date_from, date_to, size):
    """Parsed accounts of the first ``size`` listed, fetched the engine's way."""
    from odoo.addons.crm_isc_sync.services import his_client
    accounts = []
    with env.company._isc_his_client() as client:
        for items, _cursor in client.iter_account_pages(date_from, date_to, page_size=1000):
            accounts += [his_client.parse_account(raw) for raw in items]
            if len(accounts) >= size:
                return accounts[:size]
    return accounts


def naive_sync(env, accounts):
    from odoo.addons.crm_isc_sync.services.sync_plan import account_values
    Partner = env["res.partner"]
    now = odoo.fields.Datetime.now()
    started = time.perf_counter()
    for account in accounts:
        partner = Partner.search([("isc_patient_code", "=", account.patient_code)], limit=1)
        partner.write(dict(account_values(account), isc_account_synced_on=now))
    env.flush_all()
    env.cr.commit()
    return time.perf_counter() - started


def raw_sql_floor(env, date_from, date_to):
    """(accounts, seconds) of the database floor of the full sync: each page's changes in one
    raw SQL UPDATE and a commit; only those are timed."""
    from odoo.addons.crm_isc_sync.services import his_client
    from odoo.addons.crm_isc_sync.services.sync_plan import account_values
    count, seconds = 0, 0.0
    with env.company._isc_his_client() as client:
        for items, _cursor in client.iter_account_pages(date_from, date_to,
                                                        env.company.isc_his_page_size):
            accounts, _errors = his_client.parse_page(items, client.clock())
            rows = []
            for account in accounts:
                vals = account_values(account)
                rows.append((account.patient_code, vals["isc_account_login"],
                             vals["isc_account_status"], vals["isc_account_issued_on"],
                             vals["isc_account_his_updated_at"]))
            values = ", ".join(["(%s, %s, %s, %s::timestamp, %s::timestamp)"] * len(rows))
            started = time.perf_counter()
            env.cr.execute(f"""
                UPDATE res_partner p
                   SET isc_account_login = v.login, isc_account_status = v.status,
                       isc_account_issued_on = v.issued, isc_account_his_updated_at = v.updated,
                       isc_account_synced_on = now() AT TIME ZONE 'UTC'
                  FROM (VALUES {values}) AS v(code, login, status, issued, updated)
                 WHERE p.isc_patient_code = v.code
            """, [x for row in rows for x in row])
            env.cr.commit()
            seconds += time.perf_counter() - started
            count += len(rows)
    return count, seconds


def scale_line(count, seconds, growth):
    return (f"isc_sync scale: {count} accounts {seconds:.1f} s {count / seconds:.0f}/s "
            f"{growth:.1f} MiB")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000,
                        help="accounts in the HIS and contacts in the database")
    parser.add_argument("--sample", type=int, default=5_000,
                        help="accounts of the naive way and of the raw SQL floor")
    parser.add_argument("--slow-his-ms", type=int, default=50,
                        help="latency the slow HIS adds to each page (0: no slow HIS run)")
    parser.add_argument("--database", default="clinic_bench")
    parser.add_argument("--config", default=str(ROOT / "var" / "odoo-test.conf"))
    args = parser.parse_args()
    if args.accounts < 1000:
        parser.error("--accounts must be at least 1000")

    ensure_database(args.config, args.database, "crm_isc_sync")
    config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    anchor = datetime.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    date_from, date_to = anchor - timedelta(days=31), anchor + timedelta(seconds=1)
    print(f"bench: starting the HIS simulator with {args.accounts:,} accounts", flush=True)
    simulator, base_url = start_simulator(args.accounts, anchor)
    try:
        registry = Registry(args.database)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env.company.write({"isc_his_base_url": base_url, "isc_his_api_key": API_KEY,
                               "isc_his_page_size": 1000, "isc_his_read_timeout": 60})
            cr.commit()
            print(f"bench: seeding {args.accounts:,} contacts", flush=True)
            seed_contacts(env, args.accounts)

            # The same sync of the first hundredth, tenth and all of the accounts listed:
            # time and memory must grow with the accounts, resp. not at all.
            listed_from, window = anchor - timedelta(days=30), timedelta(days=30)
            shares = [share for share in (100, 10) if args.accounts // share >= 1000] + [1]
            base_rss = memory_mib("VmRSS")
            timings = {}
            for share in shares:
                clear_accounts(env)
                reset_peak()
                seconds, run, queries, pages = engine_sync(
                    env, date_from, date_to if share == 1 else listed_from + window / share,
                    timings)
                growth = memory_mib("VmHWM") - base_rss
                print(scale_line(run.count_updated, seconds, growth), flush=True)
            synced, rate = run.count_updated, run.count_updated / seconds
            print(f"engine: {synced:,} accounts in {seconds:.1f} s ({rate:,.0f}/s), "
                  f"{pages} pages, {queries / pages:.1f} queries/page", flush=True)

            if args.slow_his_ms:
                slow_his(env, args.slow_his_ms, base_url, date_from, date_to, seconds, timings)

            sample = fetch_sample(env, date_from, date_to, args.sample)
            clear_accounts(env)
            naive_seconds = naive_sync(env, sample)
            clear_accounts(env)
            floor_count, floor_seconds = raw_sql_floor(env, date_from, date_to)
            naive_rate = len(sample) / naive_seconds
            floor_rate = floor_count / floor_seconds
            print(f"naive: {len(sample):,} accounts in {naive_seconds:.1f} s "
                  f"({naive_rate:,.0f}/s); raw SQL floor: {floor_count:,} accounts in "
                  f"{floor_seconds:.1f} s ({floor_rate:,.0f}/s)", flush=True)
            print(f"isc_sync: {rate:,.0f} accounts/s, {rate / naive_rate:.1f}x naive, "
                  f"{floor_rate / rate:.1f}x raw-sql floor, {queries / pages:.1f} queries/batch, "
                  f"{growth:.0f} MiB peak")
    finally:
        simulator.terminate()
        simulator.wait(10)


def slow_his(env, latency_ms, base_url, date_from, date_to, fast_seconds, fast):
    """The full sync again, each page of the HIS ``latency_ms`` slower.

    Fetching runs one page ahead of writing, so a page's latency hides behind the writing of
    the page before, except the first page's and whatever a page's fetching plus the latency
    then takes beyond the writing of the page before: that much the sync must slow down, no
    more. Replayed from the fast run's per-page times (``fast``).
    """
    latency = latency_ms / 1000
    pages = len(fast["fetch"])
    unoverlapped = unhidden_latency(fast["fetch"], fast["handle"], latency)
    clear_accounts(env)
    simulator_admin(base_url, "PUT", "/_sim/faults",
                    {"endpoint": "isc-accounts", "kind": "latency", "latency_ms": latency_ms})
    slow = {}
    try:
        seconds, run, _queries, _pages = engine_sync(env, date_from, date_to, slow)
    finally:
        simulator_admin(base_url, "DELETE", "/_sim/faults")
    count = run.count_updated
    # The fast sync once more after the slow one: the slow-down is read against both fast
    # runs around it, not against whatever drift one of them had.
    clear_accounts(env)
    again = {}
    again_seconds = engine_sync(env, date_from, date_to, again)[0]
    fast_mean = (fast_seconds + again_seconds) / 2
    waited = (sum(fast["wait"]) + sum(again["wait"])) / 2
    waited_slow = sum(slow["wait"])
    print(f"slow HIS: fetching {sum(fast['fetch']) / pages * 1000:.0f} ms a page, writing "
          f"{sum(fast['handle']) / max(len(fast['handle']), 1) * 1000:.0f} ms a page; {pages} "
          f"pages x {latency_ms} ms = {pages * latency:.1f} s of latency; fast runs "
          f"{fast_seconds:.1f} s and {again_seconds:.1f} s around the slow one; waited for "
          f"the HIS {waited:.1f} s, slow {waited_slow:.1f} s", flush=True)
    print(f"isc_sync slow HIS: {latency_ms} ms a page, {count / seconds:,.0f} accounts/s "
          f"against {count / fast_mean:,.0f}/s: {seconds - fast_mean:+.1f} s, of it waiting "
          f"for the HIS {waited_slow - waited:+.1f} s; the latency that cannot be overlapped "
          f"{unoverlapped:.1f} s (at best {count / (fast_mean + unoverlapped):,.0f}/s)",
          flush=True)


if __name__ == "__main__":
    main()
