import base64

from odoo import api, models
from odoo.fields import Command

from .. import const


class ClinicCourseSeat(models.Model):
    """The client's mails about the make-up sessions they book and cancel in the portal."""

    _inherit = "clinic.course.seat"  # pylint: disable=consider-merging-classes-inherited

    def _makeup_mail(self, change):
        """Queue the client's mail about ``change`` (``const.MESSAGE_MAKEUP_*``) of this
        make-up seat, in their language; a child's goes to their parent, in the parent's
        (``res.partner._clinic_mail_recipient``)."""
        self.ensure_one()
        recipient = self.partner_id._clinic_mail_recipient()
        template = self._makeup_mail_template(change, self.partner_id)
        if not template:
            return
        meeting = self.meeting_id.sudo()
        # The calendar file on booking only, as for appointments (_clinic_mail_patient); it
        # names no other client of the meeting.
        ics = meeting._clinic_ics(hidden=meeting.clinic_seat_ids.partner_id - self.partner_id) \
            if change == const.MESSAGE_MAKEUP_BOOKED else None
        attachments = [("make-up-session.ics", base64.b64encode(ics))] if ics else []
        # The mail's layout shows the clinic of the course, whatever the current company.
        template.sudo().with_company(self.course_id.company_id).with_context(
            template_preview_lang=recipient.lang).send_mail(
            self.id, email_layout_xmlid="mail.mail_notification_light",
            email_values={"attachments": attachments,
                          "recipient_ids": [Command.set(recipient.ids)]})

    @api.model
    def _makeup_mail_template(self, change, partner):
        """The template of the mail about ``partner``'s ``change``, or None when no one gets
        it (no e-mail address, theirs or their parent's): the portal says a mail was sent only
        when one was."""
        template = self.env.ref(const.MAKEUP_MAIL_TEMPLATES[change], raise_if_not_found=False)
        return template if template and partner._clinic_mail_recipient().email else None

    def _makeup_mail_values(self):
        """What the client's make-up mails show besides the seat's own fields, rendered in
        the client's language (the mail template's)."""
        self.ensure_one()
        company = self.course_id.company_id
        availability = self.env["clinic.availability.engine"].with_company(company)
        partner = self.partner_id.with_company(company)
        return {
            "tz": availability._tz(partner).zone,
            "policy": company._clinic_portal_policy(),
            "url": self.get_base_url() + partner._clinic_lang_prefix() + "/my/courses",
        }
