"""make bench-slots: the portal's availability as clinics grow, against a naive way.

For each size of a scale table (staff x days x busy events: 20 x 30 x 5,000, 100 x 30 x 25,000
and 100 x 90 x 50,000) seeds a database of its own with that many bookable staff (two
working-hours calendars), a patient, a 60-minute service and the busy events spread over the
staff and days (earlier bench data removed first), then measures:
- engine: ``clinic.availability._free_starts`` for all staff, p50 and p95 of repeated runs
  and the queries of one run, over two spans: a page of the booking calendar (its first
  7 days: what the booking page computes for each patient's request) and the whole booking
  horizon at once; a line per size:
  ``slots scale: <S> staff x <D> days x <E> events: page p50 <ms> ms, p95 <ms> ms, <Q>
  queries; horizon p50 <ms> ms, p95 <ms> ms, <Q> queries``;
- naive (20 x 30 x 5,000 only): the same slots computed per staff member and per day, each
  with its own working hours and busy-events queries.
The last line, of 20 x 30 x 5,000 (seeded again last): slots: p50 <ms> ms, <N>x naive,
<Q> queries
"""

import argparse
import statistics
import sys
import time
from datetime import UTC, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from odoo import SUPERUSER_ID, api, sql_db  # noqa: E402
from odoo.fields import Command  # noqa: E402
from odoo.modules.registry import Registry  # noqa: E402
from odoo.tools import config  # noqa: E402

from tests.harness import ensure_database  # noqa: E402

STAFF = 20
DAYS = 30
EVENTS = 5000
SCALE = ((20, 30, 5000), (100, 30, 25_000), (100, 90, 50_000))
PREFIX = "bench_slots_"


def seed(env, staff_count=STAFF, days=DAYS, events=EVENTS):
    """Staff, patient, service and busy events; earlier bench data is removed first."""
    cr = env.cr
    old_users = env["res.users"].with_context(active_test=False).search(
        [("login", "like", PREFIX + "%")])
    if old_users:
        cr.execute("DELETE FROM calendar_event WHERE user_id = ANY(%s)", (old_users.ids,))
        cr.execute("DELETE FROM calendar_attendee WHERE partner_id = ANY(%s)",
                   (old_users.partner_id.ids,))
        env["product.template"].with_context(active_test=False).search(
            [("name", "=", "Bench check-up")]).unlink()
        suffix = str(int(time.time()))
        for user in old_users:
            user.write({"login": f"old_{suffix}_{user.id}", "active": False,
                        "clinic_portal_bookable": False})
    env.company.write({"clinic_portal_enabled": True, "clinic_portal_self_scheduling": True,
                       "clinic_portal_min_hours_new": 0, "clinic_portal_prevent_gaps": False,
                       "clinic_portal_prevent_parallel": True,
                       "clinic_portal_future_limit": 0,
                       "clinic_portal_search_start_days": 0,
                       "clinic_portal_search_range_days": days,
                       # Hourly starts for the hour-long service, as the naive way computes.
                       "clinic_portal_slot_step": 0})
    calendars = [env["resource.calendar"].create({
        "name": name, "tz": "UTC",
        "attendance_ids": [Command.create({"name": f"{d}", "dayofweek": str(d),
                                           "hour_from": a, "hour_to": b,
                                           "day_period": "morning" if a < 12 else "afternoon"})
                           for d in range(5) for a, b in periods],
    }) for name, periods in (("Bench day", ((8, 12), (13, 17))), ("Bench late", ((12, 20),)))]
    staff = env["res.users"]
    for i in range(staff_count):
        user = env["res.users"].create({
            "name": f"Bench Staff {i:02d}", "login": f"{PREFIX}staff_{i}", "tz": "UTC",
            "group_ids": [Command.set([env.ref("base.group_user").id])]})
        user.write({"resource_calendar_id": calendars[i % 2].id,
                    "clinic_portal_bookable": True})
        staff |= user
    patient = env["res.users"].create({
        "name": "Bench Patient", "login": f"{PREFIX}patient", "tz": "UTC",
        "group_ids": [Command.set([env.ref("base.group_portal").id])]}).partner_id
    product = env["product.template"].create({
        "name": "Bench check-up", "type": "service", "list_price": 0.0,
        "clinic_duration_minutes": 60, "clinic_portal_visible": True,
        "clinic_staff_user_ids": [Command.set(staff.ids)]}).product_variant_id
    start, _end = horizon(env, patient)
    first_day = start.replace(tzinfo=None)
    cr.execute("""
        WITH src AS (
            SELECT (%s::int[])[1 + (i %% %s)] AS user_id,
                   %s::timestamp + (i %% %s) * interval '1 day'
                                 + (8 + (i * 7) %% 9) * interval '1 hour' AS start
              FROM generate_series(0, %s - 1) AS i
        ), ev AS (
            INSERT INTO calendar_event (name, start, stop, duration, allday, active, show_as,
                                        user_id, create_uid, write_uid, create_date,
                                        write_date)
            SELECT 'Bench busy', start, start + interval '1 hour', 1.0, FALSE, TRUE, 'busy',
                   user_id, 1, 1, now(), now()
              FROM src
            RETURNING id, user_id
        )
        INSERT INTO calendar_attendee (event_id, partner_id, state, create_uid, write_uid,
                                       create_date, write_date)
        SELECT ev.id, u.partner_id, 'accepted', 1, 1, now(), now()
          FROM ev JOIN res_users u ON u.id = ev.user_id
        RETURNING id
    """, (staff.ids, staff_count, first_day, days, events))
    attendees = env["calendar.attendee"].browse([row[0] for row in cr.fetchall()])
    cr.execute("""
        INSERT INTO calendar_event_res_partner_rel (calendar_event_id, res_partner_id)
        SELECT a.event_id, a.partner_id
          FROM calendar_attendee a JOIN calendar_event e ON e.id = a.event_id
         WHERE e.name = 'Bench busy'
        ON CONFLICT DO NOTHING
    """)
    env.invalidate_all()
    attendees._clinic_recompute_busy()  # what the ORM keeps for each attendance
    cr.execute("ANALYZE calendar_event")
    cr.execute("ANALYZE calendar_attendee")
    cr.commit()
    return staff, patient, product


def horizon(env, patient):
    availability = env["clinic.availability.engine"]
    return availability._horizon(patient, env.company._clinic_portal_policy())


def page(env, patient):
    availability = env["clinic.availability.engine"]
    return availability._window(patient, env.company._clinic_portal_policy(), 0)


def engine(env, patient, product, staff, runs, span=horizon):
    availability = env["clinic.availability.engine"]
    policy = env.company._clinic_portal_policy()
    start, end = span(env, patient)
    timings, queries, result = [], 0, None
    for _i in range(runs):
        env.invalidate_all()
        before = sql_db.sql_counter
        began = time.perf_counter()
        result = availability._free_starts(patient, product, staff, start, end, policy)
        timings.append(time.perf_counter() - began)
        queries = sql_db.sql_counter - before
    return timings, queries, result


def percentile(values, share):
    """The value ``share`` (0-1) of the way up the sorted values (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def naive(env, patient, product, staff):
    """Per staff member, per day: working hours, busy events, then the same arithmetic."""
    from odoo.addons.clinic_portal.services import slots
    availability = env["clinic.availability.engine"]
    start, _end = horizon(env, patient)
    duration = timedelta(minutes=product.clinic_duration_minutes)
    now = availability._now()
    env.invalidate_all()
    began = time.perf_counter()
    result = {}
    for user in staff:
        starts = []
        for day in range(DAYS):
            day_start = start + timedelta(days=day)
            day_end = day_start + timedelta(days=1)
            work = availability._work_intervals(user, day_start, day_end).get(user.id, [])
            busy = env["calendar.event"].search([
                ("partner_ids", "in", user.partner_id.id),
                ("start", "<", day_end.astimezone(UTC).replace(tzinfo=None)),
                ("stop", ">", day_start.astimezone(UTC).replace(tzinfo=None)),
                ("show_as", "=", "busy")])
            intervals = [(e.start.replace(tzinfo=UTC), e.stop.replace(tzinfo=UTC))
                         for e in busy]
            seconds = round(duration.total_seconds())
            starts += [slots.from_seconds(s) for s in slots.free_slot_seconds(
                slots.seconds_of(work), slots.seconds_of(intervals), seconds, seconds,
                not_before=slots.to_seconds(max(day_start, now)),
                not_after=slots.to_seconds(day_end))]
        result[user.id] = starts
    return time.perf_counter() - began, result


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="clinic_bench_portal")
    parser.add_argument("--config", default=str(ROOT / "var" / "odoo-test.conf"))
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-scale", action="store_true",
                        help="only the 20 x 30 x 5,000 case, as before the scale table")
    args = parser.parse_args()

    ensure_database(args.config, args.database, "clinic_portal")
    config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        for staff_count, days, events in () if args.no_scale else SCALE:
            print(f"bench: seeding {staff_count} staff, {events:,} events over {days} days",
                  flush=True)
            staff, patient, product = seed(env, staff_count, days, events)
            figures = []
            for span in (page, horizon):
                engine(env, patient, product, staff, 2, span)  # warm caches
                timings, queries, _result = engine(env, patient, product, staff, args.runs,
                                                   span)
                figures.append(f"p50 {statistics.median(timings) * 1000:.0f} ms, "
                               f"p95 {percentile(timings, 0.95) * 1000:.0f} ms, "
                               f"{queries} queries")
            print(f"slots scale: {staff_count} staff x {days} days x {events} events: "
                  f"page {figures[0]}; horizon {figures[1]}", flush=True)
        print(f"bench: seeding {STAFF} staff, {EVENTS:,} events over {DAYS} days", flush=True)
        staff, patient, product = seed(env)
        engine(env, patient, product, staff, 2)  # warm caches
        timings, queries, fast = engine(env, patient, product, staff, args.runs)
        p50 = statistics.median(timings)
        naive_seconds, slow = naive(env, patient, product, staff)
        same = fast == slow
        slot_count = sum(len(v) for v in fast.values())
        print(f"engine: {slot_count:,} slots for {STAFF} staff x {DAYS} days, p50 "
              f"{p50 * 1000:.1f} ms over {args.runs} runs, {queries} queries; naive per day "
              f"and staff: {naive_seconds * 1000:.0f} ms; same slots: {same}", flush=True)
        cr.rollback()
        print(f"slots: p50 {p50 * 1000:.0f} ms, {naive_seconds / p50:.1f}x naive, "
              f"{queries} queries")


if __name__ == "__main__":
    main()
