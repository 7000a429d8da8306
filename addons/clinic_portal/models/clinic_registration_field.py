from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..const import ALWAYS_ASKED, REGISTRATION_FIELDS


class ClinicRegistrationField(models.Model):
    _name = "clinic.registration.field"
    _description = "Client Portal Registration Field"
    _order = "company_id, sequence, id"

    company_id = fields.Many2one(
        "res.company", required=True, index=True, ondelete="cascade",
        default=lambda self: self.env.company,
    )
    field_name = fields.Selection(
        selection=[
            ("birthdate", "Date of birth"),
            ("national_id", "National ID number"),
            ("gender", "Gender"),
            ("mobile2", "Second mobile phone"),
            ("home_phone", "Home phone"),
            ("father_phone", "Father's phone"),
            ("mother_phone", "Mother's phone"),
            ("email", "Email"),
            ("health_fund", "Health fund"),
        ],
        string="Field", required=True,
    )
    sequence = fields.Integer(default=10)
    show = fields.Boolean(
        help="The registration form of the client portal asks for this field.")
    required = fields.Boolean(
        help="A new client cannot register without this field. Only a shown field can be "
             "required.")
    partner_field = fields.Char(
        compute="_compute_partner_field",
        help="Technical name of the contact field this registration field fills.")

    _company_field_uniq = models.Constraint(
        "UNIQUE(company_id, field_name)",
        "Each registration field appears once per company.",
    )

    @api.depends("field_name")
    def _compute_partner_field(self):
        for line in self:
            line.partner_field = REGISTRATION_FIELDS.get(line.field_name, False)

    @api.onchange("required")
    def _onchange_required(self):
        for line in self.filtered("required"):
            line.show = True

    @api.constrains("field_name", "show", "required")
    def _check_always_asked(self):
        for line in self:
            if line.field_name in ALWAYS_ASKED and not (line.show and line.required):
                raise ValidationError(self.env._(
                    "The e-mail is the client's login, where the link to choose a password is "
                    "sent: the registration form always asks for it."))

    @api.constrains("show", "required")
    def _check_required_is_shown(self):
        for line in self:
            if line.required and not line.show:
                raise ValidationError(self.env._(
                    "The registration field \"%(field)s\" is required, so it must also be shown.",
                    field=line._fields["field_name"].convert_to_export(line.field_name, line)))
