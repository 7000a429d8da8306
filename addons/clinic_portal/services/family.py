"""Who may act for whom, by age and by the state of their link: plain Python, no Odoo.

A child is someone under 18. A parent's link to a child is in force until the child's 18th
birthday; an adult's link, given with their consent, until someone ends it. The now-adult
may keep their parent's link from shortly before that birthday on.
"""

from calendar import monthrange
from datetime import date, timedelta

from .. import const


def adult_born_by(today):
    """The last birth date of someone who is an adult on ``today`` (born on 29 February,
    one comes of age on 28 February of a common year)."""
    year = today.year - const.ADULT_AGE
    if (today.month, today.day) == (2, monthrange(today.year, 2)[1]):
        # A 29 February birthday falls on the last day of February of a common year.
        return date(year, 2, monthrange(year, 2)[1])
    return today.replace(year=year)


def is_minor(birthdate, on):
    """Whether someone born on ``birthdate`` is a child on ``on``; unknown: not a child."""
    return bool(birthdate) and birthdate > adult_born_by(on)


def in_force(kind, date_end, birthdate, today):
    """Whether a link of ``kind`` gives access on ``today``."""
    if date_end:
        return False
    return kind == const.FAMILY_CONSENT or is_minor(birthdate, today)


def may_confirm(kind, end_reason, birthdate, today):
    """Whether the family member of a child's link may keep it as an adult on ``today``:
    from ``const.FAMILY_CONFIRM_DAYS`` before their 18th birthday on, and only a link
    that nobody ended (one that ended as they came of age may be taken up again)."""
    if kind != const.FAMILY_MINOR or end_reason not in (None, False, const.FAMILY_END_ADULT):
        return False
    return bool(birthdate) and not is_minor(
        birthdate, today + timedelta(days=const.FAMILY_CONFIRM_DAYS))
