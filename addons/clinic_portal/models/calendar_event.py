import uuid

from odoo import api, fields, models


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    clinic_patient_id = fields.Many2one(
        "res.partner", string="Patient", index="btree_not_null", ondelete="restrict",
        help="The client this appointment is for: they see it, and may reschedule or cancel "
             "it, in the client portal.",
    )
    clinic_product_id = fields.Many2one(
        "product.product", string="Service", ondelete="restrict",
        help="The service of this appointment; its duration sizes the appointment.",
    )
    clinic_portal_booked = fields.Boolean(
        string="Booked from the client portal", readonly=True, copy=False,
    )
    clinic_invoice_id = fields.Many2one(
        "account.move", string="Invoice", ondelete="set null", copy=False,
        domain=[("move_type", "=", "out_invoice")],
        help="The invoice of this appointment, linked from the client portal once posted.",
    )
    clinic_cancel_reason = fields.Text(
        string="Cancellation reason", readonly=True, copy=False,
        help="Reason the client gave when cancelling in the client portal.",
    )

    # Busy times of staff and patients are read by start, for the portal's availability.
    _clinic_start_stop_idx = models.Index("(start, stop) WHERE active")

    @api.model
    def _clinic_new_token(self):
        return uuid.uuid4().hex

    def _clinic_portal_url(self):
        self.ensure_one()
        return f"/my/appointments/{self.id}"

    def _clinic_portal_status(self):
        """'cancelled', 'past' or 'upcoming', as the client portal shows it."""
        self.ensure_one()
        if not self.active:
            return "cancelled"
        return "past" if self.stop <= fields.Datetime.now() else "upcoming"
