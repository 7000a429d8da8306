import re
from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, freeze_time, tagged

from .booking_common import NOW, utc
from .payment_common import TOTAL, BalanceSetup

TUESDAY_9 = utc(2026, 3, 3, 9)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestPaidCancellation(BalanceSetup, TransactionCase):
    """A paid appointment cancelled in the portal: a credit note reverses its invoice, and the
    money goes back to the card (Demo provider's refund) or stays the patient's balance."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_prepayment(cls.env)

    def _paid(self, start=TUESDAY_9):
        event = self._hold(start)
        tx = self._pay(event)
        self.assertEqual(event.clinic_payment_state, "paid")
        return event, tx

    def _credit_notes(self, event):
        return self.env["account.move"].search(
            [("clinic_appointment_id", "=", event.id), ("move_type", "=", "out_refund")])

    def _last_mail(self):
        return self.env["mail.mail"].search(
            [("recipient_ids", "in", self.patient.ids)], order="id desc", limit=1)

    def _assert_credit_note(self, event):
        invoice = event.clinic_invoice_id
        credit_note = self._credit_notes(event)
        self.assertEqual(len(credit_note), 1)
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.reversed_entry_id, invoice)
        self.assertAlmostEqual(credit_note.amount_total, TOTAL)
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertEqual(invoice.line_ids.matched_credit_ids.credit_move_id.move_id, credit_note)
        self.assertIn(credit_note, event._clinic_portal_invoices())
        return credit_note

    def test_a_payment_arriving_after_the_cancellation_is_refunded_and_keeps_it_cancelled(self):
        event, _tx = self._paid()
        self._cancel(event)
        late = self._pay(event)
        self.assertEqual(event.clinic_payment_state, "cancel_refunded")
        refund = late.child_transaction_ids
        self.assertEqual((refund.operation, refund.state), ("refund", "done"))
        self.assertAlmostEqual(refund.amount, -late.amount)

    def test_cancelling_a_card_payment_credits_the_invoice_and_refunds_the_card(self):
        event, tx = self._paid()
        self._cancel(event, "Travelling")
        self.assertFalse(event.active)
        self.assertEqual(event.clinic_payment_state, "cancel_refunded")
        credit_note = self._assert_credit_note(event)
        refund = tx.child_transaction_ids
        self.assertEqual((refund.operation, refund.state), ("refund", "done"))
        self.assertAlmostEqual(refund.amount, -TOTAL)
        self.assertTrue(tx.payment_id.is_reconciled, "the refund evens the patient's balance")
        self.assertEqual(self.patient.credit, 0.0)
        self.assertIn("refunded to the card", self._last_mail().body_html)
        note = event.message_ids[0]
        self.assertIn("Travelling", note.body)
        self.assertIn(credit_note.name, note.body)
        self.assertIn("refunded to the patient's card", note.body)
        self.assertEqual(note.partner_ids, self.staff.partner_id)

    def test_kept_as_balance_by_the_setting_the_next_booking_is_paid_from_it(self):
        self.company.write({"clinic_portal_cancel_refund": "balance",
                            "clinic_portal_skip_payment_with_balance": True})
        event, tx = self._paid()
        self._cancel(event)
        self.assertEqual(event.clinic_payment_state, "cancel_credited")
        self._assert_credit_note(event)
        self.assertFalse(tx.child_transaction_ids, "nothing refunded")
        self.assertAlmostEqual(self.patient.credit, -TOTAL)
        self.assertIn("kept as your balance", self._last_mail().body_html)
        self.assertIn("kept as the patient's balance", event.message_ids[0].body)

        following = self._hold(TUESDAY_9 + timedelta(days=1))
        self.assertEqual(following.clinic_payment_state, "paid")
        self.assertTrue(following.clinic_paid_from_balance)
        self.assertFalse(following.clinic_transaction_ids)
        self.patient.invalidate_recordset(["credit"])
        self.assertAlmostEqual(self.patient.credit, 0.0)

    def test_a_hebrew_patients_invoice_and_credit_note_have_hebrew_titles(self):
        self.env["res.lang"]._activate_lang("he_IL")
        self.env["ir.module.module"]._load_module_terms(["account", "clinic_portal"], ["he_IL"])
        self.patient.lang = "he_IL"
        event, _tx = self._paid()
        self._cancel(event)
        report = self.env["ir.actions.report"]
        for move, title in ((event.clinic_invoice_id, "חשבונית מס"),
                            (self._credit_notes(event), "חשבונית זיכוי")):
            page = report._render_qweb_html("account.report_invoice", move.ids)[0].decode()
            heading = re.search(r"<h2>(.*?)</h2>", page, re.S).group(1)
            self.assertIn(title, heading, move.name)
            self.assertFalse(re.search(r"Invoice|Credit Note", heading), heading)

    def test_a_provider_that_cannot_refund_leaves_the_money_as_balance(self):
        event, tx = self._paid()
        self.provider.payment_method_ids.write({"support_refund": "none"})
        self._cancel(event)
        self.assertEqual(event.clinic_payment_state, "cancel_credited")
        self._assert_credit_note(event)
        self.assertFalse(tx.child_transaction_ids)
        self.assertAlmostEqual(self.patient.credit, -TOTAL)
        self.assertIn("cannot refund", event.message_ids[0].body)

    def test_cancelling_an_appointment_paid_from_the_balance_gives_the_balance_back(self):
        self.company.clinic_portal_skip_payment_with_balance = True
        balance = self._credit_note(400.0)
        event = self._hold(TUESDAY_9)
        self.assertTrue(event.clinic_paid_from_balance)
        self._cancel(event)
        self.assertEqual(event.clinic_payment_state, "cancel_credited")
        self._assert_credit_note(event)
        self.assertAlmostEqual(self._open_credit(balance), 400.0)
        self.assertAlmostEqual(self.patient.credit, -400.0)
        self.assertIn("goes back to it", event.message_ids[0].body)

    def test_cancelling_twice_makes_one_credit_note_and_one_refund(self):
        event, tx = self._paid()
        self._cancel(event)
        with self.assertRaises(UserError):
            self._cancel(event)
        self.assertEqual(event._clinic_cancel_payment(self._policy()), "")
        self.assertEqual(len(self._credit_notes(event)), 1)
        self.assertEqual(len(tx.child_transaction_ids), 1)
        self.assertEqual(self.patient.credit, 0.0)

    def test_inside_the_change_window_the_cancellation_is_refused_and_nothing_changes(self):
        event, tx = self._paid()
        with freeze_time(NOW + timedelta(hours=4)), \
                self.assertRaisesRegex(UserError, "until 24 hours"):
            self._cancel(event)
        self.assertTrue(event.active)
        self.assertEqual(event.clinic_payment_state, "paid")
        self.assertFalse(self._credit_notes(event))
        self.assertIn(event.clinic_invoice_id.payment_state, ("paid", "in_payment"))
        self.assertFalse(tx.child_transaction_ids)
