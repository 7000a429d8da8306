"""The two database moves every booking makes: its locks, and reads in a new snapshot.

Odoo's transactions are REPEATABLE READ: a booking that waited on a lock still reads the
database as it was when it began, blind to what the booking it waited for committed. So the
re-checks made under the locks read with a second cursor too, which sees a new snapshot.
"""


def lock(env, *keys):
    """Take the transaction-level advisory locks ``keys`` (``(class, id)`` pairs), in the
    order given: callers follow ``const``'s one order of lock classes, so none deadlocks."""
    keys = [key for key in keys if key[1]]
    if keys:
        env.cr.execute(
            "SELECT " + ", ".join(["pg_advisory_xact_lock(%s, %s)"] * len(keys)),
            [value for key in keys for value in key])


def rows(env, query, params, fresh=False):
    """The rows of ``query`` in this transaction's snapshot and, with ``fresh``, those of a
    new snapshot after them (what other transactions committed meanwhile)."""
    env.cr.execute(query, params)
    found = env.cr.fetchall()
    return found + fresh_rows(env, query, params) if fresh else found


def fresh_rows(env, query, params):
    """The rows of ``query`` in a new snapshot alone: what is committed now, without this
    transaction's own changes."""
    with env.registry.cursor() as cr:
        cr.execute(query, params)
        return cr.fetchall()
