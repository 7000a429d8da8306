"""Set-up's PostgreSQL step on a new machine, proven against throwaway clusters.

Each test makes Debian clusters of its own on free ports (never the developer's cluster), runs
``scripts/setup.sh postgresql`` with the project's role absent, and removes the clusters after.
The environment names the role to create as PGUSER/PGPASSWORD, as lib.sh exports it from
odoo.conf: the step must not log in with it to create it.
"""

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import pgcheck  # noqa: E402

VERSION = sorted((p.name for p in Path("/usr/lib/postgresql").iterdir()),
                 key=lambda v: [int(x) for x in v.split(".")])[-1]


def as_root(*cmd):
    return list(cmd) if os.geteuid() == 0 else ["sudo", "-n", *cmd]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clusters():
    """{port: (name, status)} of this machine's Debian clusters of VERSION."""
    out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True)
    rows = (line.split() for line in out.stdout.splitlines())
    return {int(r[2]): (r[1], r[3]) for r in rows if r and r[0] == VERSION}


def drop_cluster(name):
    subprocess.run(as_root("pg_dropcluster", "--stop", VERSION, name), capture_output=True,
                   check=False)


def setup_postgresql(port, user, password):
    env = dict(os.environ, PGHOST="localhost", PGPORT=str(port), PGUSER=user,
               PGPASSWORD=password)
    return subprocess.run(["bash", "scripts/setup.sh", "postgresql"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def login(port, user, password):
    conn = psycopg2.connect(host="localhost", port=port, user=user, password=password,
                            dbname="postgres", connect_timeout=5)
    with conn, conn.cursor() as cr:
        cr.execute("SELECT rolcreatedb FROM pg_roles WHERE rolname = current_user")
        may_create = cr.fetchone()[0]
    conn.close()
    return may_create


def new_role():
    return f"clinic_probe_{secrets.token_hex(4)}", secrets.token_urlsafe(12) + "'\"x"


def test_setup_starts_the_cluster_and_creates_the_role_that_then_logs_in(port, stopped_cluster):
    user, password = new_role()
    first = setup_postgresql(port, user, password)
    assert first.returncode == 0, first.stderr
    assert clusters()[port] == (stopped_cluster, "online")
    assert f"creating role {user}" in first.stdout
    assert login(port, user, password) is True, "the role can log in and create databases"


def test_setup_run_twice_changes_nothing_the_second_time(port, stopped_cluster):
    user, password = new_role()
    assert setup_postgresql(port, user, password).returncode == 0
    again = setup_postgresql(port, user, password)
    assert again.returncode == 0, again.stderr
    assert "creating" not in again.stdout and "starting" not in again.stdout
    assert f"role {user} can log in" in again.stdout
    assert login(port, user, password) is True


def test_setup_creates_a_cluster_on_the_configured_port_when_none_listens_there(port):
    user, password = new_role()
    result = setup_postgresql(port, user, password)
    assert result.returncode == 0, result.stderr
    assert clusters()[port][1] == "online"
    assert login(port, user, password) is True


def test_setup_fails_with_one_line_when_the_existing_role_has_another_password(
        port, stopped_cluster):
    user, password = new_role()
    assert setup_postgresql(port, user, password).returncode == 0
    wrong = setup_postgresql(port, user, "not-the-password")
    assert wrong.returncode != 0
    assert wrong.stderr.strip().splitlines() == [
        f"ERROR: PostgreSQL at localhost:{port} refused the password of role '{user}': put the "
        "role's password in odoo.conf (db_password) or PGPASSWORD, or set it as a superuser: "
        f"ALTER ROLE \"{user}\" PASSWORD '...'"]
    assert "Traceback" not in wrong.stdout + wrong.stderr


def test_connection_problems_read_as_one_line_with_what_to_do(port, stopped_cluster):
    user, password = new_role()
    down = pgcheck.problem("localhost", port, user, password)
    assert down.startswith(f"No PostgreSQL server answers at localhost:{port}: run 'make setup'")
    subprocess.run(as_root("pg_ctlcluster", VERSION, stopped_cluster, "start"), check=True)
    # Over TCP the server answers a missing role like a wrong password, and says neither.
    missing = pgcheck.problem("localhost", port, user, password)
    assert missing == (
        f"PostgreSQL at localhost:{port} refused role '{user}' (no such role, or another "
        "password): run 'make setup' to create it on a local server, or put its password in "
        "odoo.conf (db_password) or PGPASSWORD.")
    assert setup_postgresql(port, user, password).returncode == 0
    assert pgcheck.problem("localhost", port, user, password) is None
    assert pgcheck.problem("localhost", port, user, "wrong") == missing
    assert all("\n" not in line for line in (down, missing))
