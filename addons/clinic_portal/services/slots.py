"""Slot arithmetic and booking policy of the client portal: plain values in, plain values out.

No Odoo import: the booking model gathers working periods and busy times in a fixed number of
queries and calls these functions, which the unit tier tests in milliseconds.

Slots are computed in whole seconds since the epoch (UTC): ``to_seconds``, ``seconds_of`` and
``from_seconds`` convert. Datetimes are timezone-aware; intervals are ``(start, end)`` tuples
with ``start < end``.
"""

from bisect import bisect_right
from collections import OrderedDict
from datetime import UTC, datetime, time, timedelta

# Days shown per page of the booking calendar; paging stays inside the booking horizon.
PAGE_DAYS = 7

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def normalize(intervals):
    """Sort intervals and merge those that overlap or touch; empty ones are dropped."""
    merged = []
    for start, end in sorted((s, e) for s, e in intervals if s < e):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _subtract_normalized(intervals, removed):
    """``intervals`` minus ``removed``, both normalized: the parts of ``intervals`` that no
    removed one covers."""
    result = []
    # Both are sorted: what ended before a period ended before every later one too, so each
    # period looks only from the first removed part still running (flat cost as days grow).
    first = 0
    for start, end in intervals:
        while first < len(removed) and removed[first][1] <= start:
            first += 1
        cursor = start
        for index in range(first, len(removed)):
            r_start, r_end = removed[index]
            if r_end <= cursor:
                continue
            if r_start >= end:
                break
            if r_start > cursor:
                result.append((cursor, r_start))
            cursor = max(cursor, r_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def overlaps(start, end, intervals):
    """Whether ``[start, end)`` shares any instant with one of ``intervals``."""
    return any(s < end and start < e for s, e in intervals)


def free_slot_seconds(work, busy, duration, step, not_before=None, not_after=None,
                      prevent_gaps=False, parallel=False, blocking=()):
    """Start times of the slots of one staff calendar, in whole seconds since the epoch (UTC):
    what the booking pages run for every staff calendar, so no datetime is built until a slot
    is shown.

    :param work: working periods (attendances minus leaves), ``(start, end)`` pairs of seconds
    :param busy: appointments of the staff calendar: they take their time (unless
        ``parallel``) and, with ``prevent_gaps``, slots may touch them
    :param int duration: positive seconds; the whole service must fit in free time
    :param int step: positive seconds; the grid of offered starts, from the start of each
        working period
    :param not_before: earliest start (minimum notice, start of the search window)
    :param not_after: latest start, excluded (end of the search window)
    :param bool prevent_gaps: offer only slots that start at a working-period start or at the
        end of an appointment, or end at a working-period end or at the start of an appointment
    :param bool parallel: appointments may overlap in this calendar, so ``busy`` takes no time
    :param blocking: other unavailable times that are no anchor for ``prevent_gaps`` (the
        patient's own appointments elsewhere)
    :returns: sorted list of distinct slot starts
    """
    if duration <= 0 or step <= 0:
        raise ValueError("duration and step must be positive")
    work = normalize(work)
    busy = normalize(busy)
    # A slot must fit in free time: working time less the calendar's appointments (unless
    # parallel) and less the patient's own elsewhere, which take time but anchor nothing.
    free = work if parallel else _subtract_normalized(work, busy)
    if blocking:
        free = _subtract_normalized(free, normalize(blocking))
    if prevent_gaps:
        starts_ok, ends_ok = _anchors(work, busy)
        candidates = sorted(starts_ok | {end - duration for end in ends_ok})
        return _fitting(candidates, free, duration, not_before, not_after)
    return _grid_in(work, free, duration, step, not_before, not_after)


def _grid_in(work, free, duration, step, not_before, not_after):
    """Starts every ``step`` from the start of each working period where the duration fits
    in free time: a time freed by an odd-length appointment does not move the grid.

    Each free period lies in one working period (``free`` is ``work`` less other times):
    its starts are a range, made at once rather than tested one by one, so the cost grows
    with the free periods, not with the slots. Sorted and distinct: both are normalized.
    """
    starts = []
    extend = starts.extend
    # Bounds as plain integers: the loop below runs once per free period of every staff
    # calendar, so it avoids calls it does not need.
    low = -(1 << 62) if not_before is None else not_before
    high = 1 << 62 if not_after is None else not_after
    period, (origin, period_end) = 0, work[0] if work else (0, 0)
    for free_start, free_end in free:
        if period_end < free_end:
            while work[period][1] < free_end:
                period += 1
            origin, period_end = work[period]
        first = free_start if free_start > low else low
        first = origin - (origin - first) // step * step  # the grid's first at or after it
        stop = free_end - duration + 1
        if stop > high:
            stop = high
        if first < stop:
            extend(range(first, stop, step))
    return starts


def _fitting(candidates, free, duration, not_before, not_after):
    """The sorted ``candidates`` within the window that fit in one free period."""
    free_starts = [s for s, _e in free]
    low = not_before if not_before is not None else float("-inf")
    high = not_after if not_after is not None else float("inf")
    slots = []
    for start in candidates:
        if start < low or start >= high:
            continue
        # ``free`` is sorted and its periods do not overlap: the one a slot must fit in is
        # the last that starts at or before it.
        index = bisect_right(free_starts, start) - 1
        if index >= 0 and free[index][1] >= start + duration:
            slots.append(start)
    return slots


def seconds_of(intervals):
    """Aware ``(start, end)`` pairs as pairs of whole seconds since the epoch."""
    return [(to_seconds(s), to_seconds(e)) for s, e in intervals]


def to_seconds(value):
    """An aware datetime as whole seconds since the epoch (UTC); a naive one is refused."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: %r" % (value,))
    return round(value.timestamp())


def from_seconds(value):
    """Whole seconds since the epoch as an aware UTC datetime."""
    return EPOCH + timedelta(seconds=value)


def _anchors(work, busy):
    """Where a slot may start and end when gaps are prevented."""
    return ({s for s, _e in work} | {e for _s, e in busy},
            {e for _s, e in work} | {s for s, _e in busy})


def group_by_day(starts, tz):
    """``{date: [local start, ...]}`` in the patient's time zone, days and times in order."""
    days = OrderedDict()
    for start in sorted(starts):
        local = start.astimezone(tz)
        days.setdefault(local.date(), []).append(local)
    return days


def page_count(range_days):
    """How many pages of ``PAGE_DAYS`` the booking horizon of ``range_days`` days spans."""
    return max(-(-range_days // PAGE_DAYS), 1)


def search_window(today, start_days, range_days, page=0):
    """First day and the day after the last day of a page of the search (patient's dates).

    The search runs from ``start_days`` after ``today`` for ``range_days`` days: the booking
    horizon. Page 0 shows its first ``PAGE_DAYS`` days, each later page the next ones, the
    last page stops at the horizon. Pages outside it are refused.
    """
    if not 0 <= page < page_count(range_days):
        raise ValueError("page out of range")
    horizon_first = today + timedelta(days=start_days)
    horizon_after = horizon_first + timedelta(days=range_days)
    first = horizon_first + timedelta(days=page * PAGE_DAYS)
    return first, min(first + timedelta(days=PAGE_DAYS), horizon_after)


def window_bounds(today, start_days, range_days, tz, page=0):
    """The search window as aware datetimes: local midnight of its first and after-last day."""
    first, after = search_window(today, start_days, range_days, page)
    return _local_midnight(first, tz), _local_midnight(after, tz)


def bookable_horizon(today, start_days, range_days, tz):
    """Earliest and latest (excluded) start: ``start_days`` to ``start_days + range_days``."""
    first = today + timedelta(days=start_days)
    return _local_midnight(first, tz), _local_midnight(first + timedelta(days=range_days), tz)


def month_of(value):
    """The first day of the month of ``value`` (a date)."""
    return value.replace(day=1)


def next_month(month):
    """The first day of the month after the one starting on ``month``."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_window(month, horizon_first, horizon_after, tz):
    """The part of the booking horizon (aware instants) in the month starting on ``month``
    (a date, in ``tz``): ``(first instant, after-last instant)``, aware.

    :raises ValueError: a month the horizon does not reach
    """
    first = max(horizon_first, _local_midnight(month, tz))
    after = min(horizon_after, _local_midnight(next_month(month), tz))
    if first >= after:
        raise ValueError("month outside the booking horizon")
    return first, after


def horizon_months(horizon_first, horizon_after, tz):
    """``(first month, last month)`` the booking horizon reaches, as first days in ``tz``."""
    last_instant = horizon_after - timedelta(seconds=1)
    return (month_of(horizon_first.astimezone(tz).date()),
            month_of(last_instant.astimezone(tz).date()))


def page_of(day, today, start_days):
    """The page of the search that shows ``day``."""
    return max((day - today - timedelta(days=start_days)).days // PAGE_DAYS, 0)


def earliest_new_start(now, min_hours_new):
    """The minimum notice: a new appointment starts at or after this time."""
    return _utc(now) + timedelta(hours=max(min_hours_new or 0, 0))


def change_allowed(start, now, min_hours_change):
    """Whether an appointment starting at ``start`` may still be moved or cancelled."""
    return _utc(start) - _utc(now) >= timedelta(hours=max(min_hours_change or 0, 0))


def _utc(value):
    if value.tzinfo is None:
        raise ValueError("naive datetime: %r" % (value,))
    return value.astimezone(UTC)


def to_naive_utc(value):
    """An aware datetime as Odoo stores it: naive UTC."""
    return _utc(value).replace(tzinfo=None)


def from_naive_utc(value):
    """A datetime as Odoo stores it (naive UTC) as an aware UTC datetime."""
    return value.replace(tzinfo=UTC)


def _local_midnight(day, tz):
    naive = datetime.combine(day, time.min)
    localize = getattr(tz, "localize", None)  # pytz zones need localize(), zoneinfo does not
    return localize(naive) if localize else naive.replace(tzinfo=tz)
