from odoo import fields, models
from odoo.fields import Command

from .. import const


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    clinic_appointment_id = fields.Many2one(
        "calendar.event", string="Appointment", readonly=True, index="btree_not_null",
        ondelete="set null",
        help="The appointment this transaction is for: its prepayment, the saving of the card "
             "kept as its guarantee, or its no-show fee.")

    def _post_process(self):
        """Settle the prepayments of appointments before ``account_payment`` books them,
        book the appointments held for a card once its validation is confirmed, and mark the
        no-show fees charged to a guarantee card once their charge is.

        A confirmed payment that pays its appointment keeps its invoice, which the parent
        posts and reconciles; one that does not (its time was lost, or the appointment was
        already paid) is detached from the invoice, so that its payment stays the patient's
        credit, then refunded where the provider can. Only on the first post-processing of a
        confirmation: a notification that arrives twice changes nothing twice.
        """
        unused = self.browse()
        confirmed = self.filtered(lambda t: t.state == "done" and not t.is_post_processed
                                  and t.clinic_appointment_id)
        for tx in confirmed.filtered(lambda t: t.operation in const.PREPAYMENT_OPERATIONS):
            if not tx.clinic_appointment_id.sudo()._clinic_settle_payment(tx):
                tx.invoice_ids = [Command.clear()]
                unused |= tx
        for tx in confirmed.filtered(lambda t: t.operation == const.OPERATION_CARD_SAVED):
            tx.clinic_appointment_id.sudo()._clinic_settle_card(tx)
        result = super()._post_process()
        for tx in unused:
            tx.clinic_appointment_id.sudo()._clinic_payment_unused(tx)
        for tx in confirmed.filtered(lambda t: t.operation == const.OPERATION_FEE):
            tx.clinic_appointment_id.sudo()._clinic_fee_charged(tx)
        return result

    def _clinic_refund(self):
        """Refund this confirmed payment in full where its provider and payment method can;
        whether a refund was sent. The refund's own payment is booked against this one, so
        the patient's balance is even."""
        self.ensure_one()
        method = self.payment_method_id.primary_payment_method_id or self.payment_method_id
        if (self.provider_id.state == "disabled" or self.provider_id.support_refund == "none"
                or method.support_refund == "none" or not self.payment_id):
            return False
        refund = self._refund()
        if refund.state == "error":
            return False
        if refund.state == "done" and not refund.is_post_processed:
            refund._post_process()
        payments = self.payment_id | refund.payment_id
        lines = payments.move_id.line_ids.filtered(
            lambda line: line.account_id == self.payment_id.destination_account_id
            and not line.reconciled)
        if len(lines) > 1:
            lines.reconcile()
        return True
