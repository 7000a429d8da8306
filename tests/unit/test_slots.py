"""Slot arithmetic and booking policy of the client portal, without Odoo."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from odoo_free import clinic_portal

slots = clinic_portal("services.slots")

JERUSALEM = ZoneInfo("Asia/Jerusalem")
MIN = timedelta(minutes=1)


def at(hour, minute=0, day=2):
    """A UTC instant on 2026-03-<day>."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def hours(*pairs):
    return [(at(*a) if isinstance(a, tuple) else at(a), at(*b) if isinstance(b, tuple) else at(b))
            for a, b in pairs]


# The slots engine works in whole seconds since the epoch; these adapters let the tests keep
# their inputs and expected outputs in aware datetimes and timedeltas.

def seconds(delta):
    return round(delta.total_seconds())


def intervals_of(pairs):
    return [(slots.from_seconds(s), slots.from_seconds(e)) for s, e in pairs]


def free_slots(work, busy, duration, step=None, not_before=None, not_after=None,
               prevent_gaps=False, parallel=False, blocking=()):
    """``slots.free_slot_seconds`` with aware datetimes and timedeltas; ``step`` defaults to
    ``duration``; returns aware UTC starts."""
    step = step or duration
    starts = slots.free_slot_seconds(
        slots.seconds_of(work), slots.seconds_of(busy), seconds(duration), seconds(step),
        not_before=None if not_before is None else slots.to_seconds(not_before),
        not_after=None if not_after is None else slots.to_seconds(not_after),
        prevent_gaps=prevent_gaps, parallel=parallel, blocking=slots.seconds_of(blocking))
    return [slots.from_seconds(start) for start in starts]


def slot_is_free(start, duration, work, busy, prevent_gaps=False, parallel=False,
                 blocking=()):
    """Whether ``slots.free_slot_seconds`` offers ``start``, asked for that start alone on a
    one-second grid: the whole duration must fit in free time, and with ``prevent_gaps``
    touch an anchor, wherever the grid of the working period lies."""
    first = slots.to_seconds(start)
    return first in slots.free_slot_seconds(
        slots.seconds_of(work), slots.seconds_of(busy), seconds(duration), 1,
        not_before=first, not_after=first + 1, prevent_gaps=prevent_gaps, parallel=parallel,
        blocking=slots.seconds_of(blocking))


def subtract(intervals, removed):
    """``intervals`` minus ``removed`` by the subtraction ``slots.free_slot_seconds`` runs."""
    return intervals_of(slots._subtract_normalized(
        slots.normalize(slots.seconds_of(intervals)), slots.normalize(slots.seconds_of(removed))))


def test_normalize_merges_touching_and_overlapping_intervals():
    merged = slots.normalize(slots.seconds_of(hours((10, 11), (8, 9), (9, 10), (12, 13),
                                                    (12, 12))))
    assert intervals_of(merged) == hours((8, 11), (12, 13))


def test_subtract_cuts_busy_time_out_of_working_time():
    assert subtract(hours((8, 12)), hours((9, 10), (11, 13))) == hours((8, 9), (10, 11))
    assert subtract(hours((8, 12)), []) == hours((8, 12))
    assert subtract(hours((8, 12)), hours((7, 13))) == []


def test_slots_step_by_the_duration_inside_working_hours():
    assert free_slots(hours((8, 10)), [], 30 * MIN) == [
        at(8), at(8, 30), at(9), at(9, 30)]


def test_a_slot_is_offered_only_when_the_whole_duration_fits():
    assert free_slots(hours((8, 9)), [], 45 * MIN, step=15 * MIN) == [at(8), at(8, 15)]
    assert free_slots(hours((8, 8)), [], 15 * MIN) == []


def test_busy_appointments_and_leaves_take_their_time():
    # Leaves are already cut out of the working periods; a busy event is cut here.
    assert free_slots(hours((8, 11)), hours((9, 10)), 60 * MIN) == [at(8), at(10)]


def test_a_smaller_step_offers_more_starts():
    assert free_slots(hours((8, 9)), [], 30 * MIN, step=15 * MIN) == [
        at(8), at(8, 15), at(8, 30)]


def test_minimum_notice_cuts_earlier_slots():
    assert free_slots(hours((8, 10)), [], 30 * MIN, not_before=at(8, 40)) == [
        at(9), at(9, 30)]


def test_window_end_excludes_later_starts():
    assert free_slots(hours((8, 10)), [], 30 * MIN, not_after=at(9)) == [at(8), at(8, 30)]


def test_prevent_gaps_offers_only_slots_touching_an_anchor():
    work = hours((8, 12))
    busy = hours(((10, 0), (10, 30)))
    offered = free_slots(work, busy, 30 * MIN, prevent_gaps=True)
    # working-period start, just before and just after the booking, working-period end
    assert offered == [at(8), at(9, 30), at(10, 30), at(11, 30)]


def test_prevent_gaps_reaches_anchors_off_the_step_grid():
    offered = free_slots(hours((8, 10)), hours(((8, 50), (9, 5))), 30 * MIN,
                               prevent_gaps=True)
    assert offered == [at(8), at(8, 20), at(9, 5), at(9, 30)]


def test_prevent_gaps_with_minimum_notice_keeps_only_anchored_slots():
    offered = free_slots(hours((8, 12)), [], 30 * MIN, prevent_gaps=True,
                               not_before=at(9))
    assert offered == [at(11, 30)]


def test_parallel_appointments_allowed_leave_busy_time_offered():
    work, busy = hours((8, 10)), hours((8, 9))
    assert free_slots(work, busy, 60 * MIN, parallel=True) == [at(8), at(9)]
    assert free_slots(work, busy, 60 * MIN) == [at(9)]


def test_parallel_with_prevent_gaps_still_anchors_on_appointments():
    offered = free_slots(hours((8, 12)), hours(((9, 0), (9, 30))), 30 * MIN,
                               prevent_gaps=True, parallel=True)
    assert offered == [at(8), at(8, 30), at(9, 30), at(11, 30)]


def test_the_patients_own_appointments_block_but_are_no_anchor():
    offered = free_slots(hours((8, 10)), [], 30 * MIN, blocking=hours(((8, 15), (8, 45))))
    assert offered == [at(9), at(9, 30)]
    gaps = free_slots(hours((8, 10)), [], 30 * MIN, prevent_gaps=True,
                            blocking=hours(((8, 0), (8, 30))))
    assert gaps == [at(9, 30)]


def test_two_working_periods_a_day_each_anchor_their_bounds():
    offered = free_slots(hours((8, 12), (13, 17)), [], 60 * MIN, prevent_gaps=True)
    assert offered == [at(8), at(11), at(13), at(16)]


def test_naive_datetimes_and_non_positive_durations_are_refused():
    with pytest.raises(ValueError):
        free_slots([(datetime(2026, 3, 2, 8), datetime(2026, 3, 2, 9))], [], 30 * MIN)
    with pytest.raises(ValueError):
        free_slots(hours((8, 9)), [], timedelta(0))


def test_slot_is_free_checks_the_whole_duration_and_overlaps():
    work, busy = hours((8, 12)), hours((9, 10))
    assert slot_is_free(at(8), 60 * MIN, work, busy)
    assert not slot_is_free(at(8, 30), 60 * MIN, work, busy)
    assert not slot_is_free(at(11, 30), 60 * MIN, work, busy)
    assert slot_is_free(at(9), 60 * MIN, work, busy, parallel=True)
    assert not slot_is_free(at(10), 60 * MIN, work, [],
                                  blocking=hours(((10, 30), (11, 30))))


def test_slot_is_free_with_prevent_gaps_requires_an_anchor():
    work, busy = hours((8, 12)), hours((9, 10))
    assert slot_is_free(at(10), 60 * MIN, work, busy, prevent_gaps=True)
    assert slot_is_free(at(8), 60 * MIN, work, busy, prevent_gaps=True)
    assert not slot_is_free(at(10, 30), 30 * MIN, work, busy, prevent_gaps=True)


def test_slots_across_time_zones_compare_as_instants():
    local = [(datetime(2026, 3, 2, 10, tzinfo=JERUSALEM), datetime(2026, 3, 2, 11,
                                                                    tzinfo=JERUSALEM))]
    assert free_slots(local, [], 30 * MIN) == [at(8), at(8, 30)]


def test_group_by_day_uses_the_patients_time_zone():
    days = slots.group_by_day([at(23, 0, day=2), at(8), at(21, 30)], JERUSALEM)
    assert list(days) == [date(2026, 3, 2), date(2026, 3, 3)]
    assert [t.hour for t in days[date(2026, 3, 2)]] == [10, 23]
    assert days[date(2026, 3, 3)][0].hour == 1


def test_search_pages_a_week_at_a_time_inside_the_horizon():
    today = date(2026, 3, 1)
    assert slots.search_window(today, 7, 30) == (date(2026, 3, 8), date(2026, 3, 15))
    assert slots.search_window(today, 7, 30, page=1) == (date(2026, 3, 15), date(2026, 3, 22))
    assert slots.search_window(today, 7, 30, page=4) == (date(2026, 4, 5), date(2026, 4, 7))
    assert slots.page_count(30) == 5
    with pytest.raises(ValueError):
        slots.search_window(today, 0, 30, page=-1)
    with pytest.raises(ValueError):
        slots.search_window(today, 0, 30, page=5)


def test_the_horizon_is_days_to_start_plus_range_not_a_multiple_of_it():
    first, after = slots.bookable_horizon(date(2026, 3, 1), 0, 30, JERUSALEM)
    assert first == datetime(2026, 3, 1, tzinfo=JERUSALEM)
    assert after == datetime(2026, 3, 31, tzinfo=JERUSALEM)
    assert slots.page_of(date(2026, 3, 16), date(2026, 3, 1), 0) == 2


def test_offered_starts_sit_on_the_grid_of_the_working_period():
    # An odd-length appointment ends at 09:07: 09:07 is no start, the next grid start is.
    offered = free_slots(hours((8, 11)), [(at(8), at(9, 7))], 60 * MIN, step=15 * MIN)
    assert offered[0] == at(9, 15)
    assert at(9, 7) not in offered
    assert all(s.minute % 15 == 0 for s in offered)


def test_window_bounds_are_local_midnights():
    start, end = slots.window_bounds(date(2026, 3, 1), 0, 1, JERUSALEM)
    assert start == datetime(2026, 3, 1, tzinfo=JERUSALEM)
    assert end - start == timedelta(days=1)
    first, last = slots.bookable_horizon(date(2026, 3, 1), 2, 10, JERUSALEM)
    assert first == datetime(2026, 3, 3, tzinfo=JERUSALEM)
    assert (last - first).days == 10


def test_minimum_hours_before_a_new_appointment():
    assert slots.earliest_new_start(at(8), 48) == at(8, day=4)
    assert slots.earliest_new_start(at(8), 0) == at(8)


def test_change_window():
    assert slots.change_allowed(at(12, day=3), at(12), 24)
    assert not slots.change_allowed(at(11, 59, day=3), at(12), 24)
    assert slots.change_allowed(at(12, 1), at(12), 0)


def _reference_slots(work, busy, duration, step, not_before, not_after, blocking):
    """Minute by minute, the slots the rules describe (no gaps rule, no parallel)."""
    def inside(minute, intervals):
        return any(s <= minute < e for s, e in intervals)

    offered = []
    for period_start, period_end in slots.normalize(work):
        for start in range(period_start, period_end - duration + 1, step):
            minutes = range(start, start + duration)
            if start < not_before or start >= not_after:
                continue
            if any(not inside(m, work) or inside(m, busy) or inside(m, blocking)
                   for m in minutes):
                continue
            offered.append(start)
    return sorted(set(offered))


@pytest.mark.parametrize("seed", range(40))
def test_the_seconds_engine_offers_exactly_the_slots_a_minute_by_minute_check_finds(seed):
    import random
    rng = random.Random(seed)

    def intervals(count, longest):
        result = []
        for _i in range(count):
            start = rng.randrange(0, 600)
            result.append((start, start + rng.randrange(1, longest)))
        return result

    work, busy, blocking = intervals(4, 240), intervals(6, 90), intervals(2, 60)
    duration, step = rng.choice((15, 30, 45, 60)), rng.choice((10, 15, 30))
    not_before, not_after = rng.randrange(0, 200), rng.randrange(400, 900)
    found = slots.free_slot_seconds(work, busy, duration, step, not_before=not_before,
                                    not_after=not_after, blocking=blocking)
    assert found == _reference_slots(work, busy, duration, step, not_before, not_after,
                                     blocking)


def test_the_datetime_adapter_agrees_with_the_seconds_engine_and_round_trips():
    work, busy = hours((8, 12), (13, 17)), hours((9, 10), ((14, 30), (15, 15)))
    starts = free_slots(work, busy, timedelta(minutes=45), step=timedelta(minutes=15),
                              not_before=at(8, 30))
    seconds = slots.free_slot_seconds(slots.seconds_of(work), slots.seconds_of(busy), 45 * 60,
                                      15 * 60, not_before=slots.to_seconds(at(8, 30)))
    assert [slots.from_seconds(s) for s in seconds] == starts
    assert starts[0] == at(10) and at(11, 15) in starts and at(14) not in starts
    assert slots.from_seconds(slots.to_seconds(at(8, 30).astimezone(JERUSALEM))) == at(8, 30)
    with pytest.raises(ValueError):
        slots.to_seconds(datetime(2026, 3, 2, 8))


def test_a_month_view_shows_the_part_of_the_horizon_in_that_month():
    # A horizon from 20 March for 30 days spans March and April, each cut to the horizon.
    first, after = slots.bookable_horizon(date(2026, 3, 20), 0, 30, JERUSALEM)
    assert slots.horizon_months(first, after, JERUSALEM) == (date(2026, 3, 1), date(2026, 4, 1))
    march = slots.month_window(date(2026, 3, 1), first, after, JERUSALEM)
    april = slots.month_window(date(2026, 4, 1), first, after, JERUSALEM)
    assert march == (first, datetime(2026, 4, 1, tzinfo=JERUSALEM))
    assert april == (datetime(2026, 4, 1, tzinfo=JERUSALEM), after)
    with pytest.raises(ValueError):
        slots.month_window(date(2026, 5, 1), first, after, JERUSALEM)
    with pytest.raises(ValueError):
        slots.month_window(date(2026, 2, 1), first, after, JERUSALEM)


def test_the_next_month_of_a_december_is_january():
    assert slots.next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert slots.next_month(date(2026, 1, 1)) == date(2026, 2, 1)
    # A horizon ending exactly at a local midnight does not reach the next month.
    first = datetime(2026, 3, 25, tzinfo=JERUSALEM)
    assert slots.horizon_months(first, datetime(2026, 4, 1, tzinfo=JERUSALEM), JERUSALEM) \
        == (date(2026, 3, 1), date(2026, 3, 1))
