from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestDemoWebsite(HttpCase):
    """The demo website is the clinic's: its name, a home page that books, its address and
    phone in the footer; no placeholder of Odoo's default website is left."""

    def test_the_home_page_books_and_names_the_clinic(self):
        clinic = self.env.ref("clinic_portal.demo_company_clinic")
        self.assertEqual(self.env.ref("website.default_website").name, "Our Clinic")
        page = self.url_open("/").text
        self.assertIn(
            'href="/my/appointments/book" class="btn btn-primary btn-lg o_clinic_home_book"', page)
        self.assertIn(clinic.phone, page)
        self.assertIn("Rothschild", page, "the clinic's address in the footer")
        self.assertNotIn("yourcompany.example.com", page)
        self.assertNotIn("555-555-5556", page)
