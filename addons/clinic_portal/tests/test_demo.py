from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoClinic(TransactionCase):
    """The demo data mirrors the seed's example clinic (the test tier installs with demo)."""

    def test_demo_settings_are_the_seed_example(self):
        company = self.env.ref("base.main_company")
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

    def test_demo_mandatory_forms_and_frequencies(self):
        forms = self.env.ref("base.main_company").clinic_mandatory_form_ids.sorted("sequence")
        self.assertEqual(
            [(form.survey_id.title, form.frequency, form.audience) for form in forms],
            [("Health questionnaire", "yearly", "all"),
             ("Nutrition questionnaire", "once", "new_clients"), ("Intake", "once", "all")])

    def test_demo_staff_three_bookable_one_not(self):
        bookable = self.env["res.users"].search([("clinic_portal_bookable", "=", True)])
        for xmlid in ("user_dani_arviv", "user_maya_cohen", "user_yossi_levi"):
            user = self.env.ref(f"clinic_portal.{xmlid}")
            self.assertIn(user, bookable)
            self.assertTrue(user.resource_calendar_id)
        self.assertNotIn(self.env.ref("clinic_portal.user_rina_frontdesk"), bookable)

    def test_demo_services_cover_each_payment_kind(self):
        partner = self.env.ref("clinic_portal.partner_noa_mizrahi")
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

    def test_the_demo_consultation_is_paid_online_on_the_demo_provider(self):
        # The test run installs payment_demo, as make run does.
        patient = self.env.ref("base.demo_user0").partner_id
        product = self.env.ref(
            "clinic_pricelist_portal.product_service_consultation").product_variant_id
        offer = product._clinic_portal_offer(patient)
        policy = self.env["clinic.availability"]._policy()
        self.assertTrue(self.env["clinic.booking"].with_user(self.env.ref("base.demo_user0"))
                        ._payment_possible(patient, product, offer, policy))
        company = self.env.ref("base.main_company")
        self.assertEqual(company._clinic_portal_issuer(product),
                         company.clinic_portal_issuer_journal_id)
        demo = self.env.ref("payment.payment_provider_demo")
        self.assertEqual((demo.code, demo.state, demo.company_id), ("demo", "test", company))
