import base64
import uuid

import vobject
from babel.dates import format_date
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import consteq, format_amount
from odoo.tools.misc import babel_locale_parse

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
    clinic_payer_id = fields.Many2one(
        "res.partner", string="Payer", index="btree_not_null", ondelete="restrict",
        compute="_compute_clinic_payer_id", store=True, readonly=False,
        help="Who pays this appointment: its invoices and credit notes, the card kept as its "
             "guarantee and the balance it is paid from are theirs. The patient, or the family "
             "member who booked it for them in the client portal.",
    )
    clinic_product_id = fields.Many2one(
        "product.product", string="Service", ondelete="restrict",
        help="The service of this appointment; its duration sizes the appointment.",
    )
    clinic_portal_booked = fields.Boolean(
        string="Booked from the client portal", readonly=True, copy=False,
    )
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

    @api.depends("clinic_patient_id")
    def _compute_clinic_payer_id(self):
        for event in self:
            event.clinic_payer_id = event.clinic_patient_id

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

    @api.depends("active", "start", "stop", "clinic_patient_id")
    @api.depends_context("company")
    def _compute_clinic_portal_rights(self):
        policy = self.env.company._clinic_portal_policy()
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
        booking = self.env["clinic.booking.engine"]
        if not policy.enabled:
            return self.env._("The client portal is closed.")
        if not self.clinic_patient_id or not self.start \
                or self._clinic_status() != const.STATUS_UPCOMING:
            return self.env._("This appointment can no longer be changed.")
        if refusal := self._clinic_payment_refusal_to_change():
            return refusal
        start = slots.from_naive_utc(self.start)
        now = self.env["clinic.availability.engine"]._now()
        if start <= now:
            return self.env._("This appointment has already started.")
        if not slots.change_allowed(start, now, policy.min_hours_change):
            return self.env._(
                "Appointments can be changed or cancelled online only until %(hours)s hours "
                "before they start. %(contact)s", hours=policy.min_hours_change,
                contact=booking._contact_message(policy))
        return ""

    def _clinic_payment_refusal_to_change(self):
        """Hook: why the payment of this appointment keeps the patient from changing it, or
        ''."""
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

    def _clinic_portal_title(self):
        """The appointment as the portal names it where a document of it is shown: its
        service, day and time, in the patient's time zone and the page's language
        ("Physiotherapy, 3 March 2026 10:00")."""
        self.ensure_one()
        event_sudo = self.sudo()
        tz = self.env["clinic.availability.engine"]._tz(event_sudo.clinic_patient_id)
        start = slots.from_naive_utc(event_sudo.start).astimezone(tz)
        locale = babel_locale_parse(self.env.lang or "en_US")
        return self.env._(
            "%(service)s, %(day)s %(time)s",
            service=event_sudo.clinic_product_id.name or event_sudo.name,
            day=format_date(start, format="d MMMM y", locale=locale),
            time=start.strftime("%H:%M"))

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

    # ------------------------------------------------------------------------------------
    # Changes by the patient
    # ------------------------------------------------------------------------------------
    def _clinic_reschedule(self, start, policy):
        """Move this appointment to ``start``: same staff and service, same rules as a new
        booking (``clinic.booking.engine``)."""
        self.ensure_one()
        engine = self.env["clinic.booking.engine"]
        return engine._book(engine._reschedule_request(self, start, policy))

    def _clinic_move(self, start, policy):
        """Move this appointment to ``start``, checked and locked by the booking engine: its
        reminders again, the patient's mail, a note to the staff member."""
        self.ensure_one()
        old_start = slots.from_naive_utc(self.start)
        duration = self.stop - self.start
        self.with_context(**{const.CONTEXT_PATIENT_MAILED: True}).write({
            "start": slots.to_naive_utc(start), "stop": slots.to_naive_utc(start) + duration,
            "alarm_ids": self.env["clinic.booking.engine"]._alarm_commands(policy)})
        self._clinic_mail_patient(const.MESSAGE_RESCHEDULED)
        self._clinic_note_rescheduled(old_start, start)
        return self

    def _clinic_booked(self, request):
        """This appointment was just made by the booking engine for ``request``
        (``services.booking.BookingRequest``): the patient's mail and the staff member's
        note. Hook: a payment step takes over when the request has one."""
        self.ensure_one()
        self._clinic_mail_patient(const.MESSAGE_BOOKED)
        self.message_post(body=self._clinic_booked_message(),
                          partner_ids=self.user_id.partner_id.ids, subtype_xmlid="mail.mt_note")

    def _clinic_booked_message(self):
        return self.env._("Booked by %(patient)s from the client portal.",
                          patient=self.clinic_patient_id.name)

    def _clinic_note_rescheduled(self, old_start, start):
        tz = self.env["clinic.availability.engine"]._tz(self.clinic_patient_id)
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
        event_sudo._clinic_lock()
        event_sudo.write({"clinic_cancel_reason": reason or False})
        money_note = event_sudo._clinic_on_cancel(policy)
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

    def _clinic_on_cancel(self, policy):
        """Hook: what else the patient's cancellation of this appointment changes (its
        payment); returns a note for the staff member, '' when nothing."""
        return ""

    def _clinic_lock(self):
        """Serialise what changes this appointment (a payment, a release, a cancellation)
        with bookings of its time: the booking locks, then the row, which fails at once when
        a parallel transaction changed it meanwhile (the caller retries)."""
        self.ensure_one()
        self.env["clinic.booking.engine"]._lock(self.user_id, self.clinic_patient_id)
        self.env.cr.execute("SELECT id FROM calendar_event WHERE id = %s FOR NO KEY UPDATE",
                            (self.id,))

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
        self._clinic_send_patient_mail(template, attachments)

    def _clinic_send_patient_mail(self, template, attachments=(), **context):
        """Send ``template`` about this appointment to whoever gets the patient's mails (the
        patient, or a child's parent: ``res.partner._clinic_mail_recipient``), in their
        language. To them alone, whatever the template's recipients: the mail's link opens
        the appointment without logging in (Odoo's default would add every attendee)."""
        self.ensure_one()
        recipient = self.clinic_patient_id._clinic_mail_recipient()
        template.sudo().with_context(template_preview_lang=recipient.lang, **context).send_mail(
            self.id, email_layout_xmlid="mail.mail_notification_light",
            email_values={"attachments": list(attachments),
                          "recipient_ids": [Command.set(recipient.ids)]})

    def _clinic_patient_mail_template(self, change):
        """The template of the patient's mail about ``change``, or None when the patient gets
        no mail (no e-mail address, theirs or their parent's): the portal says a mail was sent
        only when one was."""
        self.ensure_one()
        template = self.env.ref(const.PATIENT_MAIL_TEMPLATES[change], raise_if_not_found=False)
        recipient = self.clinic_patient_id[:1] and self.clinic_patient_id._clinic_mail_recipient()
        return template if template and recipient and recipient.email else None

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
        availability = self.env["clinic.availability.engine"]
        # The staff member stands in for the current user: their zone is the clinic's time.
        tz = availability.with_user(self.user_id or self.env.user)._tz(self.clinic_patient_id)
        company = self.env.company
        address = company.partner_id.sudo()._display_address(without_company=True)
        return {
            "tz": tz.zone,
            "price": self._clinic_mail_price() if self.clinic_product_id else "",
            "address": ", ".join(filter(None, map(str.strip, address.splitlines()))),
            "policy": self.env.company._clinic_portal_policy(),
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
