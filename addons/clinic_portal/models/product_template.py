from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ProductTemplate(models.Model):
    _inherit = "product.template"

    clinic_required_survey_id = fields.Many2one(
        "survey.survey", string="Required form", ondelete="set null", index="btree_not_null",
        help="Form the client must fill before booking this service in the client portal. "
             "Empty: not required.",
    )
    clinic_issuer_journal_id = fields.Many2one(
        "account.journal", string="Issuer", ondelete="set null",
        domain="[('type', '=', 'sale')]",
        help="Sales journal that invoices this service when it is paid in the client portal. "
             "Empty, or of a company that does not book it: the company's default issuer "
             "(client portal settings).",
    )

    clinic_no_show_fee = fields.Monetary(
        string="No-show fee",
        help="Charged, before taxes, to the card a client left as guarantee when they do not "
             "come. Empty: the service's client portal price for that client.",
    )

    @api.constrains("clinic_issuer_journal_id")
    def _check_clinic_issuer_journal(self):
        for template in self:
            journal = template.clinic_issuer_journal_id
            if journal and journal.type != "sale":
                raise ValidationError(self.env._(
                    "The issuer of %(service)s must be a sales journal; %(journal)s is not.",
                    service=template.display_name, journal=journal.display_name))
