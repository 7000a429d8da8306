import base64
import uuid
from datetime import timedelta

import vobject
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import consteq, format_amount

from .. import const
from ..services import slots, text


class CalendarEvent(models.Model):
    """An appointment of the client portal, and what it allows its patient to do."""

    _inherit = "calendar.event"

    clinic_patient_id = fields.Many2one(
        "res.partner", string="Patient", index="btree_not_null", ondelete="restrict",
        compute="_compute_clinic_patient_id", store=True, readonly=False,
        help="The client this appointment is for: they see it, and may reschedule or cancel "
             "it, in the client portal. Filled by itself when the only attendee who is not "
             "staff is a client.",
    )
    clinic_product_id = fields.Many2one(
        "product.product", string="Service", ondelete="restrict",
        help="The service of this appointment; its duration sizes the appointment.",
    )
    clinic_portal_booked = fields.Boolean(
        string="Booked from the client portal", readonly=True, copy=False,
    )
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
                   (const.PAYMENT_FEE_CHARGED, "No-show fee charged")],
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
    clinic_cancel_reason = fields.Text(
        string="Cancellation reason", readonly=True, copy=False,
        help="Reason the client gave when cancelling in the client portal.",
    )
    # Core's access_token becomes the public link of an "Odoo meeting": the portal page of
    # the appointment has a token of its own.
    clinic_portal_token = fields.Char(
        string="Client portal token", copy=False, groups="base.group_user")
    clinic_portal_status = fields.Selection(
        selection=[(const.STATUS_UPCOMING, "Upcoming"), (const.STATUS_PAST, "Past"),
                   (const.STATUS_CANCELLED, "Cancelled")],
        string="Client portal status", compute="_compute_clinic_portal_rights")
    clinic_is_changeable = fields.Boolean(
        string="Changeable in the client portal", compute="_compute_clinic_portal_rights",
        help="Upcoming, in a company whose client portal is open, and not inside the minimum "
             "hours to make a change.")
    clinic_is_cancellable = fields.Boolean(
        string="Cancellable in the client portal", compute="_compute_clinic_portal_rights")
    clinic_is_reschedulable = fields.Boolean(
        string="Reschedulable in the client portal", compute="_compute_clinic_portal_rights")

    # Busy times of staff and patients are read by start, for the portal's availability.
    _clinic_start_stop_idx = models.Index("(start, stop) WHERE active")
    # The release of unpaid holds reads those that expired.
    _clinic_hold_idx = models.Index("(clinic_hold_expiry) WHERE clinic_payment_state = 'awaiting'")

    @api.depends("partner_ids")
    def _compute_clinic_patient_id(self):
        for event in self:
            if not event.clinic_patient_id:
                event.clinic_patient_id = event._clinic_single_client()

    def _clinic_single_client(self):
        """The attendee this appointment is for, when exactly one attendee is not staff and
        that one is a client (a front-desk booking); else nobody."""
        others = self.partner_ids.sudo().filtered(lambda p: not p._clinic_is_staff())
        if len(others) == 1 and others._clinic_is_client():
            return others
        return self.env["res.partner"]

    @api.depends("active", "start", "stop", "clinic_patient_id", "clinic_payment_state")
    @api.depends_context("company")
    def _compute_clinic_portal_rights(self):
        policy = self.env["clinic.availability"]._policy()
        for event in self:
            event.clinic_portal_status = event._clinic_status()
            changeable = not event._clinic_change_refusal(policy)
            event.clinic_is_changeable = changeable
            event.clinic_is_cancellable = changeable and policy.allow_cancel
            event.clinic_is_reschedulable = (changeable and policy.allow_reschedule
                                             and policy.self_scheduling
                                             and bool(event.clinic_product_id))

    def _clinic_status(self):
        if not self.active:
            return const.STATUS_CANCELLED
        if not self.stop or self.stop <= fields.Datetime.now():
            return const.STATUS_PAST
        return const.STATUS_UPCOMING

    def _clinic_change_refusal(self, policy):
        """Why the patient cannot change this appointment in the portal now, or ''."""
        self.ensure_one()
        booking = self.env["clinic.booking"]
        if not policy.enabled:
            return self.env._("The client portal is closed.")
        if not self.clinic_patient_id or not self.start \
                or self._clinic_status() != const.STATUS_UPCOMING:
            return self.env._("This appointment can no longer be changed.")
        if self.clinic_payment_state == const.PAYMENT_AWAITING:
            return self.env._("This appointment is booked once it is paid.")
        start = slots.from_naive_utc(self.start)
        now = self.env["clinic.availability"]._now()
        if start <= now:
            return self.env._("This appointment has already started.")
        if not slots.change_allowed(start, now, policy.min_hours_change):
            return self.env._(
                "Appointments can be changed or cancelled online only until %(hours)s hours "
                "before they start. %(contact)s", hours=policy.min_hours_change,
                contact=booking._contact_message(policy))
        return ""

    def _clinic_check_changeable(self, policy):
        refusal = self._clinic_change_refusal(policy)
        if refusal:
            raise UserError(refusal)

    # ------------------------------------------------------------------------------------
    # Portal access: its URL and its own token
    # ------------------------------------------------------------------------------------
    def _clinic_portal_url(self):
        self.ensure_one()
        return f"/my/appointments/{self.id}"

    def _clinic_portal_share_url(self):
        """The appointment's page for someone not logged in, with its portal token."""
        self.ensure_one()
        event_sudo = self.sudo()
        if not event_sudo.clinic_portal_token:
            event_sudo.clinic_portal_token = uuid.uuid4().hex
        return f"{self._clinic_portal_url()}?access_token={event_sudo.clinic_portal_token}"

    def _clinic_portal_token_matches(self, token):
        """Whether ``token`` is this appointment's portal token (any text, in constant time)."""
        self.ensure_one()
        own = self.sudo().clinic_portal_token
        if not own or not isinstance(token, str) or not token:
            return False
        return consteq(own.encode(), token.encode("utf-8", "replace"))

    def _clinic_portal_invoices(self):
        """The invoices and credit notes the portal links: posted, and of the patient's
        commercial partner, oldest first."""
        self.ensure_one()
        event_sudo = self.sudo()
        patient = event_sudo.clinic_patient_id
        if not patient:
            return self.env["account.move"]
        moves = (event_sudo.clinic_invoice_id | event_sudo.clinic_invoice_ids).filtered(
            lambda move: move.state == "posted"
            and move.commercial_partner_id == patient.commercial_partner_id)
        return moves.sorted(lambda move: (move.invoice_date or fields.Date.today(), move.id))

    # ------------------------------------------------------------------------------------
    # Changes by the patient
    # ------------------------------------------------------------------------------------
    def _clinic_reschedule(self, start, policy):
        """Move this appointment to ``start``, same staff and service, same rules as a new
        booking; the service must still be offered and the staff member still bookable."""
        self.ensure_one()
        event_sudo = self.sudo()
        booking = self.env["clinic.booking"]
        booking._check_open(policy)
        event_sudo._clinic_check_changeable(policy)
        if not policy.allow_reschedule:
            raise UserError(self.env._("Appointments cannot be rescheduled in the client portal."))
        partner = event_sudo.clinic_patient_id
        product, staff_user = event_sudo.clinic_product_id, event_sudo.user_id
        if not product or not staff_user:
            raise UserError(booking._contact_message(policy))
        booking._check_staff_still_bookable(partner, product, staff_user, policy,
                                            plan_line=event_sudo.clinic_plan_line_id)
        start = booking._check_new_time(partner, start, policy)
        booking._lock(staff_user, partner)
        booking._check_free(partner, product, staff_user, start, policy, ignore_event=event_sudo)
        old_start = slots.from_naive_utc(event_sudo.start)
        duration = event_sudo.stop - event_sudo.start
        event_sudo.with_context(**{const.CONTEXT_PATIENT_MAILED: True}).write({
            "start": slots.to_naive_utc(start), "stop": slots.to_naive_utc(start) + duration,
            "alarm_ids": booking._alarm_commands(policy)})
        event_sudo._clinic_mail_patient(const.MESSAGE_RESCHEDULED)
        event_sudo._clinic_note_rescheduled(old_start, start)
        return event_sudo

    def _clinic_note_rescheduled(self, old_start, start):
        tz = self.env["clinic.availability"]._tz(self.clinic_patient_id)
        self.message_post(
            body=self.env._(
                "Rescheduled by %(patient)s from the client portal: from %(old)s to %(new)s "
                "(%(tz)s).", patient=self.clinic_patient_id.name,
                old=old_start.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                new=start.astimezone(tz).strftime("%Y-%m-%d %H:%M"), tz=tz.zone),
            partner_ids=self.user_id.partner_id.ids, subtype_xmlid="mail.mt_note")

    def _clinic_cancel(self, reason, policy):
        """Cancel this appointment, with an optional reason told to the staff."""
        self.ensure_one()
        event_sudo = self.sudo()
        event_sudo._clinic_check_changeable(policy)
        if not policy.allow_cancel:
            raise UserError(self.env._("Appointments cannot be cancelled in the client portal."))
        reason = text.clean_text(reason, const.REASON_MAX_CHARS)
        partner = event_sudo.clinic_patient_id
        # A second submit of the cancellation fails here at once, and is refused when retried.
        event_sudo._clinic_lock_payment()
        event_sudo.write({"clinic_cancel_reason": reason or False})
        money_note = event_sudo._clinic_cancel_payment(policy)
        event_sudo._clinic_mail_patient(const.MESSAGE_CANCELLED)
        body = self.env._("Cancelled by %(patient)s from the client portal.",
                          patient=partner.name)
        if reason:
            body = self.env._("Cancelled by %(patient)s from the client portal. Reason: "
                              "%(reason)s", patient=partner.name, reason=reason)
        if money_note:
            body = Markup("%s<br/>%s") % (body, money_note)
        event_sudo.message_post(body=body, partner_ids=event_sudo.user_id.partner_id.ids,
                                subtype_xmlid="mail.mt_note")
        event_sudo.action_archive()
        return event_sudo

    # ------------------------------------------------------------------------------------
    # Prepayment: held while the patient pays, then paid or released
    # ------------------------------------------------------------------------------------
    def _clinic_hold(self, offer, policy):
        """Hold this new appointment for its patient while they pay ``offer`` (the service's
        portal offer): its time stays busy for everyone until ``policy.hold_minutes`` from
        now, with a draft invoice of the portal price that the payment posts."""
        self.ensure_one()
        expiry = fields.Datetime.now() + timedelta(minutes=policy.hold_minutes)
        self.write({
            "clinic_payment_state": const.PAYMENT_AWAITING,
            "clinic_hold_expiry": expiry,
            "clinic_invoice_id": (self.clinic_invoice_id
                                  or self._clinic_draft_invoice(offer, policy)).id,
        })
        self.env.ref("clinic_portal.ir_cron_release_holds").sudo()._trigger(at=expiry)
        self.message_post(
            body=self.env._("Held for %(patient)s from the client portal until it is paid, "
                            "at most %(minutes)s minutes.", patient=self.clinic_patient_id.name,
                            minutes=policy.hold_minutes),
            subtype_xmlid="mail.mt_note")

    def _clinic_draft_invoice(self, offer, policy):
        """The patient's draft invoice of the service at its portal price (their pricelist)
        with the service's taxes, in the sales journal of the issuer."""
        product, patient = self.clinic_product_id, self.clinic_patient_id
        company = self.env["res.company"].browse(policy.company_id)
        journal = company._clinic_portal_issuer(product)
        tz = self.env["clinic.availability"]._tz(patient)
        when = slots.from_naive_utc(self.start).astimezone(tz).strftime("%Y-%m-%d %H:%M")
        label = product.with_context(lang=patient.lang).display_name
        return self.env["account.move"].sudo().with_company(journal.company_id).create({
            "move_type": "out_invoice",
            "partner_id": patient.id,
            "clinic_appointment_id": self.id,
            "journal_id": journal.id,
            "currency_id": offer["currency_id"],
            "invoice_origin": self.name,
            "invoice_line_ids": [Command.create({
                "product_id": product.id, "quantity": 1, "price_unit": offer["price"],
                "name": f"{label}, {when} ({self.user_id.name})",
            })],
        })

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

    def _clinic_lock_payment(self):
        """Serialise what changes the payment of this appointment (payment, release) with
        bookings of its time: the booking locks, then the row, which fails at once when a
        parallel transaction changed it meanwhile (the caller retries)."""
        self.ensure_one()
        self.env["clinic.booking"]._lock(self.user_id, self.clinic_patient_id)
        self.env.cr.execute("SELECT id FROM calendar_event WHERE id = %s FOR NO KEY UPDATE",
                            (self.id,))

    def _clinic_release(self, note):
        """Release the holds of ``self`` that are still unpaid: the appointment is archived,
        its time free again, its draft invoice cancelled; nothing was charged."""
        for event in self:
            event._clinic_lock_payment()
            if event.clinic_payment_state != const.PAYMENT_AWAITING:
                continue
            event.action_archive()
            event.write({"clinic_payment_state": const.PAYMENT_RELEASED})
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
        self._clinic_lock_payment()
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
        self.write({"clinic_payment_state": const.PAYMENT_PAID, "clinic_hold_expiry": False,
                    "clinic_transaction_id": tx.id})
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
        availability = self.env["clinic.availability"]
        if start <= availability._now() or not self.clinic_product_id or not self.user_id:
            return False
        state = availability._time_state(
            self.clinic_patient_id, self.clinic_product_id, self.user_id, start,
            availability._policy(), ignore_event=self, fresh=True)
        return state != const.TIME_TAKEN

    def _clinic_payment_unused(self, tx):
        """``tx`` was confirmed but does not pay this appointment (paid already, or its time
        lost): give it back to the card where the provider can refund, else it stays the
        patient's balance; tell the patient and the staff member."""
        self.ensure_one()
        already_paid = self.clinic_payment_state == const.PAYMENT_PAID
        refunded = tx._clinic_refund()
        if not already_paid:
            self.clinic_payment_state = (const.PAYMENT_REFUNDED if refunded
                                         else const.PAYMENT_CREDITED)
        amount = format_amount(self.env, tx.amount, tx.currency_id)
        template = self.env.ref("clinic_portal.mail_template_payment_unused",
                                raise_if_not_found=False)
        if template and self.clinic_patient_id.email:
            template.sudo().with_context(
                clinic_amount=amount, clinic_refunded=refunded, clinic_already_paid=already_paid,
            ).send_mail(self.id, email_layout_xmlid="mail.mail_notification_light")
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
    # The patient's mails
    # ------------------------------------------------------------------------------------
    def _clinic_mail_patient(self, change):
        """Queue the patient's mail about ``change`` (``const.MESSAGE_*``), in their language."""
        self.ensure_one()
        template = self._clinic_patient_mail_template(change)
        if not template:
            return
        ics = self._clinic_ics() if change != const.MESSAGE_CANCELLED else None
        # No .ics on cancellation: clients honour a METHOD:CANCEL only for an invitation they
        # track from its organizer; the patient imported ours, so the mail asks to remove it.
        attachments = [("appointment.ics", base64.b64encode(ics))] if ics else []
        # To the patient alone, whatever the template's recipients: the mail's link opens
        # the appointment without logging in (Odoo's default would add every attendee).
        template.sudo().send_mail(
            self.id, email_layout_xmlid="mail.mail_notification_light",
            email_values={"attachments": attachments,
                          "recipient_ids": [Command.set(self.clinic_patient_id.ids)]})

    def _clinic_patient_mail_template(self, change):
        """The template of the patient's mail about ``change``, or None when the patient gets
        no mail (no e-mail address): the portal says a mail was sent only when one was."""
        self.ensure_one()
        template = self.env.ref(const.PATIENT_MAIL_TEMPLATES[change], raise_if_not_found=False)
        return template if template and self.clinic_patient_id.email else None

    def _clinic_ics(self, hidden=None):
        """Odoo's .ics of this appointment with a UID of its own, the same in every mail (a
        calendar that imported it moves it when rescheduled instead of adding another), and
        its reminder before the start. The ``hidden`` partners are not among its attendees:
        a client's copy of a course meeting names no other client of the meeting."""
        ics = self._get_ics_file().get(self.id)
        if not ics:
            return None
        calendar = vobject.readOne(ics.decode())
        if hidden:
            hidden_emails = {f"MAILTO:{email}" for email in hidden.mapped("email") if email}
            attendees = [attendee for attendee in calendar.vevent.contents.pop("attendee", [])
                         if attendee.value not in hidden_emails]
            if attendees:
                calendar.vevent.contents["attendee"] = attendees
        dbuuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        calendar.vevent.uid.value = f"clinic-appointment-{self.id}@{dbuuid}"
        # Odoo writes a reminder as TRIGGER:P1D, a day after the start: it belongs before.
        for alarm in calendar.vevent.contents.get("valarm", []):
            alarm.trigger.value = -abs(alarm.trigger.value)
        return calendar.serialize().encode()

    def _clinic_mail_values(self):
        """What the patient's mails show besides the appointment's own fields, rendered in
        the patient's language (the mail template's)."""
        self.ensure_one()
        availability = self.env["clinic.availability"]
        # The staff member stands in for the current user: their zone is the clinic's time.
        tz = availability.with_user(self.user_id or self.env.user)._tz(self.clinic_patient_id)
        company = self.env.company
        address = company.partner_id.sudo()._display_address(without_company=True)
        return {
            "tz": tz.zone,
            "price": self._clinic_mail_price() if self.clinic_product_id else "",
            "address": ", ".join(filter(None, map(str.strip, address.splitlines()))),
            "policy": availability._policy(),
            # The page is the patient's: no token for an event of nobody's (template checks).
            "url": self.clinic_patient_id and (
                self.get_base_url() + self.clinic_patient_id._clinic_lang_prefix()
                + self._clinic_portal_share_url()),
        }

    def _clinic_mail_price(self):
        """The service's price for the patient, formatted; '' when it is free."""
        offer = self.clinic_product_id._clinic_portal_offer(self.clinic_patient_id)
        currency = self.env["res.currency"].browse(offer["currency_id"])
        if currency.is_zero(offer["price"]):
            return ""
        return format_amount(self.env, offer["price"], currency)
