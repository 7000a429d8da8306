from lxml import html
from stdnum import luhn

from odoo.tests import HttpCase, TransactionCase, tagged

from odoo.addons.base.tests.common import HttpCaseWithUserPortal

from .common import give_website_to


class RegistrationMixin:
    @classmethod
    def setup_registration(cls):
        cls.company = cls.env.ref("base.main_company")
        cls.company.country_id = cls.env.ref("base.il")  # phones are read as Israeli numbers
        give_website_to(cls.company)
        cls.department = cls.env["clinic.department"].create({"name": "General test"})
        cls.status = cls.env.ref("clinic_portal.client_status_interested")
        cls.company.write({
            "clinic_portal_enabled": True,
            "clinic_portal_allow_registration": True,
            "clinic_portal_new_client_department_id": cls.department.id,
            "clinic_portal_new_client_status_id": cls.status.id,
        })
        rows = cls.company.clinic_registration_field_ids
        rows.filtered(lambda r: r.field_name != "email").write({"show": False, "required": False})
        shown = rows.filtered(lambda r: r.field_name in (
            "national_id", "birthdate", "health_fund", "gender"))
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

    def register(self, **values):
        """Register; returns the errors, the outcome and the contact now holding the mobile."""
        errors, outcome = self.Registration._register_client(self.form(**values), self.company)
        return errors, outcome

    def mails_to(self, email):
        return self.env["mail.mail"].search([("recipient_ids.email", "=", email)])

    def test_new_client_gets_status_branch_department_and_a_signup_link_by_email(self):
        self.assertEqual(self.register(), ({}, "received"))
        partner = self.env["res.partner"].search([("clinic_national_id", "=", "123456782")])
        self.assertEqual(partner.name, "Dana Levi")
        self.assertEqual(partner.company_id, self.company)
        self.assertEqual(partner.clinic_department_id, self.department)
        self.assertEqual(partner.clinic_status_id, self.status)
        self.assertEqual(str(partner.clinic_birthdate), "1990-05-01")
        mail = self.mails_to("dana.levi@example.com")
        self.assertEqual(len(mail), 1)
        token = partner._generate_signup_token()
        self.assertIn("/web/signup?", mail.body_html)
        login, _password = self.env["res.users"].signup(
            {"login": "dana.levi@example.com", "password": "Dana-2026-pass"}, token)
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
            self.assertEqual(self.register(**{field: value}), ({field: code}, None), field)
        self.assertEqual(self.register(national_id=""), ({"national_id": "required"}, None))
        self.assertEqual(self.register(email=" "), ({"email": "required"}, None))
        self.assertEqual(self.env["res.partner"].search_count([]), before)

    def test_someone_already_known_is_not_created_twice_and_hears_of_it_by_email(self):
        self.register()
        before = self.env["res.partner"].search_count([])
        for values in (
            {"mobile": "054-1111111", "email": "x1@example.com"},  # same national ID
            {"national_id": "000000018", "mobile": "+972 50 765 4321",
             "email": "x2@example.com"},  # same mobile
        ):
            self.assertEqual(self.register(**values), ({}, "received"))
        self.assertEqual(self.env["res.partner"].search_count([]), before)
        told = self.mails_to("dana.levi@example.com").filtered(
            lambda m: "already registered" in m.subject)
        self.assertEqual(len(told), 2)
        self.assertFalse(self.mails_to("x1@example.com") | self.mails_to("x2@example.com"))

    def test_a_known_user_email_is_not_registered_again(self):
        portal = self.env["res.users"].create({
            "name": "Existing", "login": "existing@example.com",
            "group_ids": [(6, 0, [self.env.ref("base.group_portal").id])]})
        before = self.env["res.partner"].search_count([])
        self.register(national_id="000000026", mobile="052-2222222", email=portal.login)
        self.assertEqual(self.env["res.partner"].search_count([]), before)

    def test_the_clinic_hears_of_a_registration_matching_a_phone_only_client(self):
        client = self.env["res.partner"].create({"name": "Phone Only", "phone": "050-7654321"})
        self.assertEqual(self.register(), ({}, "received"))
        self.assertIn("Nothing was created", client.message_ids[:1].body)
        self.assertEqual(self.env["res.partner"].search_count(
            [("clinic_national_id", "=", "123456782")]), 0)

    def test_an_email_pattern_matches_no_one(self):
        """``%@%.%`` once matched every user: e-mails are compared literally."""
        self.register(email="%@%.%")
        self.assertTrue(self.env["res.partner"].search([("email", "=", "%@%.%")]))

    def test_a_known_email_matches_whatever_its_case_and_spaces(self):
        known = self.env["res.partner"].create(
            {"name": "Known", "email": "known.client@example.com"})
        before = self.env["res.partner"].search_count([])
        self.register(email="  Known.Client@EXAMPLE.com ")
        self.assertEqual(self.env["res.partner"].search_count([]), before)
        self.assertTrue(self.mails_to(known.email))

    def test_a_national_id_with_a_hyphen_is_the_same_client(self):
        self.register()
        before = self.env["res.partner"].search_count([])
        self.register(national_id="12345678-2", mobile="054-1111111", email="x@example.com")
        self.assertEqual(self.env["res.partner"].search_count([]), before)

    def test_a_mobile_in_arabic_indic_digits_is_the_same_client(self):
        self.register()
        before = self.env["res.partner"].search_count([])
        arabic_indic = "\u0660\u0665\u0660-\u0667\u0666\u0665\u0664\u0663\u0662\u0661"
        self.register(national_id="000000018", mobile=arabic_indic, email="y@example.com")
        self.assertEqual(self.env["res.partner"].search_count([]), before)

    def test_a_health_fund_in_digits_of_another_script_gets_a_message(self):
        """``"²".isdigit()`` is true and ``int("²")`` fails: once an HTTP 500."""
        fund = self.env["clinic.health.fund"].create({"name": "Fund of digits"})
        before = self.env["res.partner"].search_count([])
        for value in ("\u00b2", "\u0663", "\uff11", f"{fund.id}\u200b", "9" * 12):
            self.assertEqual(self.register(health_fund=value),
                             ({"health_fund": "bad_choice"}, None), repr(value))
        self.assertEqual(self.env["res.partner"].search_count([]), before)
        self.assertEqual(self.register(health_fund=str(fund.id)), ({}, "received"))
        self.assertEqual(self.env["res.partner"].search(
            [("clinic_national_id", "=", "123456782")]).clinic_health_fund_id, fund)

    def test_a_client_is_recognised_whoever_typed_their_phone(self):
        """A number without a country prefix is read in the contact's region, never in that
        of the company the person saving it happens to work in."""
        abroad = self.env["res.company"].create(
            {"name": "Head office abroad", "country_id": self.env.ref("base.us").id})
        admin = self.env.ref("base.user_admin")
        admin.company_ids |= abroad | self.company
        clinic_staff = self.env["res.users"].create({
            "name": "Clinic Desk", "login": "clinic.desk.region", "company_id": self.company.id,
            "company_ids": [(6, 0, self.company.ids)],
            "group_ids": [(6, 0, [self.env.ref("base.group_partner_manager").id])]})
        portal_client = self.env["res.partner"].create({"name": "Portal Client"})
        self.env["res.users"].create({
            "name": "Portal Client", "login": "portal.client.region",
            "partner_id": portal_client.id, "company_id": self.company.id,
            "company_ids": [(6, 0, self.company.ids)],
            "group_ids": [(6, 0, [self.env.ref("base.group_portal").id])]})
        desk_client = self.env["res.partner"].browse(self.env["res.partner"].with_user(
            clinic_staff).create({"name": "Desk Client"}).id)
        for client, mobile in ((portal_client, "050-7654321"), (desk_client, "052-2345678")):
            # Saved as a form saves it: written and computed by the user, in their company.
            typed_by_admin = client.with_user(admin).with_company(abroad)
            typed_by_admin.write({"phone": mobile})
            typed_by_admin.flush_recordset()
            self.assertEqual(client.clinic_phone_key,
                             "+972" + mobile.replace("-", "")[1:], client.name)
            self.assertEqual(client.clinic_phone_display[:5], "+972 ")
        before = self.env["res.partner"].search_count([])
        arabic_indic = "\u0660\u0665\u0662-\u0662\u0663\u0664\u0665\u0666\u0667\u0668"
        for values in ({"mobile": "050-7654321"},
                       {"mobile": arabic_indic, "national_id": "000000018"}):
            self.assertEqual(self.register(email="someone.new@example.com", **values),
                             ({}, "received"))
        self.assertEqual(self.env["res.partner"].search_count([]), before)
        self.assertIn("Nothing was created", portal_client.message_ids[:1].body)
        self.assertIn("Nothing was created", desk_client.message_ids[:1].body)

    def test_national_id_is_stored_in_its_compact_form(self):
        self.register(national_id="12345678-2")
        partner = self.env["res.partner"].search([("clinic_national_id_key", "=", "123456782")])
        self.assertEqual(partner.clinic_national_id, "123456782")

    def test_more_than_five_registrations_an_hour_for_one_identity_are_refused(self):
        outcomes = [self.register(national_id=nid, email=f"p{i}@example.com")[1]
                    for i, nid in enumerate(("000000018", "000000026", "000000034",
                                             "000000042", "000000059", "000000067"))]
        self.assertEqual(outcomes, ["received"] * 5 + ["throttled"])


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

    def test_the_email_is_asked_as_required_right_after_the_mobile(self):
        self.company.clinic_registration_field_ids.filtered(
            lambda r: r.field_name == "email").sudo()._write({"show": False, "required": False})
        page = html.fromstring(self.url_open("/clinic/register").content)
        names = page.xpath("//form//*[self::input or self::select][@name][not(@type='hidden')]"
                           "/@name")
        self.assertEqual(names[names.index("mobile") + 1], "email")
        email = page.xpath("//input[@name='email']")[0]
        self.assertEqual((email.get("type"), email.get("required")), ("email", "required"))
        response = self.post(**self.form(email=""))
        self.assertEqual(response.status_code, 200)
        self.assertIn("is-invalid", html.fromstring(response.content).xpath(
            "//input[@name='email']")[0].get("class"))

    def test_success_says_check_your_email_and_never_shows_the_signup_token(self):
        response = self.post(**self.form())
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("/clinic/register/received"))
        partner = self.env["res.partner"].search([("clinic_national_id", "=", "123456782")])
        self.assertEqual(len(partner), 1)
        self.assertNotIn("token", response.headers["Location"])
        page = self.url_open(response.headers["Location"])
        self.assertIn("check your inbox", page.text)
        self.assertNotIn("/web/signup", page.text)

    def test_a_known_client_and_a_stranger_see_the_same_thing(self):
        first = self.post(**self.form())
        known = self.post(**self.form(email="someone.else@example.com", mobile="054-3333333"))
        new = self.post(**self.form(national_id="000000018", mobile="054-4444444",
                                    email="new.person@example.com", first_name="Noa"))
        self.assertEqual({(r.status_code, r.headers["Location"]) for r in (first, known, new)},
                         {(303, first.headers["Location"])})
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "Dana Levi")]), 1)

    def test_twenty_five_registrations_from_one_address_create_five_contacts(self):
        before = self.env["res.partner"].search_count([])
        statuses = []
        for i in range(25):
            number = f"{20000000 + i:08d}"
            response = self.post(**self.form(
                national_id=number + luhn.calc_check_digit(number), mobile=f"054-{1000000 + i}",
                email=f"bulk{i}@example.com", first_name=f"Bulk{i}"))
            statuses.append(response.status_code)
        self.assertEqual(statuses, [303] * 5 + [429] * 20)
        self.assertIn("try again", response.text)
        self.assertEqual(self.env["res.partner"].search_count([]), before + 5)

    def test_an_email_pattern_on_the_page_matches_no_user(self):
        """``%@%.%`` once matched every user, staff included: the page compares literally."""
        last_mail = self.env["mail.mail"].search([], order="id desc", limit=1).id
        response = self.post(**self.form(email="%@%.%"))
        self.assertEqual(response.status_code, 303)
        created = self.env["res.partner"].search([("email", "=", "%@%.%")])
        self.assertEqual(len(created), 1, "a new client, not a match with any user")
        mails = self.env["mail.mail"].search([("id", ">", last_mail)])
        self.assertEqual(mails.recipient_ids, created, "nobody else was written to")

    def test_the_same_client_written_another_way_on_the_page_is_not_created_again(self):
        self.post(**self.form())
        before = self.env["res.partner"].search_count([])
        arabic_indic = "\u0660\u0665\u0660-\u0667\u0666\u0665\u0664\u0663\u0662\u0661"
        for values in ({"national_id": "12345678-2", "mobile": "054-5555555"},
                       {"national_id": "000000018", "mobile": arabic_indic}):
            response = self.post(**self.form(email="other@example.com", **values))
            self.assertEqual(response.status_code, 303)
        self.assertEqual(self.env["res.partner"].search_count([]), before)

    def test_errors_are_shown_next_to_the_field(self):
        response = self.post(**self.form(national_id="123456789"))
        self.assertEqual(response.status_code, 200)
        self.assertIn("is-invalid", response.text)
        self.assertIn("check digit", response.text)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Dana Levi")]))

    def test_a_megabyte_name_gets_a_message_not_a_server_error(self):
        response = self.post(**self.form(first_name="D" * 1_000_000, last_name="Le\x00vi"))
        self.assertEqual(response.status_code, 200)
        self.assertIn("too long", response.text)
        self.assertIn("special characters", response.text)
        self.assertFalse(self.env["res.partner"].search([("clinic_national_id", "=", "123456782")]))

    def test_double_submission_creates_one_client(self):
        self.post(**self.form())
        self.post(**self.form())
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
