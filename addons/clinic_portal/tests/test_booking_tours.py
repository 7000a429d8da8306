import base64
import re
from datetime import UTC, datetime, timedelta

import vobject
from lxml import html

from odoo.tests import HttpCase, tagged
from odoo.tools import file_path, format_datetime
from odoo.tools.translate import PoFileReader

from ..controllers.portal import format_start
from .booking_common import BookingSetup
from .journey_common import JourneyCounter
from .payment_common import TOTAL, BalanceSetup


def speak_hebrew(cls):
    """The booking set-up of ``cls`` in Hebrew and in Jerusalem, open round the clock."""
    hebrew = cls.env["res.lang"]._activate_lang("he_IL")
    cls.env["ir.module.module"]._load_module_terms(
        ["base", "web", "portal", "website", "payment", "clinic_pricelist_portal",
         "clinic_portal"], ["he_IL"], overwrite=True)
    website = cls.env["website"].get_current_website()
    website.language_ids |= hebrew
    cls.hours.attendance_ids.unlink()
    cls.hours.write({"tz": "Asia/Jerusalem", "attendance_ids": [
        (0, 0, {"name": f"d{day}", "dayofweek": str(day), "hour_from": 0.0,
                "hour_to": 23.99, "day_period": "morning"}) for day in range(7)]})
    (cls.staff | cls.staff2).tz = "Asia/Jerusalem"
    cls.service.product_tmpl_id.clinic_staff_user_ids = cls.staff
    cls.patient_user.write({"lang": "he_IL", "tz": "Asia/Jerusalem"})


def text_of(markup):
    """The text a reader sees in an HTML mail, its whitespace collapsed."""
    return " ".join(html.fromstring(markup).text_content().split())


def hebrew_term(field, xmlid):
    """The Hebrew of one of our records' ``field`` (``model,field``), read from he.po."""
    for entry in PoFileReader(file_path("clinic_portal/i18n/he.po")):
        if entry.get("name") == field and entry.get("imd_name") == xmlid and entry["value"]:
            return entry["value"]
    raise AssertionError(f"he.po has no Hebrew for {field} of {xmlid}")


@tagged("post_install", "-at_install")
class TestBookingToursHebrew(JourneyCounter, BookingSetup, HttpCase):
    """A Hebrew-speaking patient on the portal, in Chromium, right-to-left."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        speak_hebrew(cls)

    def _tour(self, url, name):
        self.start_tour(f"/he{url}", name, login="booking_patient")

    def _counted(self, url, name):
        return self._counted_tour(f"/he{url}", name, login="booking_patient")

    def _mails_to_patient(self):
        return self.env["mail.mail"].search(
            ["|", ("recipient_ids", "in", self.patient.ids),
             ("email_to", "ilike", self.patient.email)])

    def _one_new_mail(self, before, event, template_xmlid):
        """The one mail to the patient since ``before``: the template's, in Hebrew, to them."""
        mail = self._mails_to_patient() - before
        self.assertEqual(len(mail), 1, mail.mapped("subject"))
        self.assertEqual([to for outgoing in mail._prepare_outgoing_list()
                          for to in outgoing["email_to_normalized"]], [self.patient.email])
        template = self.env.ref(f"clinic_portal.{template_xmlid}").with_context(lang="he_IL")
        self.assertEqual(mail.subject, template._render_field("subject", event.ids)[event.id])
        self.assertIn(text_of(template._render_field("body_html", event.ids)[event.id]),
                      text_of(mail.body_html))
        # Our own Hebrew text, not the English one, read right to left.
        english = template.with_context(lang="en_US")._render_field("body_html", event.ids)
        self.assertNotIn(text_of(english[event.id]), text_of(mail.body_html))
        self.assertIn('dir="rtl"', mail.body_html)
        self.assertIn('<html lang="he_IL">', mail.body_html)
        self.assertIn(hebrew_term("ir.model,name", "model_calendar_event"), text_of(mail.body_html))
        day = format_datetime(self.env, event.start, tz=self.patient.tz,
                              dt_format="EEEE d MMMM y", lang_code="he_IL")
        self.assertNotEqual(day, format_datetime(self.env, event.start, tz=self.patient.tz,
                                                 dt_format="EEEE d MMMM y", lang_code="en_US"))
        self.assertIn(day, text_of(mail.body_html))
        return mail

    def _ics_of(self, mail):
        ics = mail.attachment_ids.filtered(lambda a: a.mimetype == "text/calendar").ensure_one()
        return vobject.readOne(base64.b64decode(ics.datas).decode()).vevent

    def _assert_ics_of(self, mail, event):
        """The mail's .ics puts the appointment at its start, written in UTC."""
        vevent = self._ics_of(mail)
        self.assertEqual(vevent.dtstart.value, event.start.replace(tzinfo=UTC))
        self.assertEqual(vevent.dtstart.serialize().strip(),
                         f"DTSTART:{event.start:%Y%m%dT%H%M%S}Z")

    def _mine(self):
        return self.env["calendar.event"].with_context(active_test=False).search(
            [("clinic_patient_id", "=", self.patient.id)])

    def test_the_login_page_odoo_leaves_in_english_is_hebrew(self):
        login = self.url_open("/he/web/login").text
        self.assertIn('placeholder="נא להזין את כתובת הדוא״ל"', login)
        self.assertIn('placeholder="נא להזין את הסיסמה"', login)
        self.assertNotIn("Enter your", login)

    def test_the_times_heading_names_the_day_once_in_hebrew(self):
        self.authenticate("booking_patient", "booking_patient")
        page = self.url_open(f"/he/my/appointments/book?service={self.service.id}"
                             f"&staff={self.staff.id}").text
        day = re.search(r'data-day="([\d-]+)"', page).group(1)
        times = self.url_open(f"/he/my/appointments/book?service={self.service.id}"
                              f"&staff={self.staff.id}&day={day}").text
        heading = text_of(re.search(r'<h5 id="o_clinic_times".*?</h5>', times, re.S).group(0))
        self.assertTrue(heading.startswith("בחירת שעה"), heading)
        self.assertNotIn("ביום יום", heading, "the day's name is said once")

    def test_tour_book_reschedule_cancel_each_mail_the_patient_in_hebrew(self):
        mails = self._mails_to_patient()
        self._counted("/my/appointments", "clinic_portal_book_he")
        event = self._mine()
        self.assertEqual(len(event), 1)
        self.assertEqual(event.user_id, self.staff)
        self.assertTrue(event.clinic_portal_booked)
        booked = self._one_new_mail(mails, event, "mail_template_appointment_booked")
        self._assert_ics_of(booked, event)

        mails, before = self._mails_to_patient(), event.start
        self._counted(event._clinic_portal_url(), "clinic_portal_reschedule_he")
        self.assertGreater(event.start, before)
        self.assertTrue(event.active)
        moved = self._one_new_mail(mails, event, "mail_template_appointment_rescheduled")
        self.assertEqual(self._ics_of(moved).uid.value, self._ics_of(booked).uid.value,
                         "The same calendar entry moves, no second one")
        self._assert_ics_of(moved, event)

        mails = self._mails_to_patient()
        self._counted(event._clinic_portal_url(), "clinic_portal_cancel_he")
        self.assertFalse(event.active)
        self.assertEqual(event.clinic_cancel_reason, 'אני בחו"ל')
        cancelled = self._one_new_mail(mails, event, "mail_template_appointment_cancelled")
        # A METHOD:CANCEL is honoured only for an invitation tracked from its organizer: the
        # patient imported ours, so the mail has no .ics and asks to remove the entry.
        self.assertFalse(cancelled.attachment_ids)

    def test_tour_refused_for_minimum_notice(self):
        soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=2)
        self._tour(f"/my/appointments/book/confirm?service={self.service.id}"
                   f"&staff={self.staff.id}&start={format_start(soon)}",
                   "clinic_portal_refused_notice_he")
        self.assertFalse(self._mine())

    def test_tour_refused_for_future_appointment_limit(self):
        self.company.sudo().clinic_portal_future_limit = 1
        free = self._slots()[self.staff.id]
        self._book(free[0])
        self._tour(f"/my/appointments/book?service={self.service.id}&staff={self.staff.id}",
                   "clinic_portal_refused_limit_he")
        self._tour(f"/my/appointments/book/confirm?service={self.service.id}"
                   f"&staff={self.staff.id}&start={format_start(free[5])}",
                   "clinic_portal_refused_limit_submit_he")
        self.assertEqual(len(self._mine()), 1)

    def test_tour_refused_inside_the_change_window(self):
        self.company.sudo().clinic_portal_min_hours_new = 0
        soon = self._slots()[self.staff.id][2]  # two or three hours from now
        event = self._book(soon)
        self._tour(event._clinic_portal_url(), "clinic_portal_refused_change_window_he")
        self.assertTrue(event.active)

    def test_tour_a_logged_out_link_logs_in_and_opens_the_appointment(self):
        event = self._book(self._slots()[self.staff.id][100])
        self.start_tour(f"/he{event._clinic_portal_url()}", "clinic_portal_logged_out_link_he",
                        login=None)

    def test_tour_a_form_due_is_filled_and_the_booking_goes_on(self):
        survey = self.env["survey.survey"].create({
            "title": "Tour consent", "questions_layout": "one_page", "access_mode": "public",
            "lang_ids": False,  # every language: the client's own
            "question_and_page_ids": [(0, 0, {"title": "Do you agree?",
                                                "question_type": "char_box"})],
        })
        self.service.product_tmpl_id.clinic_required_survey_id = survey
        self._counted("/my/appointments/book", "clinic_portal_form_then_booking_he")
        self.assertIn(survey, self.patient._clinic_completed_forms())
        event = self._mine()
        self.assertEqual(event.clinic_product_id, self.service, "booked at the time chosen")


@tagged("post_install", "-at_install")
class TestPrepaymentTourHebrew(JourneyCounter, BalanceSetup, HttpCase):
    """A Hebrew-speaking patient prepays a consultation on the Demo provider, in Chromium."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_prepayment(cls.env)
        speak_hebrew(cls)
        cls.consultation.product_tmpl_id.clinic_staff_user_ids = cls.staff

    def test_tour_prepay_and_book(self):
        self.start_tour(f"/he/my/appointments/book?service={self.consultation.id}",
                        "clinic_portal_prepay_he", login="booking_patient")
        event = self.env["calendar.event"].search([("clinic_patient_id", "=", self.patient.id)])
        self.assertEqual(event.clinic_payment_state, "paid")
        self.assertEqual(event.user_id, self.staff)
        self.assertEqual(event.clinic_transaction_id.provider_id, self.provider)
        self.assertIn(event.clinic_invoice_id.payment_state, ("paid", "in_payment"))

    def test_tour_prepay_and_book_on_one_page(self):
        self._counted_tour("/he/my/appointments/book", "clinic_portal_one_page_prepay_he",
                           login="booking_patient")
        event = self.env["calendar.event"].search([("clinic_patient_id", "=", self.patient.id)])
        self.assertEqual(event.clinic_payment_state, "paid")
        self.assertEqual(event.clinic_product_id, self.consultation)
        self.assertEqual(event.clinic_transaction_id.provider_id, self.provider)

    def test_tour_book_on_balance(self):
        self.company.clinic_portal_skip_payment_with_balance = True
        balance = self._credit_note(400.0)
        self.start_tour(f"/he/my/appointments/book?service={self.consultation.id}",
                        "clinic_portal_balance_he", login="booking_patient")
        event = self.env["calendar.event"].search([("clinic_patient_id", "=", self.patient.id)])
        self.assertEqual(event.clinic_payment_state, "paid")
        self.assertTrue(event.clinic_paid_from_balance)
        self.assertFalse(event.clinic_transaction_ids)
        self.assertIn(event.clinic_invoice_id.payment_state, ("paid", "reversed"))
        self.assertEqual(event.clinic_invoice_id.amount_residual, 0.0)
        self.assertAlmostEqual(self._open_credit(balance), 400.0 - TOTAL)

    def test_tour_cancel_a_paid_appointment_and_see_the_credit_note(self):
        event = self._hold(self._slots(product=self.consultation)[self.staff.id][30])
        tx = self._pay(event)
        self.start_tour(f"/he{event._clinic_portal_url()}", "clinic_portal_cancel_paid_he",
                        login="booking_patient")
        self.assertFalse(event.active)
        self.assertEqual(event.clinic_payment_state, "cancel_refunded")
        credit_note = event.clinic_invoice_ids.filtered(lambda m: m.move_type == "out_refund")
        self.assertEqual(credit_note.state, "posted")
        self.assertEqual(credit_note.reversed_entry_id, event.clinic_invoice_id)
        self.assertEqual(event.clinic_invoice_id.payment_state, "reversed")
        refund = tx.child_transaction_ids
        self.assertEqual((refund.operation, refund.state), ("refund", "done"))
        self.assertAlmostEqual(refund.amount, -TOTAL)
