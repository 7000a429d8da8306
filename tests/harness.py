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


def ensure_database(conf, db, module, label="bench"):
    """``db`` with ``module`` installed (no demo data), updated to this tree's code."""
    probe = subprocess.run(
        ["psql", "-tAc", f"SELECT state FROM ir_module_module WHERE name = '{module}'", db],
        capture_output=True, text=True, check=False)
    installed = probe.stdout.strip() == "installed"
    # A database left by an earlier checkout lacks the columns this code reads: update it.
    print(f"{label}: {'updating' if installed else 'creating'} database {db} with {module}"
          f"{'' if installed else ' (a few minutes)'}", flush=True)
    subprocess.run([sys.executable, "-m", "odoo", "-c", str(conf), "-d", db,
                    "-u" if installed else "-i", module,
                    "--stop-after-init", "--no-http", "--log-level=warn"],
                   cwd=ROOT, check=True)
