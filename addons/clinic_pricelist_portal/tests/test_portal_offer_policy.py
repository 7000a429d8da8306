from odoo.tests import BaseCase, tagged

from odoo.addons.clinic_pricelist_portal.tools.portal_offer import (
    PAYMENT_GUARANTEE,
    PAYMENT_NONE,
    PAYMENT_PREPAYMENT,
    portal_payment,
    portal_visible,
)


@tagged("post_install", "-at_install")
class TestPortalOfferPolicy(BaseCase):
    def test_payment_for_each_flag_combination(self):
        # (card guarantee, prepayment, free) -> payment
        expected = {
            (False, False, False): PAYMENT_NONE,
            (True, False, False): PAYMENT_GUARANTEE,
            (False, True, False): PAYMENT_PREPAYMENT,
            (True, True, False): PAYMENT_PREPAYMENT,
            (False, False, True): PAYMENT_NONE,
            (True, False, True): PAYMENT_GUARANTEE,
            (False, True, True): PAYMENT_NONE,
            (True, True, True): PAYMENT_GUARANTEE,
        }
        for (guarantee, prepayment, free), payment in expected.items():
            with self.subTest(guarantee=guarantee, prepayment=prepayment, free=free):
                self.assertEqual(portal_payment(guarantee, prepayment, free), payment)

    def test_visible_only_when_every_condition_holds(self):
        base = {"shown_in_portal": True, "active": True, "sale_ok": True, "is_service": True,
                "duration_minutes": 30, "company_allowed": True}
        self.assertTrue(portal_visible(**base))
        for name, value in (("shown_in_portal", False), ("active", False), ("sale_ok", False),
                            ("is_service", False), ("duration_minutes", 0),
                            ("duration_minutes", None), ("company_allowed", False)):
            with self.subTest(condition=name, value=value):
                self.assertFalse(portal_visible(**{**base, name: value}))
