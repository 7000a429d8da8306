from ast import literal_eval
from datetime import timedelta

from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, freeze_time, tagged

from ..models.clinic_booking_engine import ClinicSlotTaken
from .booking_common import NOW, utc
from .guarantee_common import GUARANTEE_PRICE, GuaranteeSetup
from .payment_common import VAT

TUESDAY_9 = utc(2026, 3, 3, 9)
AFTER_THE_START = NOW + timedelta(days=1, hours=3, minutes=30)  # Tuesday 09:30
FEE_TOTAL = GUARANTEE_PRICE * (1 + VAT / 100)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestGuarantee(GuaranteeSetup, TransactionCase):
    """A service booked with a card as guarantee: booked at once with a saved card, else held
    while the patient saves one on the Demo provider; nothing charged at booking."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_guarantee(cls.env)

    def _mails_to(self, partner):
        return self.env["mail.mail"].search([("recipient_ids", "in", partner.ids)])

    def _charged(self, partner):
        """What was charged to or invoiced for ``partner``."""
        return (self.env["account.move"].search([("partner_id", "=", partner.id),
                                                  ("state", "=", "posted")]),
                self.env["account.payment"].search([("partner_id", "=", partner.id)]))

    def _release_expired(self, minutes=16):
        with freeze_time(NOW + timedelta(minutes=minutes)):
            self.env["calendar.event"]._clinic_cron_release_holds()

    # --- bookable -----------------------------------------------------------------------------
    def test_the_service_is_bookable_when_a_provider_saves_cards(self):
        offer = self.physio._clinic_portal_offer(self.patient)
        self.assertEqual(offer["payment"], "guarantee")
        booking = self.env["clinic.booking.engine"]
        self.assertTrue(booking._payment_possible(self.patient, self.physio, offer,
                                                  self._policy()))
        self.provider.allow_tokenization = False
        self.assertFalse(booking._payment_possible(self.patient, self.physio, offer,
                                                   self._policy()))
        with self.assertRaisesRegex(UserError, "cannot take now"):
            self._hold_for_card(TUESDAY_9)

    # --- no saved card: held while the patient saves one ---------------------------------------
    def test_without_a_saved_card_the_time_is_held_and_nothing_invoiced(self):
        mails = self._mails_to(self.patient)
        event = self._hold_for_card(TUESDAY_9)
        self.assertEqual(event.clinic_payment_state, "awaiting")
        self.assertTrue(event.clinic_card_guarantee)
        self.assertEqual(event.clinic_hold_expiry, NOW + timedelta(minutes=15))
        self.assertFalse(event.clinic_invoice_id)
        self.assertFalse(event.clinic_invoice_ids)
        self.assertEqual(self._mails_to(self.patient), mails, "booked once the card is saved")
        with self.assertRaises(ClinicSlotTaken):
            self._book(TUESDAY_9, partner=self.other)

    def test_submitting_the_same_booking_twice_makes_one_hold(self):
        first = self._hold_for_card(TUESDAY_9)
        self.assertEqual(self._hold_for_card(TUESDAY_9), first)

    def test_saving_the_card_books_the_appointment_and_charges_nothing(self):
        event = self._hold_for_card(TUESDAY_9)
        mails = self._mails_to(self.patient)
        tx = self._save_card(event)
        self.assertEqual((tx.state, tx.operation), ("done", "validation"))
        self.assertEqual(event.clinic_payment_state, "guaranteed")
        self.assertFalse(event.clinic_hold_expiry)
        token = event.clinic_guarantee_token_id
        self.assertEqual(token, tx.token_id)
        self.assertEqual((token.partner_id, token.payment_details), (self.patient, "4242"))
        self.assertEqual(self._charged(self.patient), (self.env["account.move"],
                                                       self.env["account.payment"]))
        new_mails = self._mails_to(self.patient) - mails
        self.assertEqual(len(new_mails), 1)
        self.assertEqual(new_mails.subject, self.env.ref(
            "clinic_portal.mail_template_appointment_booked")._render_field(
                "subject", event.ids)[event.id])
        self.assertIn("4242", event.message_ids[0].body)
        self.assertEqual(event.message_ids[0].partner_ids, self.staff.partner_id)

    def test_a_validation_notification_arriving_twice_changes_nothing_twice(self):
        event = self._hold_for_card(TUESDAY_9)
        tx = self._save_card(event)
        mails, messages = self._mails_to(self.patient), event.message_ids
        self._notify(tx)
        tx._post_process()
        self.assertEqual(event.clinic_payment_state, "guaranteed")
        self.assertEqual(self.env["payment.token"].search(
            [("partner_id", "=", self.patient.id)]), event.clinic_guarantee_token_id)
        self.assertEqual(self._mails_to(self.patient), mails)
        self.assertEqual(event.message_ids, messages)

    def test_the_cron_books_a_saved_card_it_finds_not_yet_processed(self):
        event = self._hold_for_card(TUESDAY_9)
        tx = self._save_card(event, post_process=False)
        self._release_expired()
        self.assertTrue(tx.is_post_processed)
        self.assertEqual(event.clinic_payment_state, "guaranteed")
        self.assertTrue(event.active)

    # --- a saved card: booked at once -----------------------------------------------------------
    def test_a_patient_with_a_saved_card_is_booked_at_once_and_not_asked_again(self):
        card = self._card_of(self.patient)
        mails = self._mails_to(self.patient)
        event = self._hold_for_card(TUESDAY_9)
        self.assertEqual(event.clinic_payment_state, "guaranteed")
        self.assertEqual(event.clinic_guarantee_token_id, card)
        self.assertFalse(event.clinic_hold_expiry)
        self.assertFalse(event.clinic_transaction_ids, "no card step, no charge")
        self.assertEqual(self._charged(self.patient), (self.env["account.move"],
                                                       self.env["account.payment"]))
        self.assertEqual(len(self._mails_to(self.patient) - mails), 1)

    def test_an_archived_card_or_another_patients_card_does_not_count(self):
        self._card_of(self.patient).action_archive()
        self._card_of(self.other)
        event = self._hold_for_card(TUESDAY_9)
        self.assertEqual(event.clinic_payment_state, "awaiting")

    # --- no card saved: released ---------------------------------------------------------------
    def test_an_expired_card_hold_is_released_and_nothing_charged(self):
        event = self._hold_for_card(TUESDAY_9)
        self._release_expired()
        self.assertFalse(event.active)
        self.assertEqual(event.clinic_payment_state, "released")
        self.assertEqual(self._charged(self.patient), (self.env["account.move"],
                                                       self.env["account.payment"]))
        self.assertIn(TUESDAY_9, self._slots(product=self.physio, partner=self.other)[
            self.staff.id])

    def test_a_failed_or_cancelled_card_saving_is_released_when_the_hold_expires(self):
        failed = self._hold_for_card(TUESDAY_9)
        cancelled = self._hold_for_card(TUESDAY_9 + timedelta(hours=2))
        self.assertEqual(self._save_card(failed, state="error").state, "error")
        self._save_card(cancelled, state="cancel")
        self.assertEqual(failed.clinic_payment_state, "awaiting")
        self.assertFalse(failed._clinic_card_refusal(), "the patient may try again")
        self._release_expired()
        self.assertEqual((failed | cancelled).mapped("clinic_payment_state"),
                         ["released", "released"])
        self.assertFalse((failed | cancelled).clinic_guarantee_token_id)

    def test_a_card_saved_after_the_release_keeps_the_card_but_not_the_time(self):
        event = self._hold_for_card(TUESDAY_9)
        self._release_expired()
        with freeze_time(NOW + timedelta(minutes=20)):
            tx = self._save_card(event)
        self.assertEqual(event.clinic_payment_state, "released")
        self.assertFalse(event.active)
        self.assertTrue(tx.token_id.active, "saved for the next booking")
        self.assertFalse(event.clinic_guarantee_token_id)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestNoShowFee(GuaranteeSetup, TransactionCase):
    """The staff charge a no-show fee to the card kept as guarantee: invoiced, charged off
    session on the Demo provider, reconciled; once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_guarantee(cls.env)

    def setUp(self):
        super().setUp()
        self.card = self._card_of(self.patient, details="4242")
        self.event = self._hold_for_card(TUESDAY_9)

    def _charge(self, user=None):
        event = self.event.with_user(user or self.accountant)
        with freeze_time(AFTER_THE_START):
            return event.action_clinic_charge_no_show_fee()

    def _fee_transactions(self):
        return self.event.clinic_transaction_ids.filtered(lambda tx: tx.operation == "offline")

    def test_the_fee_is_invoiced_charged_to_the_card_and_reconciled(self):
        action = self._charge()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.event.clinic_payment_state, "fee_charged")
        invoice = self.event.clinic_fee_invoice_id
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.partner_id, self.patient)
        self.assertEqual(invoice.clinic_appointment_id, self.event)
        self.assertEqual(invoice.journal_id, self.company._clinic_portal_issuer(self.physio))
        self.assertEqual(invoice.invoice_line_ids.price_unit, GUARANTEE_PRICE)
        self.assertAlmostEqual(invoice.amount_total, FEE_TOTAL)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
        tx = self._fee_transactions()
        self.assertEqual((tx.state, tx.token_id, tx.invoice_ids), ("done", self.card, invoice))
        self.assertAlmostEqual(tx.amount, FEE_TOTAL)
        self.assertEqual(tx.payment_id.reconciled_invoice_ids, invoice)
        self.assertIn(invoice, self.event._clinic_portal_invoices())
        self.assertIn("No-show fee", self.event.message_ids[0].body)
        self.assertIn("4242", self.event.message_ids[0].body)

    def test_the_service_may_set_its_own_fee(self):
        self.physio.product_tmpl_id.clinic_no_show_fee = 80.0
        self._charge()
        self.assertEqual(self.event.clinic_fee_invoice_id.invoice_line_ids.price_unit, 80.0)

    def test_the_fee_is_refused_before_the_appointment_starts_and_changes_nothing(self):
        with self.assertRaisesRegex(UserError, "only once the appointment has started"):
            self.event.with_user(self.accountant).action_clinic_charge_no_show_fee()
        self.assertEqual(self.event.clinic_payment_state, "guaranteed")
        self.assertFalse(self.event.clinic_fee_invoice_id)
        self.assertFalse(self.event.clinic_invoice_ids)
        self.assertFalse(self._fee_transactions())

    def test_clicking_twice_charges_once(self):
        self._charge()
        with self.assertRaisesRegex(UserError, "already charged"):
            self._charge()
        self.assertEqual(len(self._fee_transactions()), 1)
        self.assertEqual(len(self.event.clinic_invoice_ids), 1)

    def test_a_failed_charge_is_told_and_leaves_the_invoice_to_collect(self):
        self.card.demo_simulated_state = "error"
        action = self._charge()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("could not be charged", action["params"]["message"])
        self.assertEqual(self.event.clinic_payment_state, "guaranteed")
        invoice = self.event.clinic_fee_invoice_id
        self.assertEqual((invoice.state, invoice.payment_state), ("posted", "not_paid"))
        self.assertEqual(self._fee_transactions().state, "error")
        self.assertIn("could not be charged", self.event.message_ids[0].body)
        # Charged again once the card works: the same invoice, paid.
        self.card.demo_simulated_state = "done"
        self._charge()
        self.assertEqual(self.event.clinic_payment_state, "fee_charged")
        self.assertEqual(self.event.clinic_fee_invoice_id, invoice)
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))

    def test_only_invoicing_staff_charge_a_fee(self):
        with self.assertRaises(AccessError):
            self._charge(user=self.staff)
        self.assertFalse(self._fee_transactions())

    def test_a_cancelled_appointment_or_one_without_a_card_has_no_fee(self):
        plain = self._book(TUESDAY_9 + timedelta(hours=2))
        with freeze_time(AFTER_THE_START + timedelta(hours=2)), \
                self.assertRaisesRegex(UserError, "no card on file"):
            plain.with_user(self.accountant).action_clinic_charge_no_show_fee()
        self._cancel(self.event)
        with self.assertRaisesRegex(UserError, "cancelled"):
            self._charge()

    def test_staff_find_the_appointments_with_a_card_on_file_and_the_unpaid_ones(self):
        held = self._hold_for_card(TUESDAY_9 + timedelta(hours=2), partner=self.other)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "clinic_portal.calendar_event_action_clinic_payments")
        events = self.env["calendar.event"].with_context(active_test=False)
        listed = events.search(literal_eval(action["domain"]))
        self.assertIn(self.event, listed)
        search = etree.fromstring(self.env["calendar.event"].get_view(
            view_type="search")["arch"])
        for name, expected in (("clinic_guaranteed", self.event), ("clinic_unpaid", held)):
            domain = literal_eval(search.xpath(f"//filter[@name='{name}']/@domain")[0])
            self.assertEqual(listed.filtered_domain(domain) & (self.event | held), expected)
