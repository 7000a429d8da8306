from psycopg2 import IntegrityError

from odoo.fields import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ClinicPortalCase


@tagged("post_install", "-at_install")
class TestClientContact(ClinicPortalCase):
    def test_contact_keeps_clinic_registration_details(self):
        fund = self.env["clinic.health.fund"].create({"name": "Test fund"})
        department = self.env["clinic.department"].create({
            "name": "Physio", "company_id": self.company.id})
        partner = self.env["res.partner"].create({
            "name": "Dana Levi",
            "company_id": self.company.id,
            "phone": "050-1111111",
            "clinic_status_id": self.status_interested.id,
            "clinic_department_id": department.id,
            "clinic_health_fund_id": fund.id,
            "clinic_national_id": "123456782",
            "clinic_birthdate": "1985-03-01",
            "clinic_gender": "female",
            "clinic_mobile2": "052-2222222",
            "clinic_home_phone": "03-3333333",
            "clinic_father_phone": "054-4444444",
            "clinic_mother_phone": "054-5555555",
            "clinic_treating_user_ids": [Command.set(self.staff.ids)],
        })
        self.assertEqual(partner.clinic_health_fund_id, fund)
        self.assertEqual(partner.clinic_department_id.company_id, partner.company_id)
        self.assertEqual(partner.clinic_treating_user_ids, self.staff)
        self.assertEqual(
            self.env["res.partner"].search([("clinic_national_id", "=", "123456782")]), partner)

    def test_clients_are_found_by_treating_team_member(self):
        partner = self.env["res.partner"].create({
            "name": "Team client", "clinic_treating_user_ids": [Command.set(self.staff.ids)]})
        found = self.env["res.partner"].search([("clinic_treating_user_ids", "in", self.staff.ids)])
        self.assertEqual(found, partner)

    def test_a_client_status_in_use_cannot_be_deleted(self):
        status = self.env["clinic.client.status"].create({"name": "VIP"})
        self.env["res.partner"].create({"name": "Vip client", "clinic_status_id": status.id})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), \
                self.cr.savepoint():
            status.unlink()
        status.action_archive()
        self.assertFalse(status.active)

    def test_the_clinic_tab_shows_only_where_the_client_portal_is_on(self):
        self.company.clinic_portal_enabled = True
        closed = self.env["res.company"].create({"name": "Branch without a portal"})
        here = self.env["res.partner"].create({"name": "Here"})
        there = self.env["res.partner"].create({"name": "There", "company_id": closed.id})
        known = self.env["res.partner"].create({
            "name": "Known", "company_id": closed.id, "clinic_national_id": "123456782"})
        self.assertTrue(here.with_company(self.company).clinic_shown)
        self.assertFalse(there.clinic_shown, "the portal is off for their company")
        self.assertTrue(known.clinic_shown, "clinic data already stored is never hidden")
        self.company.clinic_portal_enabled = False
        self.env.invalidate_all()
        self.assertFalse(here.with_company(self.company).clinic_shown)
