import re
from contextlib import contextmanager
from unittest.mock import patch
from urllib.parse import urlsplit

import odoo.http
from odoo.http import request
from odoo.tests import HttpCase, tagged

from .. import replica
from .booking_common import BookingSetup
from .test_invoice_portal import InvoicePortalSetup


class ServedCursors:
    """Which cursor the server answered a request on: what the route's ``readonly`` chose."""

    @contextmanager
    def _served(self):
        """``[(path, whether on a read-only cursor)]`` of the requests served meanwhile."""
        served = []
        ir_http = self.registry["ir.http"]
        post_dispatch = ir_http._post_dispatch

        def recording(response):
            served.append((request.httprequest.path, request.env.cr.readonly))
            return post_dispatch(response)

        with patch.object(ir_http, "_post_dispatch", recording):
            yield served


@tagged("post_install", "-at_install")
class TestReplicaReads(ServedCursors, BookingSetup, HttpCase):
    """The pages that only read are served on the replica's read-only cursor; a session that
    wrote reads on the primary until the replica has its write. Under tests Odoo serves the
    readonly routes on a read-only cursor of the test's own transaction, which sees every
    write: a replica behind the primary is a transaction its snapshot does not include yet."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        cls._open_every_day()

    def setUp(self):
        super().setUp()
        self.authenticate("booking_patient", "booking_patient")

    def _session(self):
        return odoo.http.root.session_store.get(self.session.sid)

    def _wait_for(self, xid):
        """The session waits for the transaction ``xid`` to reach the replica."""
        session = self._session()
        session[replica.SESSION_KEY] = xid
        odoo.http.root.session_store.save(session)

    def _times_path(self):
        return f"/my/appointments/book/times?service={self.service.id}&staff={self.staff.id}"

    def _book_first_time(self):
        """Book the first free time as the one-page booking does: the month's times, the
        booking page, its form; the answer to the form."""
        times = self.url_open(self._times_path())
        self.assertEqual(times.status_code, 200)
        page = self.url_open(f"/my/appointments/book?service={self.service.id}").text
        booked = self.url_open("/my/appointments/book/confirm", allow_redirects=False, data={
            "csrf_token": re.search(r'csrf_token: "([^"]+)"', page).group(1),
            "service": self.service.id, "staff": self.staff.id,
            "start": times.json()["days"][0]["times"][0]["start"]})
        self.assertEqual(booked.status_code, 303)
        return booked

    def test_the_pages_that_only_read_are_served_read_only_and_a_booking_read_write(self):
        with self._served() as served:
            booked = self._book_first_time()
            self.assertEqual(self.url_open("/my/appointments").status_code, 200)
            self.assertEqual(self.url_open(booked.headers["Location"]).status_code, 200)
        self.assertEqual(served, [
            ("/my/appointments/book/times", True), ("/my/appointments/book", True),
            ("/my/appointments/book/confirm", False),
            # The replica here shares the test's transaction: it has the booking already.
            ("/my/appointments", True), (urlsplit(booked.headers["Location"]).path, True)])

    def test_after_a_write_the_sessions_reads_are_on_the_primary_until_the_replica_has_it(self):
        booked = self._book_first_time()
        written = self._session().get(replica.SESSION_KEY)
        self.assertTrue(written, "the booking's transaction is noted in the session")

        # A replica that has not replayed the booking yet. Noted again before each read: a
        # read served on the primary notes the test's transaction, which wrote before it.
        lagging = str(int(written) + 1_000_000)
        for path, shown in ((booked.headers["Location"], "o_clinic_appointment_detail"),
                            (self._times_path(), '"days"')):
            self._wait_for(lagging)
            with self._served() as served:
                response = self.url_open(path)
            self.assertEqual(response.status_code, 200)
            self.assertIn(shown, response.text)
            self.assertEqual([read_only for _path, read_only in served], [False])
        self._wait_for(lagging)
        with self._served() as served:
            counts = self.make_jsonrpc_request("/my/counters",
                                               {"counters": ["clinic_appointment_count"]})
        self.assertEqual(counts["clinic_appointment_count"], 1, "the portal home's count")
        self.assertEqual(served, [("/my/counters", False)])

        # Once it has: back on the replica, and nothing more to wait for.
        self._wait_for("3")
        with self._served() as served:
            self.assertEqual(self.url_open("/my/appointments").status_code, 200)
            self.assertEqual(self.url_open(self._times_path()).status_code, 200)
        self.assertEqual([read_only for _path, read_only in served], [True, True])
        self.assertNotIn(replica.SESSION_KEY, self._session())

    def test_the_page_that_gives_a_patient_the_browsers_time_zone_is_read_write(self):
        self.patient_user.tz = False
        self.opener.cookies.set("tz", "Asia/Jerusalem")
        with self._served() as served:
            self.url_open("/my/appointments")
            self.url_open("/my/appointments")
        self.assertEqual(self.patient.tz, "Asia/Jerusalem")
        self.assertEqual([read_only for _path, read_only in served], [False, True])

    def test_a_visitor_does_not_give_the_public_contact_a_time_zone(self):
        event = self._event(self.staff, self._slots()[self.staff.id][0], partners=self.patient,
                            clinic_patient_id=self.patient.id)
        public = self.env.ref("base.public_partner")
        public.tz = False
        self.logout()
        self.opener.cookies.set("tz", "Asia/Jerusalem")
        with self._served() as served:
            page = self.url_open(event._clinic_portal_share_url())
        self.assertEqual(page.status_code, 200)
        self.assertEqual(served, [(event._clinic_portal_url(), True)])
        self.assertFalse(public.tz)


@tagged("post_install", "-at_install")
class TestReplicaReadsInvoices(ServedCursors, InvoicePortalSetup, HttpCase):
    """An appointment's page gives its invoices their access tokens the first time it links
    them: that page is served read/write, the next ones read-only."""

    def test_the_appointments_page_that_first_links_its_invoices_is_read_write(self):
        self.authenticate("booking_patient", "booking_patient")
        _start, event, invoice, credit_note = self._cancelled_paid_appointment()
        (invoice | credit_note).access_token = False
        with self._served() as served:
            first = self.url_open(event._clinic_portal_url())
            again = self.url_open(event._clinic_portal_url())
        self.assertEqual((first.status_code, again.status_code), (200, 200))
        self.assertTrue(invoice.access_token and credit_note.access_token)
        self.assertIn(credit_note.get_portal_url(), again.text)
        self.assertEqual([read_only for _path, read_only in served], [False, True])
