from dateutil.relativedelta import relativedelta

from odoo import fields, models

from .. import const


class ClinicMandatoryForm(models.Model):
    _name = "clinic.mandatory.form"
    _description = "Client Portal Mandatory Form"
    _order = "company_id, sequence, id"

    company_id = fields.Many2one(
        "res.company", required=True, index=True, ondelete="cascade",
        default=lambda self: self.env.company,
    )
    sequence = fields.Integer(default=10)
    survey_id = fields.Many2one(
        "survey.survey", string="Form", required=True, ondelete="cascade",
        help="The questionnaire clients must fill in the client portal before they can book.",
    )
    frequency = fields.Selection(
        selection=[
            (const.FREQUENCY_ONCE, "Once"),
            (const.FREQUENCY_YEARLY, "Once a year"),
        ],
        required=True, default=const.FREQUENCY_ONCE,
        help="Once: a client fills it one time. Once a year: again when the last answer is "
             "more than a year old.",
    )
    audience = fields.Selection(
        selection=[
            (const.AUDIENCE_ALL, "All clients"),
            (const.AUDIENCE_NEW_CLIENTS, "New clients only"),
            (const.AUDIENCE_STATUSES, "Clients of chosen statuses"),
        ],
        string="Shown to", required=True, default=const.AUDIENCE_ALL,
        help="All clients; new clients only: clients who have no past appointment yet; or "
             "clients whose status is one of the chosen statuses.",
    )
    status_ids = fields.Many2many(
        "clinic.client.status", string="Client statuses",
        help="The form is shown to clients of these statuses.",
    )

    def _applies_to(self, partner, now):
        """Whether this form is asked of ``partner`` at all (its audience)."""
        self.ensure_one()
        if self.audience == const.AUDIENCE_NEW_CLIENTS:
            return not partner._clinic_has_past_appointment(now)
        if self.audience == const.AUDIENCE_STATUSES:
            return partner.sudo().clinic_status_id in self.status_ids
        return True

    def _is_due(self, last_done, now):
        """Whether the form is due again, last completed at ``last_done`` (or never)."""
        self.ensure_one()
        if not last_done:
            return True
        return self.frequency == const.FREQUENCY_YEARLY \
            and last_done < now - relativedelta(months=12)

    _company_survey_uniq = models.Constraint(
        "UNIQUE(company_id, survey_id)",
        "A form can be mandatory only once per company.",
    )
