from odoo import fields, models


class ClinicClientStatus(models.Model):
    _name = "clinic.client.status"
    _description = "Client Status"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)

    _name_uniq = models.Constraint("UNIQUE(name)", "A client status with this name already exists.")
