import re
from urllib.parse import parse_qs, urlsplit

from lxml import html

from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from ..controllers.portal import format_start
from .booking_common import BookingSetup
from .common import require_form


@tagged("post_install", "-at_install")
class TestJourneyPages(BookingSetup, HttpCase):
    """What the patient meets between the steps: links, time zones, prices, terms, language."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)
        cls._open_every_day()
        cls.company.partner_id.write({"street": "12 Herzl Street", "city": "Haifa"})

    def setUp(self):
        super().setUp()
        self.authenticate("booking_patient", "booking_patient")

    def _free_start(self, staff=None, skip=0):
        return self._slots(staff=staff)[(staff or self.staff).id][skip]

    def _confirm_page(self, start, staff):
        return self.url_open(
            f"/my/appointments/book/confirm?service={self.service.id}&staff={staff}"
            f"&start={format_start(start)}").text

    # --- 3. a link opened while logged out -----------------------------------------------
    def test_a_logged_out_link_asks_to_log_in_then_opens_the_appointment(self):
        event = self._book(self._free_start())
        self.logout()
        response = self.url_open(event._clinic_portal_url(), allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        location = urlsplit(response.headers["Location"])
        self.assertEqual(location.path, "/web/login")
        self.assertEqual(parse_qs(location.query)["redirect"], [event._clinic_portal_url()])
        self.assertNotIn("Check-up", response.text)
        self.authenticate("booking_patient", "booking_patient")
        page = self.url_open(parse_qs(location.query)["redirect"][0])
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_clinic_appointment_detail", page.text)

    def test_a_logged_out_visitor_cannot_tell_an_appointment_from_no_appointment(self):
        event = self._book(self._free_start())
        self.logout()
        real = self.url_open(event._clinic_portal_url(), allow_redirects=False)
        missing = self.url_open("/my/appointments/999999999", allow_redirects=False)
        self.assertEqual(real.status_code, missing.status_code)
        self.assertEqual(real.headers["Location"].replace(str(event.id), "ID"),
                         missing.headers["Location"].replace("999999999", "ID"))

    # --- 5. time zones ----------------------------------------------------------------------
    def test_a_patient_without_a_time_zone_gets_the_browsers_on_the_first_visit(self):
        self.patient_user.tz = False
        self.opener.cookies.set("tz", "Asia/Jerusalem")
        page = self.url_open("/my/appointments").text
        self.assertEqual(self.patient.tz, "Asia/Jerusalem")
        self.assertIn("(Israel Time)", page, "the zone by the name people use")

    def test_a_forged_browser_time_zone_is_ignored_and_the_clinics_is_shown(self):
        self.patient_user.tz = False
        self.env.company.resource_calendar_id.tz = "Asia/Jerusalem"
        self.opener.cookies.set("tz", "Mars/Olympus")
        page = self.url_open("/my/appointments").text
        self.assertFalse(self.patient.tz)
        self.assertIn("(Israel Time)", page)
        self.assertNotIn("(UTC)", page)
        self.assertNotIn("Asia/Jerusalem", page, "not its database name")

    def test_the_confirm_page_names_the_time_zone(self):
        self.assertIn("UTC", self._confirm_page(self._free_start(), self.staff.id))

    # --- 6. days and times on a phone -------------------------------------------------------
    def test_a_day_button_says_how_many_times_and_leads_to_them(self):
        page = self.url_open(
            f"/my/appointments/book?service={self.service.id}&staff={self.staff.id}").text
        day = re.search(r'data-day="([\d-]+)"', page).group(1)
        button = re.search(r'<a [^>]*data-day="%s"[^>]*>(.*?)</a>' % day, page, re.S)
        self.assertIn("#o_clinic_times", re.search(r'href="([^"]+)"', button.group(0)).group(1))
        # The first day open may have one time left or many, by the hour the tests run.
        count = int(re.search(r"(\d+) free times?\b", button.group(1)).group(1))
        times = self.url_open(f"/my/appointments/book?service={self.service.id}"
                              f"&staff={self.staff.id}&day={day}").text
        self.assertIn('id="o_clinic_times"', times)
        self.assertEqual(len(re.findall(r'class="[^"]*o_clinic_time[ "][^>]*data-start=', times)),
                         count, "the button counts the times the day shows")

    # --- 7. price, place, terms, who ------------------------------------------------------
    def test_the_confirm_page_shows_price_address_and_change_terms(self):
        self.service.list_price = 0.0
        page = self._confirm_page(self._free_start(), self.staff.id)
        self.assertIn("Free", page)
        self.assertIn("Herzl", page)
        self.assertIn("up to 24 hours before it starts", page)
        self.service.list_price = 150.0
        page = self._confirm_page(self._free_start(), self.staff.id)
        self.assertNotIn(">Free<", page)
        self.assertIn("150.00", page)

    def test_any_available_is_named_before_booking(self):
        start = self._free_start()
        page = self._confirm_page(start, "any")
        staff = re.search(r'o_clinic_confirm_staff"[^>]*>([^<]+)<', page).group(1)
        self.assertIn(staff, (self.staff.name, self.staff2.name))

    def test_the_appointment_page_shows_price_address_and_terms(self):
        event = self._book(self._free_start())
        page = self.url_open(event._clinic_portal_url()).text
        self.assertIn("Herzl", page)
        self.assertIn("o_clinic_price", page)
        self.assertIn("up to 24 hours before it starts", page)

    def test_rescheduling_does_not_offer_the_current_time_and_shows_it_first(self):
        start = self._free_start(skip=30)
        event = self._book(start)
        day = start.date().isoformat()
        page = self.url_open(f"{event._clinic_portal_url()}/reschedule?day={day}").text
        self.assertIn("o_clinic_current_time", page)
        self.assertNotIn(f'data-start="{format_start(start)}"', page)
        self.assertIn('data-start="', page)

    # --- after booking: the confirmation mail ----------------------------------------------
    def _booked_notice(self, event):
        page = self.url_open(f"{event._clinic_portal_url()}?message=booked").text
        return re.search(r'class="[^"]*o_clinic_booked[^"]*"[^>]*>(.*?)</div>', page, re.S).group(1)

    def test_the_booked_page_tells_of_the_confirmation_mail_sent_to_the_patient(self):
        notice = self._booked_notice(self._book(self._free_start()))
        self.assertIn("Your appointment is booked.", notice)
        self.assertIn("A confirmation was sent to you by e-mail.", notice)

    def test_the_booked_page_promises_no_mail_to_a_patient_without_an_e_mail(self):
        self.patient.email = False
        notice = self._booked_notice(self._book(self._free_start()))
        self.assertIn("Your appointment is booked.", notice)
        self.assertNotIn("e-mail", notice)

    # --- 9. phone numbers -------------------------------------------------------------------
    def test_the_clinics_phone_is_a_tap_to_call_link(self):
        self.company.clinic_portal_self_scheduling = False
        page = self.url_open("/my/appointments").text
        self.assertIn('href="tel:+97235550100"', page)

    def test_a_refusal_message_links_the_phone(self):
        self.company.clinic_portal_allow_reschedule = False
        self.company.clinic_portal_allow_cancel = False
        event = self._book(self._free_start())
        page = self.url_open(event._clinic_portal_url()).text
        self.assertIn('href="tel:+97235550100"', page)

    # --- 2. the patient's language ----------------------------------------------------------
    def _offer_hebrew(self):
        hebrew = self.env["res.lang"]._activate_lang("he_IL")
        self.env["website"].get_current_website().language_ids |= hebrew

    def _csrf(self, url):
        return re.search(r'name="csrf_token" value="([^"]+)"', self.url_open(url).text).group(1)

    def test_a_client_logs_in_to_the_site_in_their_own_language(self):
        self._offer_hebrew()
        self.patient_user.lang = "he_IL"
        self.logout()
        response = self.url_open("/web/login", data={
            "login": "booking_patient", "password": "booking_patient",
            "redirect": "/my/appointments", "csrf_token": self._csrf("/web/login"),
        }, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(urlsplit(response.headers["Location"]).path, "/he/my/appointments")

    def test_the_login_page_offers_its_other_ways_in_hebrew(self):
        self._offer_hebrew()
        self.env["ir.module.module"]._load_module_terms(
            ["web", "auth_passkey", "clinic_portal"], ["he_IL"], overwrite=True)
        self.logout()
        page = self.url_open("/he/web/login").text
        other_ways = re.search(r'class="o_login_auth">(.*?)</div>\s*</div>', page, re.S).group(1)
        self.assertIn("- או -", other_ways)
        self.assertIn("שימוש במפתח גישה", other_ways)
        self.assertNotIn("- or -", other_ways)
        self.assertNotIn("Use a Passkey", other_ways)

    def test_the_client_chooses_their_language_in_my_account(self):
        self._offer_hebrew()
        page = self.url_open("/my/account").text
        self.assertIn('value="he_IL"', page)
        response = self.url_open("/my/account/language", data={
            "lang": "he_IL", "csrf_token": self._csrf("/my/account")}, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(urlsplit(response.headers["Location"]).path, "/he/my/account")
        self.assertEqual(self.patient_user.lang, "he_IL")

    def test_a_language_the_site_does_not_offer_is_refused_with_a_message(self):
        lang = self.patient_user.lang
        response = self.url_open("/my/account/language", data={
            "lang": "xx_XX", "csrf_token": self._csrf("/my/account")})
        self.assertEqual(response.status_code, 200)
        self.assertIn("Choose one of the languages of the list.", response.text)
        self.assertEqual(self.patient_user.lang, lang)

    # --- 4. mandatory forms -----------------------------------------------------------------
    def _required_form(self):
        return require_form(self.env, self.service, "Consent before check-up")

    def test_a_due_form_is_linked_from_the_step_it_blocks(self):
        survey = self._required_form()
        page = self.url_open(f"/my/appointments/book?service={self.service.id}").text
        link = f"/my/forms/{survey.id}?service={self.service.id}"
        self.assertIn(link, page.replace("&amp;", "&"))
        response = self.url_open(link, allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn(survey.get_start_url(), response.headers["Location"])

    def test_the_forms_last_page_leads_back_to_the_booking(self):
        survey = self._required_form()
        self.url_open(f"/my/forms/{survey.id}?service={self.service.id}", allow_redirects=False)
        answer = survey.sudo()._create_answer(partner=self.patient)
        answer._mark_done()
        page = self.url_open(f"/survey/{survey.access_token}/{answer.access_token}").text
        self.assertIn("o_clinic_back_to_booking", page)
        self.assertIn(f"/my/appointments/book?service={self.service.id}", page)  # /en/… here

    def test_a_form_opens_in_the_portals_language_with_what_the_clinic_knows(self):
        self._offer_hebrew()
        survey = self._required_form()
        survey.lang_ids = self.env.ref("base.lang_en")  # written in English only
        name, birthdate, reason = survey.question_ids.create([
            {"survey_id": survey.id, "title": "Full name", "question_type": "char_box",
             "clinic_prefill": "name", "sequence": 1},
            {"survey_id": survey.id, "title": "Date of birth", "question_type": "date",
             "clinic_prefill": "birthdate", "sequence": 2},
            {"survey_id": survey.id, "title": "Anything else?", "question_type": "char_box",
             "clinic_prefill": "national_id", "sequence": 3},  # not known: left empty
        ])
        self.patient.clinic_birthdate = "1985-04-12"
        response = self.url_open(f"/he/my/forms/{survey.id}?service={self.service.id}")
        self.assertEqual(urlsplit(response.url).path.split("/")[1], "he",
                         "the form opens in the language of the portal page")
        answer = self.env["survey.user_input"].search(
            [("survey_id", "=", survey.id), ("partner_id", "=", self.patient.id)])
        self.assertEqual(len(answer), 1)
        self.assertEqual(answer.lang_id.code, "he_IL")
        lines = {line.question_id: line for line in answer.user_input_line_ids}
        self.assertEqual(lines[name].value_char_box, self.patient.name)
        self.assertEqual(str(lines[birthdate].value_date), "1985-04-12")
        self.assertNotIn(reason, lines)
        # Opened again, the same unfinished answer is resumed, its answers kept.
        lines[name].value_char_box = "Corrected Name"
        self.url_open(f"/my/forms/{survey.id}?service={self.service.id}")
        self.assertEqual(answer, self.env["survey.user_input"].search(
            [("survey_id", "=", survey.id), ("partner_id", "=", self.patient.id)]))
        self.assertEqual(lines[name].value_char_box, "Corrected Name")
        # The form is a page of the clinic's site: its header and footer around it.
        page = html.fromstring(self.url_open(
            f"/he/survey/{survey.access_token}/{answer.access_token}").content)
        self.assertTrue(page.xpath("//header[@id='top']//nav"), "the site's menu")
        self.assertTrue(page.xpath("//footer[@id='bottom']"), "the site's footer")
        self.assertTrue(page.xpath("//main//form[hasclass('o_survey-fill-form')]"))
        self.assertTrue(page.xpath("//*[hasclass('o_survey_navigation_wrapper')]"))
        # The first page shows the answers filled in, for the patient to check.
        _correct, begun = self.make_jsonrpc_request(
            f"/survey/begin/{survey.access_token}/{answer.access_token}", {})
        first_page = html.fromstring(begun["survey_content"])
        self.assertEqual(first_page.xpath(
            f"//input[@name='{name.id}']/@value"), ["Corrected Name"])

    def test_a_form_filled_in_with_what_the_clinic_knows_is_sent_as_checked(self):
        survey = self._required_form()  # one question a page, as Odoo's forms are by default
        consent = survey.question_ids
        name, last = survey.question_ids.create([
            {"survey_id": survey.id, "title": "Full name", "question_type": "char_box",
             "clinic_prefill": "name", "sequence": 1},
            {"survey_id": survey.id, "title": "Anything else?", "question_type": "char_box",
             "sequence": 20},
        ])
        self.url_open(f"/my/forms/{survey.id}?service={self.service.id}")
        answer = self.env["survey.user_input"].search(
            [("survey_id", "=", survey.id), ("partner_id", "=", self.patient.id)])
        self.assertEqual(answer.user_input_line_ids.value_char_box, self.patient.name)
        tokens = f"{survey.access_token}/{answer.access_token}"

        def send(question, value):
            return self.make_jsonrpc_request(f"/survey/submit/{tokens}", {
                "question_id": question.id, str(question.id): value})

        self.make_jsonrpc_request(f"/survey/begin/{tokens}", {})
        # The patient corrects what was filled in for them, and goes on.
        send(name, "Booking Patient-Levi")
        send(consent, "Yes")
        # Odoo's rule stands for the answers the patient gave: a page sent is not sent again.
        with self.assertRaises(JsonRpcException), mute_logger("odoo.http"):
            send(consent, "No")
        send(last, "No")
        self.assertEqual(answer.state, "done")
        self.assertEqual({line.question_id: line.value_char_box
                          for line in answer.user_input_line_ids},
                         {name: "Booking Patient-Levi", consent: "Yes", last: "No"})
        self.assertNotIn(survey, self.patient._clinic_forms_due(self.service))

    def test_a_form_that_is_not_due_is_not_opened(self):
        survey = self._required_form()
        other = self.env["survey.survey"].create({"title": "Staff only", "access_mode": "token"})
        self.assertEqual(self.url_open(f"/my/forms/{other.id}").status_code, 404)
        survey.sudo()._create_answer(partner=self.patient)._mark_done()
        self.assertEqual(self.url_open(
            f"/my/forms/{survey.id}?service={self.service.id}").status_code, 404)

    # --- 8. registration: the e-mailed link's page says what it is for -----------------------
    def test_the_password_page_of_the_emailed_link_has_a_heading(self):
        newcomer = self.env["res.partner"].create({"name": "New Client",
                                                   "email": "new.client@example.com"})
        newcomer.signup_prepare()
        url = newcomer._get_signup_url_for_action(url="/my")[newcomer.id]
        self.logout()
        page = self.url_open(url).text
        self.assertIn("o_clinic_signup_heading", page)
        self.assertIn("Choose your password", page)
        self.assertIn("new.client@example.com", page)

    def test_the_password_page_speaks_hebrew_to_a_hebrew_client(self):
        self._offer_hebrew()
        self.env["ir.module.module"]._load_module_terms(
            ["web", "auth_signup", "clinic_portal"], ["he_IL"], overwrite=True)
        newcomer = self.env["res.partner"].create({"name": "New Client", "lang": "he_IL",
                                                   "email": "new.client@example.com"})
        newcomer.signup_prepare()
        url = urlsplit(newcomer._get_signup_url_for_action(url="/my")[newcomer.id])
        self.logout()
        form = html.fromstring(self.url_open(f"/he{url.path}?{url.query}").content).xpath(
            "//form[hasclass('oe_signup_form')]")[0]
        self.assertEqual(form.xpath("string(.//button[@type='submit'])").strip(),
                         "שמירת הסיסמה שלי")
        self.assertEqual(form.xpath(".//input[@name='name']/@placeholder"), ["שם פרטי ושם משפחה"])
        login = form.xpath(".//input[@name='login']")[0]
        self.assertEqual((login.get("readonly"), login.get("value")),
                         ("readonly", "new.client@example.com"))
        self.assertEqual(form.xpath(".//button[hasclass('o_show_password')]/@aria-label"),
                         ["הצגת הסיסמה", "הצגת הסיסמה"])
        self.assertFalse(form.xpath(".//a[contains(@href, '/web/login')]"),
                         "no 'already have an account?' for someone who has none yet")
