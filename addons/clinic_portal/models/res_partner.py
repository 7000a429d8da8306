from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    clinic_treating_user_ids = fields.Many2many(
        comodel_name="res.users",
        relation="clinic_partner_treating_user_rel",
        column1="partner_id",
        column2="user_id",
        string="Treating team",
        domain=[("share", "=", False)],
        help="Staff members who treat this client. With \"Only calendars of the treating "
             "team\", the client portal offers this client only their calendars.",
    )
    clinic_status_id = fields.Many2one(
        "clinic.client.status", string="Client status", index=True, ondelete="restrict",
        tracking=True,
    )
    clinic_department_id = fields.Many2one(
        "clinic.department", string="Department", ondelete="restrict",
        domain="[('company_id', 'in', [company_id, False])]",
    )
    clinic_health_fund_id = fields.Many2one(
        "clinic.health.fund", string="Health fund", ondelete="restrict")
    clinic_national_id = fields.Char(string="National ID number", index="btree_not_null")
    clinic_birthdate = fields.Date(string="Date of birth")
    clinic_gender = fields.Selection(
        selection=[("female", "Female"), ("male", "Male"), ("other", "Other")],
        string="Gender",
    )
    clinic_mobile2 = fields.Char(string="Second mobile phone")
    clinic_home_phone = fields.Char(string="Home phone")
    clinic_father_phone = fields.Char(string="Father's phone")
    clinic_mother_phone = fields.Char(string="Mother's phone")
