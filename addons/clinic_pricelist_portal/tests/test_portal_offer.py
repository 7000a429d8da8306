from odoo.fields import Command
from odoo.tests import tagged

from .common import ClinicServiceCase


@tagged("post_install", "-at_install")
class TestPortalOffer(ClinicServiceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.consultation = cls._service("Consultation", price=300.0,
                                        clinic_prepayment_required=True)
        cls.physio = cls._service("Physio", price=250.0, clinic_card_guarantee_required=True)
        cls.both = cls._service("Surgery consult", price=500.0,
                                clinic_card_guarantee_required=True,
                                clinic_prepayment_required=True)
        cls.free = cls._service("Intro call", price=0.0, clinic_prepayment_required=True)
        cls.plain = cls._service("Follow-up", price=120.0)
        cls.hidden = cls._service("Case review", price=400.0, clinic_portal_visible=False)

    def _pricelist(self, currency, **rule):
        return self.env["product.pricelist"].create({
            "name": f"Pricelist {currency.name}",
            "currency_id": currency.id,
            "item_ids": [Command.create({"applied_on": "3_global", **rule})],
        })

    def test_payment_required_for_each_flag_combination(self):
        expected = {
            self.consultation: "prepayment",
            self.physio: "guarantee",
            self.both: "prepayment",
            self.free: "none",
            self.plain: "none",
        }
        for product, payment in expected.items():
            with self.subTest(service=product.name):
                offer = product._clinic_portal_offer(self.patient)
                self.assertTrue(offer["visible"])
                self.assertEqual(offer["payment"], payment)

    def test_without_pricelist_the_sales_price_in_company_currency(self):
        self.env["product.pricelist"].search([]).action_archive()
        offer = self.consultation._clinic_portal_offer(self.patient)
        self.assertEqual(offer["price"], 300.0)
        self.assertEqual(offer["currency_id"], self.company.currency_id.id)

    def test_price_and_currency_come_from_the_patient_pricelist(self):
        pricelist = self._pricelist(self.eur, compute_price="fixed", fixed_price=80.0)
        self.patient.property_product_pricelist = pricelist
        offer = self.consultation._clinic_portal_offer(self.patient)
        self.assertEqual(offer["price"], 80.0)
        self.assertEqual(offer["currency_id"], self.eur.id)

    def test_discount_pricelist_lowers_the_portal_price(self):
        pricelist = self._pricelist(self.company.currency_id, compute_price="percentage",
                                    percent_price=10.0)
        self.patient.property_product_pricelist = pricelist
        self.assertAlmostEqual(self.physio._clinic_portal_offer(self.patient)["price"], 225.0)

    def test_pricelist_that_makes_a_service_free_needs_no_prepayment(self):
        pricelist = self._pricelist(self.company.currency_id, compute_price="fixed",
                                    fixed_price=0.0)
        self.patient.property_product_pricelist = pricelist
        self.assertEqual(self.consultation._clinic_portal_offer(self.patient)["payment"], "none")
        self.assertEqual(self.both._clinic_portal_offer(self.patient)["payment"], "guarantee")

    def test_two_patients_two_prices(self):
        other = self.env["res.partner"].create({"name": "Other patient"})
        self.patient.property_product_pricelist = self._pricelist(
            self.company.currency_id, compute_price="fixed", fixed_price=50.0)
        other.property_product_pricelist = self._pricelist(
            self.company.currency_id, compute_price="fixed", fixed_price=70.0)
        self.assertEqual(self.plain._clinic_portal_offer(self.patient)["price"], 50.0)
        self.assertEqual(self.plain._clinic_portal_offer(other)["price"], 70.0)

    def test_hidden_archived_unsaleable_or_foreign_services_are_not_visible(self):
        self.assertFalse(self.hidden._clinic_portal_offer(self.patient)["visible"])
        archived = self._service("Old service")
        archived.product_tmpl_id.action_archive()
        self.assertFalse(archived._clinic_portal_offer(self.patient)["visible"])
        unsaleable = self._service("Internal", sale_ok=False)
        self.assertFalse(unsaleable._clinic_portal_offer(self.patient)["visible"])
        other_company = self.env["res.company"].create({"name": "Other clinic"})
        foreign = self._service("Foreign", company_id=other_company.id)
        self.assertFalse(foreign._clinic_portal_offer(self.patient)["visible"])

    def test_batch_offers_answer_for_every_service(self):
        services = self.consultation | self.physio | self.hidden
        offers = services._clinic_portal_offers(self.patient)
        self.assertEqual(set(offers), set(services.ids))
        self.assertEqual(offers[self.physio.id]["price"], 250.0)
        self.assertFalse(offers[self.hidden.id]["visible"])
