from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    clinic_appointment_id = fields.Many2one(
        "calendar.event", string="Appointment", readonly=True, copy=False,
        index="btree_not_null", ondelete="set null",
        help="The appointment this invoice, credit note or fee bills; the patient finds it "
             "on the appointment's page in the client portal.")

    def _clinic_portal_appointment(self):
        """The appointment this customer invoice or credit note bills, when its client can
        open it in the client portal (the portal is open and the appointment is theirs, or
        they pay it for a family member): the portal's breadcrumbs of the document then lead
        through it. Empty otherwise."""
        self.ensure_one()
        move_sudo = self.sudo()
        event = move_sudo.clinic_appointment_id
        payers = (event.clinic_patient_id | event.clinic_payer_id).commercial_partner_id
        if not event or move_sudo.move_type not in ("out_invoice", "out_refund") \
                or move_sudo.commercial_partner_id not in payers \
                or not self.env.company._clinic_portal_policy().enabled:
            return self.env["calendar.event"]
        return event
