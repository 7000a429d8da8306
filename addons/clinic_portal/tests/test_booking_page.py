import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import vobject

from odoo.tests import HttpCase, tagged

from ..controllers.portal import format_start
from ..services import slots
from .booking_common import BookingSetup
from .journey_common import JourneyCounter
from .test_booking_tours import speak_hebrew


@tagged("post_install", "-at_install")
class TestBookingTimesRoute(BookingSetup, HttpCase):
    """The one-page booking's times route: a month of free times in JSON, the same the step
    pages offer, for the patient's own choices only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        cls._open_every_day()

    def setUp(self):
        super().setUp()
        self.authenticate("booking_patient", "booking_patient")

    def _times(self, **params):
        query = "&".join(f"{key}={value}" for key, value in
                         {"service": self.service.id, **params}.items())
        response = self.url_open(f"/my/appointments/book/times?{query}")
        return response.status_code, response.json()

    def _offered(self, data):
        return [time["start"] for day in data["days"] for time in day["times"]]

    def test_a_month_of_times_is_what_the_steps_offer_and_each_can_be_booked(self):
        status, data = self._times(staff=self.staff.id)
        self.assertEqual(status, 200)
        availability = self.env["clinic.availability.engine"]
        first, after = availability._horizon(self.patient, self._policy())
        start, end = slots.month_window(slots.month_of(first.date()), first, after,
                                        availability._tz(self.patient))
        expected = availability._free_starts(self.patient, self.service, self.staff, start, end,
                                             self._policy())[self.staff.id]
        self.assertEqual(self._offered(data), [format_start(s) for s in expected])
        self.assertTrue(data["days"], "a clinic open every day has free times this month")
        self.assertEqual(data["staff"], [{"id": u.id, "name": u.name}
                                         for u in self.staff | self.staff2])
        # The first time offered is booked by the form the page submits.
        page = self.url_open("/my/appointments/book").text
        self.assertIn('data-one-page="1"', page)
        self.assertIn('class="o_clinic_planner d-none"', page)
        response = self.url_open("/my/appointments/book/confirm", data={
            "csrf_token": self._csrf(page), "service": self.service.id,
            "staff": self.staff.id, "start": data["days"][0]["times"][0]["start"]},
            allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        event = self.env["calendar.event"].search([("clinic_patient_id", "=", self.patient.id)])
        self.assertEqual(format_start(slots.from_naive_utc(event.start)),
                         data["days"][0]["times"][0]["start"])
        # Once booked, that time is offered no more.
        self.assertNotIn(format_start(slots.from_naive_utc(event.start)),
                         self._offered(self._times(staff=self.staff.id)[1]))

    def _csrf(self, page):
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1) \
            if 'name="csrf_token" value="' in page else \
            re.search(r'csrf_token: "([^"]+)"', page).group(1)

    def test_months_page_through_the_booking_horizon_only(self):
        status, first = self._times()
        self.assertEqual(status, 200)
        self.assertIsNone(first["prev"])
        self.assertIsNotNone(first["next"], "a 30-day horizon reaches a second month")
        status, second = self._times(month=first["next"])
        self.assertEqual(status, 200)
        self.assertEqual(second["prev"], first["month"])
        self.assertFalse(set(self._offered(first)) & set(self._offered(second)))
        for month in ("2000-01", "2999-12", "2026-13", "x", "-1"):
            status, data = self._times(month=month)
            self.assertEqual(status, 404, month)
            self.assertIn("error", data)

    def test_times_are_shown_in_the_zone_chosen_and_zones_are_named(self):
        self.patient_user.tz = "Asia/Jerusalem"
        _status, own = self._times(browser_tz="Asia/Ho_Chi_Minh")
        self.assertEqual(own["tz"], "Asia/Jerusalem")
        names = {zone["zone"]: zone["name"] for zone in own["zones"]}
        self.assertEqual(names["Asia/Jerusalem"], "Israel Time")
        self.assertEqual(names["Asia/Ho_Chi_Minh"], "Vietnam Time")
        _status, vietnam = self._times(tz="Asia/Ho_Chi_Minh")
        self.assertEqual(vietnam["tz"], "Asia/Ho_Chi_Minh")
        # The same instants, written in another zone: Ho Chi Minh City is ahead of Jerusalem.
        first_own, first_vietnam = own["days"][0]["times"][0], vietnam["days"][0]["times"][0]
        if first_own["start"] == first_vietnam["start"]:
            self.assertNotEqual(first_own["time"], first_vietnam["time"])
        _status, unknown = self._times(tz="Mars/Olympus")
        self.assertEqual(unknown["tz"], "Asia/Jerusalem", "an unknown zone is the patient's")

    def test_what_the_patient_may_not_book_is_refused_without_a_server_error(self):
        self.service.product_tmpl_id.clinic_staff_user_ids = self.staff
        status, data = self._times(staff=self.staff2.id)
        self.assertEqual(status, 422)
        self.assertIn("staff member cannot be booked", data["error"])
        hidden = self._make_service(self.env, "Hidden", 30, self.staff)
        hidden.clinic_portal_visible = False
        for params in ({"service": hidden.id}, {"service": "abc"}, {"service": 0},
                       {"staff": "1 OR 1=1"}, {"service": "", "month": ""}):
            status, data = self._times(**params)
            self.assertIn(status, (404, 422), params)
            self.assertTrue(data["error"], params)

    def test_another_patients_appointment_gives_no_times(self):
        theirs = self._book(self._slots(partner=self.other)[self.staff.id][0],
                            partner=self.other)
        status, data = self._times(event=theirs.id)
        self.assertEqual(status, 404)
        self.assertNotIn(theirs.user_id.name, json.dumps(data))

    def test_rescheduling_times_leave_out_the_current_time(self):
        mine = self._book(self._slots()[self.staff.id][3])
        status, data = self._times(event=mine.id, staff=self.staff2.id)
        self.assertEqual(status, 200)
        self.assertNotIn(format_start(slots.from_naive_utc(mine.start)), self._offered(data))
        staff_starts = self._slots()[self.staff.id]
        self.assertIn(format_start(staff_starts[4]), self._offered(data),
                      "the appointment's own staff member, whatever the request said")

    def test_closed_booking_and_visitors_get_no_times(self):
        self.company.sudo().clinic_portal_self_scheduling = False
        status, data = self._times()
        self.assertEqual(status, 422)
        self.assertIn("not available", data["error"])
        self.company.sudo().clinic_portal_self_scheduling = True
        self.logout()
        response = self.url_open(f"/my/appointments/book/times?service={self.service.id}",
                                 allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers["Location"])

    def test_a_form_due_is_linked_back_to_the_time_chosen(self):
        survey = self.env["survey.survey"].create({"title": "Intake"})
        self.company.sudo().clinic_mandatory_form_ids = [(0, 0, {
            "survey_id": survey.id, "frequency": "once", "audience": "all"})]
        page = self.url_open("/my/appointments/book").text
        self.assertIn('data-one-page="1"', page, "the time is chosen first, the forms next")
        _status, data = self._times(staff=self.staff.id)
        start = data["days"][0]["times"][0]["start"]
        confirm = self.url_open(f"/my/appointments/book/confirm?service={self.service.id}"
                                f"&staff={self.staff.id}&start={start}").text
        self.assertNotIn("o_clinic_confirm_button", confirm)
        link = re.search(r'class="o_clinic_form_link" href="([^"]+)"', confirm).group(1)
        response = self.url_open(link.replace("&amp;", "&"), allow_redirects=False)
        self.assertIn(survey.get_start_url(), response.headers["Location"])
        self.assertIn(f"staff={self.staff.id}", link)
        self.assertIn(f"start={start}", link, "the form leads back to the time chosen")


@tagged("post_install", "-at_install")
class TestOnePageBookingTours(JourneyCounter, BookingSetup, HttpCase):
    """In Chromium, in Hebrew: a service booked from the page that lists it, counted in page
    loads and taps."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        speak_hebrew(cls)
        cls.service.product_tmpl_id.clinic_staff_user_ids = cls.staff | cls.staff2
        cls.company.resource_calendar_id.tz = "Europe/Paris"

    def _mine(self):
        return self.env["calendar.event"].search([("clinic_patient_id", "=", self.patient.id)])

    def test_tour_a_free_service_is_booked_in_one_page_load_and_three_taps(self):
        loads, taps = self._counted_tour("/he/my/appointments/book", "clinic_portal_one_page_he",
                                         login="booking_patient")
        event = self._mine()
        self.assertEqual(len(event), 1)
        self.assertEqual(event.clinic_product_id, self.service)
        self.assertEqual((loads, taps), (1, 3),
                         "service, time, confirm; the booked appointment is the one page load")

    def test_tour_next_free_time_with_another_staff_member_and_zone(self):
        self._counted_tour("/he/my/appointments/book", "clinic_portal_one_page_choices_he",
                           login="booking_patient")
        event = self._mine()
        self.assertEqual(event.user_id, self.staff2)
        availability = self.env["clinic.availability.engine"]
        first, after = availability._horizon(self.patient, self._policy())
        earliest = min(availability._free_starts(
            self.patient, self.service, self.staff2, first, after, self._policy(),
            ignore_event=event)[self.staff2.id] + [slots.from_naive_utc(event.start)])
        self.assertEqual(slots.from_naive_utc(event.start), earliest,
                         "the next free time is the staff member's earliest")
        self.assertGreater(slots.from_naive_utc(event.start),
                           slots.from_naive_utc(event.create_date) + timedelta(hours=23))


@tagged("post_install", "-at_install")
class TestAddToCalendar(BookingSetup, HttpCase):
    """A booked appointment's page adds it to the patient's calendar: an .ics file (the
    mail's entry, same UID) and a Google Calendar link; nobody else gets either."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        cls._open_every_day()

    def test_the_appointment_page_offers_its_calendar_entry(self):
        event = self._book(self._slots()[self.staff.id][2])
        self.authenticate("booking_patient", "booking_patient")
        page = self.url_open(f"{event._clinic_portal_url()}?message=booked").text
        self.assertIn("o_clinic_add_to_calendar", page)
        response = self.url_open(f"{event._clinic_portal_url()}/appointment.ics")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.headers["Content-Type"].startswith("text/calendar"))
        entry = vobject.readOne(response.text).vevent
        self.assertEqual(entry.dtstart.value.replace(tzinfo=None), event.start)
        self.assertEqual(entry.uid.value, vobject.readOne(
            event._clinic_ics().decode()).vevent.uid.value, "the mail's entry, not a second")
        google = re.search(r'href="(https://calendar\.google\.com/[^"]+)"', page).group(1)
        query = parse_qs(urlsplit(google.replace("&amp;", "&")).query)
        start = slots.from_naive_utc(event.start).strftime("%Y%m%dT%H%M%SZ")
        self.assertTrue(query["dates"][0].startswith(start + "/"))
        self.assertIn("Check-up", query["text"][0])

    def test_no_one_else_gets_the_calendar_entry(self):
        theirs = self._book(self._slots(partner=self.other)[self.staff.id][4], partner=self.other)
        self.authenticate("booking_patient", "booking_patient")
        self.assertEqual(
            self.url_open(f"{theirs._clinic_portal_url()}/appointment.ics").status_code, 404)
        self.logout()
        shared = theirs._clinic_portal_share_url()
        path, token = shared.split("?")
        self.assertEqual(self.url_open(f"{path}/appointment.ics?{token}").status_code, 200,
                         "the mail's link opens it without logging in")
        self.assertEqual(
            self.url_open(f"{path}/appointment.ics?access_token=wrong").status_code, 404)
        self._cancel(theirs)
        self.assertEqual(self.url_open(f"{path}/appointment.ics?{token}").status_code, 404,
                         "a cancelled appointment is in nobody's calendar")
