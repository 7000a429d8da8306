from datetime import date

from odoo.tests import HttpCase, tagged

from .. import const
from .guarantee_common import GuaranteeSetup
from .journey_common import JourneyCounter
from .test_booking_tours import speak_hebrew

# What the mother types in the tour (clinic_portal_family_tours.js).
CHILD_NAME = "יואב כהן"
CHILD_NATIONAL_ID = "327654323"
HEALTH_FORM = "הצהרת בריאות"


@tagged("post_install", "-at_install")
class TestFamilyTours(JourneyCounter, GuaranteeSetup, HttpCase):
    """In Hebrew, in Chromium: a mother adds her child, fills the child's health form, books
    the child's appointment with a card guarantee on her own card, and sees it listed under
    the child."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_guarantee(cls.env)
        speak_hebrew(cls)
        # Odoo's own words of the form pages, in Hebrew too.
        cls.env["ir.module.module"]._load_module_terms(["survey"], ["he_IL"], overwrite=True)
        cls.physio.product_tmpl_id.clinic_staff_user_ids = cls.staff
        cls.mother = cls.patient
        cls.mother.write({"name": "מיכל כהן", "clinic_birthdate": date(1988, 4, 12)})
        # The clinic asks for a new client's national ID, a child's too.
        rows = cls.company.clinic_registration_field_ids
        rows.filtered(lambda row: row.field_name not in ("email", "national_id")).write(
            {"show": False, "required": False})
        rows.filtered(lambda row: row.field_name == "national_id").write(
            {"show": True, "required": True})
        # Every client fills in the health form once; the mother already filled in hers.
        cls.health_form = cls.env["survey.survey"].create({
            "title": HEALTH_FORM, "questions_layout": "one_page", "access_mode": "public",
            "lang_ids": False,  # every language: the client's own
            "question_and_page_ids": [
                (0, 0, {"title": "שם המטופל/ת", "question_type": "char_box",
                        "clinic_prefill": "name", "sequence": 1}),
                (0, 0, {"title": "מספר זהות", "question_type": "char_box",
                        "clinic_prefill": "national_id", "sequence": 2}),
                (0, 0, {"title": "האם יש רגישות לתרופות?", "question_type": "char_box",
                        "sequence": 3}),
            ],
        })
        cls.company.clinic_mandatory_form_ids = [
            (0, 0, {"survey_id": cls.health_form.id, "frequency": "once", "audience": "all"})]
        cls.health_form._create_answer(partner=cls.mother)._mark_done()

    def test_tour_a_mother_adds_her_child_fills_the_form_and_books_on_her_card(self):
        self.assertFalse(self.mother._clinic_forms_due(), "the mother's own form is filled in")
        self._counted_tour("/he/my/family", "clinic_portal_family_child_he",
                           login="booking_patient")
        child = self.mother._clinic_dependants()
        self.assertEqual(child.name, CHILD_NAME)
        self.assertEqual(child.clinic_national_id, CHILD_NATIONAL_ID)
        self.assertFalse(child.user_ids, "a child gets no login of their own")
        # The health form is the child's answer, done.
        answer = self.env["survey.user_input"].search(
            [("survey_id", "=", self.health_form.id), ("partner_id", "!=", self.mother.id)])
        self.assertEqual(answer.partner_id, child)
        self.assertEqual(answer.state, "done")
        self.assertEqual(
            {line.question_id.title: line.value_char_box for line in answer.user_input_line_ids},
            {"שם המטופל/ת": CHILD_NAME, "מספר זהות": CHILD_NATIONAL_ID,
             "האם יש רגישות לתרופות?": "אין"},
            "the form starts with the child's details, not the mother's")
        self.assertFalse(child._clinic_forms_due(self.physio))
        # The appointment is the child's, kept on the mother's card, which she pays.
        event = self.env["calendar.event"].search([("clinic_patient_id", "=", child.id)])
        self.assertEqual(len(event), 1)
        self.assertEqual(event.clinic_product_id, self.physio)
        self.assertEqual(event.clinic_payer_id, self.mother)
        self.assertEqual(event.clinic_payment_state, const.PAYMENT_GUARANTEED)
        card = event.clinic_guarantee_token_id
        self.assertEqual(card.partner_id, self.mother)
        self.assertEqual(card.payment_details, "4242")
        self.assertEqual(card.provider_id, self.provider)
        self.assertFalse(event.clinic_invoice_ids, "nothing charged at booking")
        self.assertFalse(self.env["calendar.event"].search(
            [("clinic_patient_id", "=", self.mother.id)]), "nothing booked for the mother")
