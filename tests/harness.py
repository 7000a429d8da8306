"""Shared pieces of the benchmark and load scripts (tests/bench, tests/load)."""

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_database(conf, db, module, label="bench", extra=()):
    """``db`` with ``module`` and the ``extra`` modules installed (no demo data), updated to
    this tree's code."""
    modules = (module, *extra)
    probe = subprocess.run(
        ["psql", "-tAc", "SELECT name FROM ir_module_module WHERE state = 'installed' "
         f"AND name IN ({', '.join(repr(m) for m in modules)})", db],
        capture_output=True, text=True, check=False)
    installed = [m for m in modules if m in probe.stdout.split()]
    missing = [m for m in modules if m not in installed]
    # A database left by an earlier checkout lacks the columns this code reads: update it.
    print(f"{label}: {'updating' if module in installed else 'creating'} database {db} with "
          f"{', '.join(modules)}{'' if module in installed else ' (a few minutes)'}", flush=True)
    subprocess.run([sys.executable, "-m", "odoo", "-c", str(conf), "-d", db,
                    *(["-u", ",".join(installed)] if installed else []),
                    *(["-i", ",".join(missing)] if missing else []),
                    "--stop-after-init", "--no-http", "--log-level=warn"],
                   cwd=ROOT, check=True)
