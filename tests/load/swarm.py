"""The patients' swarm of the load scripts, with Locust as a library (headless).

Runs in the load tools' own virtual environment (``tests/harness.py`` ``locust_python``):
Locust needs a newer gevent than Odoo 19 pins, so it never shares Odoo's. Knows nothing of
Odoo: the harness logs the patients in, hands their sessions over, starts and stops the servers
and reads the outcome from the database.

Reads a plan (JSON) on standard input::

    {"servers": {"http://127.0.0.1:8101": ["<session id>", ...], ...},
     "paths": ["/my/...", ...], "rounds": 5, "spawn_rate": 50, "expect": "<text>",
     "name": "times route", "report": "<html file>", "deadline": 300}

Each session is one patient, a Locust user on its server, who opens each path of ``paths``
in turn ``rounds`` times over, without pause (a rush: no think time), then stops. An answer
is a failure unless it is HTTP 200 and contains ``expect``; an answer of 500 or more is also a
server error. Prints Locust's stats tables and error report (standard error, as its command
line does at the end of a run), writes its HTML report (with its charts) and prints one JSON
line last: users, finished, requests, failures, server_errors, rps, seconds, p50/p95/p99/max
(ms).
"""

import json
import sys
import time
from itertools import cycle
from pathlib import Path

from gevent import monkey

monkey.patch_all()

import gevent  # noqa: E402
from locust import FastHttpUser, constant, task  # noqa: E402
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


def user_classes(plan, outcome):
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
                    if response.status_code >= 500:
                        outcome["server_errors"] += 1
                    if response.status_code != 200:
                        response.failure(f"HTTP {response.status_code}")
                    elif plan["expect"] not in (response.text or ""):
                        response.failure(f"no {plan['expect']!r} in the answer")

        Patient.__name__ = f"PatientOnServer{number}"
        classes.append(Patient)
    return classes


def main():
    plan = json.load(sys.stdin)
    outcome = {"done": 0, "server_errors": 0}
    env = Environment(user_classes=user_classes(plan, outcome))
    runner = env.create_local_runner()
    # The report's charts: Locust's command line samples the stats for them, a library must.
    gevent.spawn(stats_history, runner)
    users = sum(len(sessions) for sessions in plan["servers"].values())
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
        "max": total.max_response_time,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
