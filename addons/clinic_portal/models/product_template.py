from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    clinic_required_survey_id = fields.Many2one(
        "survey.survey", string="Required form", ondelete="set null",
        help="Form the client must fill before booking this service in the client portal. "
             "Empty: not required.",
    )
