import re

import vobject

from odoo.exceptions import UserError
from odoo.tests import HttpCase, TransactionCase, freeze_time, tagged

from .booking_common import NOW, utc
from .course_common import CourseSetup
from .test_booking_tours import hebrew_term, text_of
from .test_course_portal import first_evening
from .test_patient_mails import ics_of


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestCourseMails(CourseSetup, TransactionCase):
    """A Hebrew-speaking client in Jerusalem gets one mail of ours when they book or cancel a
    make-up session, in Hebrew, at the meeting's time in Jerusalem.

    Now is Monday 2 March 2026 06:00 UTC; the client is in the Monday group and makes up a
    meeting of the Wednesday group, on the 4th at 18:00 UTC: 20:00 in Jerusalem."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_courses(cls.env, utc(2026, 3, 2, 18))
        cls.env["res.lang"]._activate_lang("he_IL")
        cls.env["ir.module.module"]._load_module_terms(["clinic_portal"], ["he_IL"],
                                                       overwrite=True)
        cls.patient.write({"lang": "he_IL", "tz": "Asia/Jerusalem"})
        cls.meeting = cls.group_b.meeting_ids.sorted("start")[0]

    def _mails_to_patient(self):
        return self.env["mail.mail"].search([("recipient_ids", "in", self.patient.ids)],
                                            order="id")

    def _new_mail(self, action):
        """The one mail to the patient that ``action`` queues, and what ``action`` returned."""
        before = self._mails_to_patient()
        result = action()
        mails = self._mails_to_patient() - before
        self.assertEqual(len(mails), 1, mails.mapped("subject"))
        return mails, result

    def _subject(self, xmlid):
        """The Hebrew subject of our template ``xmlid``, from he.po, for this clinic."""
        return hebrew_term("mail.template,subject", xmlid).replace(
            "{{ object.course_id.company_id.name }}", self.company.name)

    def test_booking_a_makeup_mails_the_client_once_in_their_language(self):
        mail, seat = self._new_mail(lambda: self._book_makeup(self.meeting))
        self.assertEqual(mail.subject, self._subject("mail_template_makeup_booked"))
        self.assertEqual(mail.recipient_ids, self.patient)
        self.assertFalse(mail.email_to)
        self.assertEqual((mail.model, mail.res_id), ("clinic.course.seat", seat.id))
        body = text_of(mail.body_html)
        self.assertIn("שלום", body)
        self.assertNotIn("Hello", body)
        self.assertIn('dir="rtl"', mail.body_html)
        # Wednesday 4 March 2026, 18:00 UTC is 20:00 in Jerusalem, written in Hebrew.
        self.assertIn("יום רביעי 4 מרץ 2026", body)
        self.assertIn("20:00", body)
        self.assertNotIn("18:00", body)
        self.assertIn("Asia/Jerusalem", body)
        for shown in (self.pilates.name, self.group_b.name, self.group_a.name, self.staff2.name):
            self.assertIn(shown, body)
        link = re.search(r'href="([^"]*/my/courses)"', mail.body_html)
        self.assertTrue(link and link.group(1).startswith(self.meeting.get_base_url()))

    def test_the_booking_mail_offers_online_cancelling_only_when_the_clinic_allows_it(self):
        cancel_online = "ניתן לבטל אותו בפורטל"  # "You can cancel it online", from he.po
        mail, _seat = self._new_mail(lambda: self._book_makeup(self.meeting))
        self.assertIn(cancel_online, text_of(mail.body_html))
        self.company.clinic_portal_allow_cancel = False
        later = self.group_b.meeting_ids.sorted("start")[1]
        mail, _seat = self._new_mail(lambda: self._book_makeup(later))
        body = text_of(mail.body_html)
        self.assertNotIn(cancel_online, body)
        self.assertIn("יום רביעי 11 מרץ 2026", body)

    def test_the_booking_mail_adds_the_meeting_to_the_calendar_without_other_clients(self):
        mail, _seat = self._new_mail(lambda: self._book_makeup(self.meeting))
        ics = ics_of(mail)
        vevent = vobject.readOne(ics).vevent
        self.assertIn("DTSTART:20260304T180000Z", ics)
        self.assertEqual(vevent.summary.value, self.group_b.name)
        attendees = {attendee.value for attendee in vevent.contents["attendee"]}
        self.assertEqual(attendees, {f"MAILTO:{self.patient.email}", f"MAILTO:{self.staff2.email}"})
        # The Wednesday group's own client sits in the meeting too: not named to another.
        self.assertIn(self.other, self.meeting.attendee_ids.partner_id)
        self.assertNotIn(self.other.email, ics)

    def test_the_mail_shows_the_place_of_a_meeting_that_has_one(self):
        self.patient.lang = "en_US"
        first, second = self.group_b.meeting_ids.sorted("start")[:2]
        second.location = "Pool 2"
        without, _seat = self._new_mail(lambda: self._book_makeup(first))
        with_place, _seat = self._new_mail(lambda: self._book_makeup(second))
        self.assertIn("Your make-up session is booked.", text_of(without.body_html))
        self.assertNotIn("Place", text_of(without.body_html))
        self.assertIn("Place Pool 2", text_of(with_place.body_html))

    def test_cancelling_a_makeup_mails_the_client_once_without_a_calendar_file(self):
        seat = self._book_makeup(self.meeting)
        mail, _result = self._new_mail(lambda: self._cancel_makeup(seat))
        self.assertEqual(mail.subject, self._subject("mail_template_makeup_cancelled"))
        self.assertEqual(mail.recipient_ids, self.patient)
        self.assertIn("יום רביעי 4 מרץ 2026", text_of(mail.body_html))
        self.assertIn("20:00", text_of(mail.body_html))
        self.assertIn(self.group_b.name, text_of(mail.body_html))
        self.assertFalse(mail.attachment_ids)

    def test_a_makeup_refused_for_a_full_meeting_mails_nobody(self):
        for login in ("third_client", "fourth_client"):
            self._book_makeup(self.meeting, self._enroll(
                self.env, self._client(self.env, login), self.group_a))
        before = self.env["mail.mail"].search([])
        with self.assertRaisesRegex(UserError, "This meeting is full"):
            self._book_makeup(self.meeting)
        self.assertEqual(self.env["mail.mail"].search([]), before)

    def test_a_makeup_refused_once_the_allowance_is_used_mails_nobody(self):
        self.company.clinic_portal_makeup_sessions = 1
        self._new_mail(lambda: self._book_makeup(self.meeting))
        before = self.env["mail.mail"].search([])
        with self.assertRaisesRegex(UserError, "used all 1 make-up sessions"):
            self._book_makeup(self.group_b.meeting_ids.sorted("start")[1])
        self.assertEqual(self.env["mail.mail"].search([]), before)

    def test_a_client_without_an_email_address_books_without_a_mail(self):
        self.patient.email = False
        before = self.env["mail.mail"].search([])
        seat = self._book_makeup(self.meeting)
        self._cancel_makeup(seat)
        self.assertEqual(seat.state, "cancelled")
        self.assertEqual(self.env["mail.mail"].search([]), before)


@tagged("post_install", "-at_install")
class TestCourseMailsPortal(CourseSetup, HttpCase):
    """Booking a make-up session on the courses page mails the client, and the page says so."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_courses(cls.env, first_evening())
        cls.company.sudo().clinic_portal_min_hours_new = 0

    def test_the_courses_page_says_the_confirmation_was_mailed(self):
        self.authenticate("booking_patient", "booking_patient")
        page = self.url_open("/my/courses").text
        csrf = re.search(r'csrf_token: "([^"]+)"', page).group(1)
        meeting = self.group_b.meeting_ids.sorted("start")[1]
        booked = self.url_open(f"/my/courses/{self.enrollment.id}/makeup",
                               data={"csrf_token": csrf, "meeting": meeting.id})
        self.assertEqual(booked.status_code, 200)
        self.assertIn("Your make-up session is booked.", booked.text)
        self.assertIn("A confirmation was sent to you by e-mail.", booked.text)
        mails = self.env["mail.mail"].search([("recipient_ids", "in", self.patient.ids)])
        self.assertEqual(len(mails), 1)
        self.assertIn(self.group_b.name, text_of(mails.body_html))
