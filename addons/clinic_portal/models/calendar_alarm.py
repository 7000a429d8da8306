from odoo import api, models


class CalendarAlarm(models.Model):
    _inherit = "calendar.alarm"

    @api.model
    def _clinic_email_reminder(self, hours):
        """The e-mail alarm ``hours`` before an event: an existing one of that length (3
        hours, 1 day ...), else a new one; none for 0 hours."""
        if not hours:
            return self.browse()
        alarm = self.search([("alarm_type", "=", "email"), ("duration_minutes", "=", hours * 60)],
                            order="id", limit=1)
        if alarm:
            return alarm
        # Named by Odoo's own rule ("Email - 24 Hours"), in English: a translated name's source.
        alarm = self.with_context(lang="en_US").new(
            {"alarm_type": "email", "duration": hours, "interval": "hours"})
        alarm._onchange_duration_interval()
        return self.create({"name": alarm.name, "alarm_type": "email", "duration": hours,
                            "interval": "hours"})
