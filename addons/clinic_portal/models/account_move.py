from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    clinic_appointment_id = fields.Many2one(
        "calendar.event", string="Appointment", readonly=True, copy=False,
        index="btree_not_null", ondelete="set null",
        help="The appointment this invoice, credit note or fee bills; the patient finds it "
             "on the appointment's page in the client portal.")
