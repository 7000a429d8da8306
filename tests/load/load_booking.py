"""make load-booking: 50 patients race for 20 free times of one staff member, over HTTP.

Loopback only and bounded: prepares a database of its own (50 portal patients, one staff member
whose calendar has exactly 20 free 30-minute times tomorrow), starts Odoo with 2 workers on a
free 127.0.0.1 port, logs the patients in, fires their bookings at once (patient i wants time
i mod 20, so every time is wanted by two or three patients), then measures GET /my/appointments.
Exactly 20 bookings must succeed and none may fail with a server error.
The last line: booking load: <B> booked, <C> conflicts, <E> server errors, <R> req/s on
/my/appointments
"""

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from urllib3.util.retry import Retry

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.harness import ensure_database, free_port  # noqa: E402

PATIENTS = 50
WORKERS = 2
FREE_TIMES = 20
PREFIX = "load_booking_"
TAKEN = "This time was just taken"
DEADLINE = 300  # seconds for the whole run


def prepare(conf, db):
    """Create the database if needed and seed it; returns (service id, staff id, times)."""
    ensure_database(conf, db, "clinic_portal", label="load")
    from odoo import SUPERUSER_ID, api
    from odoo.fields import Command
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["-c", str(conf), "-d", db, "--log-level=warn"])
    with Registry(db).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        stamp = str(int(time.time()))
        old = env["res.users"].with_context(active_test=False).search(
            [("login", "like", PREFIX + "%")])
        env["calendar.event"].with_context(active_test=False).search(
            [("partner_ids", "in", old.partner_id.ids)]).unlink()
        for user in old:
            user.write({"login": f"old_{stamp}_{user.id}", "active": False,
                        "clinic_portal_bookable": False})
        env.company.write({
            "clinic_portal_enabled": True, "clinic_portal_self_scheduling": True,
            "clinic_portal_min_hours_new": 0, "clinic_portal_prevent_gaps": False,
            "clinic_portal_prevent_parallel": True, "clinic_portal_future_limit": 0,
            "clinic_portal_search_start_days": 0, "clinic_portal_search_range_days": 30,
            # 30-minute times for the 30-minute service: 20 of them in the open day.
            "clinic_portal_slot_step": 0,
            # Mandatory forms would hold every patient back: this load is about the race.
            "clinic_mandatory_form_ids": [Command.clear()]})
        hours = env["resource.calendar"].create({
            "name": f"Load hours {stamp}", "tz": "UTC",
            "attendance_ids": [Command.create({"name": f"{d}", "dayofweek": str(d),
                                               "hour_from": 8, "hour_to": 18,
                                               "day_period": "morning"}) for d in range(7)]})
        staff = env["res.users"].create({
            "name": "Load Staff", "login": f"{PREFIX}staff", "tz": "UTC",
            "group_ids": [Command.set([env.ref("base.group_user").id])]})
        staff.write({"resource_calendar_id": hours.id, "clinic_portal_bookable": True})
        # Only tomorrow is open: 08:00-18:00 in 30-minute times is exactly 20 times.
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(
            hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        env["resource.calendar.leaves"].create([
            {"name": "Closed", "resource_id": staff.resource_ids.id, "calendar_id": hours.id,
             "date_from": tomorrow - timedelta(days=5), "date_to": tomorrow},
            {"name": "Closed", "resource_id": staff.resource_ids.id, "calendar_id": hours.id,
             "date_from": tomorrow + timedelta(days=1),
             "date_to": tomorrow + timedelta(days=400)}])
        product = env["product.template"].create({
            "name": f"Load check-up {stamp}", "type": "service", "list_price": 0.0,
            "clinic_duration_minutes": 30, "clinic_portal_visible": True,
            "clinic_staff_user_ids": [Command.set(staff.ids)]}).product_variant_id
        env["res.users"].create([{
            "name": f"Load Patient {i:02d}", "login": f"{PREFIX}patient_{i}",
            "password": f"{PREFIX}pw_{i}", "tz": "UTC",
            "group_ids": [Command.set([env.ref("base.group_portal").id])]}
            for i in range(PATIENTS)])
        availability = env["clinic.availability"]
        policy = availability._policy()
        patient = env["res.users"].search([("login", "=", f"{PREFIX}patient_0")]).partner_id
        start, end = availability._window(patient, policy)
        times = availability._free_starts(patient, product, staff, start, end,
                                          policy)[staff.id]
        cr.commit()
    if len(times) != FREE_TIMES:
        raise SystemExit(f"load: expected {FREE_TIMES} free times, got {len(times)}")
    return product.id, staff.id, [t.strftime("%Y%m%dT%H%MZ") for t in times]


def odoo_command():
    """odoo-bin when present: the prefork server re-runs its own argv[0] for the websocket
    process, which ``python -m odoo`` cannot serve."""
    import odoo.release
    script = Path(odoo.release.__file__).resolve().parents[1] / "odoo-bin"
    return [sys.executable, str(script)] if script.exists() else [sys.executable, "-m", "odoo"]


def start_server(conf, db, port, log):
    proc = subprocess.Popen(
        [*odoo_command(), "-c", str(conf), "-d", db, f"--db-filter=^{db}$",
         f"--workers={WORKERS}", "--max-cron-threads=0", f"--http-port={port}",
         "--http-interface=127.0.0.1", "--log-level=warn", "--limit-time-real=120"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True,
        # The 50 bookings queue behind 2 workers: a queued connection may wait longer than
        # the 2 s a worker gives a client to send its request.
        env={**os.environ, "ODOO_HTTP_SOCKET_TIMEOUT": "60"})
    base = f"http://127.0.0.1:{port}"
    for _i in range(120):
        if proc.poll() is not None:
            raise SystemExit(f"load: Odoo exited, see {log.name}")
        try:
            if requests.get(f"{base}/web/login", timeout=2).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(1)
    proc.terminate()
    raise SystemExit("load: Odoo did not start in 120 s")


def csrf_of(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(base, i):
    session = requests.Session()
    # One connection per request: a prefork worker may close an idle kept-alive connection.
    session.headers["Connection"] = "close"
    # Idempotent GETs are retried on a reset connection; the bookings (POST) never are.
    session.mount("http://", requests.adapters.HTTPAdapter(max_retries=Retry(
        total=3, backoff_factor=0.2, allowed_methods=["GET"])))
    page = session.get(f"{base}/web/login", timeout=30)
    response = session.post(f"{base}/web/login", timeout=30, allow_redirects=False, data={
        "login": f"{PREFIX}patient_{i}", "password": f"{PREFIX}pw_{i}",
        "csrf_token": csrf_of(page.text), "redirect": "/my"})
    if response.status_code not in (302, 303):
        raise SystemExit(f"load: login of patient {i} failed ({response.status_code})")
    return session


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="clinic_bench_portal")
    parser.add_argument("--config", default=str(ROOT / "var" / "odoo-test.conf"))
    parser.add_argument("--reads", type=int, default=300)
    args = parser.parse_args()
    service, staff, times = prepare(args.config, args.database)
    port = free_port()
    log = open(ROOT / "var" / "load-booking-odoo.log", "w")  # noqa: SIM115 (closed below)
    proc, base = start_server(args.config, args.database, port, log)
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            sessions = list(pool.map(lambda i: login(base, i), range(PATIENTS)))
        print(f"load: {PATIENTS} patients logged in", flush=True)
        tokens = []
        for i, session in enumerate(sessions):
            page = session.get(f"{base}/my/appointments/book/confirm", timeout=30, params={
                "service": service, "staff": staff, "start": times[i % FREE_TIMES]})
            tokens.append(csrf_of(page.text))
        barrier = threading.Barrier(PATIENTS)
        # All 50 are released at once, with at most 8 connections per worker in flight: the
        # length of Odoo's listen queue (8 x workers); beyond it the kernel resets connections.
        in_flight = threading.BoundedSemaphore(8 * WORKERS)

        def book(i):
            barrier.wait(timeout=60)
            with in_flight:
                return post_booking(i)

        def post_booking(i):
            try:
                response = sessions[i].post(
                    f"{base}/my/appointments/book/confirm", timeout=120,
                    allow_redirects=False,
                    data={"csrf_token": tokens[i], "service": service, "staff": staff,
                          "start": times[i % FREE_TIMES]})
            except requests.ConnectionError as exc:
                return f"other {type(exc.args[0]).__name__}"
            if response.status_code in (301, 302, 303) and \
                    "/my/appointments/" in response.headers.get("Location", ""):
                return "booked"
            if response.status_code >= 500:
                return "error"
            if TAKEN in response.text:
                return "conflict"
            return f"other {response.status_code}"

        with ThreadPoolExecutor(max_workers=PATIENTS) as pool:
            outcomes = list(pool.map(book, range(PATIENTS)))
        booked, conflicts = outcomes.count("booked"), outcomes.count("conflict")
        errors = outcomes.count("error")
        others = [o for o in outcomes if o.startswith("other")]
        print(f"load: {PATIENTS} patients for {FREE_TIMES} times in "
              f"{time.monotonic() - started:.1f} s; other answers: {others or 'none'}",
              flush=True)

        def read(i):
            response = sessions[i % PATIENTS].get(f"{base}/my/appointments", timeout=60)
            return response.status_code

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(read, range(args.reads)))
        rate = args.reads / (time.perf_counter() - began)
        errors += sum(1 for s in statuses if s >= 500)
        print(f"booking load: {booked} booked, {conflicts} conflicts, {errors} server errors, "
              f"{rate:.1f} req/s on /my/appointments")
        if time.monotonic() - started > DEADLINE:
            raise SystemExit("load: over the time limit")
        return 0 if booked == FREE_TIMES and not errors else 1
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


if __name__ == "__main__":
    sys.exit(main())
