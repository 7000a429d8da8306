from odoo.exceptions import UserError
from odoo.tests import TransactionCase, freeze_time, tagged

from .booking_common import NOW, BookingSetup, utc


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestSlotHoarding(BookingSetup, TransactionCase):
    """One new account must not be able to hold every free time of the clinic."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_booking(cls.env)

    def test_a_new_installation_lets_a_client_hold_three_future_appointments(self):
        new_company = self.env["res.company"].create({"name": "Newly installed clinic"})
        self.company.sudo().write({
            "clinic_portal_future_limit": new_company.clinic_portal_future_limit,
            "clinic_portal_future_limit_scope": new_company.clinic_portal_future_limit_scope,
        })
        for hour in (8, 9, 10):
            self._book(utc(2026, 3, 3, hour))
        with self.assertRaisesRegex(UserError, "3 upcoming appointments"):
            self._book(utc(2026, 3, 3, 11))

    def test_no_limit_stays_possible(self):
        self.company.sudo().clinic_portal_future_limit = 0
        for hour in (8, 9, 10, 11):
            self._book(utc(2026, 3, 3, hour))
