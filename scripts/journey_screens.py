"""Screenshots of the patient's one-page booking and of the front desk's calendar.

Logs in as a portal patient and walks the one-page booking as a patient taps through it in
headless Chromium: the services, a service's month of free times, the confirmation on the
same page (with the forms due, when there are), a form, then, once the patient's forms are
done, the booked appointment; then, as a member of staff, the appointments calendar. Each is
saved as a full-page PNG at each width asked for.

    python3 scripts/journey_screens.py --url http://127.0.0.1:8069 --db clinic --lang he \
        --login patient --password patient --staff-login admin --staff-password admin \
        --form-service Consultation --service "Introductory call" \
        --out docs/screenshots --width 375 --width 1280

The patient's forms are marked done over XML-RPC as the administrator (--admin-login and
--admin-password, default admin/admin) before the booking that ends on the appointment.
"""

import argparse
import base64
import json
import time
from pathlib import Path

from screenshots import Browser, admin_rpc, log_in, partner_of


class JourneyBrowser(Browser):
    """The screenshot browser, with taps: click what a selector finds, wait for another."""

    def run(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True,
                           returnByValue=True)
        if "exceptionDetails" in result:
            raise SystemExit(f"screenshots: {result['exceptionDetails'].get('text')}")
        return result.get("result", {}).get("value")

    def wait_for(self, selector, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.run(f"!!document.querySelector({json.dumps(selector)})"):
                return
            time.sleep(0.2)
        raise SystemExit(f"screenshots: nothing matches {selector} within {seconds} s")

    def tap(self, selector, then=None):
        self.wait_for(selector)
        self.run(f"document.querySelector({json.dumps(selector)}).click()")
        if then:
            self.wait_for(then)
        time.sleep(0.5)

    def capture(self, path, label, full_page=True):
        self.run("window.scrollTo(0, 0)")
        time.sleep(0.3)
        if full_page:
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                             clip={"x": 0, "y": 0, "width": size["width"],
                                   "height": size["height"], "scale": 1})
        else:  # Odoo's backend scrolls inside its own panes: what the screen shows
            shot = self.call("Page.captureScreenshot", format="png")
        Path(path).write_bytes(base64.b64decode(shot["data"]))
        print(f"  {Path(path).name}: {label}")

    def open(self, url, ready):
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        self.wait_for(ready)
        time.sleep(0.5)


def with_session(browser, args, login, password):
    session = log_in(args.url, login, password)
    browser.call("Network.clearBrowserCookies")
    for name, value in session.cookies.items():
        browser.call("Network.setCookie", name=name, value=value, url=args.url)


def before_the_forms(browser, args, out, width):
    """The services, a month of free times and the confirmation, a form due first."""
    with_session(browser, args, args.login, args.password)
    browser.open(booking_url(args), ".o_clinic_services")
    browser.capture(out / f"booking-services-{width}.png", "the services")
    browser.tap(service(args.form_service), ".o_clinic_planner_time")
    browser.capture(out / f"booking-page-{width}.png", "a month of free times, one page")
    browser.tap(".o_clinic_planner_time", ".o_clinic_planner_confirm .card")
    browser.capture(out / f"booking-confirm-{width}.png", "the confirmation on the page")
    form_link = browser.run(
        "document.querySelector('.o_clinic_planner_confirm a.o_clinic_form_link')?.href")
    if form_link:
        browser.open(form_link, ".o_survey_form")
        browser.capture(out / f"form-{width}.png", "a form due before booking")


def booked(browser, args, out, width):
    """The booking once no form is due: the time, confirm, the booked appointment."""
    with_session(browser, args, args.login, args.password)
    browser.open(booking_url(args), ".o_clinic_services")
    browser.tap(service(args.service), ".o_clinic_planner_time")
    browser.tap(".o_clinic_planner_time", ".o_clinic_planner_confirm .o_clinic_confirm_button")
    browser.run("document.querySelector('.o_clinic_planner_confirm .o_clinic_confirm_button')"
                ".click()")
    browser.wait_event("Page.loadEventFired")
    browser.wait_for(".o_clinic_appointment_detail")
    time.sleep(0.5)
    browser.capture(out / f"booked-{width}.png", "the booked appointment")


def service(name):
    """The selector of the one-page service whose name contains ``name`` (else the first)."""
    found = f"[data-service-name*={json.dumps(name, ensure_ascii=False)}]" if name else ""
    return f".o_clinic_services .o_clinic_service[data-one-page]{found}"


def booking_url(args):
    return f"{args.url}{'/' + args.lang if args.lang else ''}/my/appointments/book"


def forms_done(call, args):
    """The patient's forms, as if filled: the rest of the journey books at once."""
    patient = partner_of(call, args.login)
    for survey in call("survey.survey", "search_read", [], fields=["id"]):
        call("survey.user_input", "create", {
            "survey_id": survey["id"], "partner_id": patient, "state": "done"})


def staff_calendar(browser, args, out, width):
    with_session(browser, args, args.staff_login, args.staff_password)
    browser.open(f"{args.url}/odoo/action-clinic_portal.calendar_event_action_clinic_appointments",
                 ".o_calendar_view .fc-event")
    time.sleep(2)
    browser.capture(out / f"staff-calendar-{width}.png", "the front desk's calendar",
                    full_page=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", default="clinic")
    parser.add_argument("--lang", default="he", help="the website language's URL code")
    parser.add_argument("--login", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--staff-login", default="admin")
    parser.add_argument("--staff-password", default="admin")
    parser.add_argument("--admin-login", default="admin")
    parser.add_argument("--admin-password", default="admin")
    parser.add_argument("--width", type=int, action="append")
    parser.add_argument("--form-service", default="",
                        help="a service with a form due (its name, or part of it)")
    parser.add_argument("--service", default="",
                        help="a free service booked at the end (its name, or part of it)")
    parser.add_argument("--out", default="var/screenshots")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    call = admin_rpc(args)
    widths = args.width or [375]
    for phase in (before_the_forms, None, booked, staff_calendar):
        if phase is None:
            forms_done(call, args)
            continue
        for width in widths:
            browser = JourneyBrowser(width)
            try:
                if width >= 992:
                    browser.call("Emulation.setDeviceMetricsOverride", width=width,
                                 height=900, deviceScaleFactor=1, mobile=False)
                phase(browser, args, out, width)
            finally:
                browser.close()

if __name__ == "__main__":
    main()
