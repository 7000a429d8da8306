"""make load-course: 30 clients race for the 5 free seats of one course meeting, over HTTP on
two Odoo servers.

Loopback only and bounded: prepares a database of its own (30 portal clients enrolled in one
group of a course, another group of the same course with 5 seats and one meeting tomorrow),
starts two Odoo servers (the harness of ``make load-booking``: prefork with --workers N each,
0 for threaded) and logs the clients in, half on each server. Each client opens the make-up
page of their enrollment, then Locust's swarm (tests/load/swarm.py) runs the race: one Locust
user per client, all started, then set off together, each firing their make-up booking of the
meeting through the portal's route. Locust's stats tables are printed and its HTML report
written to var/load-course-makeup.html.

Exactly 5 are seated, the others are told the meeting is full. Server errors: HTTP 5xx and
tracebacks in the servers' logs. The seats are read back from the database too. Exit non-zero
unless 5 are seated, the database agrees and no server error occurs. Without Odoo 19, or when
Locust cannot be installed: one line SKIPPED and exit 0. The last line: course load: <S>
seated, <C> refused, <E> server errors
"""

import argparse
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.harness import ensure_database, locust_python  # noqa: E402
from tests.load.load_booking import (  # noqa: E402
    WORKERS,
    Answer,
    Patient,
    csrf_of,
    odoo_19,
    odoo_servers,
    run_race,
    server_mode,
    time_left,
    tracebacks,
)

CLIENTS = 30
SEATS = 5
SERVERS = 2
PREFIX = "load_course_"
FULL = "This meeting is full"
DEADLINE = 300  # seconds for the whole run, from the first login


def prepare(conf, db):
    """Create the database if needed and seed it: ``(meeting id, {client index: enrollment
    id})``."""
    ensure_database(conf, db, "clinic_portal", label="load")
    from odoo import SUPERUSER_ID, api
    from odoo.fields import Command
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["-c", str(conf), "-d", db, "--log-level=warn"])
    with Registry(db).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        stamp = str(int(time.time()))
        env["clinic.course"].search([("name", "like", PREFIX + "%")]).unlink()
        old = env["res.users"].with_context(active_test=False).search(
            [("login", "like", PREFIX + "%")])
        for user in old:
            user.write({"login": f"old_{stamp}_{user.id}", "active": False})
        env.company.write({
            "clinic_portal_enabled": True, "clinic_portal_self_scheduling": True,
            "clinic_portal_min_hours_new": 0, "clinic_portal_prevent_parallel": True,
            "clinic_portal_search_start_days": 0, "clinic_portal_search_range_days": 30,
            "clinic_portal_makeup_sessions": 14})
        instructor = env["res.users"].create({
            "name": "Load Instructor", "login": f"{PREFIX}instructor", "tz": "UTC",
            "group_ids": [Command.set([env.ref("base.group_user").id])]})
        clients = env["res.users"].create([{
            "name": f"Load Client {i:02d}", "login": f"{PREFIX}client_{i}",
            "password": f"{PREFIX}pw_{i}", "tz": "UTC",
            "group_ids": [Command.set([env.ref("base.group_portal").id])]}
            for i in range(CLIENTS)])
        service = env["product.product"].create({
            "name": f"Load aqua group {stamp}", "type": "service",
            "clinic_duration_minutes": 45})
        own, other = env["clinic.course"].create([{
            "name": f"{PREFIX}{name}", "product_id": service.id, "capacity": capacity,
            "instructor_ids": [Command.set(instructor.ids)]}
            for name, capacity in (("own", CLIENTS), ("other", SEATS))])
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(
            hour=18, minute=0, second=0, microsecond=0, tzinfo=None)
        own._plan_weekly_meetings(tomorrow + timedelta(days=1), 1)
        meeting = other._plan_weekly_meetings(tomorrow, 1)
        enrollments = env["clinic.course.enrollment"].create([
            {"partner_id": user.partner_id.id, "course_id": own.id} for user in clients])
        cr.commit()
        return meeting.id, dict(enumerate(enrollments.ids))


class Client(Patient):
    def login(self):
        page = self.get("/web/login")
        response = self.post("/web/login", data={
            "login": f"{PREFIX}client_{self.i}", "password": f"{PREFIX}pw_{self.i}",
            "csrf_token": csrf_of(page.text), "redirect": "/my"})
        if response.status_code not in (302, 303):
            raise SystemExit(f"load: login of client {self.i} failed ({response.status_code})")
        return self


def makeup_turn(client, enrollment, meeting, token):
    """One client's turn in the race, once set off: POST the make-up booking of ``meeting``.
    Their outcome: "seated", "refused", "error" or "other <what>"."""
    try:
        with client.step("make-up booking"):
            response = client.post(f"/my/courses/{enrollment}/makeup",
                                   data={"csrf_token": token, "meeting": meeting})
    except Answer as answer:
        return answer.args[0]
    if response.status_code >= 500:
        return "error"
    if response.status_code == 303 and "makeup_booked" in response.headers.get("Location", ""):
        return "seated"
    if response.status_code == 200 and FULL in response.text:
        return "refused"
    return f"other {response.status_code}"


def race(python, clients, meeting_id, enrollments, deadline):
    """The 30 make-up bookings set off together; each client's outcome."""
    tokens = []
    for client in clients:
        page = client.page(f"/my/courses/{enrollments[client.i]}/makeup")
        if f'name="meeting" value="{meeting_id}"' not in page:
            raise SystemExit(f"load: the meeting is not offered to client {client.i}")
        tokens.append(re.search(r'name="csrf_token" value="([^"]+)"', page).group(1))
    return run_race(python, "makeup", clients, [
        {"enrollment": enrollments[client.i], "meeting": meeting_id, "token": token}
        for client, token in zip(clients, tokens, strict=True)],
        ROOT / "var" / "load-course-makeup.html", deadline)


def seats_in_database(db, meeting_id):
    from odoo.modules.registry import Registry

    with Registry(db).cursor() as cr:
        cr.execute("SELECT count(*) FROM clinic_course_seat WHERE meeting_id = %s "
                   "AND state != 'cancelled'", [meeting_id])
        return cr.fetchone()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="clinic_bench_course")
    parser.add_argument("--config", default=str(ROOT / "var" / "odoo-test.conf"))
    parser.add_argument("--workers", type=int, default=WORKERS,
                        help="HTTP workers per server (prefork); 0: a threaded server")
    args = parser.parse_args()
    if not odoo_19():
        print("SKIPPED load-course: Odoo 19 not installed (see README)")
        return 0
    python = locust_python()
    if not python:
        return 0
    meeting_id, enrollments = prepare(args.config, args.database)
    with odoo_servers(args.config, args.database, "load-course", args.workers) \
            as (servers, logs):
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=10) as pool:
            clients = list(pool.map(
                lambda i: Client(i, servers[i % SERVERS][1]).login(), range(CLIENTS)))
        print(f"load: {CLIENTS} clients logged in on {SERVERS} servers "
              f"({server_mode(args.workers)})", flush=True)
        outcomes = race(python, clients, meeting_id, enrollments,
                        time_left(started, DEADLINE))
        others = sorted({o for o in outcomes if o.startswith("other")})
        print(f"load: other answers: {others or 'none'}", flush=True)
        elapsed = time.monotonic() - started
    seated, refused = outcomes.count("seated"), outcomes.count("refused")
    errors = outcomes.count("error") + tracebacks(logs)
    taken = seats_in_database(args.database, meeting_id)
    print(f"course load: {seated} seated, {refused} refused, {errors} server errors")
    if elapsed > DEADLINE:
        raise SystemExit("load: over the time limit")
    if taken != seated:
        raise SystemExit(f"load: the database holds {taken} seats, not {seated}")
    return 0 if seated == SEATS and refused == CLIENTS - SEATS and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
