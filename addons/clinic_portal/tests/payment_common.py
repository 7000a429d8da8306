from odoo.fields import Command

from .booking_common import BookingSetup

# A consultation of 300 before VAT; the patient's pricelist sells it at 250.
LIST_PRICE = 300.0
PORTAL_PRICE = 250.0
VAT = 18.0


class PrepaymentSetup(BookingSetup):
    """The booking set-up, a service paid at booking and the Demo payment provider.

    The Demo provider is Odoo's ``payment_demo``: the test run installs it with our modules
    (tests/tiers.py), clinic_portal does not depend on it.
    """

    @classmethod
    def _setup_prepayment(cls, env):
        cls._setup_booking(env)
        cls.provider = env.ref("payment.payment_provider_demo")
        if cls.provider.code != "demo":
            raise AssertionError("The Demo payment provider (payment_demo) must be installed "
                                 "for these tests: tests/tiers.py installs it.")
        cls.provider.write({"state": "test", "is_published": True})
        cls.vat = env["account.tax"].create({
            "name": "VAT 18% (test)", "amount": VAT, "amount_type": "percent",
            "type_tax_use": "sale", "company_id": cls.company.id})
        cls.consultation = cls._make_service(
            env, "Paid consultation", 60, cls.staff | cls.staff2, list_price=LIST_PRICE,
            clinic_prepayment_required=True, taxes_id=[Command.set(cls.vat.ids)])
        # Pricelists on, as the clinic's settings turn them on.
        env.ref("base.group_user").implied_ids |= env.ref("product.group_product_pricelist")
        cls.pricelist = env["product.pricelist"].create({
            "name": "Members", "company_id": False,
            "currency_id": cls.company.currency_id.id,
            "item_ids": [Command.create({
                "applied_on": "0_product_variant", "product_id": cls.consultation.id,
                "compute_price": "fixed", "fixed_price": PORTAL_PRICE})],
        })
        (cls.patient | cls.other).property_product_pricelist = cls.pricelist

    def _hold(self, start, partner=None, staff=None):
        return self._book(start, product=self.consultation, partner=partner, staff=staff)

    def _pay(self, event, state="done", post_process=True):
        """Pay ``event``'s invoice on the Demo provider as its payment form does: a
        transaction for the invoice and the appointment, the provider's notification, then
        the post-processing the payment status page (or its cron) runs."""
        invoice = event.clinic_invoice_id
        tx = self.env["payment.transaction"].sudo().create({
            "provider_id": self.provider.id,
            "payment_method_id": self.provider.payment_method_ids[:1].id,
            "amount": invoice.amount_total,
            "currency_id": invoice.currency_id.id,
            "partner_id": event.clinic_patient_id.id,
            "operation": "online_direct",
            "invoice_ids": [Command.set(invoice.ids)],
            "clinic_appointment_id": event.id,
        })
        self._notify(tx, state, post_process=post_process)
        return tx

    def _notify(self, tx, state="done", post_process=True):
        """The Demo provider's notification of ``tx``, and its post-processing if due."""
        tx._process("demo", {"reference": tx.reference, "simulated_state": state,
                             "payment_details": "4242"})
        if post_process and not tx.is_post_processed:
            tx._post_process()
