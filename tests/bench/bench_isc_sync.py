"""make bench-isc-sync: the date-range Isc account sync, end to end, against baselines.

Seeds the HIS simulator (its own process, on loopback) with 100,000 accounts and a database
with 100,000 contacts holding their patient codes, then measures in the same run:
- the engine: the range sync of all accounts, as the contact list's button runs it;
- naive: a 5,000-account sample applied with one search and one write per account;
- floor: the same sample's changes applied with a single raw SQL UPDATE.
The last line: isc_sync: <A> accounts/s, <N>x naive, <F>x raw-sql floor, <Q> queries/batch,
<M> MiB peak.
"""

import argparse
import resource
import subprocess
import sys
import time
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


def rss_mib():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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


def seed_contacts(env, count):
    cr = env.cr
    cr.execute("DELETE FROM res_partner WHERE name LIKE 'Bench %%'")
    cr.execute("UPDATE res_partner SET isc_patient_code = NULL WHERE isc_patient_code LIKE 'BN%%'")
    cr.execute("""
        INSERT INTO res_partner (name, complete_name, active, type, is_company, isc_patient_code,
                                 create_uid, write_uid, create_date, write_date)
        SELECT 'Bench ' || i, 'Bench ' || i, TRUE, 'contact', FALSE,
               'BN' || lpad(i::text, 6, '0'), 1, 1, now(), now()
          FROM generate_series(1, %s) AS i
    """, (count,))
    cr.execute("ANALYZE res_partner")
    cr.commit()


def clear_accounts(env):
    env.cr.execute("UPDATE res_partner SET %s WHERE isc_patient_code LIKE 'BN%%'" % ", ".join(
        f"{column} = NULL" for column in ACCOUNT_COLUMNS))
    env.cr.commit()
    env.invalidate_all()


def engine_sync(env, date_from, date_to):
    """The range sync as the wizard starts it; returns (seconds, run, queries, pages)."""
    queries = sql_db.sql_counter
    started = time.perf_counter()
    run = env["isc.sync.run"].create({"mode": "range", "date_from": date_from,
                                      "date_to": date_to})
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


def raw_sql_floor(env, accounts):
    from odoo.addons.crm_isc_sync.services.sync_plan import account_values
    rows = []
    for account in accounts:
        vals = account_values(account)
        rows.append((account.patient_code, vals["isc_account_login"], vals["isc_account_status"],
                     vals["isc_account_issued_on"], vals["isc_account_his_updated_at"]))
    started = time.perf_counter()
    values = ", ".join(["(%s, %s, %s, %s::timestamp, %s::timestamp)"] * len(rows))
    env.cr.execute(f"""
        UPDATE res_partner p
           SET isc_account_login = v.login, isc_account_status = v.status,
               isc_account_issued_on = v.issued, isc_account_his_updated_at = v.updated,
               isc_account_synced_on = now() AT TIME ZONE 'UTC'
          FROM (VALUES {values}) AS v(code, login, status, issued, updated)
         WHERE p.isc_patient_code = v.code
    """, [x for row in rows for x in row])
    env.cr.commit()
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=5_000)
    parser.add_argument("--database", default="clinic_bench")
    parser.add_argument("--config", default=str(ROOT / "var" / "odoo-test.conf"))
    args = parser.parse_args()

    ensure_database(args.config, args.database, "crm_isc_sync")
    config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    anchor = datetime.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    date_from, date_to = anchor - timedelta(days=31), anchor + timedelta(seconds=1)
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

            # Memory must stay flat: a tenth of the accounts first, then all of them.
            clear_accounts(env)
            small_to = date_from + (date_to - date_from) / 10
            base_rss = rss_mib()
            small_seconds, small_run, _q, _p = engine_sync(env, date_from, small_to)
            small_peak = peak_rss_mib() - base_rss
            clear_accounts(env)
            seconds, run, queries, pages = engine_sync(env, date_from, date_to)
            peak = peak_rss_mib() - base_rss
            synced = run.count_updated
            rate = synced / seconds
            print(f"engine: {synced:,} accounts in {seconds:.1f} s ({rate:,.0f}/s), "
                  f"{pages} pages, {queries / pages:.1f} queries/page; "
                  f"{small_run.count_updated:,} accounts in {small_seconds:.1f} s; "
                  f"RSS growth +{small_peak:.0f} MiB then +{peak:.0f} MiB", flush=True)

            sample = fetch_sample(env, date_from, date_to, args.sample)
            clear_accounts(env)
            naive_seconds = naive_sync(env, sample)
            clear_accounts(env)
            floor_seconds = raw_sql_floor(env, sample)
            naive_rate = len(sample) / naive_seconds
            floor_rate = len(sample) / floor_seconds
            print(f"naive: {len(sample):,} accounts in {naive_seconds:.1f} s "
                  f"({naive_rate:,.0f}/s); raw SQL floor: {floor_seconds:.2f} s "
                  f"({floor_rate:,.0f}/s)", flush=True)
            print(f"isc_sync: {rate:,.0f} accounts/s, {rate / naive_rate:.1f}x naive, "
                  f"{floor_rate / rate:.1f}x raw-sql floor, {queries / pages:.1f} queries/batch, "
                  f"{peak:.0f} MiB peak")
    finally:
        simulator.terminate()
        simulator.wait(10)


if __name__ == "__main__":
    main()
