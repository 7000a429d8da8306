"""make test-replica: the client portal's reads on a PostgreSQL hot standby, over HTTP.

Loopback only and bounded (DEADLINE): makes a throwaway primary cluster on a free port (the
project's kind of role: may log in and create databases, no superuser), installs clinic_portal
there without demo data and seeds it as make load-booking does (50 portal patients, a staff
member with 20 free times tomorrow), makes a hot standby of it (pg_basebackup -R) on another
free port, pg_stat_statements loaded on both, and starts two prefork Odoo servers (2 workers
each) on the primary with the standby as their replica (db_replica_host/db_replica_port).
The patients log in, half on each server. Then:

- reads counted on the standby: the patients fetch the one-page booking's times READS times;
  the availability query (calendar_attendee's busy times) must have run READS times on the
  standby and never on the primary;
- the lagging race: the standby applies each commit APPLY_DELAY seconds late; the 50 patients
  race for the 20 times through the booking form. Counted on the primary: booked, refused
  ("This time was just taken"), server errors (HTTP 5xx, tracebacks in the servers' logs).
  No two active appointments of the staff member may overlap. Each patient who booked then
  opens the appointment's page and their list while the standby still lacks the booking: 200,
  the booking shown (a session reads its own writes on the primary);
- standby down: the standby is stopped and patients fetch the times again: what they get is
  printed (Odoo falls back to the primary), never a server error.

The last line: replica tier: <r> availability reads on the standby, lagging race <b> booked,
<c> refused, <e> errors; standby down: <outcome>. Exit non-zero when anything is wrong. The
clusters and servers are removed even on failure. Without PostgreSQL's server binaries, or
without root or sudo to make clusters: one line SKIPPED and exit 0.
"""

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.harness import free_port  # noqa: E402
from tests.load import load_booking  # noqa: E402
from tests.tiers import setup_tier_missing  # noqa: E402

DEADLINE = 420  # seconds for the whole run, clusters made and removed included (3 min is usual)
READS = 200  # times fetched by the patients while the standby keeps up
# Seconds the standby waits before applying a commit during the race: longer than the race
# and the pages opened after it take.
APPLY_DELAY = 15
DOWN_READS = 20  # times fetched with the standby stopped
DB = "clinic_replica_tier"
# The availability query: a patient's and the staff's busy times, one per times request.
BUSY_STATEMENTS = """
    SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND query LIKE '%%FROM calendar_attendee%%' AND query LIKE '%%clinic_busy_from%%'
"""
SEEN = "SELECT count(*) FROM calendar_event WHERE id = ANY(%s::int[])"
OVERLAPS = """
    SELECT count(*) FROM calendar_event a
      JOIN calendar_event b ON a.id < b.id AND a.user_id = b.user_id
     WHERE a.user_id = %s AND a.active AND b.active AND a.start < b.stop AND b.start < a.stop
"""


class Deadline(Exception):
    pass


class Failed(Exception):
    """A step that could not be done: the run stops there (and cleans up)."""


def missing():
    """Why this tier cannot run here, or None."""
    if not load_booking.odoo_19():
        return "Odoo 19 not installed (see README)"
    return setup_tier_missing()


@contextlib.contextmanager
def output_to(path):
    """This process's and its children's output into ``path`` (Odoo's install, its logs)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "a") as fh:
        os.dup2(fh.fileno(), 1)
        os.dup2(fh.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


class Clusters:
    """The throwaway primary and standby: Debian clusters made and dropped as the set-up
    tier's are (tests/setup), the role made by set-up's own PostgreSQL step."""

    def __init__(self):
        # Imported here: they read the installed PostgreSQL version when imported.
        sys.path.insert(0, str(ROOT / "tests" / "setup"))
        import test_drop_database as drop
        import test_postgresql_setup as setup

        self.setup, self.drop = setup, drop
        self.version = setup.VERSION
        self.names = []
        self.primary_port = free_port()
        self.standby_port = free_port()
        while self.standby_port == self.primary_port:
            self.standby_port = free_port()
        self.user = f"clinic_replica_{secrets.token_hex(4)}"
        self.password = secrets.token_hex(12)

    def run(self, cmd, what, **kw):
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd="/",
                              timeout=120, **kw)
        if done.returncode:
            raise Failed(f"{what}: {(done.stderr or done.stdout).strip()[-300:]}")
        return done.stdout

    def create(self, port):
        name = f"clinic_replica_{port}"
        self.run(self.setup.as_root(
            "pg_createcluster", self.version, name, "--port", str(port),
            "-o", "shared_preload_libraries=pg_stat_statements",
            # A throwaway cluster: nothing to keep through a crash.
            "-o", "fsync=off"), f"creating cluster {name}")
        self.names.append(name)
        return name

    def make_primary(self):
        self.primary = self.create(self.primary_port)
        made = self.setup.setup_postgresql(self.primary_port, self.user, self.password)
        if made.returncode:
            raise Failed(f"set-up's PostgreSQL step: {made.stderr.strip()}")

    def superuser_sql(self, port, dbname, query):
        return self.run(self.drop.superuser_psql(port, dbname, query, "-tAq"),
                        f"psql on port {port}", env=self.drop.SUPERUSER_ENV).strip()

    def make_standby(self):
        """A hot standby of the primary, from a base backup that streams its changes."""
        self.standby = self.create(self.standby_port)
        data = self.run(["pg_lsclusters", "-h", self.version, self.standby],
                        "pg_lsclusters").split()[5]
        self.run(self.setup.as_root("rm", "-rf", data), "emptying the standby")
        self.run(self.drop.as_postgres(
            "pg_basebackup", "-h", "/var/run/postgresql", "-p", str(self.primary_port),
            "-D", data, "-R", "-X", "stream", "-c", "fast"), "pg_basebackup",
            env=self.drop.SUPERUSER_ENV)
        self.ctl(self.standby, "start")

    def ctl(self, name, *action):
        self.run(self.setup.as_root("pg_ctlcluster", self.version, name, *action),
                 f"pg_ctlcluster {action[0]} {name}")

    def apply_delay(self, seconds):
        self.superuser_sql(self.standby_port, "postgres",
                           f"ALTER SYSTEM SET recovery_min_apply_delay = '{seconds}s'")
        self.superuser_sql(self.standby_port, "postgres", "SELECT pg_reload_conf()")

    def connect(self, port):
        import psycopg2  # with Odoo

        conn = psycopg2.connect(host="127.0.0.1", port=port, user=self.user,
                                password=self.password, dbname=DB, connect_timeout=5)
        conn.autocommit = True
        return conn

    def value(self, port, query, params=()):
        conn = self.connect(port)
        try:
            with conn.cursor() as cr:
                cr.execute(query, params)
                return cr.fetchone()[0]
        finally:
            conn.close()

    def wait_standby(self, seconds=60):
        """Until the standby answers and has replayed everything the primary wrote."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            with contextlib.suppress(Exception):
                lsn = self.value(self.primary_port, "SELECT pg_current_wal_lsn()::text")
                if self.value(self.standby_port,
                              "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]):
                    return
            time.sleep(0.2)
        raise Failed(f"the standby did not catch up with the primary in {seconds} s")

    def drop_all(self):
        for name in reversed(self.names):
            self.setup.drop_cluster(name)
        self.names = []


def write_conf(path, clusters, data_dir, replica):
    lines = ["[options]", f"addons_path = {ROOT / 'addons'}", f"data_dir = {data_dir}",
             "db_host = 127.0.0.1", f"db_port = {clusters.primary_port}",
             f"db_user = {clusters.user}", f"db_password = {clusters.password}",
             "list_db = False", "http_interface = 127.0.0.1"]
    if replica:
        lines += ["db_replica_host = 127.0.0.1", f"db_replica_port = {clusters.standby_port}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def busy_calls(clusters, port):
    return int(clusters.value(port, BUSY_STATEMENTS))


def fetch_all(patients, paths, workers=16):
    """GET ``paths[i]`` as patient i mod the patients, 16 at a time: the responses, or the
    exception of a request that got none."""
    def get(i):
        try:
            return patients[i % len(patients)].get(paths[i])
        except Exception as exc:  # a connection refused is an answer here too
            return exc

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(get, range(len(paths))))


def times_path(service, staff):
    return f"/my/appointments/book/times?service={service}&staff={staff}"


def is_times(response):
    return getattr(response, "status_code", None) == 200 and '"days"' in response.text


def reads_on_standby(clusters, patients, service, staff):
    """Phase 1: (reads served, availability queries on the standby, on the primary)."""
    clusters.wait_standby()
    standby, primary = (busy_calls(clusters, clusters.standby_port),
                        busy_calls(clusters, clusters.primary_port))
    responses = fetch_all(patients, [times_path(service, staff)] * READS)
    served = sum(1 for r in responses if is_times(r))
    return (served, busy_calls(clusters, clusters.standby_port) - standby,
            busy_calls(clusters, clusters.primary_port) - primary)


def lagging_race(clusters, patients, service, staff, times):
    """Phase 2: the patients race for the times with the standby APPLY_DELAY s behind; then
    each patient who booked opens the booking's page and their list. Returns the outcome of
    each patient, the bookings the standby had before and after those pages were opened, how
    many showed the booking, and the server errors among them."""
    try:
        tokens = [load_booking.csrf_of(patient.page(
            f"/my/appointments/book/confirm?service={service}&staff={staff}"
            f"&start={times[i % len(times)]}")) for i, patient in enumerate(patients)]
    except load_booking.Answer as answer:
        raise Failed(f"a patient's confirmation page: {answer}") from None
    clusters.apply_delay(APPLY_DELAY)
    barrier = threading.Barrier(len(patients))

    def book(i):
        barrier.wait(timeout=60)
        try:
            landed = patients[i].book({"csrf_token": tokens[i], "service": service,
                                       "staff": staff, "start": times[i % len(times)]})
        except load_booking.Answer as answer:
            return answer.args[0], None
        return ("conflict", None) if landed == "conflict" else ("booked", landed)

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(patients)) as pool:
        outcomes = list(pool.map(book, range(len(patients))))
    seconds = time.monotonic() - began
    booked = {i: landed for i, (outcome, landed) in enumerate(outcomes) if outcome == "booked"}
    ids = [int(re.search(r"/my/appointments/(\d+)", landed).group(1))
           for landed in booked.values()]
    on_standby = clusters.value(clusters.standby_port, SEEN, [ids])
    bookers = [patients[i] for i in booked]
    pages = fetch_all(bookers, list(booked.values()))
    lists = fetch_all(bookers, ["/my/appointments"] * len(bookers))
    shown = sum(1 for page, listed, event_id in zip(pages, lists, ids, strict=True)
                if getattr(page, "status_code", None) == 200
                and "o_clinic_appointment_detail" in page.text
                and getattr(listed, "status_code", None) == 200
                and f"/my/appointments/{event_id}" in listed.text)
    later = clusters.value(clusters.standby_port, SEEN, [ids])
    clusters.apply_delay(0)
    return SimpleNamespace(
        outcomes=[outcome for outcome, _landed in outcomes], seconds=seconds,
        seen=on_standby, later=later,
        shown=shown, errors=sum(1 for r in pages + lists if getattr(r, "status_code", 0) >= 500))


def standby_down(clusters, patients, service, staff, logs):
    """Phase 3: the standby stopped, patients fetch the times: (outcome, whether fine)."""
    clusters.ctl(clusters.standby, "stop", "-m", "fast")
    primary = busy_calls(clusters, clusters.primary_port)
    responses = fetch_all(patients, [times_path(service, staff)] * DOWN_READS)
    served = sum(1 for r in responses if is_times(r))
    errors = sum(1 for r in responses if getattr(r, "status_code", 0) >= 500)
    failed = len(responses) - served - errors
    on_primary = busy_calls(clusters, clusters.primary_port) - primary
    fallbacks = sum(log_text(log).count("falling back to read-write cursor") for log in logs)
    outcome = (f"{served} of {len(responses)} reads answered 200 by the primary "
               f"({on_primary} availability queries there; {fallbacks} Odoo workers fell "
               "back to the primary)")
    if errors or failed:
        outcome += f", {errors} server errors, {failed} other answers"
    return outcome, served == len(responses) and on_primary >= served


def log_text(log):
    return Path(log.name).read_text(errors="replace")


def run(clusters, work):
    started = time.monotonic()
    clusters.make_primary()
    os.environ.update(PGHOST="127.0.0.1", PGPORT=str(clusters.primary_port),
                      PGUSER=clusters.user, PGPASSWORD=clusters.password)
    (ROOT / "var").mkdir(exist_ok=True)
    install_log = ROOT / "var" / "replica-tier-install.log"
    install_log.unlink(missing_ok=True)
    conf = write_conf(work / "install.conf", clusters, work / "data", replica=False)
    try:
        with output_to(install_log):
            partner_ids, races = load_booking.prepare(conf, DB, "demo")
    except (subprocess.CalledProcessError, SystemExit) as exc:
        raise Failed(f"installing and seeding {DB} failed ({exc}), see "
                     f"var/{install_log.name}") from None
    import odoo.sql_db

    odoo.sql_db.close_all()
    clusters.superuser_sql(clusters.primary_port, DB, "CREATE EXTENSION pg_stat_statements")
    clusters.make_standby()
    clusters.wait_standby()
    print(f"replica tier: primary on port {clusters.primary_port}, hot standby on port "
          f"{clusters.standby_port}; clinic_portal installed and seeded "
          f"({len(partner_ids)} patients) in {time.monotonic() - started:.0f} s", flush=True)

    conf = write_conf(work / "odoo.conf", clusters, work / "data", replica=True)
    logs = [open(ROOT / "var" / f"replica-tier-odoo-{n}.log", "w")  # noqa: SIM115 (closed below)
            for n in (1, 2)]
    servers = []
    try:
        for log in logs:
            servers.append(load_booking.start_server(conf, DB, log, workers=2))
        for (proc, base), log in zip(servers, logs, strict=True):
            load_booking.wait_ready(proc, base, log)
        limits = [threading.BoundedSemaphore(16) for _server in servers]
        with ThreadPoolExecutor(max_workers=10) as pool:
            patients = list(pool.map(
                lambda i: load_booking.Patient(i, servers[i % 2][1], limits[i % 2]).login(),
                range(len(partner_ids))))
        service, staff, times = races["free"]

        served, on_standby, on_primary = reads_on_standby(clusters, patients, service, staff)
        print(f"replica tier: {served} of {READS} times fetched; availability queries: "
              f"{on_standby} on the standby, {on_primary} on the primary", flush=True)
        reads_ok = served == READS and on_standby >= READS and on_primary == 0

        race = lagging_race(clusters, patients, service, staff, times)
        booked, refused = race.outcomes.count("booked"), race.outcomes.count("conflict")
        others = sorted({o for o in race.outcomes if o not in ("booked", "conflict", "error")})
        overlaps = clusters.value(clusters.primary_port, OVERLAPS, [staff])
        in_database = clusters.value(
            clusters.primary_port, "SELECT count(*) FROM calendar_event "
            "WHERE user_id = %s AND clinic_product_id = %s AND active", [staff, service])
        print(f"replica tier: lagging race ({len(patients)} patients, {len(times)} times, "
              f"the standby {APPLY_DELAY} s behind, {race.seconds:.1f} s): {booked} booked "
              f"({in_database} in the primary), {refused} refused, {overlaps} overlapping, "
              f"other answers: {others or 'none'}", flush=True)
        print(f"replica tier: the standby had {race.seen} of {booked} bookings when their "
              f"patients opened them ({race.later} after): {race.shown} appointment pages and "
              "lists showed the booking", flush=True)
        race_errors = race.outcomes.count("error") + race.errors
        race_ok = (booked == in_database == len(times) and refused == len(patients) - booked
                   and not overlaps and not others and race.shown == booked
                   and race.seen < booked)

        down, down_ok = standby_down(clusters, patients, service, staff, logs)
        print(f"replica tier: standby down: {down}", flush=True)
    finally:
        for proc, _base in servers:
            load_booking.stop_server(proc)
        for log in logs:
            log.close()
    tracebacks = load_booking.tracebacks(logs)
    errors = race_errors + tracebacks
    if tracebacks:
        print(f"replica tier: {tracebacks} tracebacks in var/replica-tier-odoo-*.log")
    print(f"replica tier: checked in {time.monotonic() - started:.0f} s; the servers are stopped, "
          "the clusters dropped next")
    print(f"replica tier: {on_standby} availability reads on the standby, lagging race "
          f"{booked} booked, {refused} refused, {errors} errors; standby down: "
          f"{'reads fall back to the primary, 200s' if down_ok else down}")
    return 0 if reads_ok and race_ok and not errors and down_ok else 1


def main():
    argparse.ArgumentParser(description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    why = missing()
    if why:
        print(f"SKIPPED replica tier: {why}")
        return 0

    def over_time(_signum, _frame):
        raise Deadline()

    work = Path(tempfile.mkdtemp(prefix="clinic_replica_"))
    clusters = Clusters()
    signal.signal(signal.SIGALRM, over_time)
    signal.alarm(DEADLINE)
    try:
        return run(clusters, work)
    except Deadline:
        print(f"replica tier: FAILED, over the {DEADLINE} s deadline")
        return 1
    except Failed as exc:
        print(f"replica tier: FAILED, {exc}")
        return 1
    finally:
        signal.alarm(0)
        clusters.drop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
