from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.fields import Command
from odoo.tests import TransactionCase, freeze_time, tagged

from .booking_common import NOW, utc
from .payment_common import PORTAL_PRICE, TOTAL, BalanceSetup
from .test_booking_race import PARALLEL, ParallelBookings

TUESDAY_9 = utc(2026, 3, 3, 9)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestBalance(BalanceSetup, TransactionCase):
    """"Skip payment when the balance suffices": a patient whose balance covers the price of
    a service paid at booking books it at once, paid from the balance; otherwise it is held
    while they pay, as always."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_prepayment(cls.env)
        cls.company.clinic_portal_skip_payment_with_balance = True

    def _offer(self):
        return self.consultation._clinic_portal_offer(self.patient)

    def test_a_balance_that_covers_the_price_books_and_pays_at_once(self):
        credit_note = self._credit_note(400.0)
        mails = self.env["mail.mail"].search([("recipient_ids", "in", self.patient.ids)])
        event = self._hold(TUESDAY_9)
        self.assertTrue(event.active)
        self.assertEqual(event.clinic_payment_state, "paid")
        self.assertTrue(event.clinic_paid_from_balance)
        self.assertFalse(event.clinic_hold_expiry)
        self.assertFalse(event.clinic_transaction_ids, "no payment step")
        invoice = event.clinic_invoice_id
        self.assertEqual(invoice.state, "posted")
        # Odoo calls an invoice settled by a credit note "reversed"; either way nothing is due.
        self.assertIn(invoice.payment_state, ("paid", "reversed"))
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertAlmostEqual(invoice.amount_total, TOTAL)
        self.assertEqual(invoice.line_ids.matched_credit_ids.credit_move_id.move_id, credit_note)
        self.assertAlmostEqual(self._open_credit(credit_note), 400.0 - TOTAL)
        self.assertEqual(event._clinic_portal_invoices(), invoice)
        mail = self.env["mail.mail"].search([("recipient_ids", "in", self.patient.ids)]) - mails
        self.assertEqual(len(mail), 1)
        self.assertIn("Paid from your balance", mail.body_html)
        self.assertIn("Paid from the patient's balance", event.message_ids[0].body)
        self.assertEqual(event.message_ids[0].partner_ids, self.staff.partner_id)

    def test_an_earlier_payment_kept_as_balance_pays_too(self):
        payment = self._payment(TOTAL)
        event = self._hold(TUESDAY_9)
        self.assertTrue(event.clinic_paid_from_balance)
        self.assertIn(event.clinic_invoice_id.payment_state, ("paid", "in_payment"))
        self.assertEqual(payment.reconciled_invoice_ids, event.clinic_invoice_id)

    def test_a_balance_short_of_the_price_with_its_taxes_holds_it(self):
        credit_note = self._credit_note(PORTAL_PRICE + 10.0)  # the price, not its taxes
        event = self._hold(TUESDAY_9)
        self.assertEqual(event.clinic_payment_state, "awaiting")
        self.assertFalse(event.clinic_paid_from_balance)
        self.assertEqual(event.clinic_invoice_id.state, "draft")
        self.assertAlmostEqual(self._open_credit(credit_note), PORTAL_PRICE + 10.0)

    def test_with_the_setting_off_a_covering_balance_is_not_used(self):
        self.company.clinic_portal_skip_payment_with_balance = False
        credit_note = self._credit_note(400.0)
        event = self._hold(TUESDAY_9)
        self.assertEqual(event.clinic_payment_state, "awaiting")
        self.assertEqual(event.clinic_invoice_id.state, "draft")
        self.assertAlmostEqual(self._open_credit(credit_note), 400.0)

    def test_the_balance_of_another_patient_pays_nothing(self):
        self._credit_note(400.0, partner=self.other)
        self.assertEqual(self._hold(TUESDAY_9).clinic_payment_state, "awaiting")

    def test_one_credit_pays_one_booking_the_next_is_held(self):
        self._credit_note(TOTAL + 20.0)
        first = self._hold(TUESDAY_9)
        second = self._hold(TUESDAY_9 + timedelta(hours=2))
        self.assertEqual(first.clinic_payment_state, "paid")
        self.assertEqual(second.clinic_payment_state, "awaiting")
        self.assertEqual(second.clinic_invoice_id.state, "draft")

    def test_submitting_a_booking_paid_from_the_balance_twice_books_it_once(self):
        self._credit_note(400.0)
        first = self._hold(TUESDAY_9)
        self.assertEqual(self._hold(TUESDAY_9), first)
        self.assertEqual(len(self.env["account.move"].search(
            [("clinic_appointment_id", "=", first.id)])), 1)

    def test_the_confirm_page_knows_beforehand_whether_the_balance_pays(self):
        policy, offer = self._policy(), self._offer()
        self.assertFalse(self.patient._clinic_balance_pays(self.consultation, offer, policy))
        self._credit_note(PORTAL_PRICE + 10.0)
        self.assertFalse(self.patient._clinic_balance_pays(self.consultation, offer, policy))
        self._credit_note(50.0)
        self.assertTrue(self.patient._clinic_balance_pays(self.consultation, offer, policy))
        self.company.clinic_portal_skip_payment_with_balance = False
        self.assertFalse(self.patient._clinic_balance_pays(
            self.consultation, offer, self._policy()))


@tagged("post_install", "-at_install")
class TestBalanceRace(ParallelBookings, TransactionCase):
    """Bookings of one patient at once, in real parallel transactions, on a balance that
    covers one of them: one is paid from it, the others are held."""

    def _give_credit(self, env, service_id, patient_id):
        env.company.write({"clinic_portal_future_limit": 0,
                           "clinic_portal_skip_payment_with_balance": True})
        service = env["product.product"].browse(service_id)
        service.write({"list_price": 100.0, "clinic_prepayment_required": True,
                       "taxes_id": [Command.clear()]})
        # One and a half times the price, in its currency (the pricelist's).
        offer = service._clinic_portal_offer(env["res.partner"].browse(patient_id))
        credit_note = env["account.move"].create({
            "move_type": "out_refund", "partner_id": patient_id,
            "currency_id": offer["currency_id"],
            "invoice_line_ids": [Command.create({
                "name": "Goodwill", "quantity": 1, "price_unit": offer["price"] * 1.5,
                "tax_ids": [Command.clear()]})]})
        credit_note.action_post()

    def _remove_moves(self, env, patient_id):
        env.company.clinic_portal_skip_payment_with_balance = False
        moves = env["account.move"].with_context(force_delete=True).search(
            [("partner_id", "=", patient_id)])
        moves.filtered(lambda move: move.state == "posted").button_draft()
        moves.unlink()

    def test_parallel_bookings_of_one_patient_use_one_credit_once(self):
        old, staff_id, patient_id, service_id = self._committed(self._prepare)
        self.addCleanup(self._committed, lambda env: self._remove(
            env, old, staff_id, patient_id, service_id))
        self.addCleanup(self._committed, lambda env: self._remove_moves(env, patient_id))
        self._committed(lambda env: self._give_credit(env, service_id, patient_id))
        partner_class = type(self.env["res.partner"])
        # Posting an invoice raises the customer's rank after the commit in a new environment,
        # which waits for the registry the test runner holds: not what this test is about.
        with patch.object(partner_class, "_clinic_booking_blockers", lambda self, p: []), \
                patch.object(partner_class, "_increase_rank", lambda self, field, n=1: None):
            outcomes, reasons = self._book_in_parallel(staff_id, patient_id, service_id)
        self.assertEqual(outcomes, ["booked"] * PARALLEL, reasons)
        states = self._committed(lambda env: sorted(env["calendar.event"].search(
            [("clinic_patient_id", "=", patient_id)]).mapped("clinic_payment_state")))
        self.assertEqual(states, ["awaiting"] * (PARALLEL - 1) + ["paid"])

    def _add_children(self, env, parent_id):
        """``PARALLEL`` children of the patient, linked to them."""
        born = fields.Date.today() - timedelta(days=365 * 8)
        children = env["res.partner"].create([
            {"name": f"Race Child {index}", "clinic_birthdate": born, "tz": "UTC"}
            for index in range(PARALLEL)])
        env["clinic.family.link"].create([{"guardian_id": parent_id, "patient_id": child.id}
                                          for child in children])
        return children.ids

    def _add_staff(self, env, staff_id, service_id):
        """A staff member of the same hours for each child but the first, bookable for the
        service: no staff calendar's lock then puts the bookings in a row."""
        first = env["res.users"].browse(staff_id)
        staff = env["res.users"].create([{
            "name": f"Race Staff {index}", "login": f"{first.login}_{index}", "tz": "UTC",
            "group_ids": [Command.set([env.ref("base.group_user").id])]}
            for index in range(1, PARALLEL)])
        staff.write({"resource_calendar_id": first.resource_calendar_id.id,
                     "clinic_portal_bookable": True})
        env["product.product"].browse(service_id).clinic_staff_user_ids |= staff
        return [staff_id, *staff.ids]

    def _remove_children(self, env, child_ids, staff_ids):
        env["calendar.event"].with_context(active_test=False).search(
            [("clinic_patient_id", "in", child_ids)]).unlink()
        env["res.partner"].browse(child_ids).unlink()
        for user in env["res.users"].browse(staff_ids[1:]):
            user.write({"clinic_portal_bookable": False, "login": f"race_done_{user.id}",
                        "active": False})

    def test_parallel_bookings_of_a_parents_children_use_the_parents_credit_once(self):
        old, staff_id, parent_id, service_id = self._committed(self._prepare)
        self.addCleanup(self._committed, lambda env: self._remove(
            env, old, staff_id, parent_id, service_id))
        self.addCleanup(self._committed, lambda env: self._remove_moves(env, parent_id))
        child_ids = self._committed(lambda env: self._add_children(env, parent_id))
        staff_ids = self._committed(lambda env: self._add_staff(env, staff_id, service_id))
        self.addCleanup(self._committed,
                        lambda env: self._remove_children(env, child_ids, staff_ids))
        self._committed(lambda env: self._give_credit(env, service_id, parent_id))
        partner_class = type(self.env["res.partner"])
        with patch.object(partner_class, "_clinic_booking_blockers", lambda self, p: []), \
                patch.object(partner_class, "_increase_rank", lambda self, field, n=1: None):
            outcomes, reasons = self._book_in_parallel(
                staff_id, parent_id, service_id, patient_ids=child_ids, payer_id=parent_id,
                staff_ids=staff_ids)
        self.assertEqual(outcomes, ["booked"] * PARALLEL, reasons)
        # Each child is booked with their own staff member, under their own locks: only the
        # parent's lock keeps the credit, which covers one booking, from paying two.
        states = self._committed(lambda env: sorted(env["calendar.event"].search(
            [("clinic_patient_id", "in", child_ids)]).mapped("clinic_payment_state")))
        self.assertEqual(states, ["awaiting"] * (PARALLEL - 1) + ["paid"])
        # The held ones wait as drafts; the one paid from the credit is the parent's.
        posted = self._committed(lambda env: env["account.move"].search(
            [("move_type", "=", "out_invoice"), ("state", "=", "posted"),
             ("clinic_appointment_id.clinic_patient_id", "in", child_ids)]).partner_id.ids)
        self.assertEqual(posted, [parent_id])
