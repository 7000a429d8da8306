from odoo.tests import HttpCase, new_test_user, tagged

from .common import API_KEY, HisSimulatorMixin


@tagged("post_install", "-at_install")
class TestIscTours(HisSimulatorMixin, HttpCase):
    """Ways 2 and 3 in the browser, as Vietnamese-speaking front-desk staff."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_his()
        cls.env["res.lang"]._activate_lang("vi_VN")
        cls.env["ir.module.module"].search(
            [("name", "in", ("base", "web", "mail", "contacts", "crm_isc_sync"))]
        )._update_translations(["vi_VN"])
        cls.env.company.write({"isc_his_base_url": cls.his.base_url + "/api/v1",
                               "isc_his_api_key": API_KEY})
        cls.staff = new_test_user(
            cls.env, login="le_tan", name="Lễ Tân", lang="vi_VN", tz="Asia/Ho_Chi_Minh",
            groups="base.group_user,base.group_partner_manager,crm_isc_sync.group_isc_sync_user")
        cls.contact = cls.env["res.partner"].create(
            {"name": "Bệnh nhân Tour", "isc_patient_code": "BN000021"})
        # Changed in the HIS just now, so that the default range (last 24 h) pulls it.
        cls.his_store.upsert_accounts([{"patient_code": "BN000021", "login": "isc000021",
                                        "status": "active"}])

    def test_tour_sync_one_contact_from_its_form(self):
        self.start_tour(f"/odoo/contacts/{self.contact.id}", "crm_isc_sync_contact_tour",
                        login="le_tan")
        self.assertEqual(self.contact.isc_account_login,
                         self.his_store.get_account("BN000021")["login"])

    def test_tour_sync_account_list_for_a_range(self):
        self.start_tour("/odoo/contacts?view_type=list", "crm_isc_sync_range_tour",
                        login="le_tan")
        self.assertEqual(self.contact.isc_account_login,
                         self.his_store.get_account("BN000021")["login"])
        self.assertEqual(self.his_requests("/isc-accounts")[0]["method"], "GET")
