import json
from datetime import timedelta
from unittest import SkipTest
from unittest.mock import patch

from lxml import html

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser

from odoo.addons.payment_easycard.tests.common import EasyCardSimulatorMixin

from .guarantee_common import GuaranteeSetup
from .journey_common import JourneyCounter
from .payment_common import TOTAL, PortalPaymentRequests
from .test_booking_tours import speak_hebrew


class EasyCardClinicSetup(EasyCardSimulatorMixin, GuaranteeSetup):
    """The guarantee set-up paid through EasyCard (its simulator) alone: the Demo provider
    off, both paid services given by ``staff``."""

    @classmethod
    def _setup_easycard_clinic(cls):
        if cls.env["ir.module.module"]._get("payment_easycard").state != "installed":
            raise SkipTest("payment_easycard is not installed (tests/tiers.py installs it)")
        cls._setup_guarantee(cls.env)

    @classmethod
    def _pay_through_easycard_only(cls):
        cls._start_easycard(cls.company)
        cls.provider.write({"state": "disabled"})  # the Demo provider
        (cls.consultation | cls.physio).product_tmpl_id.clinic_staff_user_ids = cls.staff

    def setUp(self):
        super().setUp()
        self._reset_easycard()


@tagged("post_install", "-at_install")
class TestEasyCardPortal(PortalPaymentRequests, EasyCardClinicSetup, HttpCase):
    """The client portal's payments through EasyCard (its simulator, over real HTTP): a
    prepaid appointment, a card left as guarantee and its no-show fee, a paid appointment
    cancelled and refunded. The portal code is the one the Demo provider's tests prove."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_easycard_clinic()
        cls._open_every_day()
        cls._pay_through_easycard_only()

    def setUp(self):
        super().setUp()
        self.authenticate("booking_patient", "booking_patient")

    def _free_start(self, product):
        return self._slots(product=product)[self.staff.id][30]

    def _through_easycard(self, route, **values):
        """The payment form's transaction on EasyCard, the payer on EasyCard's page with a
        test card, back to Odoo, then the status page's polling: the transaction."""
        processing = self._form_transaction(
            route, provider_id=self.easycard.id, payment_method_id=self.card_method.id,
            flow="redirect", **values)
        self.assertIsInstance(processing, dict, processing)
        form = html.fromstring(processing["redirect_form_html"])
        self.assertTrue(form.get("action").startswith(self.sim.base_url))
        tx = self.env["payment.transaction"].search(
            [("reference", "=", processing["reference"])])
        self.return_to_odoo(self.sim_pay(tx)["redirect"])
        self.opener.post(f"{self.base_url()}/payment/status/poll",
                         json={"id": 0, "jsonrpc": "2.0", "method": "call", "params": {}})
        self.env.invalidate_all()
        return tx

    def _paid(self):
        event = self._hold(self._free_start(self.consultation))
        tx = self._through_easycard(f"/my/appointments/{event.id}/transaction")
        return event, tx

    def test_a_prepaid_appointment_is_paid_on_easycards_page_and_booked(self):
        event, tx = self._paid()
        self.assertEqual(tx.state, "done")
        self.assertEqual(event.clinic_payment_state, "paid")
        self.assertEqual(event.clinic_transaction_id, tx)
        self.assertIn(event.clinic_invoice_id.payment_state, ("paid", "in_payment"))
        [deal] = self.sim_deals(tx.reference)
        self.assertEqual((deal["transactionAmount"], deal["currency"]),
                         (round(TOTAL, 2), self.company.currency_id.name))

    def test_a_cancelled_prepaid_appointment_is_refunded_through_easycard(self):
        event, tx = self._paid()
        self.sim.store.transmit()  # settled overnight: refunded, not cancelled
        self._cancel(event)
        self.assertEqual(event.clinic_payment_state, "cancel_refunded")
        refund = tx.child_transaction_ids
        self.assertEqual((refund.operation, refund.state), ("refund", "done"))
        [source] = [d for d in self.sim_deals() if d["paymentTransactionID"]
                    == tx.provider_reference]
        self.assertEqual(source["totalRefund"], round(TOTAL, 2))

    def _guaranteed(self):
        event = self._hold_for_card(self._free_start(self.physio))
        tx = self._through_easycard(f"/my/appointments/{event.id}/card/transaction",
                                    is_validation=True, tokenization_requested=True)
        self.assertEqual(tx.state, "done")
        self.assertEqual(event.clinic_payment_state, "guaranteed")
        self.assertFalse(self.sim_deals(), "nothing charged when the card is left")
        return event

    def _past(self, event):
        start = fields.Datetime.now() - timedelta(days=1)
        event.write({"start": start, "stop": start + timedelta(hours=1)})

    def test_a_card_left_through_easycard_pays_the_no_show_fee_off_session(self):
        event = self._guaranteed()
        token = event.clinic_guarantee_token_id
        self.assertEqual(token.provider_id, self.easycard)
        detail = self.url_open(event._clinic_portal_url()).text
        self.assertRegex(detail, r'o_clinic_card">1111</span>\s*<span dir="ltr" '
                                 r'class="o_clinic_card_brand">\(VISA\)</span>')
        self._past(event)
        action = event.with_user(self.accountant).action_clinic_charge_no_show_fee()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(event.clinic_payment_state, "fee_charged")
        self.assertIn(event.clinic_fee_invoice_id.payment_state, ("paid", "in_payment"))
        [deal] = self.sim_deals()
        self.assertEqual((deal["cardPresence"], deal["creditCardToken"]),
                         ("cardNotPresent", token.provider_ref))

    def test_a_no_show_fee_whose_answer_is_lost_is_charged_once_when_reconciled(self):
        event = self._guaranteed()
        self._past(event)
        self.sim_fault("transactions.create", "drop_after")
        with self.assertLogs("odoo.addons.payment_easycard", "WARNING"):
            action = event.with_user(self.accountant).action_clinic_charge_no_show_fee()
        self.assertEqual(action["params"]["type"], "warning", "pending, not failed")
        self.assertIn("waiting", event.clinic_fee_invoice_id.message_ids[0].body)
        self.assertTrue(event._clinic_fee_refusal(), "no second charge while it is pending")
        fee = event.clinic_transaction_ids.filtered(lambda tx: tx.operation == "offline")
        self.env.cr.execute("UPDATE payment_transaction SET create_date = create_date - "
                            "interval '10 minutes' WHERE id = %s", [fee.id])
        self.env["payment.transaction"]._cron_easycard_reconcile()
        fee._post_process()  # what Odoo's post-processing job does with it next
        self.assertEqual(fee.state, "done")
        self.assertEqual(event.clinic_payment_state, "fee_charged")
        self.assertEqual(len(self.sim_deals()), 1, "charged exactly once")

    def test_a_refused_no_show_fee_leaves_the_invoice_open_with_the_reason(self):
        event = self._guaranteed()
        self.sim.store.decline_token(event.clinic_guarantee_token_id.provider_ref)
        self._past(event)
        action = event.with_user(self.accountant).action_clinic_charge_no_show_fee()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("Declined", action["params"]["message"])
        self.assertEqual(event.clinic_payment_state, "guaranteed")
        invoice = event.clinic_fee_invoice_id
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertIn("Declined", invoice.message_ids[0].body, "the reason is on the invoice")


# The payer's hand on EasyCard's page (another site, where no tour runs): checks the page is
# right-to-left, types the simulator's approved test card and presses the page's button.
PAYER_ON_EASYCARD = """
(() => {
    if (location.origin !== %(origin)s || location.pathname !== "/i") { return; }
    window.addEventListener("DOMContentLoaded", () => {
        if (document.documentElement.dir !== "rtl") {
            console.error("EasyCard's page is not right-to-left");
            return;
        }
        const form = document.querySelector("form[action='/i/pay']");
        const type = (name, value) => { form.querySelector(`[name='${name}']`).value = value; };
        type("cardNumber", "4111111111111111");
        type("expiry", "12/" + String(new Date().getFullYear() + 3).slice(2));
        type("cvv", "123");
        type("cardOwnerName", "Noa Mizrahi");
        form.querySelector("button[value='pay']").click();
    });
})();
"""


@tagged("post_install", "-at_install")
class TestEasyCardToursHebrew(JourneyCounter, EasyCardClinicSetup, HttpCase):
    """In Chromium, in Hebrew: a patient books a prepaid service and pays on EasyCard's page
    (its simulator) with a test card; another leaves a card there as guarantee."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_easycard_clinic()
        speak_hebrew(cls)
        cls.env["ir.module.module"]._load_module_terms(["payment_easycard"], ["he_IL"],
                                                       overwrite=True)
        cls._pay_through_easycard_only()

    def setUp(self):
        super().setUp()
        script = PAYER_ON_EASYCARD % {"origin": json.dumps(self.sim.base_url)}
        original = ChromeBrowser.navigate_to

        def navigate_with_payer(browser, url, wait_stop=False):
            browser._websocket_request("Page.addScriptToEvaluateOnNewDocument",
                                       params={"source": script})
            return original(browser, url, wait_stop=wait_stop)

        self.startPatcher(patch.object(ChromeBrowser, "navigate_to", navigate_with_payer))

    def _event(self):
        return self.env["calendar.event"].search([("clinic_patient_id", "=", self.patient.id)])

    def test_tour_pay_on_easycard_and_book(self):
        self._counted_tour(f"/he/my/appointments/book?service={self.consultation.id}",
                           "clinic_portal_easycard_prepay_he", login="booking_patient")
        event = self._event()
        self.assertEqual(event.clinic_payment_state, "paid")
        tx = event.clinic_transaction_id
        self.assertEqual((tx.provider_id, tx.state), (self.easycard, "done"))
        [deal] = self.sim_deals(tx.reference)
        self.assertEqual(deal["transactionAmount"], round(TOTAL, 2), "charged once, in full")

    def test_tour_leave_a_card_on_easycard_and_book(self):
        self._counted_tour(f"/he/my/appointments/book?service={self.physio.id}",
                           "clinic_portal_easycard_card_he", login="booking_patient")
        event = self._event()
        self.assertEqual(event.clinic_payment_state, "guaranteed")
        token = event.clinic_guarantee_token_id
        self.assertEqual((token.provider_id, token.payment_details), (self.easycard, "1111"))
        self.assertFalse(self.sim_deals(), "nothing charged")
