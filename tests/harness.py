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
    """Create ``db`` with ``module`` installed (no demo data) unless it already has it."""
    probe = subprocess.run(
        ["psql", "-tAc", f"SELECT state FROM ir_module_module WHERE name = '{module}'", db],
        capture_output=True, text=True, check=False)
    if probe.stdout.strip() != "installed":
        print(f"{label}: creating database {db} with {module} (a few minutes)", flush=True)
        subprocess.run([sys.executable, "-m", "odoo", "-c", str(conf), "-d", db, "-i", module,
                        "--stop-after-init", "--no-http", "--log-level=warn"],
                       cwd=ROOT, check=True)
