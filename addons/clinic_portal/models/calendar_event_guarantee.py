from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tools import format_amount

from .. import const
from ..services import slots


# Apart from calendar_event.py: the guarantee is one feature, found in one place.
class CalendarEvent(models.Model):
    """The card guarantee of an appointment: booked against the patient's saved card, with
    nothing charged, and the no-show fee the staff may charge to that card afterwards."""

    _inherit = "calendar.event"  # pylint: disable=consider-merging-classes-inherited

    clinic_card_guarantee = fields.Boolean(
        string="Card guarantee", readonly=True, copy=False,
        help="Booked in the client portal against a card the patient saved: nothing is "
             "charged at booking; a no-show fee may be charged to the card afterwards.")
    clinic_guarantee_token_id = fields.Many2one(
        "payment.token", string="Guarantee card", readonly=True, copy=False,
        ondelete="set null", groups="account.group_account_invoice",
        help="The patient's saved card kept as the guarantee of this appointment.")
    clinic_fee_invoice_id = fields.Many2one(
        "account.move", string="No-show fee invoice", readonly=True, copy=False,
        ondelete="set null",
        help="The invoice of the no-show fee charged to the guarantee card; left open for "
             "manual collection when the charge failed.")

    # ------------------------------------------------------------------------------------
    # The card: which providers keep one, and the patient's saved one
    # ------------------------------------------------------------------------------------
    @api.model
    def _clinic_guarantee_providers(self, partner, company):
        """The payment providers of ``company`` that can save a card of ``partner``."""
        return self.env["payment.provider"].sudo()._get_compatible_providers(
            company.id, partner.id, 0.0, force_tokenization=True, is_validation=True)

    @api.model
    def _clinic_saved_card(self, partner, company):
        """The patient's newest active saved card of a provider that can keep it, or none."""
        providers = self._clinic_guarantee_providers(partner, company)
        if not providers:
            return self.env["payment.token"].sudo()
        return self.env["payment.token"].sudo()._get_available_tokens(
            providers.ids, partner.id)[:1]

    # ------------------------------------------------------------------------------------
    # Booking with a card: at once with a saved card, else held while the patient saves one
    # ------------------------------------------------------------------------------------
    def _clinic_hold_for_card(self, policy):
        """Hold this new appointment while its patient saves a card as its guarantee: its
        time stays busy for everyone until ``policy.hold_minutes`` from now, as a prepayment
        hold; nothing is charged."""
        self.ensure_one()
        expiry = fields.Datetime.now() + timedelta(minutes=policy.hold_minutes)
        self.write({
            "clinic_payment_state": const.PAYMENT_AWAITING,
            "clinic_hold_expiry": expiry,
            "clinic_card_guarantee": True,
        })
        self.env.ref("clinic_portal.ir_cron_release_holds").sudo()._trigger(at=expiry)
        self.message_post(
            body=self.env._("Held for %(patient)s from the client portal until they save a "
                            "card as a guarantee, at most %(minutes)s minutes.",
                            patient=self.clinic_patient_id.name, minutes=policy.hold_minutes),
            subtype_xmlid="mail.mt_note")

    def _clinic_book_guaranteed(self, token):
        """Book this appointment with the saved card ``token`` as its guarantee: the patient
        gets the booking mail, the staff member a note."""
        self.ensure_one()
        self.write({
            "clinic_payment_state": const.PAYMENT_GUARANTEED,
            "clinic_hold_expiry": False,
            "clinic_card_guarantee": True,
            "clinic_guarantee_token_id": token.id,
        })
        self._clinic_mail_patient(const.MESSAGE_BOOKED)
        self.message_post(
            body=self.env._("Booked by %(patient)s from the client portal, with their card "
                            "ending in %(card)s kept as a guarantee.",
                            patient=self.clinic_patient_id.name, card=token.payment_details),
            partner_ids=self.user_id.partner_id.ids, subtype_xmlid="mail.mt_note")

    def _clinic_portal_card_url(self):
        self.ensure_one()
        return f"/my/appointments/{self.id}/card"

    def _clinic_card_awaited(self):
        """Whether this appointment a booking returned waits for the patient's card. The
        booking may return a hold that a parallel request of the same booking committed,
        which this transaction cannot read yet: it returns nothing else unread."""
        self.ensure_one()
        event = self.exists()
        return not event or event.clinic_payment_state == const.PAYMENT_AWAITING

    def _clinic_card_refusal(self):
        """Why the patient cannot save a card for this appointment now, or ''."""
        self.ensure_one()
        if self.clinic_payment_state in (const.PAYMENT_GUARANTEED, const.PAYMENT_FEE_CHARGED):
            return self.env._("Your card is kept as the guarantee of this appointment.")
        if not self.clinic_card_guarantee:
            return self.env._("This appointment needs no card.")
        if not self._clinic_hold_live():
            return self.env._("The time held for you has ended, so this appointment was not "
                              "booked. Please choose a time again.")
        saving = self.sudo().clinic_transaction_ids.filtered(
            lambda tx: tx.operation == const.OPERATION_CARD_SAVED
            and tx.state in ("pending", "authorized", "done"))
        if saving:
            return self.env._("Your card is being checked: the appointment is booked as soon "
                              "as it is confirmed.")
        return ""

    def _clinic_settle_card(self, tx):
        """Book this held appointment with the card the confirmed validation ``tx`` saved;
        whether it did.

        It does while the hold lives, and after it expired while the time is still free and
        not yet released. A released hold stays released: the patient was told the time was
        given back, and a card on file must not bind them to it; the card stays saved for
        their next booking.
        """
        self.ensure_one()
        self._clinic_lock_payment()
        token = tx.token_id
        if token and self.clinic_guarantee_token_id == token:
            return True
        if (not token or not self.clinic_card_guarantee
                or self.clinic_payment_state != const.PAYMENT_AWAITING):
            return False
        if not self._clinic_hold_live() and not self._clinic_time_still_free():
            self._clinic_release(self.env._(
                "Released: the card was saved after the time held for it was taken."))
            return False
        self._clinic_book_guaranteed(token)
        return True

    # ------------------------------------------------------------------------------------
    # No-show fee: charged by the staff to the card kept as guarantee
    # ------------------------------------------------------------------------------------
    def _clinic_no_show_fee(self):
        """``(amount, currency)`` of this appointment's no-show fee before taxes."""
        self.ensure_one()
        return self._clinic_fee_of(self.clinic_product_id, self.clinic_patient_id)

    @api.model
    def _clinic_fee_of(self, product, patient):
        """``(amount, currency)`` of the no-show fee of ``product`` for ``patient``, before
        taxes: the service's own fee, else its portal price for the patient."""
        template = product.sudo().product_tmpl_id
        if template.clinic_no_show_fee:
            return template.clinic_no_show_fee, template.currency_id
        offer = product._clinic_portal_offer(patient)
        return offer["price"], self.env["res.currency"].browse(offer["currency_id"])

    def _clinic_fee_refusal(self):
        """Why the staff cannot charge a no-show fee to this appointment's card now, or ''."""
        self.ensure_one()
        token = self.sudo().clinic_guarantee_token_id
        if self.clinic_payment_state == const.PAYMENT_FEE_CHARGED:
            return self.env._("A no-show fee was already charged for this appointment.")
        if self.clinic_payment_state != const.PAYMENT_GUARANTEED or not token:
            return self.env._("This appointment has no card on file to charge.")
        if not self.active:
            return self.env._("This appointment was cancelled: no no-show fee is charged for it.")
        if not self.start or self.start > fields.Datetime.now():
            return self.env._("A no-show fee can be charged only once the appointment has "
                              "started.")
        if self.sudo().clinic_transaction_ids.filtered(
                lambda tx: tx.operation == const.OPERATION_FEE
                and tx.state in ("pending", "authorized", "done")):
            return self.env._("The no-show fee is being charged: wait for the payment "
                              "provider to confirm it.")
        if self.clinic_fee_invoice_id.payment_state in ("paid", "in_payment", "reversed"):
            return self.env._("The no-show fee of this appointment is already paid.")
        if not token.active or token.provider_id.state == "disabled":
            return self.env._("The card kept as guarantee can no longer be charged: collect "
                              "the fee another way.")
        if not self.clinic_product_id:
            return self.env._("This appointment has no service: set its no-show fee on an "
                              "invoice instead.")
        amount, currency = self._clinic_no_show_fee()
        if currency.is_zero(amount):
            return self.env._("%(service)s has neither a no-show fee nor a price for this "
                              "patient: there is nothing to charge.",
                              service=self.clinic_product_id.display_name)
        if not self.env.company._clinic_portal_issuer(self.clinic_product_id):
            return self.env._("No sales journal can invoice the no-show fee: set the issuer "
                              "of the client portal settings.")
        return ""

    def action_clinic_charge_no_show_fee(self):
        """Charge the no-show fee to the card kept as this appointment's guarantee: a posted
        invoice of the fee, paid by an off-session charge of the card. A failed charge
        leaves the invoice open for manual collection; the state does not change."""
        self.ensure_one()
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(self.env._("Only invoicing staff may charge a no-show fee."))
        self.check_access("write")
        event = self.sudo()
        refusal = event._clinic_fee_refusal()
        if refusal:
            raise UserError(refusal)
        # A second click waits here, then finds the fee charged (or fails and is retried).
        event._clinic_lock_payment()
        refusal = event._clinic_fee_refusal()
        if refusal:
            raise UserError(refusal)
        tx = event._clinic_charge_card(event._clinic_fee_invoice())
        return event._clinic_fee_outcome(tx)

    def _clinic_fee_invoice(self):
        """The posted invoice of the no-show fee: the one a failed charge left open, else a
        new one of the patient in the sales journal of the issuer."""
        self.ensure_one()
        invoice = self.clinic_fee_invoice_id
        if invoice.state == "posted" and invoice.payment_state in ("not_paid", "partial"):
            return invoice
        product, patient = self.clinic_product_id, self.clinic_patient_id
        amount, currency = self._clinic_no_show_fee()
        journal = self.env.company._clinic_portal_issuer(product)
        tz = self.env["clinic.availability"]._tz(patient)
        when = slots.from_naive_utc(self.start).astimezone(tz).strftime("%Y-%m-%d %H:%M")
        patient_env = self.with_context(lang=patient.lang).env
        label = patient_env._("No-show fee: %(service)s, %(when)s (%(staff)s)",
                              service=product.with_env(patient_env).display_name, when=when,
                              staff=self.user_id.name)
        invoice = self.env["account.move"].sudo().with_company(journal.company_id).create({
            "move_type": "out_invoice",
            "partner_id": patient.id,
            "clinic_appointment_id": self.id,
            "journal_id": journal.id,
            "currency_id": currency.id,
            "invoice_origin": self.name,
            "invoice_line_ids": [Command.create({
                "product_id": product.id, "quantity": 1, "price_unit": amount, "name": label,
            })],
        })
        invoice.action_post()
        self.clinic_fee_invoice_id = invoice
        return invoice

    def _clinic_charge_card(self, invoice):
        """Charge what is due on ``invoice`` to the guarantee card, off-session; the
        transaction, post-processed when confirmed (its payment then pays the invoice)."""
        self.ensure_one()
        token = self.clinic_guarantee_token_id
        tx = self.env["payment.transaction"].sudo().create({
            "provider_id": token.provider_id.id,
            "payment_method_id": token.payment_method_id.id,
            "token_id": token.id,
            "amount": invoice.amount_residual,
            "currency_id": invoice.currency_id.id,
            "partner_id": self.clinic_patient_id.id,
            "operation": const.OPERATION_FEE,
            "invoice_ids": [Command.set(invoice.ids)],
            "clinic_appointment_id": self.id,
        })
        tx._charge_with_token()
        if tx.state == "done" and not tx.is_post_processed:
            tx._post_process()
        return tx

    def _clinic_fee_charged(self, tx):
        """The confirmed charge ``tx`` paid the no-show fee (once, whatever calls it)."""
        self.ensure_one()
        if self.clinic_payment_state == const.PAYMENT_FEE_CHARGED:
            return
        self.clinic_payment_state = const.PAYMENT_FEE_CHARGED
        self.message_post(
            body=self.env._("No-show fee of %(amount)s charged to the card ending in %(card)s "
                            "(%(reference)s).", amount=self._clinic_tx_amount(tx),
                            card=tx.token_id.payment_details, reference=tx.reference),
            subtype_xmlid="mail.mt_note")

    def _clinic_tx_amount(self, tx):
        return format_amount(self.env, tx.amount, tx.currency_id)

    def _clinic_fee_outcome(self, tx):
        """Tell the staff member how the charge ``tx`` went; a failure is noted too."""
        values = {"amount": self._clinic_tx_amount(tx), "card": tx.token_id.payment_details,
                  "invoice": self.clinic_fee_invoice_id.name}
        if tx.state == "done":
            message, kind = self.env._(
                "No-show fee of %(amount)s charged to the card ending in %(card)s.",
                **values), "success"
        elif tx.state in ("pending", "authorized"):
            message, kind = self.env._(
                "The charge of %(amount)s to the card ending in %(card)s is waiting for the "
                "payment provider's confirmation.", **values), "warning"
            self.message_post(body=message, subtype_xmlid="mail.mt_note")
        else:
            message, kind = self.env._(
                "The card ending in %(card)s could not be charged %(amount)s (%(reason)s). "
                "Invoice %(invoice)s stays open: collect the fee another way.",
                reason=tx.state_message or tx.state, **values), "danger"
            self.message_post(body=message, subtype_xmlid="mail.mt_note")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("No-show fee"), "message": message, "type": kind,
                "sticky": kind != "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
