from odoo import fields, models
from odoo.tools import format_amount

from .. import const


# The balance has a file of its own, next to the appointment's core in calendar_event.py.
class CalendarEvent(models.Model):
    """The patient's balance and a prepaid appointment: paid from the balance at booking when
    it covers the price, and the money of a paid appointment the patient cancels (a credit
    note, then a refund to the card or the balance)."""

    _inherit = "calendar.event"  # pylint: disable=consider-merging-classes-inherited

    clinic_payment_state = fields.Selection(selection_add=[
        (const.PAYMENT_CANCEL_REFUNDED, "Cancelled, refunded to the card"),
        (const.PAYMENT_CANCEL_CREDITED, "Cancelled, kept as balance"),
    ])
    clinic_paid_from_balance = fields.Boolean(
        string="Paid from the balance", readonly=True, copy=False,
        help="Paid at booking with the patient's balance with the clinic (an earlier payment, a "
             "credit note), with no payment step.")

    # ------------------------------------------------------------------------------------
    # Paying from the balance at booking
    # ------------------------------------------------------------------------------------
    def _clinic_hold(self, offer, policy):
        """Pay the new appointment from the patient's balance when the clinic allows it and the
        balance covers its invoice; otherwise hold it while the patient pays."""
        if policy.skip_payment_with_balance:
            self.clinic_invoice_id = self._clinic_draft_invoice(offer, policy)
            if self._clinic_pay_from_balance():
                return
        super()._clinic_hold(offer, policy)

    def _clinic_pay_from_balance(self):
        """Post this appointment's draft invoice and reconcile it with the patient's open
        credit when that covers all of it; whether it did. Called under the booking lock of the
        patient, and the credit is read in a new snapshot too: what a parallel booking of the
        same patient used meanwhile is no credit any more."""
        self.ensure_one()
        invoice = self.clinic_invoice_id.with_company(self.clinic_invoice_id.company_id)
        account = invoice.line_ids.filtered(
            lambda line: line.display_type == "payment_term").account_id[:1]
        credit = self.clinic_patient_id._clinic_credit_lines(
            account, invoice.company_id, invoice.currency_id, fresh=True)
        available = -sum(credit.mapped("amount_residual_currency"))
        if invoice.currency_id.compare_amounts(available, invoice.amount_total) < 0:
            return False
        invoice.action_post()
        for line in credit:
            if invoice.payment_state not in ("not_paid", "partial"):
                break
            invoice.js_assign_outstanding_line(line.id)
        self.write({"clinic_payment_state": const.PAYMENT_PAID,
                    "clinic_paid_from_balance": True})
        self._clinic_mail_patient(const.MESSAGE_BOOKED)
        self.message_post(
            body=self.env._("Paid from the patient's balance (%(amount)s) and booked by "
                            "%(patient)s from the client portal.",
                            amount=format_amount(self.env, invoice.amount_total,
                                                 invoice.currency_id),
                            patient=self.clinic_patient_id.name),
            partner_ids=self.user_id.partner_id.ids, subtype_xmlid="mail.mt_note")
        return True

    def _clinic_paid_with(self):
        """What paid this appointment, as its patient's page says it: the payment method of its
        online payment and the card's last digits when known; '' when paid otherwise."""
        self.ensure_one()
        tx = self.sudo().clinic_transaction_id
        if self.clinic_paid_from_balance or not tx:
            return ""
        method = tx.payment_method_id.name or tx.provider_id.name
        return f"{method} {tx.token_id.display_name}" if tx.token_id else method

    # ------------------------------------------------------------------------------------
    # A paid appointment cancelled by its patient
    # ------------------------------------------------------------------------------------
    def _clinic_cancel_payment(self, policy):
        """Give the money of this paid appointment back: a credit note reverses its invoice,
        then the payment is refunded to the card it came from when the clinic says so and the
        payment provider can, else it stays the patient's balance (as does a payment from the
        balance). Returns the note for the staff member, '' when there was nothing paid; a
        second call changes nothing."""
        self.ensure_one()
        if self.clinic_payment_state != const.PAYMENT_PAID:
            return ""
        credit_note = self._clinic_credit_note()
        tx = self.sudo().clinic_transaction_id
        to_card = (policy.cancel_refund == const.CANCEL_REFUND_CARD
                   and not self.clinic_paid_from_balance and tx)
        refunded = bool(to_card) and self._clinic_refund_once(tx)
        self.clinic_payment_state = (const.PAYMENT_CANCEL_REFUNDED if refunded
                                     else const.PAYMENT_CANCEL_CREDITED)
        return self._clinic_cancel_payment_note(credit_note, tx, bool(to_card), refunded)

    def _clinic_credit_note(self):
        """The posted credit note reversing this appointment's invoice, reconciled with it
        (its payment or credit is then open again); the existing one if there is one."""
        invoice = self.clinic_invoice_id
        reversal = invoice.reversal_move_ids.filtered(lambda move: move.state == "posted")[:1]
        if reversal or invoice.state != "posted":
            return reversal
        today = fields.Date.context_today(self)
        return invoice.with_company(invoice.company_id)._reverse_moves([{
            "ref": self.env._("Appointment cancelled by the patient: %(invoice)s",
                              invoice=invoice.name),
            "date": today,
            "invoice_date": today,
            "clinic_appointment_id": self.id,
        }], cancel=True)

    def _clinic_refund_once(self, tx):
        """Refund ``tx`` unless a refund of it was already sent; whether it is refunded."""
        if tx.child_transaction_ids.filtered(
                lambda child: child.operation == "refund" and child.state != "error"):
            return True
        return tx._clinic_refund()

    def _clinic_cancel_payment_note(self, credit_note, tx, to_card, refunded):
        invoice = self.clinic_invoice_id
        values = {"credit_note": credit_note.name or "", "invoice": invoice.name or "",
                  "amount": format_amount(self.env, invoice.amount_total, invoice.currency_id)}
        if refunded:
            return self.env._("Credit note %(credit_note)s reverses invoice %(invoice)s; the "
                              "payment of %(amount)s is refunded to the patient's card "
                              "(%(reference)s).", reference=tx.reference, **values)
        if self.clinic_paid_from_balance:
            return self.env._("Credit note %(credit_note)s reverses invoice %(invoice)s; "
                              "%(amount)s paid from the patient's balance goes back to it.",
                              **values)
        if to_card:
            return self.env._("Credit note %(credit_note)s reverses invoice %(invoice)s; the "
                              "payment provider cannot refund the payment of %(amount)s, so it "
                              "is kept as the patient's balance.", **values)
        return self.env._("Credit note %(credit_note)s reverses invoice %(invoice)s; the "
                          "payment of %(amount)s is kept as the patient's balance, as the "
                          "settings say.", **values)
