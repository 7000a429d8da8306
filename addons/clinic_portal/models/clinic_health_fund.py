from odoo import fields, models


class ClinicHealthFund(models.Model):
    _name = "clinic.health.fund"
    _description = "Health Fund"
    _order = "name, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)

    _name_uniq = models.Constraint("UNIQUE(name)", "A health fund with this name already exists.")
