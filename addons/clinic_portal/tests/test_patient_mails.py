import base64
import re
from datetime import timedelta
from urllib.parse import urlsplit

from odoo.fields import Command
from odoo.tests import Form, HttpCase, TransactionCase, freeze_time, tagged

from .booking_common import NOW, BookingSetup, utc

HEBREW_SUBJECT = "התור שלך נקבע"


def text_of(mail):
    """The mail's body with its whitespace collapsed, as a reader sees it."""
    return " ".join(mail.body_html.split())


def ics_of(mail):
    """The text of the mail's .ics attachment (one, or the test fails)."""
    ics = mail.attachment_ids.filtered(lambda a: a.mimetype == "text/calendar")
    return base64.b64decode(ics.ensure_one().datas).decode()


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestPatientMails(BookingSetup, TransactionCase):
    """A Hebrew-speaking patient in Jerusalem gets one mail of ours per change, in Hebrew."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        cls.env["res.lang"]._activate_lang("he_IL")
        cls.patient.write({"lang": "he_IL", "tz": "Asia/Jerusalem"})
        # A translation of the test's own: the subject shows which language rendered the mail.
        cls.env.ref("clinic_portal.mail_template_appointment_booked").with_context(
            lang="he_IL").subject = HEBREW_SUBJECT

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

    def test_booking_queues_one_mail_to_the_patient_in_their_language(self):
        mail = self._new_mail(lambda: self._book(utc(2026, 3, 3, 8)))
        self.assertEqual(mail.subject, HEBREW_SUBJECT)
        # Tuesday 3 March 2026, 08:00 UTC is 10:00 in Jerusalem, written in Hebrew.
        self.assertIn("יום שלישי 3 מרץ 2026", mail.body_html)
        self.assertIn("10:00", mail.body_html)
        self.assertIn(self.service.name, mail.body_html)
        self.assertIn(self.staff.name, mail.body_html)
        self.assertIn("DTSTART:20260303T080000Z", ics_of(mail))
        self.assertIn("TRIGGER;RELATED=START:-P1D", ics_of(mail))

    def test_a_hebrew_patients_mail_reads_right_to_left(self):
        mail = self._new_mail(lambda: self._book(utc(2026, 3, 3, 8)))
        self.assertIn('dir="rtl"', mail.body_html)
        self.patient.lang = "en_US"
        mail = self._new_mail(lambda: self._book(utc(2026, 3, 4, 8)))
        self.assertNotIn('dir="rtl"', mail.body_html)
        self.assertIn('dir="ltr"', mail.body_html)

    def test_booking_mail_has_the_price_address_and_policy(self):
        self.company.partner_id.write({"street": "1 Herzl Street", "city": "Tel Aviv"})
        paid = self._make_service(self.env, "Massage", 60, self.staff, list_price=250.0)
        free_mail = self._new_mail(lambda: self._book(utc(2026, 3, 3, 8)))
        paid_mail = self._new_mail(lambda: self._book(utc(2026, 3, 3, 10), product=paid))
        self.assertIn("Free", free_mail.body_html)
        self.assertIn("250.00", paid_mail.body_html)
        self.assertNotIn("Free", paid_mail.body_html)
        self.assertIn("1 Herzl Street", paid_mail.body_html)
        self.assertIn("reschedule or cancel this appointment online until 24 hours before",
                      text_of(paid_mail))
        self.assertIn(self.company.phone, paid_mail.body_html)

    def test_reschedule_mail_carries_the_new_time_in_the_same_calendar_entry(self):
        booked = self._new_mail(lambda: self._book(utc(2026, 3, 3, 8)))
        event = self.env["calendar.event"].search([("clinic_patient_id", "=", self.patient.id)])
        moved = self._new_mail(lambda: self._reschedule(event, utc(2026, 3, 4, 10)))
        self.assertIn("moved", moved.subject)
        self.assertIn("יום רביעי 4 מרץ 2026", moved.body_html)
        self.assertIn("12:00", moved.body_html)
        self.assertIn("DTSTART:20260304T100000Z", ics_of(moved))
        uid = re.compile(r"^UID:(.+)$", re.M)
        self.assertEqual(uid.search(ics_of(moved)).group(1), uid.search(ics_of(booked)).group(1))

    def test_cancel_mail_has_no_ics_and_asks_to_remove_it(self):
        event = self._book(utc(2026, 3, 3, 8))
        mail = self._new_mail(lambda: self._cancel(event, "travelling"))
        self.assertIn("cancelled", mail.subject)
        self.assertIn("יום שלישי 3 מרץ 2026", mail.body_html)
        self.assertIn("please remove it", mail.body_html)
        self.assertFalse(mail.attachment_ids)

    def test_the_patients_mails_reach_no_other_attendee(self):
        # Each has the patient's own link, which opens the appointment without logging in.
        event = self._book(utc(2026, 3, 3, 8))
        self._reschedule(event, utc(2026, 3, 4, 10))
        self._cancel(event)
        mails = self._mails_to_patient()
        self.assertEqual(len(mails), 3)
        self.assertEqual(mails.recipient_ids, self.patient)
        self.assertFalse(any(mails.mapped("email_to")))

    def test_staff_still_gets_odoo_invitation(self):
        before = self.env["mail.mail"].search([("recipient_ids", "in", self.staff.partner_id.ids)])
        self._book(utc(2026, 3, 3, 8))
        invitations = self.env["mail.mail"].search(
            [("recipient_ids", "in", self.staff.partner_id.ids)]) - before
        self.assertTrue(invitations.attachment_ids.filtered(lambda a: a.name == "invitation.ics"))

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
        with Form(self.env["clinic.portal.settings"]) as form:
            self.assertEqual(form.clinic_portal_reminder_hours, 24)
            form.clinic_portal_reminder_hours = 48
        form.save().execute()
        self.assertEqual(self.company.clinic_portal_reminder_hours, 48)


@tagged("post_install", "-at_install")
class TestPatientMailLink(BookingSetup, HttpCase):
    """The link in the patient's mail opens the appointment without logging in."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        # Real time here: the server thread of HttpCase runs on the clock.
        cls._open_every_day()

    def test_the_mail_link_opens_the_appointment_while_logged_out(self):
        event = self._book(self._slots()[self.staff.id][3])
        mail = self.env["mail.mail"].search([("recipient_ids", "in", self.patient.ids)])
        href = re.search(r'href="([^"]*access_token=[^"]*)"', mail.body_html).group(1)
        link = urlsplit(href)
        self.assertEqual(link.path, event._clinic_portal_url())
        opened = self.url_open(f"{link.path}?{link.query}")
        self.assertEqual(opened.status_code, 200)
        self.assertIn(self.service.name, opened.text)
        self.assertIn(self.staff.name, opened.text)
        refused = self.url_open(link.path, allow_redirects=False)
        self.assertEqual(refused.status_code, 303)  # without the token: the login page first
        self.assertIn("/web/login", refused.headers["Location"])
        self.assertNotIn(self.staff.name, refused.text)

    def test_the_mail_link_opens_the_page_in_the_patients_language(self):
        self.env["res.lang"]._activate_lang("he_IL")
        website = self.env["website"].get_current_website()
        website.language_ids = [Command.link(self.env.ref("base.lang_he_IL").id)]
        self.patient.lang = "he_IL"
        event = self._book(self._slots()[self.staff.id][3])
        mail = self.env["mail.mail"].search([("recipient_ids", "in", self.patient.ids)])
        href = re.search(r'href="([^"]*access_token=[^"]*)"', mail.body_html).group(1)
        link = urlsplit(href)
        self.assertEqual(link.path, "/he" + event._clinic_portal_url())
        opened = self.url_open(f"{link.path}?{link.query}")
        self.assertEqual(opened.status_code, 200)
        self.assertIn('lang="he-IL"', opened.text)
