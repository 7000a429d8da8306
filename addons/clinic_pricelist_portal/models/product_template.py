from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ProductTemplate(models.Model):
    _inherit = "product.template"

    clinic_duration_minutes = fields.Integer(
        string="Duration (minutes)",
        help="Length of one appointment for this service, in minutes. Required, and greater "
             "than zero, when the service is shown in the client portal: it sizes the slots "
             "offered to patients.",
    )
    clinic_staff_user_ids = fields.Many2many(
        comodel_name="res.users",
        relation="clinic_product_template_staff_rel",
        column1="product_tmpl_id",
        column2="user_id",
        string="Available only to these staff members",
        domain=[("share", "=", False)],
        help="Staff members who may deliver this service. Empty: every staff member whose "
             "calendar is bookable from the client portal.",
    )
    clinic_color = fields.Integer(
        string="Colour",
        help="Colour of this service's appointments in calendars.",
    )
    clinic_portal_visible = fields.Boolean(
        string="Show in client portal",
        help="Patients may book this service from the client portal. Only active, saleable "
             "services with a duration are offered.",
    )
    clinic_card_guarantee_required = fields.Boolean(
        string="Client portal – card guarantee required",
        help="Booking from the client portal asks the patient to leave a payment card as a "
             "guarantee (no charge at booking). When prepayment is also required, the "
             "prepayment applies instead, unless the service is free.",
    )
    clinic_prepayment_required = fields.Boolean(
        string="Client portal – prepayment required",
        help="Booking from the client portal asks the patient to pay the full portal price "
             "(the price in the patient's pricelist) online. It takes precedence over the card "
             "guarantee. A free service needs no prepayment.",
    )

    @api.constrains("clinic_duration_minutes", "clinic_portal_visible", "type")
    def _check_clinic_portal_service(self):
        for template in self:
            if template.clinic_duration_minutes < 0:
                raise ValidationError(self.env._(
                    "The duration of %(service)s cannot be negative.",
                    service=template.display_name))
            if not template.clinic_portal_visible:
                continue
            if template.type != "service":
                raise ValidationError(self.env._(
                    "Only services can be shown in the client portal: %(product)s is not a "
                    "service.", product=template.display_name))
            if template.clinic_duration_minutes <= 0:
                raise ValidationError(self.env._(
                    "%(service)s is shown in the client portal, so it needs a duration in "
                    "minutes greater than zero.", service=template.display_name))
