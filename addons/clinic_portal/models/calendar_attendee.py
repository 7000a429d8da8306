from odoo import models

from .. import const


class CalendarAttendee(models.Model):
    _inherit = "calendar.attendee"

    def _should_notify_attendee(self, notify_author=False):
        # One mail per change for the patient, the portal's: not Odoo's invitation as well.
        if (self.env.context.get(const.CONTEXT_PATIENT_MAILED)
                and self.partner_id == self.event_id.clinic_patient_id):
            return False
        return super()._should_notify_attendee(notify_author=notify_author)
