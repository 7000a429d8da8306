"""make load-times: a rush of 50 patients on the times of a day, over HTTP on two Odoo servers.

Loopback only and bounded: prepares the database of make load-booking (50 portal patients,
a staff member with 20 free times tomorrow for a free service), starts two Odoo servers over
it, prefork with --workers N each (Odoo's multi-process server, as a clinic deploys it), and
logs the patients in, half on each server. Then Locust's swarm (tests/load/swarm.py) runs the
50 patients at once (all started within a second: a rush, and no pause between pages), each
opening the times --rounds times, twice over:

- "times page": the day step of /my/appointments/book (a service, a staff member and a
  day): a whole website page, the way the times came before the one-page booking;
- "times route": /my/appointments/book/times, the JSON month of free times the one-page
  booking's script fetches.

For each: Locust's percentiles and requests per second, the server errors, and the CPU
time each request cost (Odoo's processes, PostgreSQL's, and the swarm's own, read from /proc),
with the ceiling it implies: the requests per second the machine's cores could serve at most.
Then the route against the page, measured in the same run. Locust's HTML reports are written
to var/. Exit non-zero on a server error, an answer without its times, or a swarm past its
deadline. Without Odoo 19, or when Locust cannot be installed: one line SKIPPED and exit 0.
The last line: times route: p50 <a> ms, p95 <b> ms, <r> requests/s under <n> concurrent
patients on <s> servers of <w> workers; CPU <c> ms a request, ceiling <m> requests/s on <k> cores
"""

import argparse
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.harness import cpu_seconds, locust_python, run_swarm  # noqa: E402
from tests.load.load_booking import (  # noqa: E402
    PATIENTS,
    SERVERS,
    WORKERS,
    Patient,
    odoo_19,
    odoo_servers,
    prepare,
    server_mode,
    sessions_of,
    tracebacks,
)

ROUNDS = 5
DEADLINE = 300  # seconds for each swarm


def phases(service, staff, times):
    """(name, paths, text every answer must contain) of the two ways to get the times."""
    first = datetime.strptime(times[0], "%Y%m%dT%H%MZ")
    page = f"/my/appointments/book?service={service}&staff={staff}&day={first.date()}"
    route = (f"/my/appointments/book/times?service={service}&staff={staff}"
             f"&month={first:%Y-%m}")
    return [("times page", [page], f"start={times[0]}"),
            ("times route", [route], f'"start": "{times[0]}"')]


def measure(python, name, paths, expect, sessions, rounds, server_groups):
    """One swarm over the servers; its summary with the CPU per request of each side."""
    odoo_before, pg_before = cpu_seconds(server_groups), cpu_seconds(command="postgres")
    summary, swarm_cpu = run_swarm(python, {
        "servers": sessions, "paths": paths, "rounds": rounds, "spawn_rate": PATIENTS,
        "expect": expect, "name": name, "deadline": DEADLINE,
        "report": str(ROOT / "var" / f"load-times-{name.replace(' ', '-')}.html")})
    requests = max(summary["requests"], 1)
    summary.update(
        odoo_ms=(cpu_seconds(server_groups) - odoo_before) / requests * 1000,
        postgres_ms=(cpu_seconds(command="postgres") - pg_before) / requests * 1000,
        swarm_ms=swarm_cpu / requests * 1000)
    return summary


def report(name, summary, cores):
    """Print one phase; its CPU ceiling (requests/s) on ``cores``."""
    served = summary["odoo_ms"] + summary["postgres_ms"]
    ceiling = cores * 1000 / served if served else 0.0
    print(f"load: {name}: {summary['requests']} requests, {summary['failures']} failed, "
          f"{summary['server_errors']} server errors, {summary['rps']:.1f} requests/s; "
          f"p50 {summary['p50']:.0f} ms, p95 {summary['p95']:.0f} ms, "
          f"p99 {summary['p99']:.0f} ms, max {summary['max']:.0f} ms", flush=True)
    print(f"load: {name}: CPU a request: Odoo {summary['odoo_ms']:.1f} ms + PostgreSQL "
          f"{summary['postgres_ms']:.1f} ms = {served:.1f} ms, ceiling {ceiling:.0f} "
          f"requests/s on {cores} cores (the swarm's own {summary['swarm_ms']:.1f} ms shares "
          "them here)", flush=True)
    return ceiling


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="clinic_bench_portal")
    parser.add_argument("--config", default=str(ROOT / "var" / "odoo-test.conf"))
    parser.add_argument("--workers", type=int, default=WORKERS,
                        help="HTTP workers per server (prefork); 0: a threaded server")
    parser.add_argument("--rounds", type=int, default=ROUNDS,
                        help="times each patient opens the times, in each phase")
    args = parser.parse_args()
    if not odoo_19():
        print("SKIPPED load-times: Odoo 19 not installed (see README)")
        return 0
    python = locust_python()
    if not python:
        return 0
    _partners, races = prepare(args.config, args.database, "demo")
    with odoo_servers(args.config, args.database, "load-times", args.workers) \
            as (servers, logs):
        with ThreadPoolExecutor(max_workers=10) as pool:
            patients = list(pool.map(
                lambda i: Patient(i, servers[i % SERVERS][1]).login(), range(PATIENTS)))
        sessions = sessions_of(patients)
        print(f"load: {PATIENTS} patients logged in on {SERVERS} Odoo servers "
              f"({server_mode(args.workers)})", flush=True)
        groups = {proc.pid for proc, _base in servers}
        results = {name: measure(python, name, paths, expect, sessions, args.rounds, groups)
                   for name, paths, expect in phases(*races["free"])}
    cores = os.cpu_count()
    ceilings = {name: report(name, summary, cores) for name, summary in results.items()}
    page, route = results["times page"], results["times route"]
    served = route["odoo_ms"] + route["postgres_ms"]
    print(f"load: times route against times page, same run: "
          f"{route['rps'] / max(page['rps'], 0.001):.1f}x requests/s, p95 "
          f"{route['p95'] / max(page['p95'], 1):.2f}x, CPU a request "
          f"{served / max(page['odoo_ms'] + page['postgres_ms'], 0.001):.2f}x")
    errors = sum(s["server_errors"] for s in results.values()) + tracebacks(logs)
    failed = sum(s["failures"] for s in results.values())
    unfinished = sum(s["users"] - s["finished"] for s in results.values())
    print(f"times route: p50 {route['p50']:.0f} ms, p95 {route['p95']:.0f} ms, "
          f"{route['rps']:.1f} requests/s under {PATIENTS} concurrent patients on {SERVERS} "
          f"servers of {args.workers} workers; CPU {served:.1f} ms a request, ceiling "
          f"{ceilings['times route']:.0f} requests/s on {cores} cores")
    if errors or failed or unfinished:
        print(f"load: {errors} server errors, {failed} failed answers, {unfinished} patients "
              "unfinished at the deadline")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
