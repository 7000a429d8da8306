"""Seats and make-up sessions of courses, as plain functions (no Odoo import)."""


def makeup_left(allowance, used):
    """Make-up sessions an enrollment may still book online: the company's allowance less
    those it holds; never below 0 (staff may book beyond it)."""
    return max((allowance or 0) - used, 0)


def first_free_seat(taken, capacity):
    """The lowest seat number of ``1..capacity`` not in ``taken``, or None when all are.

    A live seat holds a number of its meeting, unique and at most the capacity: the
    database refuses a seat more than the capacity, whatever wrote it.
    """
    taken = set(taken)
    return next((number for number in range(1, capacity + 1) if number not in taken), None)
