from odoo.tests import HttpCase, TransactionCase, tagged

from odoo.addons.base.tests.common import HttpCaseWithUserPortal


class RegistrationMixin:
    @classmethod
    def setup_registration(cls):
        cls.company = cls.env.ref("base.main_company")
        cls.department = cls.env["clinic.department"].create({"name": "General test"})
        cls.status = cls.env.ref("clinic_portal.client_status_interested")
        cls.company.write({
            "clinic_portal_enabled": True,
            "clinic_portal_allow_registration": True,
            "clinic_portal_new_client_department_id": cls.department.id,
            "clinic_portal_new_client_status_id": cls.status.id,
        })
        rows = cls.company.clinic_registration_field_ids
        rows.write({"show": False, "required": False})
        shown = rows.filtered(lambda r: r.field_name in (
            "national_id", "birthdate", "email", "health_fund", "gender"))
        shown.write({"show": True})
        shown.filtered(lambda r: r.field_name == "national_id").required = True

    def form(self, **values):
        return {"first_name": "Dana", "last_name": "Levi", "mobile": "050-7654321",
                "national_id": "123456782", "birthdate": "1990-05-01",
                "email": "dana.levi@example.com", **values}


@tagged("post_install", "-at_install")
class TestRegistrationRules(RegistrationMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_registration()
        cls.Registration = cls.env["clinic.registration"]

    def test_new_client_gets_status_branch_department_and_a_signup_token(self):
        partner, errors, known = self.Registration._register_client(self.form(), self.company)
        self.assertEqual((errors, known), ({}, False))
        self.assertEqual(partner.name, "Dana Levi")
        self.assertEqual(partner.company_id, self.company)
        self.assertEqual(partner.clinic_department_id, self.department)
        self.assertEqual(partner.clinic_status_id, self.status)
        self.assertEqual(partner.clinic_national_id, "123456782")
        self.assertEqual(str(partner.clinic_birthdate), "1990-05-01")
        self.assertEqual(partner.signup_type, "signup")
        login, _password = self.env["res.users"].signup(
            {"login": "dana.levi@example.com", "password": "Dana-2026-pass"},
            partner._generate_signup_token())
        user = self.env["res.users"].search([("login", "=", login)])
        self.assertEqual(user.partner_id, partner)
        self.assertTrue(user._is_portal())

    def test_each_field_rule_refuses_and_creates_nothing(self):
        before = self.env["res.partner"].search_count([])
        cases = {
            "national_id": ("123456789", "bad_national_id"),
            "mobile": ("12", "bad_phone"),
            "email": ("not-an-email", "bad_email"),
            "birthdate": ("2999-01-01", "future_date"),
            "health_fund": ("999999", "bad_choice"),
            "gender": ("robot", "bad_choice"),
        }
        for field, (value, code) in cases.items():
            _partner, errors, _known = self.Registration._register_client(
                self.form(**{field: value}), self.company)
            self.assertEqual(errors, {field: code}, field)
        _partner, errors, _known = self.Registration._register_client(
            self.form(national_id=""), self.company)
        self.assertEqual(errors, {"national_id": "required"})
        self.assertEqual(self.env["res.partner"].search_count([]), before)

    def test_someone_already_known_is_not_created_twice(self):
        self.Registration._register_client(self.form(), self.company)
        before = self.env["res.partner"].search_count([])
        for values in (
            self.form(mobile="054-1111111", email="x1@example.com"),  # same national ID
            self.form(national_id="000000018", mobile="+050 765 4321", email="x2@example.com"),
        ):
            partner, errors, known = self.Registration._register_client(values, self.company)
            self.assertEqual((bool(partner), errors, known), (False, {}, True))
        portal = self.env["res.users"].create({
            "name": "Existing", "login": "existing@example.com",
            "group_ids": [(6, 0, [self.env.ref("base.group_portal").id])]})
        _partner, _errors, known = self.Registration._register_client(
            self.form(national_id="000000026", mobile="052-2222222", email=portal.login),
            self.company)
        self.assertTrue(known)
        self.assertEqual(self.env["res.partner"].search_count([]), before + 1)  # the user's


@tagged("post_install", "-at_install")
class TestRegistrationPage(RegistrationMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.setup_registration()

    def post(self, **values):
        self.url_open("/clinic/register")  # a session and its CSRF token
        page = self.url_open("/clinic/register")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        return self.url_open("/clinic/register", data={"csrf_token": token, **values},
                             allow_redirects=False)

    def test_page_shows_the_configured_fields(self):
        page = self.url_open("/clinic/register")
        self.assertEqual(page.status_code, 200)
        for name in ("first_name", "last_name", "mobile", "national_id", "health_fund"):
            self.assertIn(f'name="{name}"', page.text)
        self.assertNotIn('name="father_phone"', page.text)

    def test_success_leads_to_the_standard_signup(self):
        response = self.post(**self.form())
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/signup?", response.headers["Location"])
        self.assertIn("redirect=%2Fmy", response.headers["Location"])
        self.assertEqual(self.env["res.partner"].search_count(
            [("clinic_national_id", "=", "123456782")]), 1)

    def test_errors_are_shown_next_to_the_field(self):
        response = self.post(**self.form(national_id="123456789"))
        self.assertEqual(response.status_code, 200)
        self.assertIn("is-invalid", response.text)
        self.assertIn("check digit", response.text)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Dana Levi")]))

    def test_a_megabyte_name_gets_a_clear_message_not_a_server_error(self):
        response = self.post(**self.form(first_name="x" * 1_000_000))
        self.assertEqual(response.status_code, 200)
        self.assertIn("This is too long.", response.text)
        self.assertFalse(self.env["res.partner"].search([("name", "ilike", "xxxx")]))

    def test_double_submission_creates_one_client(self):
        self.post(**self.form())
        second = self.post(**self.form())
        self.assertIn("already registered", second.text)
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "Dana Levi")]), 1)

    def test_registration_off_answers_404_and_creates_nothing(self):
        self.company.clinic_portal_allow_registration = False
        self.assertEqual(self.url_open("/clinic/register").status_code, 404)
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "Dana Levi")]), 0)

    def test_login_page_links_to_registration(self):
        self.assertIn("/clinic/register", self.url_open("/web/login").text)
        self.company.clinic_portal_allow_registration = False
        self.assertNotIn("/clinic/register", self.url_open("/web/login").text)


@tagged("post_install", "-at_install")
class TestLoggedInUserIsSentToThePortal(HttpCaseWithUserPortal):
    def test_portal_user_is_redirected(self):
        self.env.ref("base.main_company").write({"clinic_portal_enabled": True,
                                                  "clinic_portal_allow_registration": True})
        self.authenticate("portal", "portal")
        response = self.url_open("/clinic/register", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("/my"))
