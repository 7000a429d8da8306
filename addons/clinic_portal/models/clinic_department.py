from odoo import fields, models


class ClinicDepartment(models.Model):
    _name = "clinic.department"
    _description = "Clinic Department"
    _order = "name, id"

    name = fields.Char(required=True, translate=True)
    company_id = fields.Many2one(
        "res.company", string="Branch", index=True,
        help="The branch (company) this department belongs to. Empty: shared by all branches.",
    )
    active = fields.Boolean(default=True)
