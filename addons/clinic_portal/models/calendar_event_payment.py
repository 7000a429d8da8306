import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tools import format_amount

from .. import const
from ..services import slots

_logger = logging.getLogger(__name__)


class CalendarEvent(models.Model):
    """The payment of an appointment, one state machine: held while the patient pays or saves
    a card, paid (online or from the balance), released unpaid, a late payment refunded or
    kept as balance, a card kept as guarantee and the no-show fee charged to it, the money of
    a cancelled paid appointment. Every state change goes through
    ``_clinic_payment_transition`` (``const.PAYMENT_TRANSITIONS``)."""

    _inherit = "calendar.event"  # pylint: disable=consider-merging-classes-inherited

    clinic_invoice_id = fields.Many2one(
        "account.move", string="Invoice", ondelete="set null", copy=False,
        domain=[("move_type", "=", "out_invoice")],
        help="The invoice of this appointment, linked from the client portal once posted if "
             "it is the patient's.",
    )

    clinic_invoice_ids = fields.One2many(
        "account.move", "clinic_appointment_id", string="Invoices", readonly=True,
        help="Every invoice and credit note of this appointment: its price, a no-show fee, "
             "a refund.")
    clinic_payment_state = fields.Selection(
        selection=[(const.PAYMENT_AWAITING, "Awaiting payment"), (const.PAYMENT_PAID, "Paid"),
                   (const.PAYMENT_RELEASED, "Released unpaid"),
                   (const.PAYMENT_REFUNDED, "Paid too late, refunded"),
                   (const.PAYMENT_CREDITED, "Paid too late, kept as balance"),
                   (const.PAYMENT_GUARANTEED, "Card on file"),
                   (const.PAYMENT_FEE_CHARGED, "No-show fee charged"),
                   (const.PAYMENT_CANCEL_REFUNDED, "Cancelled, refunded to the card"),
                   (const.PAYMENT_CANCEL_CREDITED, "Cancelled, kept as balance")],
        string="Payment", readonly=True, copy=False,
        help="The prepayment of an appointment booked in the client portal: held for the "
             "patient while they pay, paid, or released unpaid. A payment confirmed after its "
             "time was taken by someone else is refunded where the payment provider can, "
             "otherwise kept as the patient's balance. An appointment booked against the "
             "patient's saved card has its card on file, and may have a no-show fee charged.",
    )
    clinic_hold_expiry = fields.Datetime(
        string="Held until", readonly=True, copy=False,
        help="Unpaid by then, the appointment is released and its time offered again.")
    clinic_transaction_id = fields.Many2one(
        "payment.transaction", string="Paid by", readonly=True, copy=False,
        ondelete="set null", groups="account.group_account_invoice",
        help="The online payment that paid this appointment.")
    clinic_transaction_ids = fields.One2many(
        "payment.transaction", "clinic_appointment_id", string="Payment transactions",
        readonly=True, groups="account.group_account_invoice")
    clinic_paid_from_balance = fields.Boolean(
        string="Paid from the balance", readonly=True, copy=False,
        help="Paid at booking with the patient's balance with the clinic (an earlier payment, a "
             "credit note), with no payment step.")
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

    # The release of unpaid holds reads those that expired.
    _clinic_hold_idx = models.Index("(clinic_hold_expiry) WHERE clinic_payment_state = 'awaiting'")

    @api.depends("clinic_payment_state")
    def _compute_clinic_portal_rights(self):
        return super()._compute_clinic_portal_rights()

    def _clinic_payment_refusal_to_change(self):
        if self.clinic_payment_state == const.PAYMENT_AWAITING:
            return self.env._("This appointment is booked once it is paid.")
        return super()._clinic_payment_refusal_to_change()

    # ------------------------------------------------------------------------------------
    # The one door of payment states
    # ------------------------------------------------------------------------------------
    def _clinic_payment_transition(self, target, **values):
        """Move the appointments of ``self`` whose payment state allows it to ``target``,
        writing ``values`` too (as Odoo's ``payment.transaction._update_state``): the others
        keep their state, which is logged. Returns the appointments moved."""
        allowed = const.PAYMENT_TRANSITIONS[target]
        moving = self.filtered(lambda event: event.clinic_payment_state in allowed)
        for event in self - moving:
            _logger.warning("Appointment %s: payment state %s does not go to %s.", event.id,
                            event.clinic_payment_state, target)
        moving.write({"clinic_payment_state": target, **values})
        return moving

    # ------------------------------------------------------------------------------------
    # Booking with a payment step: a prepayment, or a card guarantee
    # ------------------------------------------------------------------------------------
    def _clinic_booked(self, request):
        """The payment step of this new appointment: held while the patient pays (unless
        their balance pays it), booked against their saved card, or held until they save
        one."""
        self.ensure_one()
        if request.payment == const.PAYMENT_NONE:
            return super()._clinic_booked(request)
        if request.payment == const.PAYMENT_PREPAYMENT:
            self._clinic_hold(request.offer, request.policy)
        elif request.card:
            self._clinic_book_guaranteed(request.card)
        else:
            self._clinic_hold_for_card(request.policy)

    def _clinic_hold(self, offer, policy):
        """Hold this new appointment for its patient while they pay ``offer`` (the service's
        portal offer): its time stays busy for everyone until ``policy.hold_minutes`` from
        now, with a draft invoice of the portal price that the payment posts. Paid from the
        patient's balance instead when the clinic allows it and the balance covers it."""
        self.ensure_one()
        self.clinic_invoice_id = self.clinic_invoice_id or self._clinic_draft_invoice(offer, policy)
        if policy.skip_payment_with_balance and self._clinic_pay_from_balance():
            return
        self._clinic_start_hold(policy, self.env._(
            "Held for %(patient)s from the client portal until it is paid, at most "
            "%(minutes)s minutes.", patient=self.clinic_patient_id.name,
            minutes=policy.hold_minutes))

    def _clinic_start_hold(self, policy, note, **values):
        """Hold this new appointment for ``policy.hold_minutes``: its time stays busy for
        everyone until then, when the release of unpaid holds runs; ``note`` tells why."""
        expiry = fields.Datetime.now() + timedelta(minutes=policy.hold_minutes)
        self._clinic_payment_transition(const.PAYMENT_AWAITING, clinic_hold_expiry=expiry,
                                        **values)
        self.env.ref("clinic_portal.ir_cron_release_holds").sudo()._trigger(at=expiry)
        self.message_post(body=note, subtype_xmlid="mail.mt_note")

    def _clinic_draft_invoice(self, offer, policy):
        """The draft invoice of the service at its portal price (the patient's pricelist)
        with the service's taxes, in the sales journal of the issuer, to who pays (the patient,
        or the family member who booked for them: the invoice then names the patient)."""
        product, payer = self.clinic_product_id, self.clinic_payer_id or self.clinic_patient_id
        company = policy.company
        journal = company._clinic_portal_issuer(product)
        tz = self.env["clinic.availability.engine"]._tz(payer)
        when = slots.from_naive_utc(self.start).astimezone(tz).strftime("%Y-%m-%d %H:%M")
        label = self._clinic_invoice_service(payer)
        return self.env["account.move"].sudo().with_company(journal.company_id).create({
            "move_type": "out_invoice",
            "partner_id": payer.id,
            "clinic_appointment_id": self.id,
            "journal_id": journal.id,
            "currency_id": offer["currency_id"],
            "invoice_origin": self.name,
            "invoice_line_ids": [Command.create({
                "product_id": product.id, "quantity": 1, "price_unit": offer["price"],
                "name": f"{label}, {when} ({self.user_id.name})",
            })],
        })

    def _clinic_invoice_service(self, payer):
        """The service as the invoice to ``payer`` names it, in their language: with the
        patient's name when someone else pays for them."""
        label = self.clinic_product_id.with_context(lang=payer.lang).display_name
        patient = self.clinic_patient_id
        return label if patient == payer else f"{label} – {patient.name}"

    def _clinic_portal_invoices(self):
        """The invoices and credit notes the portal links: posted, and of the patient's
        commercial partner, in the order they were made (their dates are days in the time zone
        of whoever made them: an invoice made at 23:00 in London can be dated after the credit
        note made an hour later in Tel Aviv)."""
        self.ensure_one()
        event_sudo = self.sudo()
        payers = (event_sudo.clinic_patient_id | event_sudo.clinic_payer_id).commercial_partner_id
        if not payers:
            return self.env["account.move"]
        moves = (event_sudo.clinic_invoice_id | event_sudo.clinic_invoice_ids).filtered(
            lambda move: move.state == "posted" and move.commercial_partner_id in payers)
        return moves.sorted("id")

    def _clinic_pay_from_balance(self):
        """Post this appointment's draft invoice and reconcile it with the patient's open
        credit when that covers all of it; whether it did. Called under the booking lock of the
        patient, and the credit is read in a new snapshot too: what a parallel booking of the
        same patient used meanwhile is no credit any more."""
        self.ensure_one()
        invoice = self.clinic_invoice_id.with_company(self.clinic_invoice_id.company_id)
        account = invoice.line_ids.filtered(
            lambda line: line.display_type == "payment_term").account_id[:1]
        credit = (self.clinic_payer_id or self.clinic_patient_id)._clinic_credit_lines(
            account, invoice.company_id, invoice.currency_id, fresh=True)
        available = -sum(credit.mapped("amount_residual_currency"))
        if invoice.currency_id.compare_amounts(available, invoice.amount_total) < 0:
            return False
        invoice.action_post()
        for line in credit:
            if invoice.payment_state not in ("not_paid", "partial"):
                break
            invoice.js_assign_outstanding_line(line.id)
        self._clinic_payment_transition(const.PAYMENT_PAID, clinic_paid_from_balance=True)
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
    # Paying online: the pay page, the hold, its release
    # ------------------------------------------------------------------------------------
    def _clinic_portal_pay_url(self):
        self.ensure_one()
        return f"/my/appointments/{self.id}/pay"

    def _clinic_payment_refusal(self):
        """Why the patient cannot pay this appointment now, or ''."""
        self.ensure_one()
        transactions = self.sudo().clinic_transaction_ids
        if (self.clinic_payment_state == const.PAYMENT_PAID
                or transactions.filtered(lambda tx: tx.state in ("done", "authorized"))):
            return self.env._("This appointment is paid.")
        if not self._clinic_hold_live():
            return self.env._("The time held for you has ended, so this appointment was not "
                              "booked. Please choose a time again.")
        if transactions.filtered(lambda tx: tx.state == "pending"):
            return self.env._("Your payment is being processed: the appointment is booked as "
                              "soon as it is confirmed.")
        if self.sudo().clinic_invoice_id.state != "draft":
            return self.env._("This appointment cannot be paid online. Please contact the "
                              "clinic.")
        return ""

    def _clinic_hold_live(self):
        """Held for payment, and the hold has not expired."""
        self.ensure_one()
        return (self.clinic_payment_state == const.PAYMENT_AWAITING
                and self.clinic_hold_expiry and self.clinic_hold_expiry > fields.Datetime.now())

    def _clinic_release(self, note):
        """Release the holds of ``self`` that are still unpaid: the appointment is archived,
        its time free again, its draft invoice cancelled; nothing was charged."""
        for event in self:
            event._clinic_lock()
            if event.clinic_payment_state != const.PAYMENT_AWAITING:
                continue
            event.action_archive()
            event._clinic_payment_transition(const.PAYMENT_RELEASED)
            if event.clinic_invoice_id.state == "draft":
                event.clinic_invoice_id.button_cancel()
            event.message_post(body=note, subtype_xmlid="mail.mt_note")

    def _clinic_release_by_patient(self):
        """The patient gives the held time back, unless a payment of it is under way."""
        self.ensure_one()
        if self.sudo().clinic_transaction_ids.filtered(
                lambda tx: tx.state in ("pending", "authorized", "done")):
            raise UserError(self.env._("Your payment of this appointment is under way: its "
                                       "time cannot be given back now."))
        self._clinic_release(self.env._(
            "Released by %(patient)s from the client portal, to choose another time.",
            patient=self.clinic_patient_id.name))

    @api.model
    def _clinic_cron_release_holds(self):
        """Release the holds that expired unpaid. A hold whose payment is confirmed but not
        yet processed is settled by that payment instead."""
        holds = self.sudo().with_context(active_test=False).search(
            [("clinic_payment_state", "=", const.PAYMENT_AWAITING),
             ("clinic_hold_expiry", "<=", fields.Datetime.now())], order="clinic_hold_expiry")
        for done, event in enumerate(holds, 1):
            paid = event.clinic_transaction_ids.filtered(
                lambda tx: tx.state == "done" and not tx.is_post_processed)
            if paid:
                paid._post_process()
            else:
                event._clinic_release(self.env._(
                    "Released: not paid within the time the appointment was held."))
            if self.env.context.get("ir_cron_progress_id") and not self.env[
                    "ir.cron"]._commit_progress(1, remaining=len(holds) - done):
                break

    def _clinic_settle_payment(self, tx):
        """Apply the confirmed prepayment ``tx`` to this appointment; whether it pays it.

        It does while the hold lives, and after it expired if the time is still free (the
        appointment comes back if it was released). It does not when the appointment is
        already paid, or its time was taken meanwhile: nobody pays for a time they lost.
        """
        self.ensure_one()
        self._clinic_lock()
        if self.clinic_transaction_id == tx:
            return True
        if self.clinic_payment_state not in (const.PAYMENT_AWAITING, const.PAYMENT_RELEASED):
            return False
        if not self._clinic_hold_live():
            if not self._clinic_time_still_free():
                self._clinic_drop_lost_hold()
                return False
            if not self.active:
                self.action_unarchive()
            if self.clinic_invoice_id.state == "cancel":
                self.clinic_invoice_id.button_draft()
        self._clinic_payment_transition(const.PAYMENT_PAID, clinic_hold_expiry=False,
                                        clinic_transaction_id=tx.id)
        self._clinic_mail_patient(const.MESSAGE_BOOKED)
        self.message_post(
            body=self.env._("Paid online (%(amount)s) and booked by %(patient)s from the client "
                            "portal.", amount=format_amount(self.env, tx.amount, tx.currency_id),
                            patient=self.clinic_patient_id.name),
            partner_ids=self.user_id.partner_id.ids, subtype_xmlid="mail.mt_note")
        return True

    def _clinic_drop_lost_hold(self):
        """A hold whose time went to someone else: archived, its draft invoice cancelled."""
        if self.active:
            self.action_archive()
        if self.clinic_invoice_id.state == "draft":
            self.clinic_invoice_id.button_cancel()

    def _clinic_time_still_free(self):
        """Whether no other appointment took this one's time (it has not started yet)."""
        start = slots.from_naive_utc(self.start)
        availability = self.env["clinic.availability.engine"]
        if start <= availability._now() or not self.clinic_product_id or not self.user_id:
            return False
        state = availability._time_state(
            self.clinic_patient_id, self.clinic_product_id, self.user_id, start,
            self.env.company._clinic_portal_policy(), ignore_event=self, fresh=True)
        return state != const.TIME_TAKEN

    def _clinic_payment_unused(self, tx):
        """``tx`` was confirmed but does not pay this appointment (paid already, or its time
        lost): give it back to the card where the provider can refund, else it stays the
        patient's balance; tell the patient and the staff member."""
        self.ensure_one()
        # Paid already, or paid and since cancelled: that payment's state stays.
        already_paid = self.clinic_payment_state in (
            const.PAYMENT_PAID, const.PAYMENT_CANCEL_REFUNDED, const.PAYMENT_CANCEL_CREDITED)
        refunded = tx._clinic_refund()
        if not already_paid:
            self._clinic_payment_transition(const.PAYMENT_REFUNDED if refunded
                                            else const.PAYMENT_CREDITED)
        amount = format_amount(self.env, tx.amount, tx.currency_id)
        template = self.env.ref("clinic_portal.mail_template_payment_unused",
                                raise_if_not_found=False)
        if template and self.clinic_patient_id._clinic_mail_recipient().email:
            self._clinic_send_patient_mail(
                template, clinic_amount=amount, clinic_refunded=refunded,
                clinic_already_paid=already_paid)
        self.message_post(body=self._clinic_unused_note(tx, amount, already_paid, refunded),
                          partner_ids=self.user_id.partner_id.ids, subtype_xmlid="mail.mt_note")

    def _clinic_unused_note(self, tx, amount, already_paid, refunded):
        values = {"reference": tx.reference, "amount": amount}
        if already_paid and refunded:
            return self.env._("Payment %(reference)s of %(amount)s arrived for an appointment "
                              "already paid: it is refunded to the patient.", **values)
        if already_paid:
            return self.env._("Payment %(reference)s of %(amount)s arrived for an appointment "
                              "already paid: the payment provider cannot refund it, so it is "
                              "kept as the patient's balance.", **values)
        if refunded:
            return self.env._("Payment %(reference)s of %(amount)s arrived after this time was "
                              "taken: it is refunded to the patient.", **values)
        return self.env._("Payment %(reference)s of %(amount)s arrived after this time was "
                          "taken: the payment provider cannot refund it, so it is kept as the "
                          "patient's balance.", **values)

    # ------------------------------------------------------------------------------------
    # A paid appointment cancelled by its patient
    # ------------------------------------------------------------------------------------
    def _clinic_on_cancel(self, policy):
        return self._clinic_cancel_payment(policy)

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
        self._clinic_payment_transition(const.PAYMENT_CANCEL_REFUNDED if refunded
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

    # ------------------------------------------------------------------------------------
    # The card guarantee: booked against a saved card, nothing charged
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

    def _clinic_hold_for_card(self, policy):
        """Hold this new appointment while its patient saves a card as its guarantee: its
        time stays busy for everyone until ``policy.hold_minutes`` from now, as a prepayment
        hold; nothing is charged."""
        self.ensure_one()
        self._clinic_start_hold(policy, self.env._(
            "Held for %(patient)s from the client portal until they save a card as a "
            "guarantee, at most %(minutes)s minutes.", patient=self.clinic_patient_id.name,
            minutes=policy.hold_minutes), clinic_card_guarantee=True)

    def _clinic_book_guaranteed(self, token):
        """Book this appointment with the saved card ``token`` as its guarantee: the patient
        gets the booking mail, the staff member a note."""
        self.ensure_one()
        self._clinic_payment_transition(const.PAYMENT_GUARANTEED, clinic_hold_expiry=False,
                                        clinic_card_guarantee=True,
                                        clinic_guarantee_token_id=token.id)
        self._clinic_mail_patient(const.MESSAGE_BOOKED)
        self.message_post(
            body=self.env._("Booked by %(patient)s from the client portal, with their card "
                            "ending in %(card)s kept as a guarantee.",
                            patient=self.clinic_patient_id.name, card=token._clinic_card_label()),
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
        self._clinic_lock()
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
        event._clinic_lock()
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
        product, payer = self.clinic_product_id, self.clinic_payer_id or self.clinic_patient_id
        amount, currency = self._clinic_no_show_fee()
        journal = self.env.company._clinic_portal_issuer(product)
        tz = self.env["clinic.availability.engine"]._tz(payer)
        when = slots.from_naive_utc(self.start).astimezone(tz).strftime("%Y-%m-%d %H:%M")
        payer_env = self.with_context(lang=payer.lang).env
        label = payer_env._("No-show fee: %(service)s, %(when)s (%(staff)s)",
                            service=self._clinic_invoice_service(payer), when=when,
                            staff=self.user_id.name)
        invoice = self.env["account.move"].sudo().with_company(journal.company_id).create({
            "move_type": "out_invoice",
            "partner_id": payer.id,
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
            "partner_id": token.partner_id.id,
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
        self._clinic_payment_transition(const.PAYMENT_FEE_CHARGED)
        self.message_post(
            body=self.env._("No-show fee of %(amount)s charged to the card ending in %(card)s "
                            "(%(reference)s).", amount=self._clinic_tx_amount(tx),
                            card=tx.token_id._clinic_card_label(), reference=tx.reference),
            subtype_xmlid="mail.mt_note")

    def _clinic_fee_note(self, message):
        self.message_post(body=message, subtype_xmlid="mail.mt_note")
        self.clinic_fee_invoice_id.message_post(body=message, subtype_xmlid="mail.mt_note")

    def _clinic_tx_amount(self, tx):
        return format_amount(self.env, tx.amount, tx.currency_id)

    def _clinic_fee_outcome(self, tx):
        """Tell the staff member how the charge ``tx`` went; a charge not confirmed is noted
        on the appointment and on the fee's invoice too."""
        values = {"amount": self._clinic_tx_amount(tx), "card": tx.token_id._clinic_card_label(),
                  "invoice": self.clinic_fee_invoice_id.name}
        if tx.state == "done":
            message, kind = self.env._(
                "No-show fee of %(amount)s charged to the card ending in %(card)s.",
                **values), "success"
        elif tx.state in ("pending", "authorized"):
            message, kind = self.env._(
                "The charge of %(amount)s to the card ending in %(card)s is waiting for the "
                "payment provider's confirmation.", **values), "warning"
            self._clinic_fee_note(message)
        else:
            message, kind = self.env._(
                "The card ending in %(card)s could not be charged %(amount)s (%(reason)s). "
                "Invoice %(invoice)s stays open: collect the fee another way.",
                reason=tx.state_message or tx.state, **values), "danger"
            self._clinic_fee_note(message)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("No-show fee"), "message": message, "type": kind,
                "sticky": kind != "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
