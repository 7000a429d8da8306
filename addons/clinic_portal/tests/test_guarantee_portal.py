import re

from odoo.tests import HttpCase, tagged

from ..controllers.portal import format_start
from .guarantee_common import GuaranteeSetup
from .payment_common import PortalPaymentRequests


@tagged("post_install", "-at_install")
class TestGuaranteePortal(PortalPaymentRequests, GuaranteeSetup, HttpCase):
    """Book with a card as guarantee through the portal pages and Odoo's payment routes, on
    the Demo provider; only the patient reaches their hold and its card form."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_guarantee(cls.env)
        # Real time here: the server thread of HttpCase runs on the clock.
        cls._open_every_day()

    def setUp(self):
        super().setUp()
        self.authenticate("booking_patient", "booking_patient")

    def _free_start(self, skip=0):
        return self._slots(product=self.physio)[self.staff.id][skip]

    def _confirm_page(self, start):
        return self.url_open(f"/my/appointments/book/confirm?service={self.physio.id}"
                             f"&staff={self.staff.id}&start={format_start(start)}").text

    def _submit(self, start):
        return self._submit_booking(self.physio, start)

    def _card_transaction(self, event, **params):
        """What the card form posts to create the validation transaction of ``event``."""
        return self._form_transaction(f"/my/appointments/{event.id}/card/transaction",
                                      **{"amount": 500.0, "is_validation": True, **params})

    def _refused(self, event, **params):
        with self.assertLogs("odoo.http", "WARNING"):
            return self._card_transaction(event, **params)

    def test_leave_a_card_and_book_on_the_demo_provider(self):
        self.assertIn("Continue to save a card", self._confirm_page(self._free_start()))
        response = self._submit(self._free_start())
        event = self._mine()
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(event._clinic_portal_card_url()))
        self.assertEqual(event.clinic_payment_state, "awaiting")
        page = self.url_open(event._clinic_portal_card_url()).text
        self.assertIn("o_payment_form", page)
        self.assertIn('data-mode="validation"', page)
        self.assertIn(f'data-transaction-route="/my/appointments/{event.id}/card/transaction"',
                      page)
        self.assertNotIn("data-amount", page)
        detail = self.url_open(event._clinic_portal_url()).text
        self.assertIn("o_clinic_card_hold", detail)
        self.assertIn(event._clinic_portal_card_url(), detail)
        processing = self._card_transaction(event)
        tx = event.clinic_transaction_ids
        # The provider's validation amount, whatever the page sent; a card is asked for.
        self.assertEqual((tx.operation, tx.amount, tx.tokenize), ("validation", 0.0, True))
        self.assertFalse(tx.invoice_ids)
        self.assertEqual(tx.landing_route, event._clinic_portal_url())
        self.make_jsonrpc_request("/payment/demo/simulate_payment", {
            "reference": processing["reference"], "payment_details": "4242",
            "simulated_state": "done"})
        status = self.make_jsonrpc_request("/payment/status/poll")
        self.assertEqual((status["state"], status["landing_route"]),
                         ("done", event._clinic_portal_url()))
        self.assertEqual(event.clinic_payment_state, "guaranteed")
        self.assertEqual(event.clinic_guarantee_token_id.payment_details, "4242")
        self.assertFalse(event._clinic_portal_invoices(), "nothing charged")
        detail = self.url_open(event._clinic_portal_url()).text
        self.assertRegex(detail, r"(?s)o_clinic_guarantee.*Your card ending in .*4242.* is "
                                 r"kept as a guarantee")
        response = self.url_open(event._clinic_portal_card_url(), allow_redirects=False)
        self.assertEqual(response.status_code, 303, "no second card for it")

    def test_a_patient_with_a_saved_card_books_at_once(self):
        self._card_of(self.patient, details="1881")
        confirm = self._confirm_page(self._free_start())
        self.assertRegex(confirm, r"(?s)Your card ending in .*1881")
        self.assertNotIn("Continue to save a card", confirm)
        response = self._submit(self._free_start())
        event = self._mine()
        self.assertTrue(response.headers["Location"].endswith(
            f"{event._clinic_portal_url()}?message=booked"))
        self.assertEqual(event.clinic_payment_state, "guaranteed")
        self.assertFalse(event.clinic_transaction_ids)

    def test_a_saved_card_is_shown_by_its_last_four_digits_and_brand_only(self):
        card = self._card_of(self.patient, details="Noa M. •••• 4242 exp 12/2029")
        card.payment_method_id = self.env.ref("payment.payment_method_visa")
        confirm = self._confirm_page(self._free_start())
        shown = re.search(r'class="o_clinic_card">([^<]*)</span>\s*'
                          r'<span dir="ltr" class="o_clinic_card_brand">([^<]*)</span>', confirm)
        self.assertEqual(shown.groups(), ("4242", "(VISA)"))
        self.assertNotIn("2029", confirm, "nothing else the provider keeps is shown")
        self.assertNotIn("Noa M.", confirm)

    def test_a_double_submit_lands_on_one_hold(self):
        start = self._free_start()
        first, second = self._submit(start), self._submit(start)
        self.assertEqual(first.headers["Location"], second.headers["Location"])
        self.assertEqual(len(self._mine()), 1)

    def test_tampered_card_requests_are_refused(self):
        event = self._hold_for_card(self._free_start())
        self.assertIn("Save a new card", self._refused(event, is_validation=False))
        self.assertIn("Save a new card", self._refused(event, flow="token"))
        other_provider = self.provider.copy({"name": "Elsewhere", "state": "disabled"})
        self.assertIn("payment methods shown",
                      self._refused(event, provider_id=other_provider.id))
        self.assertIn("not whitelisted", self._card_transaction(event, reference="CHOSEN"))
        self.assertFalse(event.clinic_transaction_ids)

    def test_a_prepaid_hold_takes_no_card_and_a_card_hold_no_payment(self):
        card_hold = self._hold_for_card(self._free_start())
        prepaid = self._hold(self._free_start(skip=3))
        self.assertIn("needs no card", self._refused(prepaid))
        response = self.url_open(card_hold._clinic_portal_pay_url(), allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertFalse((card_hold | prepaid).clinic_transaction_ids)

    def test_another_patient_reaches_neither_my_hold_nor_its_card_form(self):
        event = self._hold_for_card(self._free_start())
        self.authenticate("booking_other", "booking_other")
        self.assertEqual(self.url_open(event._clinic_portal_url()).status_code, 404)
        self.assertEqual(self.url_open(event._clinic_portal_card_url()).status_code, 404)
        self.assertIn("does not exist", self._refused(event))
        self.assertFalse(event.clinic_transaction_ids)
        self.assertEqual(event.clinic_payment_state, "awaiting")
