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


def admin_rpc(args):
    """call(model, method, *args, **kwargs) over XML-RPC as the administrator."""
    models = xmlrpc.client.ServerProxy(f"{args.url}/xmlrpc/2/object")
    common = xmlrpc.client.ServerProxy(f"{args.url}/xmlrpc/2/common")
    uid = common.authenticate(args.db, args.admin_login, args.admin_password, {})
    return lambda model, method, *a, **kw: models.execute_kw(
        args.db, uid, args.admin_password, model, method, list(a), kw)


def partner_of(call, login):
    return call("res.users", "search_read", [("login", "=", login)],
                fields=["partner_id"])[0]["partner_id"][0]


def service_pages(session, book):
    """{service id: its staff page's HTML}, in the order the patient sees the services."""
    services = re.findall(r'data-service-id="(\d+)"', session.get(book).text)
    return {service: session.get(f"{book}?service={service}").text for service in services}


def forms_due(page):
    """The links of the forms a service page asks to fill before booking."""
    return [unescape(href) for href in re.findall(r'class="o_clinic_form_link" href="([^"]+)"',
                                                  page)]


def booking_urls(session, base, prefix, prepaid=False):
    """The booking steps' URLs, found as a patient finds them: the first service that can
    be booked now (with a payment step when ``prepaid``), then the first of each list."""
    book = f"{base}{prefix}/my/appointments/book"
    pages = service_pages(session, book)
    for service, page in pages.items():
        staff = re.search(r'data-staff-id="(\d+)"', page)
        if staff and ("o_clinic_prepayment_note" in page) == prepaid:
            staff = staff.group(1)
            staff_page = f"{book}?service={service}"
            break
    else:
        raise SystemExit(f"screenshots: none of the {len(pages)} services offers a staff "
                         f"member to this patient{' with a prepayment' if prepaid else ''}")
    days_page = f"{staff_page}&staff={staff}"
    day = first(r'data-day="([\d-]+)"', session.get(days_page).text, "day with free times")
    times_page = f"{days_page}&day={day}"
    start = first(r'data-start="(\w+)"', session.get(times_page).text, "free time")
    confirm = f"{book}/confirm?service={service}&staff={staff}&start={start}"
    return [("1-services", book), ("2-staff", staff_page), ("3-days", days_page),
            ("4-times", f"{times_page}#o_clinic_times"), ("5-confirm", confirm)]


def post_confirm(session, base, confirm_url):
    """Book the time of a confirm page as its button does; the page it lands on."""
    confirm = session.get(confirm_url).text
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', confirm))
    return session.post(f"{base}/my/appointments/book/confirm", data=form)


def last_mail_to(call, partner):
    """The body of the newest mail to ``partner``, as an HTML file to open."""
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
    call = admin_rpc(args)
    patient = partner_of(call, args.login)
    browser = Browser(args.width)
    try:
        for name, value in session.cookies.items():
            browser.call("Network.setCookie", name=name, value=value, url=args.url)
        book = f"{args.url}{prefix}/my/appointments/book"
        due = {url: service for service, page in service_pages(session, book).items()
               for url in forms_due(page)}
        if due:
            # The forms step: the service page that names them, then the first form. The
            # forms are then recorded as filled (the forms tour fills them in the browser).
            first_link = next(iter(due))
            browser.shoot(f"{book}?service={due[first_link]}", out / "0-forms-due.png")
            browser.shoot(f"{args.url}{prefix}{first_link}", out / "0-form.png")
            for survey in {int(re.search(r"/my/forms/(\d+)", url).group(1)) for url in due}:
                call("survey.user_input", "create", {
                    "survey_id": survey, "partner_id": patient, "state": "done",
                    "end_datetime": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())})
        steps = booking_urls(session, args.url, prefix)
        for name, url in steps:
            browser.shoot(url, out / f"{name}.png")
        if args.book:
            booked = post_confirm(session, args.url, steps[-1][1])
            browser.shoot(booked.url, out / "6-appointment.png")
            mail = last_mail_to(call, patient)
            if mail:
                browser.shoot(mail.as_uri(), out / "7-confirmation-mail.png")
            else:
                print("  7-confirmation-mail: no mail to the patient was queued")
            # A service paid at booking: its confirm page, then the payment page of the hold,
            # whose time is then given back.
            try:
                paid_steps = booking_urls(session, args.url, prefix, prepaid=True)
            except SystemExit as exc:
                print(f"  8-prepaid: {exc}")
            else:
                browser.shoot(paid_steps[-1][1], out / "8-prepaid-confirm.png")
                held = post_confirm(session, args.url, paid_steps[-1][1])
                browser.shoot(held.url, out / "9-pay.png")
                event = re.search(r"/my/appointments/(\d+)", held.url)
                page = session.get(held.url).text
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
                if event and csrf:
                    session.post(f"{args.url}/my/appointments/{event.group(1)}/release",
                                 data={"csrf_token": csrf.group(1)})
    finally:
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
