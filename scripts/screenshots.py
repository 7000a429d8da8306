"""Screenshots of the client portal's booking steps, as a patient sees them on a phone.

Logs in as a portal user, walks the booking pages the way a patient taps through them (first
service, first staff member, first day, first time), and saves a full-page PNG of each step,
plus the appointment page and the last mail sent to the patient, from headless Chromium.

    python3 scripts/screenshots.py --url http://127.0.0.1:8069 --lang he \
        --login patient --password patient --out var/screenshots [--width 375]

The mail is read over XML-RPC with --admin-login/--admin-password (default admin/admin).
"""

import argparse
import base64
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from html import unescape
from pathlib import Path

import requests
import websocket


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """Headless Chromium driven over the DevTools protocol: navigate, wait, capture."""

    def __init__(self, width):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="clinic-screens-")
        self.process = subprocess.Popen(
            [shutil.which("chromium") or "chromium", "--headless=new", "--no-sandbox",
             "--disable-gpu", "--hide-scrollbars", f"--remote-debugging-port={self.port}",
             f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.ws = websocket.create_connection(self._page_socket(), timeout=30)
        self.next_id = 0
        self.call("Page.enable")
        self.call("Network.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=800,
                  deviceScaleFactor=2, mobile=True)

    def _page_socket(self):
        for _attempt in range(50):
            try:
                pages = requests.get(f"http://127.0.0.1:{self.port}/json", timeout=2).json()
                return next(p["webSocketDebuggerUrl"] for p in pages if p["type"] == "page")
            except (requests.RequestException, StopIteration):
                time.sleep(0.2)
        raise SystemExit("screenshots: Chromium did not start")

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                return message.get("result", {})

    def wait_event(self, name, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            if message.get("method") == name:
                return
        raise SystemExit(f"screenshots: no {name} within {seconds} s")

    def shoot(self, url, path):
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        time.sleep(0.5)  # web fonts and the frontend's scripts settle
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": size["width"],
                               "height": size["height"], "scale": 1})
        Path(path).write_bytes(base64.b64decode(shot["data"]))
        print(f"  {path.name}: {url}")

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def log_in(base, login, password):
    session = requests.Session()
    page = session.get(f"{base}/web/login", timeout=30).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = session.post(f"{base}/web/login", timeout=30, data={
        "login": login, "password": password, "csrf_token": csrf})
    if "/web/login" in response.url:
        raise SystemExit(f"screenshots: {login} could not log in at {base}")
    return session


def first(pattern, page, what):
    found = re.search(pattern, page)
    if not found:
        raise SystemExit(f"screenshots: no {what} on the page")
    return unescape(found.group(1))


def booking_urls(session, base, prefix):
    """The booking steps' URLs, found as a patient finds them: the first of each list."""
    book = f"{base}{prefix}/my/appointments/book"
    services = re.findall(r'data-service-id="(\d+)"', session.get(book).text)
    # The first service the patient can book now (one may await a payment step or a form).
    for service in services:
        staff_page = f"{book}?service={service}"
        staff = re.search(r'data-staff-id="(\d+)"', session.get(staff_page).text)
        if staff:
            staff = staff.group(1)
            break
    else:
        raise SystemExit(f"screenshots: none of the {len(services)} services offers a staff "
                         "member to this patient (forms due, or payment required)")
    days_page = f"{staff_page}&staff={staff}"
    day = first(r'data-day="([\d-]+)"', session.get(days_page).text, "day with free times")
    times_page = f"{days_page}&day={day}"
    start = first(r'data-start="(\w+)"', session.get(times_page).text, "free time")
    confirm = f"{book}/confirm?service={service}&staff={staff}&start={start}"
    return [("1-services", book), ("2-staff", staff_page), ("3-days", days_page),
            ("4-times", f"{times_page}#o_clinic_times"), ("5-confirm", confirm)]


def last_mail_to(args, login):
    """The body of the newest mail to the patient ``login``, as an HTML file to open."""
    models = xmlrpc.client.ServerProxy(f"{args.url}/xmlrpc/2/object")
    common = xmlrpc.client.ServerProxy(f"{args.url}/xmlrpc/2/common")
    uid = common.authenticate(args.db, args.admin_login, args.admin_password, {})
    call = lambda model, method, *a, **kw: models.execute_kw(  # noqa: E731
        args.db, uid, args.admin_password, model, method, list(a), kw)
    partner = call("res.users", "search_read", [("login", "=", login)],
                   fields=["partner_id"])[0]["partner_id"][0]
    mails = call("mail.mail", "search_read", [("recipient_ids", "in", partner)],
                 fields=["subject", "body_html"], order="id desc", limit=1)
    if not mails:
        return None
    html = (f"<html><head><meta charset='utf-8'><title>{mails[0]['subject']}</title></head>"
            f"<body>{mails[0]['body_html']}</body></html>")
    path = Path(tempfile.mkdtemp(prefix="clinic-mail-")) / "mail.html"
    path.write_text(html, encoding="utf-8")
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", default="clinic")
    parser.add_argument("--lang", default="he", help="the website language's URL code")
    parser.add_argument("--login", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--admin-login", default="admin")
    parser.add_argument("--admin-password", default="admin")
    parser.add_argument("--width", type=int, default=375)
    parser.add_argument("--out", default="var/screenshots")
    parser.add_argument("--book", action="store_true",
                        help="also book the time of the confirm page, then shoot the "
                             "appointment and the confirmation mail")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    prefix = f"/{args.lang}" if args.lang else ""
    session = log_in(args.url, args.login, args.password)
    steps = booking_urls(session, args.url, prefix)
    browser = Browser(args.width)
    try:
        for name, value in session.cookies.items():
            browser.call("Network.setCookie", name=name, value=value, url=args.url)
        for name, url in steps:
            browser.shoot(url, out / f"{name}.png")
        if args.book:
            confirm = session.get(steps[-1][1]).text
            form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', confirm))
            booked = session.post(f"{args.url}/my/appointments/book/confirm", data=form)
            browser.shoot(booked.url, out / "6-appointment.png")
            mail = last_mail_to(args, args.login)
            if mail:
                browser.shoot(mail.as_uri(), out / "7-confirmation-mail.png")
            else:
                print("  7-confirmation-mail: no mail to the patient was queued")
    finally:
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
