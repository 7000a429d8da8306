"""The one helper that drops the tiers' databases (scripts/pgdrop.py), against a throwaway
cluster: sessions of our role are ended, sessions of a role ours may not end (autovacuum, an
administrator's psql) are waited out, and a database that stays busy is one clear line."""

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest
from test_postgresql_setup import new_role, setup_postgresql

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import pgdrop  # noqa: E402


def as_postgres(*cmd):
    """``cmd`` as the cluster's superuser: a session our role may not end."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return ["sudo", "-n", "-u", "postgres", *cmd]


# psql as the superuser, whatever PGUSER/PGPASSWORD/PGHOST the tiers export for our role.
SUPERUSER_ENV = {name: value for name, value in os.environ.items() if not name.startswith("PG")}


def superuser_psql(port, dbname, query, *options):
    return as_postgres("psql", "-X", *options, "-U", "postgres", "-h", "/var/run/postgresql",
                       "-p", str(port), "-d", dbname, "-c", query)


@pytest.fixture
def server(port, stopped_cluster):
    """A started throwaway cluster with the project's kind of role: may create databases,
    is no superuser. Yields ``connect(dbname)``."""
    user, password = new_role()
    assert setup_postgresql(port, user, password).returncode == 0

    def connect(dbname="postgres"):
        return psycopg2.connect(host="localhost", port=port, user=user, password=password,
                                dbname=dbname, connect_timeout=5)
    yield connect


def create_database(connect, name):
    conn = connect()
    conn.autocommit = True
    with conn.cursor() as cr:
        cr.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def database_exists(connect, name):
    conn = connect()
    with conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        found = cr.fetchone() is not None
    conn.close()
    return found


def superuser_session(port, name, seconds):
    """A superuser's session working in ``name`` for ``seconds``, once it has connected."""
    proc = subprocess.Popen(
        superuser_psql(port, name, f"SELECT pg_sleep({seconds})", "-q"), cwd="/",
        env=SUPERUSER_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    probe = superuser_psql(
        port, "postgres", f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{name}' "
        "AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()", "-tAq")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        out = subprocess.run(probe, capture_output=True, text=True, check=False, cwd="/",
                             env=SUPERUSER_ENV)
        if out.stdout.strip() not in ("", "0"):
            return proc
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"the superuser's session did not start: {proc.communicate()[1]!r}")


def test_our_own_open_sessions_are_ended_and_the_database_dropped(server):
    create_database(server, "clinic_drop_own")
    held = [server("clinic_drop_own") for _n in range(3)]
    with held[0].cursor() as cr:
        cr.execute("SELECT 1")  # idle in a transaction
    assert pgdrop.drop_database(server, "clinic_drop_own", timeout=10) is True
    assert not database_exists(server, "clinic_drop_own")
    assert all(conn.closed or _is_gone(conn) for conn in held)
    assert pgdrop.drop_database(server, "clinic_drop_own", timeout=10) is False


def _is_gone(conn):
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT 1")
    except psycopg2.Error:
        return True
    return False


def test_a_session_of_another_role_is_waited_out_where_a_forced_drop_fails(server, port):
    create_database(server, "clinic_drop_other")
    session = superuser_session(port, "clinic_drop_other", 3)
    try:
        conn = server()
        conn.autocommit = True
        with conn.cursor() as cr, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cr.execute('DROP DATABASE "clinic_drop_other" WITH (FORCE)')  # what failed by chance
        conn.close()
        assert pgdrop.drop_database(server, "clinic_drop_other", timeout=60, pause=0.5)
        assert not database_exists(server, "clinic_drop_other")
    finally:
        session.kill()
        session.wait()


def test_a_database_that_stays_busy_is_one_clear_line_and_is_kept(server, port):
    create_database(server, "clinic_drop_busy")
    session = superuser_session(port, "clinic_drop_busy", 60)
    try:
        with pytest.raises(pgdrop.DatabaseBusy) as busy:
            pgdrop.drop_database(server, "clinic_drop_busy", timeout=2, pause=0.5)
    finally:
        session.kill()
        session.wait()
    message = str(busy.value)
    assert "\n" not in message
    assert message.startswith("database clinic_drop_busy is still in use after 2 s")
    assert "postgres (1)" in message
    assert database_exists(server, "clinic_drop_busy")
