"""The project's test tiers (make test): static, unit, set-up, Odoo, cron, replica and upgrade.

Each tier prints what it ran; the last line is the total, ``N passed, N failed, N skipped``.
The exit code is non-zero when anything failed.
"""

import argparse
import configparser
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS_DIR = ROOT / "addons"
VAR = ROOT / "var"
PY = os.environ.get("PYTHON", sys.executable)
OUR_MODULES = ("crm_isc_sync", "clinic_pricelist_portal", "clinic_portal", "payment_easycard")
# Installed with our modules for their tests, never a dependency of ours: Odoo's Demo payment
# provider pays the prepayments of the client portal's tests.
TEST_MODULES = ("payment_demo",)
ODOO_SKIP_LINE = "SKIPPED odoo tier: Odoo 19 not installed (see README)"


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def add(self, passed=0, failed=0, skipped=0):
        self.passed += passed
        self.failed += failed
        self.skipped += skipped

    def line(self):
        text = f"{self.passed} passed, {self.failed} failed"
        return text + (f", {self.skipped} skipped" if self.skipped else "")


def run(cmd, log=None, timeout=3600, cwd=ROOT, env=None):
    """Run a command from the project root; return (exit code, output).

    With ``log``, the output streams into that file as it comes, so a long run can be followed.
    ``env`` adds variables to the environment.
    """
    env = {**os.environ, **env} if env else None
    if not log:
        proc = subprocess.run(cmd, cwd=cwd, timeout=timeout, text=True, check=False, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return proc.returncode, proc.stdout
    with open(log, "w") as fh:
        proc = subprocess.run(cmd, cwd=cwd, timeout=timeout, check=False, env=env,
                              stdout=fh, stderr=subprocess.STDOUT)
    return proc.returncode, Path(log).read_text(errors="replace")


# --- static -----------------------------------------------------------------------------------
def static_tier(tally):
    print("== static tier: ruff and pylint-odoo (OCA mandatory checks) over addons/", flush=True)
    checks = [
        ("ruff", [PY, "-m", "ruff", "check", "--config", "config/ruff.toml",
                  *(d for d in ("addons", "his_simulator", "easycard_simulator", "tests")
                    if (ROOT / d).exists()),
                  "--output-format", "concise"]),
        ("pylint-odoo", [PY, "-m", "pylint", "--rcfile", "config/pylintrc-mandatory",
                         *sorted(str(p.relative_to(ROOT)) for p in ADDONS_DIR.iterdir()
                                 if (p / "__manifest__.py").exists())]),
    ]
    for name, cmd in checks:
        code, out = run(cmd)
        if code == 0:
            print(f"  {name}: clean")
            tally.add(passed=1)
        else:
            print(f"  {name}: FINDINGS\n{out}")
            tally.add(failed=1)


# --- unit and set-up ---------------------------------------------------------------------------
def unit_tier(tally):
    print("== unit tier: pytest tests/unit (no Odoo needed)", flush=True)
    pytest_tier(tally, "tests/unit", "unit")


def setup_tier(tally):
    """Set-up's PostgreSQL step against throwaway clusters (tests/setup)."""
    missing = setup_tier_missing()
    if missing:
        print(f"SKIPPED setup tier: {missing}")
        tally.add(skipped=1)
        return
    print("== setup tier: set-up's PostgreSQL step against throwaway clusters", flush=True)
    pytest_tier(tally, "tests/setup", "setup")


def setup_tier_missing():
    """Why the set-up tier cannot run here, or None."""
    if not (shutil.which("pg_createcluster") and Path("/usr/lib/postgresql").is_dir()
            and any(Path("/usr/lib/postgresql").glob("*/bin/postgres"))):
        return "PostgreSQL's server binaries (Debian's postgresql package) are not installed"
    if os.geteuid() != 0 and not shutil.which("sudo"):
        return "creating a PostgreSQL cluster needs root or sudo"
    return None


def pytest_tier(tally, path, name):
    VAR.mkdir(exist_ok=True)
    report = VAR / f"{name}-junit.xml"
    report.unlink(missing_ok=True)
    # pytest-odoo's plugin imports Odoo: these tiers run without it, so they run anywhere.
    code, out = run([PY, "-m", "pytest", path, "-q", "-p", "no:cacheprovider",
                     "-p", "no:odoo", f"--junitxml={report}"])
    print(out.rstrip())
    if not report.exists():
        tally.add(failed=1)
        return
    suite = ET.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    total, failures, errors, skipped = (
        int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
    tally.add(passed=total - failures - errors - skipped, failed=failures + errors,
              skipped=skipped)
    if code not in (0, 1, 5) or (code and not failures + errors):
        tally.add(failed=1)


# --- odoo -------------------------------------------------------------------------------------
def odoo_importable():
    probe = "import odoo.release as r; raise SystemExit(r.version_info[:2] != (19, 0))"
    return subprocess.run([PY, "-c", probe], capture_output=True, check=False).returncode == 0


def write_test_conf():
    """odoo.conf with absolute paths and the connection the environment asks for."""
    parser = configparser.ConfigParser()
    parser.read(ROOT / "odoo.conf")
    opts = parser["options"]
    opts["addons_path"] = str(ADDONS_DIR)
    opts["data_dir"] = str(ROOT / ".odoo-data")
    for key, env in (("db_host", "PGHOST"), ("db_port", "PGPORT"), ("db_user", "PGUSER"),
                     ("db_password", "PGPASSWORD")):
        if os.environ.get(env):
            opts[key] = os.environ[env]
    opts.pop("dbfilter", None)
    opts.pop("db_name", None)
    VAR.mkdir(exist_ok=True)
    conf = VAR / "odoo-test.conf"
    with conf.open("w") as fh:
        parser.write(fh)
    return conf


def our_model_names():
    names = set()
    for path in ADDONS_DIR.glob("*/models/*.py"):
        names.update(re.findall(r"_name = [\"']([\w.]+)[\"']", path.read_text()))
    return names


LOG_LINE = re.compile(r"^\S+ \S+ \d+ (?P<level>WARNING|ERROR|CRITICAL) (?P<db>\S+) "
                      r"(?P<logger>[\w.]+): (?P<msg>.*)")


def our_problems(log_text):
    """WARNING/ERROR/CRITICAL lines that come from, or name, one of our modules or models."""
    # One pass a line, whatever its length (a fuzzed request's message can be 10⁵ characters).
    marks = re.compile(r"\b(?:%s)\b" % "|".join(
        re.escape(m) for m in sorted({*OUR_MODULES, *our_model_names()}, key=len, reverse=True)))
    found = []
    for line in log_text.splitlines():
        match = LOG_LINE.match(line)
        if not match:
            continue
        logger, msg = match["logger"], match["msg"]
        ours = any(logger.startswith(f"odoo.addons.{m}") for m in OUR_MODULES)
        ours = ours or bool(marks.search(msg))
        if ours or "websocket-client module is not installed" in msg:
            found.append(line)
    return found


def odoo_cmd(conf, db, *args):
    return [PY, "-m", "odoo", *args, "-c", str(conf), "-d", db]


def report_step(tally, name, code, problems, log):
    if code == 0 and not problems:
        print(f"  {name}: ok")
        tally.add(passed=1)
        return True
    print(f"  {name}: FAILED (exit {code}, log {log.relative_to(ROOT)})")
    for line in problems[:40]:
        print(f"    {line}")
    tally.add(failed=1)
    return False


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def odoo_tier(tally, keep_db=False):
    if not odoo_importable():
        print(ODOO_SKIP_LINE)
        tally.add(skipped=1)
        return
    print("== odoo tier: install with tests (TransactionCase, HttpCase, tours), upgrade, "
          "uninstall", flush=True)
    if not shutil.which("chromium") and not shutil.which("chromium-browser"):
        print("  chromium: not found, the tours cannot run (make setup installs it)")
    conf = database_conf(tally, "odoo")
    if not conf:
        return
    db = f"clinic_test_{os.getpid()}"
    modules = ",".join(OUR_MODULES)
    tags = ",".join(f"/{m}" for m in OUR_MODULES)
    installed = ",".join(OUR_MODULES + TEST_MODULES)
    if not drop_db(conf, db, tally):
        return
    started = time.time()
    log = VAR / "odoo-install-tests.log"
    code, out = run(odoo_cmd(conf, db) + [
        "-i", installed, "--with-demo", "--test-enable", f"--test-tags={tags}",
        "--stop-after-init", "--http-interface=127.0.0.1", f"--http-port={free_port()}",
        "--log-level=info", "--workers=0", "--max-cron-threads=0",
    ], log=log)
    summary = re.findall(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading", out)
    skipped = [ln for ln in out.splitlines()
               if re.search(r" INFO \S+ odoo\.addons\.(%s)\S*: skipped " % "|".join(OUR_MODULES),
                            ln)]
    # By convention the tests that run a browser tour are named test_tour_*.
    tours = len(re.findall(r"odoo\.addons\.(?:%s)\S*: Starting \S+\.test_tour\w*"
                           % "|".join(OUR_MODULES), out))
    problems = our_problems(out)
    if summary:
        failed, errors, total = (int(x) for x in summary[-1])
        passed = total - failed - errors - len(skipped)
        print(f"  odoo tests: {passed} passed, {failed + errors} failed, {len(skipped)} skipped "
              f"({tours} tour tests) in {time.time() - started:.0f}s")
        tally.add(passed=passed, failed=failed + errors)
        # A skipped test of ours is a failure: tours silently skip without websocket-client.
        tally.add(failed=len(skipped))
        for line in skipped:
            print(f"    skipped test counts as failed: {line}")
        if total == 0 or tours == 0:
            print("  odoo tests: no test or no browser tour ran")
            tally.add(failed=1)
    else:
        print("  odoo tests: no test summary in the log")
        tally.add(failed=1)
    report_step(tally, "install (no WARNING/ERROR from our modules)", code, problems, log)
    for line in re.findall(r"clinic fuzz: \d+ of \d+ routes fuzzed.*", out):
        print(f"  {line.strip()}")

    pytest_odoo_step(tally, conf, db)

    log = VAR / "odoo-upgrade.log"
    code, out = run(odoo_cmd(conf, db) + ["-u", modules, "--stop-after-init", "--no-http",
                                          "--log-level=info"], log=log)
    report_step(tally, "upgrade", code, our_problems(out), log)

    for module in reversed(OUR_MODULES):
        log = VAR / f"odoo-uninstall-{module}.log"
        code, out = run([PY, "-m", "odoo", "module", "uninstall", "-c", str(conf), "-d", db,
                         module], log=log)
        if module_state(conf, db, module) != "uninstalled":
            code = code or 1
        report_step(tally, f"uninstall {module}", code, our_problems(out), log)

    if keep_db:
        print(f"  database kept: {db}")
    else:
        drop_db(conf, db, tally)


def cron_tier(tally):
    """make test-cron: the scheduled jobs of our addons run once each on two prefork Odoo servers
    of one database (tests/load/cron_two_servers.py), counted as one test."""
    if not odoo_importable():
        print("SKIPPED cron tier: Odoo 19 not installed (see README)")
        tally.add(skipped=1)
        return
    print("== cron tier: our scheduled jobs fired at two prefork Odoo servers of one database, "
          "each must run once", flush=True)
    conf = database_conf(tally, "cron")
    if not conf:
        return
    log = VAR / "cron-two-servers.log"
    code, out = run([PY, "tests/load/cron_two_servers.py", "--config", str(conf)], log=log,
                    timeout=600)
    print("\n".join(f"  {line}" for line in out.splitlines()))
    tally.add(passed=int(code == 0), failed=int(code != 0))


def upgrade_tier(tally):
    """A database made by the previously landed version, with data, upgraded to this one."""
    if not odoo_importable():
        print("SKIPPED upgrade tier: Odoo 19 not installed (see README)")
        tally.add(skipped=1)
        return
    baseline = (ROOT / "tests" / "upgrade" / "baseline.txt").read_text().strip()
    print(f"== upgrade tier: a database of {baseline[:7]} (the landed version), with data, "
          "upgraded to this tree", flush=True)
    conf = database_conf(tally, "upgrade")
    if not conf:
        return
    base = VAR / "upgrade-base"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", baseline, "addons"], cwd=ROOT, check=False,
                             capture_output=True)
    if archive.returncode:
        print(f"FAILED upgrade tier: commit {baseline} is not in this clone's history")
        tally.add(failed=1)
        return
    subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
    db = f"clinic_upgrade_{os.getpid()}"
    if not drop_db(conf, db, tally):
        return
    old_addons = str(base / "addons")
    landed = [m for m in OUR_MODULES if (base / "addons" / m).is_dir()]
    new = [m for m in OUR_MODULES if m not in landed]
    # With the Demo provider, so the seeded appointments have payments and a saved card.
    steps = [
        ("install the landed version", odoo_cmd(conf, db) + [
            f"--addons-path={old_addons}", "-i", ",".join(landed + list(TEST_MODULES)),
            "--with-demo",
            "--stop-after-init", "--no-http", "--log-level=info"]),
        ("seed data with the landed version", [
            PY, "tests/upgrade/data.py", "seed", "-c", str(conf), "-d", db,
            f"--addons-path={old_addons}"]),
        ("upgrade to this tree", odoo_cmd(conf, db) + [
            "-u", ",".join(landed), *(["-i", ",".join(new)] if new else []),
            "--stop-after-init", "--no-http", "--log-level=info"]),
        ("the data is intact", [
            PY, "tests/upgrade/data.py", "check", "-c", str(conf), "-d", db,
            f"--addons-path={ADDONS_DIR}"]),
    ]
    for number, (name, cmd) in enumerate(steps, 1):
        log = VAR / f"odoo-upgrade-tier-{number}.log"
        code, out = run(cmd, log=log)
        problems = our_problems(out) if number != 1 else []
        if name == "the data is intact":
            print("\n".join(f"  {line}" for line in out.splitlines()
                            if line.lstrip().startswith("upgrade data:")))
        if not report_step(tally, name, code, problems, log):
            break
    drop_db(conf, db, tally)


def fuzz_tier(tally):
    """make fuzz: the route fuzzer and the HIS contract fuzzers with many more examples."""
    examples = os.environ.get("FUZZ_EXAMPLES", "300")
    print(f"== fuzz tier: every route of our addons, {examples} examples a route and session; "
          "the HIS contract both ways", flush=True)
    VAR.mkdir(exist_ok=True)
    log = VAR / "fuzz-his-contract.log"
    code, out = run([PY, "-m", "pytest", "tests/unit/test_his_contract.py", "-q",
                     "-p", "no:cacheprovider", "-p", "no:odoo", "--hypothesis-show-statistics"],
                    log=log, env={"HIS_FUZZ_EXAMPLES": str(int(examples) * 20)})
    print("\n".join(f"  {line}" for line in out.splitlines()
                    if re.search(r"test_\w+|passing examples|passed|failed", line)))
    tally.add(passed=int(code == 0), failed=int(code != 0))
    if not odoo_importable():
        print("SKIPPED fuzz tier (routes): Odoo 19 not installed (see README)")
        tally.add(skipped=1)
        return
    conf = database_conf(tally, "fuzz")
    if not conf:
        return
    db = f"clinic_fuzz_{os.getpid()}"
    if not drop_db(conf, db, tally):
        return
    log = VAR / "fuzz-routes.log"
    started = time.time()
    code, out = run(odoo_cmd(conf, db) + [
        "-i", ",".join(OUR_MODULES + TEST_MODULES), "--with-demo", "--test-enable",
        "--test-tags=/clinic_portal:TestFuzzRoutes", "--stop-after-init",
        "--http-interface=127.0.0.1", f"--http-port={free_port()}", "--log-level=info",
        "--workers=0", "--max-cron-threads=0"], log=log, timeout=6 * 3600,
        env={"CLINIC_FUZZ_EXAMPLES": examples})
    coverage = re.findall(r"clinic fuzz: \d+ of \d+ routes fuzzed.*", out)
    summary = re.findall(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading", out)
    failed = sum(int(x) for x in summary[-1][:2]) if summary else 1
    print(f"  {coverage[-1].strip() if coverage else 'clinic fuzz: no coverage line'} "
          f"in {time.time() - started:.0f}s")
    report_step(tally, f"routes fuzzed ({failed} failed)", code or failed, our_problems(out), log)
    drop_db(conf, db, tally)


def replica_tier(tally):
    """make test-replica: the client portal's reads on a PostgreSQL hot standby, two prefork
    Odoo servers over throwaway clusters (tests/load/replica_tier.py); one result."""
    print("== replica tier: readonly routes on a hot standby, a lagging booking race, the "
          "standby down", flush=True)
    code, out = run([PY, "tests/load/replica_tier.py"], timeout=600)
    print(out.rstrip())
    if out.startswith("SKIPPED"):
        tally.add(skipped=1)
    else:
        tally.add(passed=int(code == 0), failed=int(code != 0))


def uses_http_case(path):
    """Whether the test module ``path`` uses HttpCase, or a class of a sibling module it
    imports derives from it."""
    text = path.read_text()
    siblings = re.findall(r"^from \.(\w+) import", text, re.M)
    return "HttpCase" in text or any(
        re.search(r"^class \w+\([^)]*\bHttpCase\b", (path.parent / f"{name}.py").read_text(),
                  re.M)
        for name in siblings if (path.parent / f"{name}.py").exists())


def pytest_odoo_step(tally, conf, db):
    """The TransactionCase tests again, under pytest-odoo: both runners must agree."""
    files = sorted(
        str(path.relative_to(ADDONS_DIR))
        for module in OUR_MODULES
        for path in (ADDONS_DIR / module / "tests").glob("test_*.py")
        if not uses_http_case(path))
    log = VAR / "odoo-pytest.log"
    code, out = run([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--odoo-config={conf}",
                     f"--odoo-database={db}", *files], log=log, cwd=ADDONS_DIR)
    summary = re.findall(r"^(?:=+ )?(\d+) passed.*$", out, re.M)
    if code == 0 and summary:
        print(f"  pytest-odoo: {summary[-1]} TransactionCase tests passed ({len(files)} files)")
        tally.add(passed=1)
    else:
        print(f"  pytest-odoo: FAILED (exit {code}, log {log.relative_to(ROOT)})")
        print("\n".join(out.splitlines()[-15:]))
        tally.add(failed=1)


def conf_options(conf):
    parser = configparser.ConfigParser()
    parser.read(conf)
    return parser["options"]


def database_conf(tally, tier):
    """The test configuration, or None (said in one line, counted as failed) when the tier
    cannot log into PostgreSQL."""
    conf = write_test_conf()
    problem = db_problem(conf)
    if problem:
        print(f"FAILED {tier} tier: {problem}")
        tally.add(failed=1)
        return None
    return conf


def db_problem(conf):
    """One line saying why the Odoo tier cannot log into PostgreSQL, or None."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import pgcheck  # scripts/ is not a package

    opts = conf_options(conf)
    return pgcheck.problem(opts.get("db_host"), opts.get("db_port"), opts.get("db_user"),
                           opts.get("db_password"))


def pg_connect(conf, dbname):
    import psycopg2  # only the Odoo tier needs it
    opts = conf_options(conf)
    return psycopg2.connect(dbname=dbname, host=opts.get("db_host"), port=opts.get("db_port"),
                            user=opts.get("db_user"), password=opts.get("db_password"),
                            connect_timeout=10)


def module_state(conf, db, module):
    with pg_connect(conf, db) as conn, conn.cursor() as cr:
        cr.execute("SELECT state FROM ir_module_module WHERE name = %s", (module,))
        row = cr.fetchone()
    conn.close()
    return row and row[0]


def drop_db(conf, db, tally=None):
    """Drop ``db`` and its filestore, whoever else is in it (scripts/pgdrop.py); a database
    that stays busy is one line and a failure, never a traceback."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import pgdrop  # scripts/ is not a package

    try:
        pgdrop.drop_database(lambda: pg_connect(conf, "postgres"), db)
    except pgdrop.DatabaseBusy as exc:
        print(f"  FAILED: {exc}")
        if tally:
            tally.add(failed=1)
        return False
    shutil.rmtree(ROOT / ".odoo-data" / "filestore" / db, ignore_errors=True)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("tier", nargs="?", default="all",
                        choices=["all", "static", "unit", "setup", "odoo", "cron", "replica",
                                 "upgrade", "fuzz"])
    parser.add_argument("--keep-db", action="store_true",
                        help="keep the Odoo test database for inspection")
    parser.add_argument("--write-conf", action="store_true",
                        help="only write var/odoo-test.conf (used by the benchmarks)")
    args = parser.parse_args()
    if args.write_conf:
        write_test_conf()
        return 0
    tally = Tally()
    if args.tier in ("all", "static"):
        static_tier(tally)
    if args.tier in ("all", "unit"):
        unit_tier(tally)
    if args.tier in ("all", "setup"):
        setup_tier(tally)
    if args.tier in ("all", "odoo"):
        odoo_tier(tally, keep_db=args.keep_db)
    if args.tier in ("all", "cron"):
        cron_tier(tally)
    if args.tier in ("all", "replica"):
        replica_tier(tally)
    if args.tier in ("all", "upgrade"):
        upgrade_tier(tally)
    if args.tier == "fuzz":
        fuzz_tier(tally)
    print(tally.line())
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
