from datetime import datetime, timedelta

import pytz

from odoo.tests import TransactionCase, freeze_time, tagged

from .booking_common import NOW

ISRAEL = pytz.timezone("Asia/Jerusalem")
BOOKABLE = ("user_dani_arviv", "user_maya_cohen", "user_yossi_levi")


@tagged("post_install", "-at_install")
class TestDemoClinic(TransactionCase):
    """The demo data mirrors the seed's example clinic, a company of its own (the test tier
    installs with demo). The tests work in the clinic, as its front desk does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clinic = cls.env.ref("clinic_portal.demo_company_clinic")
        cls.env = cls.env["res.company"].with_company(cls.clinic).env
        cls.noa = cls.env.ref("clinic_portal.partner_noa_mizrahi")

    def _password_works(self, user, password):
        auth = user.with_user(user)._check_credentials(
            {"type": "password", "password": password}, {"interactive": False})
        return auth["uid"] == user.id

    def test_demo_clinic_is_a_company_of_its_own_that_counts_in_shekels(self):
        main = self.env.ref("base.main_company")
        self.assertNotEqual(self.clinic, main)
        self.assertNotEqual(main.name, "Our Clinic")
        self.assertFalse(main.clinic_portal_enabled)
        self.assertEqual(self.clinic.currency_id.name, "ILS")
        self.assertTrue(self.clinic.chart_template)
        sales = self.env["account.journal"].search(
            [("company_id", "=", self.clinic.id), ("type", "=", "sale")])
        self.assertIn(self.clinic.clinic_portal_issuer_journal_id, sales)
        for xmlid in ("pricelist_clinic_ils", "department_general", "resource_calendar_clinic"):
            self.assertEqual(self.env.ref(f"clinic_portal.{xmlid}").company_id, self.clinic)
        admin = self.env.ref("base.user_admin")
        self.assertLessEqual(main | self.clinic, admin.company_ids)

    def test_demo_hospital_is_another_company_that_counts_in_dong(self):
        hospital = self.env.ref("crm_isc_sync.demo_company_hospital", raise_if_not_found=False)
        if not hospital:
            self.skipTest("crm_isc_sync's demo is not installed")
        self.assertNotIn(hospital, (self.clinic, self.env.ref("base.main_company")))
        self.assertEqual(hospital.currency_id.name, "VND")
        self.assertIn(hospital, self.env.ref("base.user_admin").company_ids)

    def test_demo_settings_are_the_seed_example(self):
        company = self.clinic
        self.assertEqual(company.name, "Our Clinic")
        self.assertTrue(company.clinic_portal_enabled)
        self.assertEqual(company.clinic_portal_min_hours_new, 48)
        self.assertEqual(company.clinic_portal_min_hours_change, 24)
        self.assertEqual(company.clinic_portal_new_client_department_id.name, "General")
        self.assertEqual(company._clinic_portal_new_client_company(), company)
        self.assertEqual(company.clinic_portal_new_client_status_id,
                         self.env.ref("clinic_portal.client_status_interested"))
        shown = company.clinic_registration_field_ids.filtered("show").mapped("field_name")
        self.assertCountEqual(shown, ["birthdate", "national_id", "gender", "home_phone",
                                      "email", "health_fund"])

    def test_demo_forms_for_everyone_and_the_intake_for_the_consultation_only(self):
        forms = self.clinic.clinic_mandatory_form_ids.sorted("sequence")
        self.assertEqual(
            [(form.survey_id.title, form.frequency, form.audience) for form in forms],
            [("Health questionnaire", "yearly", "all"),
             ("Nutrition questionnaire", "once", "new_clients")])
        intake = self.env.ref("clinic_portal.survey_intake")
        consultation = self.env.ref("clinic_pricelist_portal.product_service_consultation")
        intro_call = self.env.ref("clinic_pricelist_portal.product_service_intro_call")
        noa = self.env.ref("clinic_portal.partner_noa_mizrahi")
        self.assertIn(intake, noa._clinic_forms_due(consultation.product_variant_id))
        self.assertNotIn(intake, noa._clinic_forms_due(intro_call.product_variant_id))
        self.assertEqual(
            intake.question_ids.filtered("clinic_prefill").mapped("clinic_prefill"),
            ["name", "birthdate", "phone"], "the intake starts with what the clinic knows")

    def test_demo_staff_three_bookable_one_not(self):
        bookable = self.env["res.users"].search([("clinic_portal_bookable", "=", True)])
        for xmlid in BOOKABLE:
            user = self.env.ref(f"clinic_portal.{xmlid}")
            self.assertIn(user, bookable)
            self.assertEqual(user.resource_calendar_id, self.clinic.resource_calendar_id)
        self.assertNotIn(self.env.ref("clinic_portal.user_rina_frontdesk"), bookable)

    def test_demo_services_cover_each_payment_kind(self):
        partner = self.noa
        payments = {}
        for xmlid in ("product_service_consultation", "product_service_physiotherapy",
                      "product_service_intro_call", "product_service_case_review"):
            product = self.env.ref(f"clinic_pricelist_portal.{xmlid}").product_variant_id
            offer = product._clinic_portal_offer(partner)
            payments[xmlid] = (offer["visible"], offer["payment"])
        self.assertEqual(payments, {
            "product_service_consultation": (True, "prepayment"),
            "product_service_physiotherapy": (True, "guarantee"),
            "product_service_intro_call": (True, "none"),
            "product_service_case_review": (False, "none"),
        })

    def test_demo_clinic_is_in_tel_aviv_open_sunday_to_thursday_israel_time(self):
        self.assertEqual((self.clinic.city, self.clinic.country_id.code), ("Tel Aviv", "IL"))
        hours = self.clinic.resource_calendar_id
        self.assertEqual(hours.tz, "Asia/Jerusalem")
        days = {dict(hours.attendance_ids._fields["dayofweek"].selection)[day]
                for day in hours.attendance_ids.mapped("dayofweek")}
        self.assertEqual(days, {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday"})

    @freeze_time(NOW)
    def test_demo_portal_offers_times_sunday_to_thursday_not_on_friday_or_saturday(self):
        availability = self.env["clinic.availability.engine"]
        maya = self.env.ref("clinic_portal.user_maya_cohen")
        physio = self.env.ref(
            "clinic_pricelist_portal.product_service_physiotherapy").product_variant_id

        def starts(day):
            """The times offered to Noa with Maya on ``day`` of March 2026, Israel time."""
            start = ISRAEL.localize(datetime(2026, 3, day))
            offered = availability._free_starts(self.noa, physio, maya, start,
                                                start + timedelta(days=1),
                                                self.env.company._clinic_portal_policy())[maya.id]
            return [t.astimezone(ISRAEL).strftime("%a %H:%M") for t in offered]

        # Now is Monday 2 March; bookings open 48 hours ahead.
        self.assertEqual(starts(5)[:1], ["Thu 08:00"])
        self.assertEqual(starts(6), [])
        self.assertEqual(starts(7), [])
        sunday = starts(8)
        self.assertEqual((sunday[0], sunday[-1]), ("Sun 08:00", "Sun 16:30"))
        self.assertNotIn("Sun 12:00", sunday)

    def test_demo_portal_prices_are_in_shekels(self):
        ils = self.env.ref("base.ILS")
        newcomer = self.env["res.partner"].create({"name": "New patient",
                                                   "company_id": self.clinic.id})
        for partner in (self.noa, newcomer):
            offers = {}
            for xmlid in ("product_service_consultation", "product_service_physiotherapy",
                          "product_service_intro_call"):
                product = self.env.ref(f"clinic_pricelist_portal.{xmlid}").product_variant_id
                offer = product._clinic_portal_offer(partner)
                offers[xmlid] = (offer["price"], offer["currency_id"])
            self.assertEqual(offers, {
                "product_service_consultation": (300.0, ils.id),
                "product_service_physiotherapy": (250.0, ils.id),
                "product_service_intro_call": (0.0, ils.id),
            }, partner.name)

    def test_demo_staff_and_patient_belong_to_the_clinic_and_log_in(self):
        rina = self.env.ref("clinic_portal.user_rina_frontdesk")
        noa = self.env.ref("clinic_portal.user_noa_mizrahi")
        for user in (rina, noa, *(self.env.ref(f"clinic_portal.{x}") for x in BOOKABLE)):
            self.assertEqual(user.company_id, self.clinic, user.name)
            self.assertEqual(user.company_ids, self.clinic, user.name)
            self.assertTrue(self._password_works(user, user.login), user.name)
        self.assertTrue(rina.has_group("clinic_portal.group_clinic_admin"))
        self.assertEqual(noa.partner_id, self.noa)
        self.assertTrue(noa._is_portal())
        other = self.env["res.company"].create({"name": "Another company"})
        stranger = self.env["res.partner"].create({"name": "Stranger", "company_id": other.id})
        seen = self.env["res.partner"].with_user(rina).search(
            [("id", "in", (stranger | self.noa).ids)])
        self.assertEqual(seen, self.noa)

    def test_demo_website_is_the_clinics_in_hebrew_when_hebrew_is_installed(self):
        website = self.env.ref("website.default_website")
        self.assertEqual(website.company_id, self.clinic)
        # make run installs Hebrew; a database without it (the tests') keeps English.
        hebrew = self.env.ref("base.lang_he_IL").active
        self.assertEqual(website.default_lang_id.code, "he_IL" if hebrew else "en_US")

    def test_the_demo_consultation_is_paid_online_on_the_clinics_demo_provider(self):
        # The test run installs payment_demo, as make run does.
        product = self.env.ref(
            "clinic_pricelist_portal.product_service_consultation").product_variant_id
        offer = product._clinic_portal_offer(self.noa)
        policy = self.env.company._clinic_portal_policy()
        noa = self.env.ref("clinic_portal.user_noa_mizrahi")
        self.assertTrue(self.env["clinic.booking.engine"].with_user(noa)
                        ._payment_possible(self.noa, product, offer, policy))
        self.assertEqual(self.clinic._clinic_portal_issuer(product),
                         self.clinic.clinic_portal_issuer_journal_id)
        demo = self.env["payment.provider"].search(
            [("code", "=", "demo"), ("company_id", "=", self.clinic.id)])
        self.assertEqual((len(demo), demo.state, demo.is_published), (1, "test", True))

    @freeze_time(NOW)
    def test_a_booked_demo_consultation_is_invoiced_in_shekels_by_the_clinic(self):
        product = self.env.ref(
            "clinic_pricelist_portal.product_service_consultation").product_variant_id
        dani = self.env.ref("clinic_portal.user_dani_arviv")
        for survey in self.clinic.clinic_mandatory_form_ids.survey_id \
                | product.clinic_required_survey_id:
            survey._create_answer(partner=self.noa)._mark_done()
        availability = self.env["clinic.availability.engine"]
        policy = self.env.company._clinic_portal_policy()
        start = ISRAEL.localize(datetime(2026, 3, 5))
        first = availability._free_starts(self.noa, product, dani, start,
                                          start + timedelta(days=1), policy)[dani.id][0]
        engine = self.env["clinic.booking.engine"]
        event = engine._book(engine._service_request(self.noa, product, first, policy,
                                                     staff_user=dani))
        invoice = event.clinic_invoice_id
        self.assertEqual(event.clinic_payment_state, "awaiting")
        self.assertEqual((invoice.company_id, invoice.journal_id),
                         (self.clinic, self.clinic.clinic_portal_issuer_journal_id))
        self.assertEqual(invoice.currency_id.name, "ILS")
        self.assertEqual(invoice.company_currency_id.name, "ILS")
        self.assertEqual(invoice.amount_untaxed, 300.0)

