from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ClinicPortalCase


@tagged("post_install", "-at_install")
class TestSettingsValidation(ClinicPortalCase):
    def test_hours_days_and_counts_cannot_be_negative(self):
        for name in ("clinic_portal_min_hours_new", "clinic_portal_min_hours_change",
                     "clinic_portal_makeup_sessions", "clinic_portal_future_limit",
                     "clinic_portal_search_start_days"):
            with self.subTest(setting=name), \
                    self.assertRaisesRegex(ValidationError, "cannot be negative"):
                self.company.write({name: -1})

    def test_zero_hours_and_days_are_accepted(self):
        self.company.write({
            "clinic_portal_min_hours_new": 0, "clinic_portal_min_hours_change": 0,
            "clinic_portal_search_start_days": 0, "clinic_portal_future_limit": 0,
        })
        self.assertEqual(self.company.clinic_portal_min_hours_new, 0)

    def test_search_range_is_between_1_and_365_days(self):
        for days in (0, -5, 366):
            with self.subTest(days=days), \
                    self.assertRaisesRegex(ValidationError, "between 1 and 365"):
                self.company.clinic_portal_search_range_days = days
        for days in (1, 365):
            self.company.clinic_portal_search_range_days = days
            self.assertEqual(self.company.clinic_portal_search_range_days, days)

    def test_a_hold_lasts_between_1_and_1440_minutes_15_by_default(self):
        self.assertEqual(self.company.clinic_portal_hold_minutes, 15)
        for minutes in (0, -5, 1441):
            with self.subTest(minutes=minutes), \
                    self.assertRaisesRegex(ValidationError, "between 1 and 1440"):
                self.company.clinic_portal_hold_minutes = minutes
        for minutes in (1, 1440):
            self.company.clinic_portal_hold_minutes = minutes
            self.assertEqual(self.company.clinic_portal_hold_minutes, minutes)

    def test_a_service_issuer_must_be_a_sales_journal(self):
        bank = self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", self.env.company.id)], limit=1)
        service = self.env["product.template"].create({"name": "Issued", "type": "service"})
        with self.assertRaisesRegex(ValidationError, "must be a sales journal"):
            service.clinic_issuer_journal_id = bank

    def test_plan_services_need_an_alias(self):
        for types in ("plan", "both"):
            with self.subTest(types=types), self.assertRaisesRegex(ValidationError, "alias"):
                self.company.write({"clinic_portal_service_types": types,
                                    "clinic_portal_plan_alias": "  "})

    def test_regular_services_need_no_alias(self):
        self.company.write({"clinic_portal_service_types": "regular",
                            "clinic_portal_plan_alias": False})
        self.assertFalse(self.company.clinic_portal_plan_alias)

    def test_issuer_must_be_a_sales_journal_of_the_company(self):
        sale = self.env["account.journal"].create({
            "name": "Clinic sales", "code": "CLS", "type": "sale", "company_id": self.company.id,
        })
        self.company.clinic_portal_issuer_journal_id = sale
        self.assertEqual(self.company.clinic_portal_issuer_journal_id, sale)

        other_company = self.env["res.company"].create({"name": "Other Clinic"})
        foreign = self.env["account.journal"].create({
            "name": "Other sales", "code": "OTS", "type": "sale", "company_id": other_company.id,
        })
        with self.assertRaisesRegex(ValidationError, "belongs to Other Clinic"):
            self.company.clinic_portal_issuer_journal_id = foreign

        bank = self.env["account.journal"].create({
            "name": "Clinic bank", "code": "CLB", "type": "general", "company_id": self.company.id,
        })
        with self.assertRaisesRegex(ValidationError, "must be a sales journal"):
            self.company.clinic_portal_issuer_journal_id = bank

    def test_issuer_may_be_a_sales_journal_of_a_branch(self):
        branch = self.env["res.company"].create({"name": "North branch",
                                                 "parent_id": self.company.id})
        journal = self.env["account.journal"].create({
            "name": "North sales", "code": "NRS", "type": "sale", "company_id": branch.id,
        })
        self.company.clinic_portal_issuer_journal_id = journal
        self.assertEqual(self.company.clinic_portal_issuer_journal_id, journal)

    def test_new_clients_go_to_the_company_or_one_of_its_branches(self):
        branch = self.env["res.company"].create({"name": "South branch",
                                                 "parent_id": self.company.id})
        self.company.clinic_portal_new_client_company_id = branch
        self.assertEqual(self.company._clinic_portal_new_client_company(), branch)
        stranger = self.env["res.company"].create({"name": "Unrelated Clinic"})
        with self.assertRaisesRegex(ValidationError, "Unrelated Clinic"):
            self.company.clinic_portal_new_client_company_id = stranger

    def test_department_for_new_clients_belongs_to_their_branch(self):
        own = self.env["clinic.department"].create({"name": "Physio",
                                                    "company_id": self.company.id})
        shared = self.env["clinic.department"].create({"name": "Shared"})
        self.company.clinic_portal_new_client_department_id = own
        self.company.clinic_portal_new_client_department_id = shared
        foreign = self.env["clinic.department"].create({
            "name": "Elsewhere", "company_id": self.env.ref("base.main_company").id})
        with self.assertRaisesRegex(ValidationError, "Elsewhere"):
            self.company.clinic_portal_new_client_department_id = foreign

    def test_a_required_registration_field_must_be_shown(self):
        line = self.company.clinic_registration_field_ids.filtered(
            lambda f: f.field_name == "national_id")
        with self.assertRaisesRegex(ValidationError, "must also be shown"):
            line.write({"show": False, "required": True})
        line.write({"show": True, "required": True})
        with self.assertRaisesRegex(ValidationError, "must also be shown"):
            line.show = False

    def test_the_email_is_always_asked_it_is_the_login(self):
        line = self.company.clinic_registration_field_ids.filtered(
            lambda f: f.field_name == "email")
        self.assertEqual((line.show, line.required), (True, True))
        for values in ({"show": False, "required": False}, {"required": False}):
            with self.subTest(values=values), \
                    self.assertRaisesRegex(ValidationError, "always asks for it"):
                line.write(values)
        self.company._clinic_registration_configure(shown=("birthdate",))
        self.assertEqual((line.show, line.required), (True, True))

    def test_a_registration_field_appears_once_per_company(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["clinic.registration.field"].create({
                "company_id": self.company.id, "field_name": "email"})

    def test_a_form_is_mandatory_once_per_company(self):
        survey = self.env["survey.survey"].create({"title": "Consent"})
        self.env["clinic.mandatory.form"].create({"company_id": self.company.id,
                                                  "survey_id": survey.id})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["clinic.mandatory.form"].create({"company_id": self.company.id,
                                                      "survey_id": survey.id,
                                                      "frequency": "yearly"})
