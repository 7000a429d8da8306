"""Drop a PostgreSQL database that other sessions may still be using, or say why not.

Every database the test tiers, benchmarks and load scripts drop goes through ``drop_database``.
``DROP DATABASE … WITH (FORCE)`` fails whole when one session in the database belongs to a role
ours may not signal: autovacuum working there by chance, or an administrator's ``psql``. Here
our own role's sessions are ended, a plain ``DROP DATABASE`` asks autovacuum to leave (it
waits up to 5 s for it), and what may not be ended is waited out and tried again until
``timeout``; only then ``DatabaseBusy`` says, in one line, who still holds the database.
"""

import contextlib
import time

import psycopg2
from psycopg2 import errors, sql

# Sessions in the database that our role may end (its own, or a role it has the rights of).
_OURS = """
    SELECT pid FROM pg_stat_activity
     WHERE datname = %s AND pid <> pg_backend_pid()
       AND usesysid IS NOT NULL AND pg_has_role(current_user, usesysid, 'USAGE')
"""
_HOLDERS = """
    SELECT coalesce(usename, backend_type), count(*) FROM pg_stat_activity
     WHERE datname = %s AND pid <> pg_backend_pid() GROUP BY 1 ORDER BY 1
"""


class DatabaseBusy(RuntimeError):
    """The database is still in use when the time allowed to drop it runs out."""


def _exists(cr, name):
    cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    return cr.fetchone() is not None


def _end_our_sessions(cr, name):
    cr.execute(_OURS, (name,))
    for (pid,) in cr.fetchall():
        # It may have gone, or become another role's, in between: the drop says which.
        with contextlib.suppress(psycopg2.Error):
            cr.execute("SELECT pg_terminate_backend(%s)", (pid,))


def drop_database(connect, name, timeout=120.0, pause=1.0):
    """Drop database ``name`` if it exists; True when it was there.

    :param connect: makes a new psycopg2 connection to another database of the server
        (``postgres``), as the role that owns ``name``
    :raise DatabaseBusy: sessions our role may not end still use it after ``timeout`` seconds
    """
    deadline = time.monotonic() + timeout
    conn = connect()
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            while True:
                if not _exists(cr, name):
                    return False
                _end_our_sessions(cr, name)
                try:
                    cr.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(
                        sql.Identifier(name)))
                    return True
                except errors.ObjectInUse:
                    pass
                if time.monotonic() >= deadline:
                    cr.execute(_HOLDERS, (name,))
                    holders = ", ".join(f"{who} ({count})" for who, count in cr.fetchall())
                    raise DatabaseBusy(
                        f"database {name} is still in use after {timeout:.0f} s by sessions "
                        f"this role may not end: {holders or 'none left'}; end them and run "
                        f"again")
                time.sleep(pause)
    finally:
        conn.close()
