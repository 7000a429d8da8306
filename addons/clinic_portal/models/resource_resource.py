from odoo import api, models
from odoo.exceptions import ValidationError


class ResourceResource(models.Model):
    _name = "resource.resource"
    _inherit = ["resource.resource", "clinic.work.time.source"]

    @api.constrains("calendar_id", "user_id")
    def _check_clinic_portal_bookable_hours(self):
        # The working hours of a user are those of their resource: keep bookable users valid.
        for resource in self.filtered("user_id.clinic_portal_bookable"):
            if not resource.user_id.resource_calendar_id:
                raise ValidationError(self.env._(
                    "%(user)s can be booked from the client portal, so they need working hours.",
                    user=resource.user_id.display_name))
