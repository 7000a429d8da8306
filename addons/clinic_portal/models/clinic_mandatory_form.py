from odoo import fields, models


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
            ("once", "Once"),
            ("yearly", "Once a year"),
            ("new_clients", "New clients only"),
        ],
        required=True, default="once",
        help="Once: a client fills it one time. Once a year: again when the last answer is "
             "more than a year old. New clients only: asked once, and only of clients who "
             "have no past appointment yet.",
    )

    _company_survey_uniq = models.Constraint(
        "UNIQUE(company_id, survey_id)",
        "A form can be mandatory only once per company.",
    )
