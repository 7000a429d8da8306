"""make load-booking: 50 patients race for 20 free times, then for 20 paid times, over HTTP on
two Odoo servers.

Loopback only and bounded: prepares a database of its own (50 portal patients; one staff member
whose calendar has exactly 20 30-minute times tomorrow for a free service, another with 20 the
day after for a service paid at booking; Odoo's Demo payment provider in test mode), starts two
Odoo servers on free 127.0.0.1 ports over that database, prefork with --workers N each (Odoo's
multi-process server, as a clinic deploys it; 0: threaded, as in development), and logs the
patients in, half on each server. Then two races, run by Locust's swarm (tests/load/swarm.py):
one Locust user per patient, all started, then set off together, each firing their booking
(patient i wants time i mod 20, so every time is wanted by two or three patients):

- free: exactly 20 bookings succeed, the other patients are told the time was taken;
- paid: each patient whose time is held for them pays it as the payment form does through
  EasyCard (its simulator, started by this script on a free loopback port): the payment page,
  the appointment's transaction route (flow "redirect"), EasyCard's checkout page and its
  payment with the simulator's approved test card, the return to Odoo (on the patient's own
  server, as behind a load balancer), then the payment status page, polled until the payment
  is final (which books the appointment), and the appointment's page. Meanwhile EasyCard's
  webhooks are delivered every half second, to each server in turn, racing the returns.
  With --provider demo: Odoo's Demo provider instead (flow "direct", simulated payment).

Then 8 of the patients read /my/appointments, --reads times in all, without pause (a pages
swarm). Locust's stats tables are printed, a step of the flow a row ("book", "pay page",
"transaction", "status poll", ...), and its HTML reports written to var/load-booking-free.html,
-paid.html and -reads.html. Read from the database afterwards: the paid appointments (active,
paid by a confirmed payment) and the patients charged without an appointment (a confirmed
payment that is not the payment of an active, paid appointment and was not refunded).
Server errors: HTTP 5xx, JSON-RPC errors that are no message for the user, and tracebacks in
the servers' logs. Exit non-zero unless both races book 20, nobody is charged without an
appointment, every read shows the list and no server error occurs. Without Odoo 19, or when
Locust cannot be installed: one line SKIPPED and exit 0.
The last line (B and C of the paid race): booking load: <B> booked, <C> conflicts,
<E> server errors, <P> paid without slot, <R> req/s on /my/appointments
and, through EasyCard, the line before it: easycard: <N> charges for <B> paid appointments
and <F> refunds (exit non-zero unless N = B + F).
"""

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import requests
from urllib3.util.retry import Retry

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from easycard_simulator.server import make_server as easycard_server  # noqa: E402
from tests.harness import ensure_database, free_port, locust_python, run_swarm  # noqa: E402

PATIENTS = 50
SERVERS = 2
# Per server: enough that the 25 patients of a server fit its listen queue (8 per worker;
# beyond it the kernel resets connections) and that a worker waiting on PostgreSQL leaves the
# core to another.
WORKERS = 4
READERS = 8  # patients reading /my/appointments at once
FREE_TIMES = 20
PREFIX = "load_booking_"
TAKEN = "This time was just taken"
PAID_PRICE = 100.0
POLLS = 20  # payment status polls per patient, 0.5 s apart
FINAL_STATES = ("authorized", "done", "cancel", "error")
DEADLINE = 420  # seconds for the whole run, from the first login
EASYCARD_TERMINAL = "6f1ee8e2-7c57-4b8e-9d33-3a9f7f2a1c01"
EASYCARD_KEY = "load-easycard-key"
WEBHOOK_EVERY = 0.5  # seconds between two deliveries of EasyCard's queued webhooks


class Answer(Exception):
    """Ends one patient's run with an outcome: "error" or "other <what>"."""


def prepare(conf, db, provider_code, easycard_url=None):
    """Create the database if needed and seed it, the paid race paid through
    ``provider_code``; returns the patients' partner ids and, per race ("free", "paid"),
    (service id, staff id, times)."""
    ensure_database(conf, db, "clinic_portal", label="load",
                    extra=("payment_demo", "payment_easycard"))
    from odoo import SUPERUSER_ID, api
    from odoo.fields import Command
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["-c", str(conf), "-d", db, "--log-level=warn"])
    with Registry(db).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        stamp = str(int(time.time()))
        old = env["res.users"].with_context(active_test=False).search(
            [("login", "like", PREFIX + "%")])
        env["calendar.event"].with_context(active_test=False).search(
            [("partner_ids", "in", old.partner_id.ids)]).unlink()
        for user in old:
            user.write({"login": f"old_{stamp}_{user.id}", "active": False,
                        "clinic_portal_bookable": False})
        env.company.write({
            "clinic_portal_enabled": True, "clinic_portal_self_scheduling": True,
            "clinic_portal_min_hours_new": 0, "clinic_portal_prevent_gaps": False,
            "clinic_portal_prevent_parallel": True, "clinic_portal_future_limit": 0,
            "clinic_portal_search_start_days": 0, "clinic_portal_search_range_days": 30,
            # 30-minute times for the 30-minute service: 20 of them in the open day.
            "clinic_portal_slot_step": 0, "clinic_portal_hold_minutes": 15,
            # Mandatory forms would hold every patient back: this load is about the race.
            "clinic_mandatory_form_ids": [Command.clear()]})
        _prepare_provider(env, provider_code, easycard_url)
        hours = env["resource.calendar"].create({
            "name": f"Load hours {stamp}", "tz": "UTC",
            "attendance_ids": [Command.create({"name": f"{d}", "dayofweek": str(d),
                                               "hour_from": 8, "hour_to": 18,
                                               "day_period": "morning"}) for d in range(7)]})
        env["res.users"].create([{
            "name": f"Load Patient {i:02d}", "login": f"{PREFIX}patient_{i}",
            "password": f"{PREFIX}pw_{i}", "tz": "UTC",
            "group_ids": [Command.set([env.ref("base.group_portal").id])]}
            for i in range(PATIENTS)])
        patients = env["res.users"].search([("login", "like", f"{PREFIX}patient_%")]).partner_id
        races = {
            "free": _race_seed(env, hours, "free", 1, 0.0, False, patients[:1]),
            "paid": _race_seed(env, hours, "paid", 2, PAID_PRICE, True, patients[:1]),
        }
        partner_ids = patients.ids
        cr.commit()
    return partner_ids, races


def _prepare_provider(env, provider_code, easycard_url):
    """The company's provider of ``provider_code`` in test mode, the only one published;
    EasyCard's pointed at the simulator."""
    providers = env["payment.provider"].search([("company_id", "=", env.company.id),
                                                ("code", "in", ("demo", "easycard"))])
    provider = providers.filtered(lambda p: p.code == provider_code)[:1]
    if not provider:
        raise SystemExit(f"load: the company has no {provider_code} payment provider")
    (providers - provider).write({"is_published": False})
    values = {"state": "test", "is_published": True}
    if provider_code == "easycard":
        values.update(easycard_terminal_id=EASYCARD_TERMINAL, easycard_private_key=EASYCARD_KEY,
                      easycard_server_url=easycard_url)
    provider.write(values)
    provider.payment_method_ids.write({"active": True})
    # Its payment journal, as its form sets it: until then each payment that reads it
    # adds a payment method line, and parallel first payments leave several, which no
    # later payment can be booked with.
    lines = env["account.payment.method.line"].search_count(
        [("payment_provider_id", "=", provider.id)]) if provider.journal_id else 0
    if lines != 1:
        raise SystemExit(f"load: the {provider_code} provider has {lines} payment method "
                         "lines, not 1: drop the database to start afresh")


def _race_seed(env, hours, name, days_ahead, price, prepaid, patient):
    """A staff member open only ``days_ahead`` days from now (08:00-18:00, so 20 30-minute
    times) and a 30-minute service of ``price`` that only they give: (service, staff, times)."""
    from odoo.fields import Command

    staff = env["res.users"].create({
        "name": f"Load Staff {name}", "login": f"{PREFIX}staff_{name}", "tz": "UTC",
        "group_ids": [Command.set([env.ref("base.group_user").id])]})
    staff.write({"resource_calendar_id": hours.id, "clinic_portal_bookable": True})
    day = (datetime.now(UTC) + timedelta(days=days_ahead)).replace(
        hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    env["resource.calendar.leaves"].create([
        {"name": "Closed", "resource_id": staff.resource_ids.id, "calendar_id": hours.id,
         "date_from": day - timedelta(days=5), "date_to": day},
        {"name": "Closed", "resource_id": staff.resource_ids.id, "calendar_id": hours.id,
         "date_from": day + timedelta(days=1), "date_to": day + timedelta(days=400)}])
    product = env["product.template"].create({
        "name": f"Load {name} check-up {hours.name}", "type": "service", "list_price": price,
        "clinic_duration_minutes": 30, "clinic_portal_visible": True,
        "clinic_prepayment_required": prepaid,
        "clinic_staff_user_ids": [Command.set(staff.ids)]}).product_variant_id
    availability = env["clinic.availability.engine"]
    policy = env.company._clinic_portal_policy()
    start, end = availability._window(patient, policy)
    times = availability._free_starts(patient, product, staff, start, end, policy)[staff.id]
    if len(times) != FREE_TIMES:
        raise SystemExit(f"load: expected {FREE_TIMES} {name} times, got {len(times)}")
    return product.id, staff.id, [t.strftime("%Y%m%dT%H%MZ") for t in times]


def odoo_command():
    """odoo-bin when present: the prefork server re-runs its own argv[0] for the websocket
    process, which ``python -m odoo`` cannot serve."""
    import odoo.release
    script = Path(odoo.release.__file__).resolve().parents[1] / "odoo-bin"
    return [sys.executable, str(script)] if script.exists() else [sys.executable, "-m", "odoo"]


def start_server(conf, db, log, workers):
    """One Odoo server on free loopback ports (HTTP, and websocket when prefork); not waited
    for."""
    port = free_port()
    proc = subprocess.Popen(
        [*odoo_command(), "-c", str(conf), "-d", db, f"--db-filter=^{db}$",
         f"--workers={workers}", "--max-cron-threads=0", f"--http-port={port}",
         f"--gevent-port={free_port()}", "--http-interface=127.0.0.1", "--log-level=warn",
         "--limit-time-real=120"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        # Prefork: the bookings queue behind the workers, a queued connection may wait longer
        # than the 2 s a worker gives a client to send its request.
        env={**os.environ, "ODOO_HTTP_SOCKET_TIMEOUT": "60"})
    return proc, f"http://127.0.0.1:{port}"


def wait_ready(proc, base, log):
    for _i in range(120):
        if proc.poll() is not None:
            raise SystemExit(f"load: Odoo exited, see {log.name}")
        try:
            if requests.get(f"{base}/web/login", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise SystemExit("load: Odoo did not start in 120 s")


def stop_server(proc):
    """Stop the server, its workers and its websocket process (its own process group)."""
    if proc.poll() is None:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@contextlib.contextmanager
def odoo_servers(conf, db, name, workers):
    """SERVERS Odoo servers over ``db``, started and ready, each logging to
    var/<name>-odoo-<n>.log: yields their [(process, base URL)] and their logs (read for
    tracebacks once closed). The servers are always stopped."""
    logs = [open(ROOT / "var" / f"{name}-odoo-{n}.log", "w")  # noqa: SIM115 (closed below)
            for n in range(1, SERVERS + 1)]
    servers = []
    try:
        for log in logs:
            servers.append(start_server(conf, db, log, workers))
        for (proc, base), log in zip(servers, logs, strict=True):
            wait_ready(proc, base, log)
        yield servers, logs
    finally:
        for proc, _base in servers:
            stop_server(proc)
        for log in logs:
            log.close()


def csrf_of(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def attribute(html, name):
    match = re.search(rf'{name}="([^"]*)"', html)
    if not match:
        raise Answer(f"other page without {name}")
    return match.group(1)


def server_mode(workers):
    """How the servers run, for the lines that say so."""
    return f"prefork, {workers} workers each" if workers else "threaded (development mode)"


class Patient:
    """A logged-in patient's browser on one server, on a requests session of its own or on
    ``session`` (a Locust user's, which reports each request to Locust). With ``limit`` (a
    semaphore shared by the patients of a server), at most that many of their requests are in
    flight, within the listen queue of a prefork server (8 x workers); beyond it the kernel
    resets connections."""

    def __init__(self, i, base, limit=None, session=None):
        self.i, self.base = i, base
        self.limit = contextlib.nullcontext() if limit is None else limit
        self.session = requests.Session() if session is None else session
        # One connection per request: a prefork worker may close an idle kept-alive connection.
        self.session.headers["Connection"] = "close"
        # Idempotent GETs are retried on a reset connection; POSTs never are.
        self.session.mount("http://", requests.adapters.HTTPAdapter(max_retries=Retry(
            total=3, backoff_factor=0.2, allowed_methods=["GET"])))

    def step(self, name):
        """Within it, the requests are one step of the flow, ``name``: Locust's stats group them
        by it rather than by URL (nothing on a session of its own)."""
        rename = getattr(self.session, "rename_request", None)
        return rename(name) if rename else contextlib.nullcontext()

    def get(self, path, **kw):
        with self.limit:
            return self.session.get(f"{self.base}{path}", timeout=120, **kw)

    def post(self, path, **kw):
        with self.limit:
            try:
                return self.session.post(f"{self.base}{path}", timeout=120,
                                         allow_redirects=False, **kw)
            except requests.ConnectionError as exc:
                raise Answer(f"other {type(exc.args[0]).__name__}") from None

    def page(self, path):
        response = self.get(path)
        if response.status_code >= 500:
            raise Answer("error")
        if response.status_code != 200:
            raise Answer(f"other {response.status_code} on {path}")
        return response.text

    def rpc(self, path, params, retry=False):
        """The result of a JSON-RPC call; None when the server asks to ``retry``."""
        response = self.post(path, json={"jsonrpc": "2.0", "method": "call", "id": self.i,
                                         "params": params})
        if response.status_code >= 500:
            raise Answer("error")
        if response.status_code != 200:
            raise Answer(f"other {response.status_code} on {path}")
        body = response.json()
        if "error" not in body:
            return body.get("result")
        data = body["error"].get("data", {})
        if retry and data.get("message") == "retry":
            return None
        if data.get("name", "").startswith("odoo.exceptions."):
            raise Answer(f"other {data.get('message')}")
        raise Answer("error")

    def login(self):
        page = self.get("/web/login")
        response = self.post("/web/login", data={
            "login": f"{PREFIX}patient_{self.i}", "password": f"{PREFIX}pw_{self.i}",
            "csrf_token": csrf_of(page.text), "redirect": "/my"})
        if response.status_code not in (302, 303):
            raise SystemExit(f"load: login of patient {self.i} failed ({response.status_code})")
        return self

    def book(self, fields):
        """POST the booking; the page it leads to, or "conflict"."""
        with self.step("book"):
            response = self.post("/my/appointments/book/confirm", data=fields)
        if response.status_code in (301, 302, 303) and \
                "/my/appointments/" in response.headers.get("Location", ""):
            return response.headers["Location"].removeprefix(self.base)
        if response.status_code >= 500:
            raise Answer("error")
        if TAKEN in response.text:
            return "conflict"
        raise Answer(f"other {response.status_code}")

    def pay(self, pay_path, provider_code):
        """Pay the held appointment through ``provider_code`` as the payment form does; its
        final payment state."""
        with self.step("pay page"):
            html = self.page(pay_path)
        option = re.search(r'<input[^>]*data-payment-option-type="payment_method"'
                           rf'[^>]*data-provider-code="{provider_code}"[^>]*>', html)
        if not option:
            raise Answer(f"other no {provider_code} payment method on the payment page")
        params = {
            "provider_id": int(attribute(option.group(0), "data-provider-id")),
            "payment_method_id": int(attribute(option.group(0), "data-payment-option-id")),
            "token_id": None, "amount": float(attribute(html, "data-amount")),
            "flow": "redirect" if provider_code == "easycard" else "direct",
            "tokenization_requested": False,
            "landing_route": attribute(html, "data-landing-route"), "is_validation": False,
            "access_token": attribute(html, "data-access-token"),
            "csrf_token": re.search(r'csrf_token: "([^"]+)"', html).group(1)}
        with self.step("transaction"):
            processing = self.rpc(attribute(html, "data-transaction-route"), params)
        if provider_code == "easycard":
            self.pay_on_easycard(processing["redirect_form_html"])
        else:
            with self.step("simulated payment"):
                self.rpc("/payment/demo/simulate_payment", {
                    "reference": processing["reference"], "payment_details": "4242",
                    "simulated_state": "done"})
            with self.step("status page"):
                self.page("/payment/status")
        return self.wait_until_final()

    def pay_on_easycard(self, redirect_form):
        """The redirect form's GET to EasyCard's checkout, the approved test card typed and
        sent there, then EasyCard's redirect back to Odoo, on this patient's server. The
        patient's session goes to EasyCard too, as the browser does: Locust times those steps."""
        action = attribute(redirect_form, "action")
        inputs = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', redirect_form))
        inputs = {name: unescape(value) for name, value in inputs.items()}
        with self.step("easycard checkout"):
            checkout = self.session.get(action, params=inputs, timeout=60)
        if checkout.status_code != 200:
            raise Answer(f"other EasyCard's checkout answered {checkout.status_code}")
        with self.step("easycard payment"):
            paid = self.session.post(f"{action}/pay", allow_redirects=False, timeout=60, data={
                **inputs, "cardNumber": "4111111111111111", "cvv": "123",
                "expiry": f"12/{datetime.now(UTC).year + 3}", "cardOwnerName": "Load Patient",
                "action": "pay"})
        back = urlsplit(paid.headers.get("Location", ""))
        if paid.status_code not in (302, 303) or back.path != "/payment/easycard/return":
            raise Answer(f"other EasyCard did not send the payer back ({paid.status_code})")
        with self.step("easycard return"):
            self.page(f"{back.path}?{back.query}")

    def wait_until_final(self):
        for _i in range(POLLS):
            with self.step("status poll"):
                status = self.rpc("/payment/status/poll", {}, retry=True)
            if status and status["state"] in FINAL_STATES:
                with self.step("appointment page"):
                    self.page(status["landing_route"])
                return status["state"]
            time.sleep(0.5)
        raise Answer("other payment not final")


def race_turn(patient, token, service, staff, start, paid, provider_code):
    """One patient's turn in a race, once set off: book ``start`` and, in the paid race, pay
    the time held for them through ``provider_code``. Their outcome: "booked", "conflict",
    "error" or "other <what>"."""
    try:
        landed = patient.book({"csrf_token": token, "service": service, "staff": staff,
                               "start": start})
        if landed == "conflict" or not paid:
            return "conflict" if landed == "conflict" else "booked"
        if not landed.endswith("/pay"):
            return f"other landed on {landed}"
        state = patient.pay(landed, provider_code)
        return "booked" if state == "done" else f"other payment {state}"
    except Answer as answer:
        return answer.args[0]


def run_race(python, action, patients, arguments, report, deadline):
    """Set ``patients`` off together in Locust's swarm, each running ``action`` (one of
    swarm.py's ACTIONS) on their own session with their own ``arguments``; their outcomes, in
    order ("other unfinished" for those the ``deadline``, in seconds, cut short)."""
    summary, _cpu = run_swarm(python, {
        "scenario": "race", "action": action, "spawn_rate": len(patients),
        "report": str(report), "deadline": deadline,
        "users": [{"index": patient.i, "base": patient.base, "args": args,
                   "cookies": [[cookie.name, cookie.value, cookie.domain, cookie.path]
                               for cookie in patient.session.cookies]}
                  for patient, args in zip(patients, arguments, strict=True)]})
    return [summary["answers"].get(str(patient.i), "other unfinished") for patient in patients]


def sessions_of(patients):
    """The patients' session ids by server, as a pages swarm's plan takes them."""
    sessions = {}
    for patient in patients:
        sessions.setdefault(patient.base, []).append(patient.session.cookies.get("session_id"))
    return sessions


def race(python, patients, name, service, staff, times, paid, provider_code, deadline):
    """The 50 bookings set off together; each patient's outcome."""
    tokens = []
    for i, patient in enumerate(patients):
        try:
            tokens.append(csrf_of(patient.page(
                f"/my/appointments/book/confirm?service={service}&staff={staff}"
                f"&start={times[i % FREE_TIMES]}")))
        except Answer as answer:
            raise SystemExit(f"load: confirm page of patient {i}: {answer}") from None
    return run_race(python, "book", patients, [
        {"token": tokens[i], "service": service, "staff": staff,
         "start": times[i % FREE_TIMES], "paid": paid, "provider_code": provider_code}
        for i in range(len(patients))], ROOT / "var" / f"load-booking-{name}.html", deadline)


def database_counts(db, partner_ids, paid_service):
    """(paid appointments, patients charged without an appointment), read from the database:
    an appointment counts when active and paid by a confirmed payment; a confirmed payment
    (not a refund) that is not the payment of an active, paid appointment and has no confirmed
    refund is a patient charged without an appointment."""
    from odoo.modules.registry import Registry

    with Registry(db).cursor() as cr:
        cr.execute("""
            SELECT count(*) FROM calendar_event event
              JOIN payment_transaction tx ON tx.id = event.clinic_transaction_id
             WHERE event.clinic_product_id = %s AND event.active
               AND event.clinic_payment_state = 'paid' AND tx.state = 'done'
        """, [paid_service])
        booked = cr.fetchone()[0]
        cr.execute("""
            SELECT count(*) FROM payment_transaction tx
             WHERE tx.partner_id = ANY(%s) AND tx.state = 'done' AND tx.operation != 'refund'
               AND NOT EXISTS (SELECT 1 FROM calendar_event event
                                WHERE event.clinic_transaction_id = tx.id AND event.active
                                  AND event.clinic_payment_state = 'paid')
               AND NOT EXISTS (SELECT 1 FROM payment_transaction refund
                                WHERE refund.source_transaction_id = tx.id
                                  AND refund.operation = 'refund' AND refund.state = 'done')
        """, [partner_ids])
        charged = cr.fetchone()[0]
        cr.rollback()
    return booked, charged


def tracebacks(logs):
    return sum(Path(log.name).read_text(errors="replace").count("Traceback (most recent call")
               for log in logs)


def odoo_19():
    try:
        import odoo.release
    except ImportError:
        return False
    return odoo.release.version_info[:2] == (19, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="clinic_bench_portal")
    parser.add_argument("--config", default=str(ROOT / "var" / "odoo-test.conf"))
    parser.add_argument("--reads", type=int, default=300,
                        help=f"GET /my/appointments in all, {READERS} patients at once")
    parser.add_argument("--workers", type=int, default=WORKERS,
                        help="HTTP workers per server (prefork); 0: a threaded server")
    parser.add_argument("--provider", choices=("easycard", "demo"), default="easycard",
                        help="who is paid in the paid race: EasyCard (its simulator) or "
                             "Odoo's Demo provider")
    args = parser.parse_args()
    if not odoo_19():
        print("SKIPPED load-booking: Odoo 19 not installed (see README)")
        return 0
    python = locust_python()
    if not python:
        return 0
    simulator = None
    if args.provider == "easycard":
        simulator = easycard_server("127.0.0.1", 0, EASYCARD_TERMINAL, EASYCARD_KEY)
        threading.Thread(target=simulator.serve_forever, daemon=True).start()
    try:
        return run_load(args, python, simulator)
    finally:
        if simulator:
            simulator.shutdown()
            simulator.server_close()


def run_load(args, python, simulator):
    partner_ids, races = prepare(args.config, args.database, args.provider,
                                 simulator.base_url if simulator else None)
    with odoo_servers(args.config, args.database, "load-booking", args.workers) \
            as (servers, logs):
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=10) as pool:
            patients = list(pool.map(
                lambda i: Patient(i, servers[i % SERVERS][1]).login(), range(PATIENTS)))
        print(f"load: {PATIENTS} patients logged in on {SERVERS} servers "
              f"({server_mode(args.workers)})", flush=True)
        hooks = WebhookSender(simulator, [base for _proc, base in servers])
        with hooks:
            answers, errors, reads = races_and_reads(python, patients, races, args.reads,
                                                     started, args.provider)
        errors += hooks.errors
        elapsed = time.monotonic() - started
    errors += tracebacks(logs)
    paid, charged = database_counts(args.database, partner_ids, races["paid"][0])
    conflicts = answers["paid"].count("conflict")
    balanced = True
    if simulator:
        charges, refunds = easycard_counts(simulator, args.database, partner_ids)
        balanced = charges == paid + refunds
        print(f"easycard: {charges} charges for {paid} paid appointments and {refunds} refunds"
              f" ({hooks.sent} webhooks delivered, {hooks.errors} answered with a server error)")
    print(f"booking load: {paid} booked, {conflicts} conflicts, {errors} server errors, "
          f"{charged} paid without slot, {reads['rps']:.1f} req/s on /my/appointments")
    if elapsed > DEADLINE:
        raise SystemExit("load: over the time limit")
    unread = reads["failures"] + reads["users"] - reads["finished"]
    ok = (answers["free"].count("booked") == paid == FREE_TIMES and not errors and not charged
          and not unread)
    return 0 if ok and balanced else 1


class WebhookSender:
    """Delivers EasyCard's queued webhooks every WEBHOOK_EVERY seconds, to each server in turn,
    while the races run (nothing without the simulator)."""

    def __init__(self, simulator, bases):
        self.simulator, self.bases = simulator, bases
        self.sent = self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        if self.simulator:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(30)
        self._deliver(self.bases[0])  # what is left

    def _run(self):
        turn = 0
        while not self._stop.wait(WEBHOOK_EVERY):
            self._deliver(self.bases[turn % len(self.bases)])
            turn += 1

    def _deliver(self, base):
        if not self.simulator:
            return
        for delivery in self.simulator.deliver_webhooks(f"{base}/payment/easycard/webhook"):
            self.sent += 1
            self.errors += int(delivery["status"] is None or delivery["status"] >= 500)


def easycard_counts(simulator, db, partner_ids):
    """(approved charges EasyCard made, refunds Odoo confirmed): every approved charge must
    be a paid appointment's or refunded."""
    deals = simulator.store.dump()["transactions"]
    charges = sum(1 for deal in deals if deal["specialTransactionType"] == "regularDeal"
                  and deal["status"] in ("awaitingForTransmission", "completed", "chargeback",
                                         "cancelledByMerchant"))
    from odoo.modules.registry import Registry

    with Registry(db).cursor() as cr:
        cr.execute("""
            SELECT count(*) FROM payment_transaction refund
              JOIN payment_provider provider ON provider.id = refund.provider_id
             WHERE refund.partner_id = ANY(%s) AND refund.operation = 'refund'
               AND refund.state = 'done' AND provider.code = 'easycard'
        """, [partner_ids])
        refunds = cr.fetchone()[0]
        cr.rollback()
    return charges, refunds


def time_left(started, deadline=DEADLINE):
    """Seconds left of a run of ``deadline`` seconds from ``started``: a swarm's own deadline
    (a few seconds at least, for the swarm to stop and report)."""
    return max(deadline - (time.monotonic() - started), 10)


def races_and_reads(python, patients, races, reads, started, provider_code):
    """The free and the paid race, then ``reads`` GET /my/appointments by READERS patients at
    once: (answers of each race, server errors, the reads' swarm summary)."""
    answers = {}
    for name in ("free", "paid"):
        outcomes = answers[name] = race(python, patients, name, *races[name],
                                        paid=name == "paid", provider_code=provider_code,
                                        deadline=time_left(started))
        others = sorted({o for o in outcomes if o.startswith("other")})
        print(f"load: {name} race, {PATIENTS} patients for {FREE_TIMES} times: "
              f"{outcomes.count('booked')} booked, {outcomes.count('conflict')} conflicts, "
              f"{outcomes.count('error')} server errors at "
              f"{time.monotonic() - started:.1f} s; other answers: {others or 'none'}",
              flush=True)
    errors = answers["free"].count("error") + answers["paid"].count("error")
    summary, _cpu = run_swarm(python, {
        "servers": sessions_of(patients[:READERS]), "paths": ["/my/appointments"],
        "rounds": -(-reads // READERS), "spawn_rate": READERS,
        "expect": "o_clinic_appointments", "name": "my appointments",
        "report": str(ROOT / "var" / "load-booking-reads.html"), "deadline": time_left(started)})
    print(f"load: /my/appointments read {summary['requests']} times by {READERS} patients at "
          f"once: {summary['failures']} failed, {summary['server_errors']} server errors; "
          f"p50 {summary['p50']:.0f} ms, p95 {summary['p95']:.0f} ms, "
          f"max {summary['max']:.0f} ms", flush=True)
    return answers, errors + summary["server_errors"], summary


if __name__ == "__main__":
    sys.exit(main())
