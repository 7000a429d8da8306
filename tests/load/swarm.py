"""The patients' swarm of the load scripts, with Locust as a library (headless).

Runs in the load tools' own virtual environment (``tests/harness.py`` ``locust_python``):
Locust needs a newer gevent than Odoo 19 pins, so it never shares Odoo's. Knows nothing of
Odoo: the harness logs the patients in, hands their sessions over, starts and stops the servers
and reads the outcome from the database.

Reads a plan (JSON) on standard input, of one of two scenarios. "pages", the default::

    {"servers": {"http://127.0.0.1:8101": ["<session id>", ...], ...},
     "paths": ["/my/...", ...], "rounds": 5, "spawn_rate": 50, "expect": "<text>",
     "name": "times route", "report": "<html file>", "deadline": 300}

Each session is one patient, a Locust user on its server, who opens each path of ``paths``
in turn ``rounds`` times over, without pause (a rush: no think time), then stops. An answer
is a failure unless it is HTTP 200 and contains ``expect``. "race"::

    {"scenario": "race", "action": "book",
     "users": [{"index": 0, "base": "http://127.0.0.1:8101",
                "cookies": [["session_id", "<id>", "<domain>", "/"]], "args": {...}}, ...],
     "spawn_rate": 50, "report": "<html file>", "deadline": 300}

Each entry of ``users`` is one patient, a Locust user on its server with the patient's
cookies. Every user, once started, waits until all are (Locust's spawning complete), so that
they set off together; then each runs ``action`` once (one of ACTIONS: a function of the load
scripts given a ``Patient`` on the user's own Locust session and the entry's ``args``) and
stops. Its outcome ("booked", "conflict", "error", "other ...") is the answer of that index.

For both, an answer of 500 or more is a server error. Prints Locust's stats tables and error
report (standard error, as its command line does at the end of a run), writes its HTML report
(with its charts) and prints one JSON line last: users, finished, requests, failures,
server_errors, rps, seconds, p50/p95/p99/max (ms), and answers: a race's outcomes by patient
index.
"""

import importlib
import json
import sys
import time
from itertools import cycle
from pathlib import Path

from gevent import monkey

monkey.patch_all()

import gevent  # noqa: E402
from gevent.event import Event  # noqa: E402
from locust import FastHttpUser, HttpUser, constant, task  # noqa: E402
from locust.env import Environment  # noqa: E402
from locust.exception import StopUser  # noqa: E402
from locust.html import get_html_report  # noqa: E402
from locust.log import setup_logging  # noqa: E402
from locust.stats import (  # noqa: E402
    print_error_report,
    print_percentile_stats,
    print_stats,
    stats_history,
)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# What a racer may do: (module, function) of the load scripts, which import Odoo only inside
# the functions that read or seed the database, never at module level.
ACTIONS = {
    "book": ("tests.load.load_booking", "race_turn"),
    "makeup": ("tests.load.load_course", "makeup_turn"),
}


def page_users(plan, outcome, _release):
    """One Locust user class per server, with exactly one user per session given for it."""
    classes = []
    for number, (base, sessions) in enumerate(plan["servers"].items(), start=1):

        class Patient(FastHttpUser):
            host = base
            fixed_count = len(sessions)
            wait_time = constant(0)
            pool = iter(sessions)

            def on_start(self):
                self.session_id = next(type(self).pool)
                self.paths = cycle(plan["paths"])
                self.left = plan["rounds"] * len(plan["paths"])

            @task
            def open_page(self):
                if not self.left:
                    outcome["done"] += 1
                    raise StopUser()
                self.left -= 1
                path = next(self.paths)
                with self.client.get(
                        path, name=plan["name"], catch_response=True,
                        # A prefork worker serves one request per connection.
                        headers={"Cookie": f"session_id={self.session_id}",
                                 "Connection": "close"}) as response:
                    if response.status_code != 200:
                        response.failure(f"HTTP {response.status_code}")
                    elif plan["expect"] not in (response.text or ""):
                        response.failure(f"no {plan['expect']!r} in the answer")

        Patient.__name__ = f"PatientOnServer{number}"
        classes.append(Patient)
    return classes


def race_users(plan, outcome, release):
    """One Locust user class per server, with exactly one user per racer given for it: each
    waits for ``release``, runs the plan's action once on its own session, then stops."""
    # Only a race needs the load scripts' code.
    from tests.load.load_booking import Patient

    module, function = ACTIONS[plan["action"]]
    action = getattr(importlib.import_module(module), function)
    servers = {}
    for racer in plan["users"]:
        servers.setdefault(racer["base"], []).append(racer)
    classes = []
    for number, (base, racers) in enumerate(servers.items(), start=1):

        class Racer(HttpUser):
            host = base
            fixed_count = len(racers)
            wait_time = constant(0)
            pool = iter(racers)

            def on_start(self):
                self.racer = next(type(self).pool)
                for name, value, domain, path in self.racer["cookies"]:
                    self.client.cookies.set(name, value, domain=domain, path=path)

            @task
            def race(self):
                index = self.racer["index"]
                if not release.wait(plan["deadline"]):
                    answer = "other never released"
                else:
                    # The client is a requests session that reports each request to Locust.
                    patient = Patient(index, self.host, session=self.client)
                    try:
                        answer = action(patient, **self.racer["args"])
                    except Exception as exc:  # a surprise is this racer's answer, not the end
                        answer = f"other {type(exc).__name__}: {exc}"
                outcome["answers"][index] = answer
                outcome["done"] += 1
                raise StopUser()

        Racer.__name__ = f"RacerOnServer{number}"
        classes.append(Racer)
    return classes


SCENARIOS = {"pages": page_users, "race": race_users}


def main():
    plan = json.load(sys.stdin)
    scenario = plan.get("scenario", "pages")
    outcome = {"done": 0, "server_errors": 0, "answers": {}}
    release = Event()
    env = Environment(user_classes=SCENARIOS[scenario](plan, outcome, release))
    # The race's start line: every user started, they set off together.
    env.events.spawning_complete.add_listener(lambda user_count: release.set())

    def count_server_error(response=None, **_meta):
        if (getattr(response, "status_code", None) or 0) >= 500:
            outcome["server_errors"] += 1

    env.events.request.add_listener(count_server_error)
    runner = env.create_local_runner()
    # The report's charts: Locust's command line samples the stats for them, a library must.
    gevent.spawn(stats_history, runner)
    users = sum(cls.fixed_count for cls in env.user_classes)
    began = time.monotonic()
    runner.start(users, spawn_rate=plan["spawn_rate"])
    deadline = began + plan["deadline"]
    while outcome["done"] < users and time.monotonic() < deadline:
        gevent.sleep(0.1)
    seconds = time.monotonic() - began
    runner.quit()
    # Locust's own summary of a run, on standard error: the harness shows it.
    setup_logging("INFO")
    print_stats(env.stats, current=False)
    print_percentile_stats(env.stats)
    print_error_report(env.stats)
    total = env.stats.total
    Path(plan["report"]).write_text(get_html_report(env), encoding="utf-8")
    print(json.dumps({
        "users": users, "finished": outcome["done"], "requests": total.num_requests,
        "failures": total.num_failures, "server_errors": outcome["server_errors"],
        "rps": total.num_requests / seconds if seconds else 0.0, "seconds": seconds,
        **{f"p{int(share * 100)}": total.get_response_time_percentile(share)
           for share in (0.5, 0.95, 0.99)},
        "max": total.max_response_time, "answers": outcome["answers"],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
