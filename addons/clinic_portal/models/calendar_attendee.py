from odoo import models

from .. import const


class CalendarAttendee(models.Model):
    _inherit = "calendar.attendee"

    # The booking pages read one staff member's and one patient's appointments through their
    # attendances: found by partner, not by reading every attendance of the database.
    _clinic_partner_event_idx = models.Index("(partner_id, event_id)")

    def _should_notify_attendee(self, notify_author=False):
        # One mail per change for the patient, the portal's: not Odoo's invitation as well.
        if (self.env.context.get(const.CONTEXT_PATIENT_MAILED)
                and self.partner_id == self.event_id.clinic_patient_id):
            return False
        return super()._should_notify_attendee(notify_author=notify_author)
