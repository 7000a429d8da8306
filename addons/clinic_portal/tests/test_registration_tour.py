from urllib.parse import urlsplit

from lxml import html

from odoo.tests import HttpCase, tagged

from .booking_common import BookingSetup
from .journey_common import JourneyCounter


@tagged("post_install", "-at_install")
class TestRegistrationTour(JourneyCounter, BookingSetup, HttpCase):
    """A Hebrew-speaking prospect registers, fills the mandatory forms and books, in the
    browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)  # bookable staff and a free "Check-up" service
        lang = cls.env["res.lang"]._activate_lang("he_IL")
        cls.env["ir.module.module"]._load_module_terms(
            ["base", "web", "website", "portal", "auth_signup", "survey", "clinic_portal"],
            ["he_IL"])
        website = cls.env["website"].get_current_website()
        website.write({"language_ids": [(4, lang.id)], "default_lang_id": lang.id})
        cls.company = website.company_id
        rows = cls.company.clinic_registration_field_ids
        rows.filtered(lambda r: r.field_name != "email").write({"show": False, "required": False})
        rows.filtered(lambda r: r.field_name == "national_id").write(
            {"show": True, "required": True})
        forms = []
        for sequence, (title, frequency, audience) in enumerate(
                (("Tour health", "yearly", "all"), ("Tour nutrition", "once", "new_clients"),
                 ("Tour intake", "once", "all"))):
            survey = cls.env["survey.survey"].create({
                "title": title, "questions_layout": "one_page",
                "question_and_page_ids": [(0, 0, {"title": "How are you?",
                                                    "question_type": "char_box"})],
            })
            forms.append((0, 0, {"survey_id": survey.id, "frequency": frequency,
                                 "audience": audience,
                                 "sequence": sequence}))
        cls.company.write({"clinic_portal_enabled": True,
                           "clinic_portal_allow_registration": True,
                           "clinic_mandatory_form_ids": [(5, 0, 0), *forms]})

    def test_tour_prospect_registers_fills_the_forms_and_books(self):
        self._counted_tour("/he/clinic/register", "clinic_portal_registration", login=None)
        partner = self.env["res.partner"].search([("clinic_national_id", "=", "123456782")])
        self.assertEqual(len(partner), 1)
        self.assertEqual(partner.lang, "he_IL")
        self.assertFalse(partner.user_ids, "no account until the e-mailed link is used")
        mail = self.env["mail.mail"].search([("recipient_ids", "in", partner.ids)])
        self.assertEqual(len(mail), 1)
        self.assertIn("בחירת סיסמה", mail.body_html, "the e-mail is in the client's language")
        link = html.fromstring(mail.body_html).xpath("//a[contains(@href, '/web/signup')]")
        url = urlsplit(link[0].get("href"))
        # The first booking of a free service with three forms due, from the e-mailed link.
        self._counted_tour(f"{url.path}?{url.query}", "clinic_portal_registration_signup",
                           login=None)
        self.assertTrue(partner.user_ids)
        self.assertFalse(partner._clinic_forms_due())
        event = self.env["calendar.event"].search([("clinic_patient_id", "=", partner.id)])
        self.assertEqual(event.clinic_product_id, self.service)
