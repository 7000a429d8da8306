import re
from datetime import UTC, datetime, timedelta

from odoo.tests import HttpCase, tagged

from ..controllers.portal import format_start
from .booking_common import BookingSetup


@tagged("post_install", "-at_install")
class TestBookingController(BookingSetup, HttpCase):
    """The portal routes: every request checked on the server, whatever the page showed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        # Real time here: the server thread of HttpCase runs on the clock.
        cls.company.sudo().write({"clinic_portal_min_hours_new": 24})
        cls._open_every_day()

    def setUp(self):
        super().setUp()
        self.authenticate("booking_patient", "booking_patient")

    def _free_start(self, staff=None, partner=None, skip=0):
        return self._slots(staff=staff, partner=partner)[(staff or self.staff).id][skip]

    def _csrf(self):
        page = self.url_open("/my/appointments/book").text
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1) \
            if 'name="csrf_token"' in page else self._csrf_from_home()

    def _csrf_from_home(self):
        page = self.url_open("/my/appointments").text
        return re.search(r'csrf_token: "([^"]+)"', page).group(1)

    def _post_book(self, start, service=None, staff=None, csrf=True):
        data = {"service": service or self.service.id,
                "staff": staff if staff is not None else self.staff.id,
                "start": format_start(start) if isinstance(start, datetime) else start}
        if csrf:
            data["csrf_token"] = self._csrf()
        return self.url_open("/my/appointments/book/confirm", data=data, allow_redirects=False)

    def _mine(self):
        return self.env["calendar.event"].with_context(active_test=False).search(
            [("clinic_patient_id", "=", self.patient.id)])

    # --- the journey ------------------------------------------------------------------
    def test_booking_pages_lead_from_service_to_confirmation(self):
        home = self.url_open("/my/home").text
        self.assertIn("/my/appointments", home)
        services = self.url_open("/my/appointments/book").text
        self.assertIn(f'data-service-id="{self.service.id}"', services)
        staff = self.url_open(f"/my/appointments/book?service={self.service.id}").text
        self.assertIn(f'data-staff-id="{self.staff.id}"', staff)
        self.assertIn("staff=any", staff)
        days = self.url_open(
            f"/my/appointments/book?service={self.service.id}&staff={self.staff.id}").text
        day = re.search(r'data-day="([\d-]+)"', days).group(1)
        times = self.url_open(f"/my/appointments/book?service={self.service.id}"
                              f"&staff={self.staff.id}&day={day}").text
        start = re.search(r'data-start="(\w+)"', times).group(1)
        confirm = self.url_open(f"/my/appointments/book/confirm?service={self.service.id}"
                                f"&staff={self.staff.id}&start={start}").text
        self.assertIn("o_clinic_confirm_button", confirm)
        response = self._post_book(start)
        self.assertEqual(response.status_code, 303)
        event = self._mine()
        self.assertEqual(len(event), 1)
        self.assertIn(f"/my/appointments/{event.id}", response.headers["Location"])
        detail = self.url_open(f"/my/appointments/{event.id}?message=booked").text
        self.assertIn("o_clinic_booked", detail)
        self.assertIn("o_clinic_reschedule", detail)

    def test_a_taken_time_shows_the_friendly_message_and_creates_nothing(self):
        start = self._free_start()
        self._book(start, partner=self.other)
        response = self._post_book(start)
        self.assertEqual(response.status_code, 200)
        self.assertIn("This time was just taken, please choose another", response.text)
        self.assertFalse(self._mine())

    def test_the_appointment_list_shows_only_my_appointments(self):
        mine = self._book(self._free_start())
        theirs = self._book(self._free_start(skip=3), partner=self.other)
        page = self.url_open("/my/appointments").text
        self.assertIn(mine._clinic_portal_url(), page)
        self.assertNotIn(theirs._clinic_portal_url(), page)

    # --- tampering -----------------------------------------------------------------------
    def test_tampered_requests_are_refused_and_change_nothing(self):
        hidden = self._make_service(self.env, "Hidden", 30, self.staff)
        hidden.product_tmpl_id.clinic_portal_visible = False
        outsider = self._make_staff(self.env, "outsider", "Outsider")
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        cases = [
            ({"service": hidden.id}, "cannot be booked in the client portal"),
            ({"staff": outsider.id}, "cannot be booked for this service"),
            ({"staff": self.env.ref("base.user_admin").id}, "cannot be booked for this service"),
            ({"start": now + timedelta(hours=2)}, "at least 24 hours in advance"),
            ({"start": now + timedelta(days=400)}, "outside the days open"),
            ({"start": "not-a-time"}, "Choose a time"),
            ({"service": "abc"}, "cannot be booked in the client portal"),
        ]
        for change, message in cases:
            with self.subTest(change=change):
                values = {"start": self._free_start(), **change}
                response = self._post_book(values["start"], service=values.get("service"),
                                           staff=values.get("staff"))
                self.assertEqual(response.status_code, 200)
                self.assertIn(message, response.text)
        self.assertFalse(self._mine())

    def test_post_without_csrf_token_is_rejected(self):
        with self.assertLogs("odoo.http", "WARNING"):
            response = self._post_book(self._free_start(), csrf=False)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self._mine())

    # --- access ----------------------------------------------------------------------------
    def test_someone_elses_appointment_is_not_found_by_id(self):
        theirs = self._book(self._free_start(), partner=self.other)
        self.assertEqual(self.url_open(theirs._clinic_portal_url()).status_code, 404)
        self.assertEqual(self.url_open(f"{theirs._clinic_portal_url()}/reschedule").status_code,
                         404)
        response = self.url_open(f"{theirs._clinic_portal_url()}/cancel",
                                 data={"csrf_token": self._csrf()})
        self.assertEqual(response.status_code, 404)
        response = self.url_open(f"{theirs._clinic_portal_url()}/reschedule",
                                 data={"csrf_token": self._csrf(),
                                       "start": format_start(self._free_start(skip=5))})
        self.assertEqual(response.status_code, 404)
        self.assertTrue(theirs.active)

    def test_an_appointment_opens_with_its_access_token_only(self):
        theirs = self._book(self._free_start(), partner=self.other)
        url = theirs._clinic_portal_url()
        shared = theirs._clinic_portal_share_url()
        self.assertEqual(self.url_open(f"{url}?access_token=wrong").status_code, 404)
        self.assertEqual(self.url_open(shared).status_code, 200)
        self.logout()
        self.assertEqual(self.url_open(shared).status_code, 200)
        response = self.url_open(url, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers["Location"])

    def test_my_pages_require_login(self):
        self.logout()
        response = self.url_open("/my/appointments", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers["Location"])

    def test_cancel_through_the_page(self):
        event = self._book(self._free_start(skip=60))
        response = self.url_open(f"{event._clinic_portal_url()}/cancel",
                                 data={"csrf_token": self._csrf(), "reason": "Travelling"},
                                 allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertFalse(event.active)
        self.assertEqual(event.clinic_cancel_reason, "Travelling")

    def test_reschedule_through_the_page(self):
        event = self._book(self._free_start(skip=60))
        new_start = self._free_start(skip=80)
        page = self.url_open(f"{event._clinic_portal_url()}/reschedule").text
        self.assertIn("o_clinic_days", page)
        response = self.url_open(f"{event._clinic_portal_url()}/reschedule",
                                 data={"csrf_token": self._csrf(),
                                       "start": format_start(new_start)},
                                 allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(event.start, new_start.replace(tzinfo=None))

    # --- closed portal -------------------------------------------------------------------------
    def test_closed_booking_says_so_and_keeps_appointments_visible(self):
        event = self._book(self._free_start())
        self.company.sudo().clinic_portal_self_scheduling = False
        page = self.url_open("/my/appointments").text
        self.assertIn("Online booking is not available", page)
        self.assertIn(event._clinic_portal_url(), page)
        self.assertIn("Online booking is not available",
                      self.url_open("/my/appointments/book").text)
        self.company.sudo().clinic_portal_enabled = False
        self.assertIn("The client portal is closed", self.url_open("/my/appointments").text)
        response = self._post_book(self._free_start(skip=3))
        self.assertIn("closed", response.text)
        self.assertEqual(len(self._mine()), 1)
