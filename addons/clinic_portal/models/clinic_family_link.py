from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import const
from ..services import family


class ClinicFamilyLink(models.Model):
    """Who acts for whom in the client portal: a parent for their child, or an adult for
    another adult who consented. Both are full patient contacts of their own; the link is all
    that joins them, and while it is in force the one acting reads and books for the other.

    A child's link ends on their 18th birthday unless the now-adult confirms it from their own
    login; a family member with a login can end any adult's access to them; staff link and
    unlink on the contact form.
    """

    _name = "clinic.family.link"
    _description = "Family link"
    _inherit = ["mail.thread"]
    _order = "date_start desc, id desc"
    _rec_names_search = ["guardian_id", "patient_id"]

    guardian_id = fields.Many2one(
        "res.partner", string="Acts for them", required=True, index=True, ondelete="cascade",
        tracking=True, help="The client who books, fills forms and pays for the family member "
                            "in the client portal.")
    patient_id = fields.Many2one(
        "res.partner", string="Family member", required=True, index=True, ondelete="cascade",
        tracking=True, help="The patient acted for: a full client of the clinic of their own.")
    kind = fields.Selection(
        selection=[(const.FAMILY_MINOR, "Their child"),
                   (const.FAMILY_CONSENT, "An adult who consented")],
        string="Link", required=True, default=const.FAMILY_MINOR, tracking=True,
        help="A child's link ends on their 18th birthday unless they confirm it then; an "
             "adult's needs their consent.")
    date_start = fields.Date(
        string="Since", required=True, default=fields.Date.context_today, tracking=True)
    consent_date = fields.Date(
        string="Consent given on", tracking=True,
        help="When the adult family member consented to being acted for.")
    date_end = fields.Date(string="Ended on", tracking=True, copy=False)
    end_reason = fields.Selection(
        selection=[(const.FAMILY_END_ADULT, "Came of age"),
                   (const.FAMILY_END_PATIENT, "Ended by the family member"),
                   (const.FAMILY_END_GUARDIAN, "Ended by the one acting"),
                   (const.FAMILY_END_STAFF, "Ended by the clinic")],
        string="Why it ended", tracking=True, copy=False)
    in_force = fields.Boolean(
        string="In force", compute="_compute_in_force", search="_search_in_force",
        help="Whether the link gives access today: not ended, and for a child, before their "
             "18th birthday.")

    _one_open_link = models.UniqueIndex(
        "(guardian_id, patient_id) WHERE date_end IS NULL",
        "This client already acts for this family member.")

    @api.depends("kind", "date_end", "patient_id.clinic_birthdate")
    @api.depends_context("date")
    def _compute_in_force(self):
        today = fields.Date.context_today(self)
        for link in self:
            link.in_force = family.in_force(
                link.kind, link.date_end, link.patient_id.clinic_birthdate, today)

    def _search_in_force(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on links in force."))
        today = fields.Date.context_today(self)
        adult_born_by = family.adult_born_by(today)
        in_force = [("date_end", "=", False), "|", ("kind", "=", const.FAMILY_CONSENT),
                    ("patient_id.clinic_birthdate", ">", adult_born_by)]
        return in_force if (operator == "=") == value else ["!", *in_force]

    @api.depends("guardian_id", "patient_id")
    def _compute_display_name(self):
        for link in self:
            link.display_name = self.env._(
                "%(guardian)s for %(patient)s", guardian=link.guardian_id.name or "",
                patient=link.patient_id.name or "")

    @api.constrains("guardian_id", "patient_id", "kind", "consent_date")
    def _check_link(self):
        for link in self:
            if link.guardian_id == link.patient_id:
                raise ValidationError(self.env._("A client cannot act for themselves."))
            if link.kind == const.FAMILY_CONSENT and not link.consent_date:
                raise ValidationError(self.env._(
                    "Record when %(patient)s consented to %(guardian)s acting for them.",
                    patient=link.patient_id.name, guardian=link.guardian_id.name))
            if link.kind == const.FAMILY_MINOR and not family.is_minor(
                    link.patient_id.clinic_birthdate, link.date_start):
                raise ValidationError(self.env._(
                    "%(patient)s is not a child: give their date of birth, or link them as an "
                    "adult who consented.", patient=link.patient_id.name))

    # ------------------------------------------------------------------------------------
    # Ending and confirming
    # ------------------------------------------------------------------------------------
    def _end(self, reason):
        """End these links today for ``reason`` (``const.FAMILY_END_*``), each with a note on
        both contacts."""
        today = fields.Date.context_today(self)
        for link in self.filtered(lambda link: not link.date_end):
            link.write({"date_end": today, "end_reason": reason})
            note = self.env._("%(guardian)s no longer acts for %(patient)s: %(reason)s.",
                              guardian=link.guardian_id.name, patient=link.patient_id.name,
                              reason=dict(link._fields["end_reason"]._description_selection(
                                  self.env))[reason])
            for partner in link.guardian_id | link.patient_id:
                partner._clinic_note(note)
        # Written now rather than at commit: a new link between the same two clients may
        # follow in this transaction, and the one-open-link index must see this one closed.
        self.flush_recordset(["date_end"])

    def action_end(self):
        """Staff end the link (the contact form's Unlink button)."""
        self._end(const.FAMILY_END_STAFF)
        return True

    def _confirm_by_adult(self):
        """The family member, now an adult, keeps this link from their own login: it goes on
        as an adult's consent."""
        today = fields.Date.context_today(self)
        for link in self:
            if not family.may_confirm(link.kind, link.end_reason,
                                      link.patient_id.clinic_birthdate, today):
                raise UserError(self.env._("This access cannot be confirmed."))
            if link.date_end:
                open_link = self.search([("guardian_id", "=", link.guardian_id.id),
                                         ("patient_id", "=", link.patient_id.id),
                                         ("date_end", "=", False)], limit=1)
                if open_link:
                    continue
            link.write({"kind": const.FAMILY_CONSENT, "consent_date": today,
                        "date_end": False, "end_reason": False})
            note = self.env._("%(patient)s, now an adult, let %(guardian)s go on acting for them.",
                              patient=link.patient_id.name, guardian=link.guardian_id.name)
            for partner in link.guardian_id | link.patient_id:
                partner._clinic_note(note)

    @api.model
    def _cron_end_at_adulthood(self):
        """End every child's link on their 18th birthday, unless they confirmed it: the
        portal already stops acting for them that day; this records it."""
        today = fields.Date.context_today(self)
        self.search([("date_end", "=", False), ("kind", "=", const.FAMILY_MINOR),
                     ("patient_id.clinic_birthdate", "<=", family.adult_born_by(today))],
                    )._end(const.FAMILY_END_ADULT)
