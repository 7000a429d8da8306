"""Shared pieces of the benchmark and load scripts (tests/bench, tests/load)."""

import json
import os
import resource
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


# --- the swarm (Locust), in the load tools' own virtual environment -----------------------
LOAD_VENV = ROOT / "var" / "load-venv"
LOAD_REQUIREMENTS = ROOT / "requirements-load.txt"


def locust_python():
    """The Python of the load tools' virtual environment, made on first use from
    requirements-load.txt (Locust needs a newer gevent than Odoo 19 pins, so it never shares
    Odoo's); None, with the reason printed in one line, when it cannot be made."""
    python = LOAD_VENV / "bin" / "python"
    probe = [str(python), "-c", "import locust"]
    if python.exists() and subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return python
    print("load: installing Locust in var/load-venv (once)", flush=True)
    steps = ([sys.executable, "-m", "venv", "--clear", str(LOAD_VENV)],
             [str(python), "-m", "pip", "install", "-q", "-r", str(LOAD_REQUIREMENTS)], probe)
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode:
            lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
            print(f"SKIPPED load: Locust could not be installed ({lines[-1]})")
            return None
    return python


def run_swarm(python, plan):
    """Run tests/load/swarm.py with ``plan``; its summary (a dict) and the CPU seconds the
    swarm itself used. Locust's tables are printed as they come."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([str(python), str(ROOT / "tests" / "load" / "swarm.py")],
                          input=json.dumps(plan), stdout=subprocess.PIPE, text=True,
                          check=False, timeout=plan["deadline"] + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        raise SystemExit(f"load: the swarm failed (exit {done.returncode})")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(lines[-1]), cpu


def cpu_seconds(process_groups=(), command=None):
    """CPU seconds used so far by the processes of ``process_groups``, or by those whose
    command is ``command`` (read from /proc; Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        name, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:]
        fields = rest.split()
        if int(fields[2]) in process_groups or name == command:
            total += int(fields[11]) + int(fields[12])
    return total / tick
