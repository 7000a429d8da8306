from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResUsers(models.Model):
    _inherit = "res.users"

    clinic_portal_bookable = fields.Boolean(
        string="Allow booking from the client portal",
        help="Clients can book appointments in this staff member's calendar from the client "
             "portal, within their working hours. Only internal users with working hours.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        # Working hours live on the user's resource, which a new user does not have yet:
        # set the flag once the resource exists so that the constraint sees the hours.
        bookable = [vals.pop("clinic_portal_bookable", False) for vals in vals_list]
        users = super().create(vals_list)
        for user, vals in zip(users, vals_list, strict=True):
            if vals.get("resource_calendar_id") and not user.resource_ids:
                user._clinic_create_resource(vals["resource_calendar_id"])
        users.browse([user.id for user, flag in zip(users, bookable, strict=True) if flag]).write(
            {"clinic_portal_bookable": True})
        return users

    def write(self, vals):
        if vals.get("resource_calendar_id"):
            for user in self.filtered(lambda u: not u.resource_ids):
                user._clinic_create_resource(vals["resource_calendar_id"])
        return super().write(vals)

    def _clinic_create_resource(self, calendar_id):
        """Give a user without resource one, so that their working hours can be stored."""
        self.ensure_one()
        self.env["resource.resource"].sudo().create({
            "name": self.name,
            "user_id": self.id,
            "calendar_id": calendar_id,
            "company_id": self.company_id.id,
            "tz": self.tz or self.env.user.tz or "UTC",
        })

    @api.constrains("clinic_portal_bookable", "share", "group_ids", "resource_calendar_id")
    def _check_clinic_portal_bookable(self):
        for user in self.filtered("clinic_portal_bookable"):
            if user.share:
                raise ValidationError(self.env._(
                    "%(user)s is not an internal user: only staff calendars can be booked from "
                    "the client portal.", user=user.display_name))
            if not user.resource_calendar_id:
                raise ValidationError(self.env._(
                    "%(user)s has no working hours: set their working hours before allowing "
                    "booking from the client portal.", user=user.display_name))
