"""Can the project log into its PostgreSQL server? One line saying what is wrong if not.

Used by the set-up, test, run and benchmark scripts so that a missing role, a wrong password or
a server that is down reads as one sentence with what to do, never as a traceback.

    python3 scripts/pgcheck.py     # PGHOST/PGPORT/PGUSER/PGPASSWORD; exit 0, or 1 and the line
"""

import os
import sys


def where(host, port):
    return f"{host or 'localhost'}:{port or 5432}"


def problem(host, port, user, password, dbname="postgres"):
    """None when ``user`` can log in and create databases, else one line: what and what to do."""
    try:
        import psycopg2
    except ImportError:
        return "psycopg2 is not installed for this Python: run 'make setup'."
    at = where(host, port)
    try:
        conn = psycopg2.connect(dbname=dbname, host=host or None, port=port or None,
                                user=user or None, password=password or None, connect_timeout=5)
    except psycopg2.OperationalError as exc:
        return explain(str(exc), at, user)
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")
            may_create = cr.fetchone()[0]
    finally:
        conn.close()
    if not may_create:
        return (f"PostgreSQL role '{user}' at {at} may not create databases: run 'make setup' "
                f"(local server) or ALTER ROLE \"{user}\" CREATEDB.")
    return None


def explain(error, at, user):
    """Turn libpq's error text into one line with what to do."""
    text = " ".join(error.split())
    if "password authentication failed" in text or "no password supplied" in text:
        # The server gives the same answer for a missing role, so as not to reveal which.
        return (f"PostgreSQL at {at} refused role '{user}' (no such role, or another password): "
                f"run 'make setup' to create it on a local server, or put its password in "
                f"odoo.conf (db_password) or PGPASSWORD.")
    if "does not exist" in text and "role" in text:
        return (f"PostgreSQL at {at} has no role '{user}': run 'make setup' (a local server) or "
                f"CREATE ROLE \"{user}\" LOGIN CREATEDB PASSWORD '...' as a superuser.")
    if any(mark in text for mark in ("Connection refused", "could not connect",
                                     "No such file or directory", "timeout expired",
                                     "could not translate host name")):
        return (f"No PostgreSQL server answers at {at}: run 'make setup' (starts a local server) "
                f"or point odoo.conf or PGHOST/PGPORT at a running one.")
    return f"PostgreSQL at {at}: {text}"


def main():
    env = os.environ
    line = problem(env.get("PGHOST"), env.get("PGPORT"), env.get("PGUSER"),
                   env.get("PGPASSWORD"))
    if line:
        print(line, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
