from ast import literal_eval
from datetime import timedelta

from odoo.tests import TransactionCase, freeze_time, tagged

from ..models.clinic_booking_engine import ClinicSlotTaken
from .booking_common import NOW, utc
from .payment_common import PORTAL_PRICE, VAT, PrepaymentSetup

TUESDAY_9 = utc(2026, 3, 3, 9)
TOTAL = PORTAL_PRICE * (1 + VAT / 100)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestPrepayment(PrepaymentSetup, TransactionCase):
    """A service paid at booking: held while the patient pays on the Demo provider, booked
    when paid, released unpaid, and never paid without its time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_prepayment(cls.env)

    def _mails_to(self, partner):
        return self.env["mail.mail"].search([("recipient_ids", "in", partner.ids)])

    def _release_expired(self, minutes=16):
        with freeze_time(NOW + timedelta(minutes=minutes)):
            self.env["calendar.event"]._clinic_cron_release_holds()

    # --- the hold --------------------------------------------------------------------------
    def test_choosing_the_time_holds_it_with_a_draft_invoice_of_the_portal_price(self):
        mails = self._mails_to(self.patient)
        event = self._hold(TUESDAY_9)
        self.assertEqual(event.clinic_payment_state, "awaiting")
        self.assertTrue(event.active)
        self.assertEqual(event.clinic_hold_expiry, NOW + timedelta(minutes=15))
        invoice = event.clinic_invoice_id
        self.assertEqual(invoice.state, "draft")
        self.assertEqual(invoice.partner_id, self.patient)
        self.assertEqual(invoice.journal_id, self.company._clinic_portal_issuer(self.consultation))
        self.assertEqual(invoice.invoice_line_ids.price_unit, PORTAL_PRICE)
        self.assertEqual(invoice.invoice_line_ids.tax_ids, self.vat)
        self.assertAlmostEqual(invoice.amount_total, TOTAL)
        self.assertEqual(self._mails_to(self.patient), mails, "booked only once it is paid")

    def test_the_hold_lasts_the_minutes_of_the_setting(self):
        self.company.clinic_portal_hold_minutes = 30
        event = self._hold(TUESDAY_9)
        self.assertEqual(event.clinic_hold_expiry, NOW + timedelta(minutes=30))

    def test_the_hold_blocks_the_time_for_another_patient(self):
        self._hold(TUESDAY_9)
        self.assertNotIn(TUESDAY_9, self._slots(partner=self.other)[self.staff.id])
        with self.assertRaises(ClinicSlotTaken):
            self._book(TUESDAY_9, partner=self.other)

    def test_submitting_the_same_booking_twice_makes_one_hold(self):
        first = self._hold(TUESDAY_9)
        second = self._hold(TUESDAY_9)
        self.assertEqual(second, first)
        events = self.env["calendar.event"].search([("clinic_patient_id", "=", self.patient.id)])
        self.assertEqual(events, first)
        self.assertEqual(len(self.env["account.move"].search(
            [("partner_id", "=", self.patient.id)])), 1)

    def test_a_service_may_name_its_own_issuer(self):
        journal = self.env["account.journal"].create({
            "name": "Physio issuer", "code": "PHYS", "type": "sale",
            "company_id": self.company.id})
        self.consultation.product_tmpl_id.clinic_issuer_journal_id = journal
        self.assertEqual(self._hold(TUESDAY_9).clinic_invoice_id.journal_id, journal)

    def test_the_default_issuer_of_the_settings_invoices_the_booking(self):
        journal = self.env["account.journal"].create({
            "name": "Portal issuer", "code": "PORT", "type": "sale",
            "company_id": self.company.id})
        self.company.clinic_portal_issuer_journal_id = journal
        self.assertEqual(self._hold(TUESDAY_9).clinic_invoice_id.journal_id, journal)

    # --- paid -------------------------------------------------------------------------------
    def test_paying_on_the_demo_provider_books_it_and_pays_the_invoice(self):
        event = self._hold(TUESDAY_9)
        mails = self._mails_to(self.patient)
        tx = self._pay(event)
        self.assertEqual(tx.state, "done")
        self.assertEqual(event.clinic_payment_state, "paid")
        self.assertEqual(event.clinic_transaction_id, tx)
        self.assertFalse(event.clinic_hold_expiry)
        invoice = event.clinic_invoice_id
        self.assertEqual(invoice.state, "posted")
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        self.assertEqual(tx.payment_id.reconciled_invoice_ids, invoice)
        self.assertEqual(event._clinic_portal_invoices(), invoice)
        new_mails = self._mails_to(self.patient) - mails
        self.assertEqual(len(new_mails), 1)
        self.assertIn("Paid online", new_mails.body_html)

    def test_a_notification_arriving_twice_changes_nothing_twice(self):
        event = self._hold(TUESDAY_9)
        tx = self._pay(event)
        mails, messages = self._mails_to(self.patient), event.message_ids
        self._notify(tx)
        tx._post_process()
        self.assertEqual(event.clinic_payment_state, "paid")
        self.assertEqual(self.env["account.payment"].search(
            [("payment_transaction_id", "=", tx.id)]), tx.payment_id)
        self.assertFalse(tx.child_transaction_ids, "nothing refunded")
        self.assertEqual(self._mails_to(self.patient), mails)
        self.assertEqual(event.message_ids, messages)

    def test_a_second_payment_of_a_paid_appointment_is_refunded(self):
        event = self._hold(TUESDAY_9)
        first = self._pay(event)
        second = self._pay(event)
        self.assertEqual(event.clinic_payment_state, "paid")
        self.assertEqual(event.clinic_transaction_id, first)
        refund = second.child_transaction_ids
        self.assertEqual((refund.operation, refund.state), ("refund", "done"))
        self.assertAlmostEqual(refund.amount, -TOTAL)
        self.assertFalse(second.invoice_ids)
        self.assertIn("already paid", event.message_ids[0].body)

    def test_cancelling_a_paid_appointment_tells_the_staff_member_of_its_refund(self):
        event = self._hold(TUESDAY_9)
        self._pay(event)
        self._cancel(event, "Travelling")
        self.assertFalse(event.active)
        note = event.message_ids[0]
        self.assertIn("Travelling", note.body)
        self.assertIn("refunded to the patient's card", note.body)
        self.assertEqual(note.partner_ids, self.staff.partner_id)

    def test_staff_find_the_appointments_paid_at_booking(self):
        held = self._hold(TUESDAY_9)
        paid = self._hold(TUESDAY_9 + timedelta(hours=2))
        self._pay(paid)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "clinic_portal.calendar_event_action_clinic_payments")
        found = self.env["calendar.event"].with_context(active_test=False).search(
            literal_eval(action["domain"]))
        self.assertEqual(found & (held | paid), held | paid)
        awaiting = found.filtered_domain([("clinic_payment_state", "=", "awaiting")])
        self.assertEqual(awaiting & (held | paid), held)

    # --- unpaid -----------------------------------------------------------------------------
    def test_an_expired_hold_is_released_by_the_cron_and_its_invoice_cancelled(self):
        event = self._hold(TUESDAY_9)
        self._release_expired()
        self.assertFalse(event.active)
        self.assertEqual(event.clinic_payment_state, "released")
        self.assertEqual(event.clinic_invoice_id.state, "cancel")
        self.assertFalse(self.env["account.payment"].search(
            [("partner_id", "=", self.patient.id)]), "nothing charged")
        self.assertIn(TUESDAY_9, self._slots(partner=self.other)[self.staff.id])

    def test_a_hold_lives_until_it_expires(self):
        event = self._hold(TUESDAY_9)
        self._release_expired(minutes=14)
        self.assertEqual(event.clinic_payment_state, "awaiting")
        self.assertTrue(event.active)

    def test_an_expired_hold_frees_its_time_even_before_the_cron_runs(self):
        self._hold(TUESDAY_9)
        with freeze_time(NOW + timedelta(minutes=16)):
            other = self._book(TUESDAY_9, partner=self.other, product=self.service)
        self.assertTrue(other.active)

    def test_a_failed_payment_keeps_the_hold_until_it_expires(self):
        event = self._hold(TUESDAY_9)
        tx = self._pay(event, state="error")
        self.assertEqual(tx.state, "error")
        self.assertEqual(event.clinic_payment_state, "awaiting")
        self.assertFalse(event._clinic_payment_refusal(), "the patient may try again")
        self._release_expired()
        self.assertEqual(event.clinic_payment_state, "released")
        self.assertEqual(event.clinic_invoice_id.state, "cancel")

    def test_a_cancelled_payment_is_released_by_the_cron(self):
        event = self._hold(TUESDAY_9)
        self._pay(event, state="cancel")
        self._release_expired()
        self.assertEqual(event.clinic_payment_state, "released")
        self.assertFalse(event.active)

    def test_the_patient_may_give_the_time_back_to_choose_another(self):
        event = self._hold(TUESDAY_9)
        event._clinic_release_by_patient()
        self.assertEqual(event.clinic_payment_state, "released")
        self.assertEqual(event.clinic_invoice_id.state, "cancel")
        self.assertIn(TUESDAY_9, self._slots()[self.staff.id])

    def test_the_cron_books_a_confirmed_payment_it_finds_not_yet_processed(self):
        event = self._hold(TUESDAY_9)
        tx = self._pay(event, post_process=False)
        self._release_expired()
        self.assertTrue(tx.is_post_processed)
        self.assertEqual(event.clinic_payment_state, "paid")
        self.assertTrue(event.active)

    # --- paid late --------------------------------------------------------------------------
    def test_a_late_payment_books_the_time_when_it_is_still_free(self):
        event = self._hold(TUESDAY_9)
        self._release_expired()
        with freeze_time(NOW + timedelta(minutes=20)):
            self._pay(event)
        self.assertTrue(event.active)
        self.assertEqual(event.clinic_payment_state, "paid")
        self.assertEqual(event.clinic_invoice_id.state, "posted")
        self.assertIn(event.clinic_invoice_id.payment_state, ("paid", "in_payment"))

    def test_a_late_payment_after_the_time_was_taken_is_refunded_and_told(self):
        event = self._hold(TUESDAY_9)
        with freeze_time(NOW + timedelta(minutes=16)):
            taken = self._book(TUESDAY_9, partner=self.other, product=self.service)
            mails = self._mails_to(self.patient)
            tx = self._pay(event)
        self.assertTrue(taken.active)
        self.assertFalse(event.active)
        self.assertEqual(event.clinic_payment_state, "refunded")
        self.assertEqual(event.clinic_invoice_id.state, "cancel")
        refund = tx.child_transaction_ids
        self.assertEqual((refund.operation, refund.state), ("refund", "done"))
        self.assertTrue(tx.payment_id.is_reconciled, "the refund evens the patient's balance")
        self.assertEqual(self.patient.credit, 0.0)
        mail = self._mails_to(self.patient) - mails
        self.assertEqual(len(mail), 1)
        self.assertIn("refunded to the card", mail.body_html)
        self.assertIn("refunded to the patient", event.message_ids[0].body)
        self.assertEqual(event.message_ids[0].partner_ids, self.staff.partner_id)

    def test_a_late_payment_the_provider_cannot_refund_stays_the_patients_credit(self):
        self.provider.payment_method_ids.write({"support_refund": "none"})
        event = self._hold(TUESDAY_9)
        self._release_expired()
        with freeze_time(NOW + timedelta(minutes=20)):
            self._book(TUESDAY_9, partner=self.other, product=self.service)
            mails = self._mails_to(self.patient)
            tx = self._pay(event)
        self.assertEqual(event.clinic_payment_state, "credited")
        self.assertFalse(tx.child_transaction_ids)
        self.assertEqual(tx.payment_id.state, "in_process")
        self.assertFalse(tx.payment_id.is_reconciled)
        self.assertAlmostEqual(self.patient.credit, -TOTAL)
        mail = self._mails_to(self.patient) - mails
        self.assertIn("kept as your credit", mail.body_html)
        self.assertIn("kept as the patient's balance", event.message_ids[0].body)
