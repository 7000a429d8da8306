from odoo.tests import Form, TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestInstall(TransactionCase):
    def test_contact_form_still_saves(self):
        with Form(self.env["res.partner"]) as partner:
            partner.name = "Nguyen Van A"
        self.assertTrue(partner.record.id)
