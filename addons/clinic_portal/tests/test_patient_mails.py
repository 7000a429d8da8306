from datetime import timedelta

from odoo.tests import Form, TransactionCase, freeze_time, tagged

from .booking_common import NOW, BookingSetup, utc


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestPatientMails(BookingSetup, TransactionCase):
    """A Hebrew-speaking patient in Jerusalem, reminded before their appointments."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        cls.env["res.lang"]._activate_lang("he_IL")
        cls.patient.write({"lang": "he_IL", "tz": "Asia/Jerusalem"})

    def _mails_to_patient(self):
        return self.env["mail.mail"].search([("recipient_ids", "in", self.patient.ids)],
                                            order="id")

    def _new_mail(self, action):
        """The one mail to the patient that ``action`` queues."""
        before = self._mails_to_patient()
        action()
        mails = self._mails_to_patient() - before
        self.assertEqual(len(mails), 1, mails.mapped("subject"))
        return mails

    def test_reminder_setting_puts_an_email_alarm_of_that_many_hours(self):
        self.company.sudo().clinic_portal_reminder_hours = 24
        event = self._book(utc(2026, 3, 3, 8))
        self.assertEqual(event.alarm_ids.mapped("alarm_type"), ["email"])
        self.assertEqual(event.alarm_ids.duration_minutes, 24 * 60)
        self.company.sudo().clinic_portal_reminder_hours = 6
        self._reschedule(event, utc(2026, 3, 4, 10))
        self.assertEqual(event.alarm_ids, self.env.ref("calendar.alarm_mail_2"),
                         "Odoo's own 6 hours e-mail alarm, not a copy")

    def test_no_reminder_when_the_setting_is_zero(self):
        self.company.sudo().clinic_portal_reminder_hours = 0
        event = self._book(utc(2026, 3, 3, 8))
        self.assertFalse(event.alarm_ids)

    def test_reminder_mail_goes_to_the_patient(self):
        event = self._book(utc(2026, 3, 3, 8))
        due = event.start - timedelta(hours=24)
        with freeze_time(due + timedelta(minutes=1)):
            mail = self._new_mail(lambda: self.env["calendar.alarm_manager"].with_context(
                lastcall=due - timedelta(minutes=1))._send_reminder())
        self.assertEqual(mail.subject, f"{event.name} - Reminder")

    def test_reminder_setting_is_on_the_settings_screen(self):
        with Form(self.env["res.config.settings"]) as form:
            self.assertEqual(form.clinic_portal_reminder_hours, 24)
            form.clinic_portal_reminder_hours = 48
        form.save().execute()
        self.assertEqual(self.company.clinic_portal_reminder_hours, 48)
