
from odoo.tests import HttpCase, tagged

from ..controllers.portal import format_start
from .payment_common import PortalPaymentRequests, PrepaymentSetup


@tagged("post_install", "-at_install")
class TestPrepaymentPortal(PortalPaymentRequests, PrepaymentSetup, HttpCase):
    """Prepay and book through the portal pages and Odoo's payment routes, on the Demo
    provider; only the patient reaches their hold, its payment and its invoice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_prepayment(cls.env)
        # Real time here: the server thread of HttpCase runs on the clock.
        cls._open_every_day()

    def setUp(self):
        super().setUp()
        self.authenticate("booking_patient", "booking_patient")

    def _free_start(self, skip=0):
        return self._slots(product=self.consultation)[self.staff.id][skip]

    def _submit(self, start):
        return self._submit_booking(self.consultation, start)

    def _transaction(self, event, **params):
        """What the payment form posts to create the transaction of ``event``."""
        return self._form_transaction(f"/my/appointments/{event.id}/transaction", **params)

    def _refused(self, event, **params):
        """The message a refused transaction request shows (Odoo logs it as a warning)."""
        with self.assertLogs("odoo.http", "WARNING"):
            return self._transaction(event, **params)

    def test_prepay_and_book_on_the_demo_provider(self):
        confirm = self.url_open(f"/my/appointments/book/confirm?service={self.consultation.id}"
                                f"&staff={self.staff.id}&start={format_start(self._free_start())}")
        self.assertIn("Continue to payment", confirm.text)
        response = self._submit(self._free_start())
        event = self._mine()
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(event._clinic_portal_pay_url()))
        page = self.url_open(event._clinic_portal_pay_url()).text
        self.assertIn("o_payment_form", page)
        self.assertIn(f'data-transaction-route="/my/appointments/{event.id}/transaction"', page)
        processing = self._transaction(event)
        tx = event.clinic_transaction_ids
        # The amount is the invoice's, whatever the page sent; the landing route is ours.
        self.assertEqual(tx.amount, event.clinic_invoice_id.amount_total)
        self.assertEqual(tx.invoice_ids, event.clinic_invoice_id)
        self.assertEqual(tx.landing_route, event._clinic_portal_url())
        self.make_jsonrpc_request("/payment/demo/simulate_payment", {
            "reference": processing["reference"], "payment_details": "4242",
            "simulated_state": "done"})
        status = self.make_jsonrpc_request("/payment/status/poll")
        self.assertEqual((status["state"], status["landing_route"]),
                         ("done", event._clinic_portal_url()))
        self.assertEqual(event.clinic_payment_state, "paid")
        invoice = event.clinic_invoice_id
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        detail = self.url_open(event._clinic_portal_url()).text
        self.assertIn("o_clinic_paid", detail)
        self.assertIn(f"/my/invoices/{invoice.id}", detail)
        self.assertEqual(self.url_open(f"/my/invoices/{invoice.id}").status_code, 200)
        pdf = self.url_open(f"/my/invoices/{invoice.id}?report_type=pdf&download=true")
        self.assertEqual(pdf.headers["Content-Type"], "application/pdf")

    def test_a_double_submit_lands_on_one_hold(self):
        start = self._free_start()
        first, second = self._submit(start), self._submit(start)
        self.assertEqual(first.headers["Location"], second.headers["Location"])
        self.assertEqual(len(self._mine()), 1)

    def test_a_held_appointment_shows_until_when_and_the_way_to_pay(self):
        event = self._hold(self._free_start())
        listing = self.url_open("/my/appointments").text
        self.assertIn("o_clinic_status_awaiting", listing)
        detail = self.url_open(event._clinic_portal_url()).text
        self.assertIn("o_clinic_hold", detail)
        self.assertIn(event._clinic_portal_pay_url(), detail)
        self.assertNotIn("o_clinic_cancel_toggle", detail)
        self.assertNotIn("o_clinic_reschedule", detail)

    def test_giving_the_time_back_returns_to_the_service(self):
        event = self._hold(self._free_start())
        response = self.url_open(f"/my/appointments/{event.id}/release",
                                 data={"csrf_token": self._csrf()}, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn(f"/my/appointments/book?service={self.consultation.id}",
                      response.headers["Location"])
        self.assertEqual(event.clinic_payment_state, "released")

    def test_a_paid_hold_takes_no_second_transaction(self):
        event = self._hold(self._free_start())
        self._pay(event)
        self.assertIn("This appointment is paid", self._refused(event))
        self.assertEqual(len(event.clinic_transaction_ids), 1)
        response = self.url_open(event._clinic_portal_pay_url(), allow_redirects=False)
        self.assertEqual(response.status_code, 303)

    def test_tampered_transaction_requests_are_refused(self):
        event = self._hold(self._free_start())
        other_provider = self.provider.copy({"name": "Elsewhere", "state": "disabled"})
        self.assertIn("payment methods shown",
                      self._refused(event, provider_id=other_provider.id))
        self.assertIn("needs a payment", self._refused(event, is_validation=True))
        self.assertIn("not whitelisted", self._transaction(event, reference="CHOSEN"))
        self.assertFalse(event.clinic_transaction_ids)

    def test_another_patient_reaches_neither_my_hold_nor_its_payment_nor_its_invoice(self):
        event = self._hold(self._free_start())
        self.authenticate("booking_other", "booking_other")
        self.assertEqual(self.url_open(event._clinic_portal_url()).status_code, 404)
        self.assertEqual(self.url_open(event._clinic_portal_pay_url()).status_code, 404)
        response = self.url_open(f"/my/appointments/{event.id}/release",
                                 data={"csrf_token": self._csrf()})
        self.assertEqual(response.status_code, 404)
        self.assertIn("does not exist", self._refused(event))
        self.assertEqual(event.clinic_payment_state, "awaiting")
        self.assertFalse(event.clinic_transaction_ids)
        self._pay(event)
        response = self.url_open(f"/my/invoices/{event.clinic_invoice_id.id}",
                                 allow_redirects=False)
        self.assertNotEqual(response.status_code, 200)
        self.assertNotIn(event.clinic_invoice_id.name, response.text)
