from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPortalHome(HttpCase):
    def test_tour_patient_reaches_portal_home(self):
        new_test_user(self.env, login="clinic_patient", groups="base.group_portal",
                      name="Clinic Patient")
        self.start_tour("/my", "clinic_portal_home", login="clinic_patient")
