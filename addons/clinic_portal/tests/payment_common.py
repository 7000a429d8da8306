import re

from odoo.fields import Command

from ..controllers.portal import format_start
from .booking_common import BookingSetup

# A consultation of 300 before VAT; the patient's pricelist sells it at 250.
LIST_PRICE = 300.0
PORTAL_PRICE = 250.0
VAT = 18.0
TOTAL = PORTAL_PRICE * (1 + VAT / 100)


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


class BalanceSetup(PrepaymentSetup):
    """The prepayment set-up, and the patient's balance with the clinic."""

    def _credit_note(self, amount, partner=None):
        """A posted credit note of ``amount`` (no tax) to the patient: their balance."""
        move = self.env["account.move"].create({
            "move_type": "out_refund",
            "partner_id": (partner or self.patient).id,
            "invoice_line_ids": [Command.create({
                "name": "Goodwill", "quantity": 1, "price_unit": amount,
                "tax_ids": [Command.set([])]})],
        })
        move.action_post()
        return move

    def _payment(self, amount):
        """A posted payment of ``amount`` by the patient, not applied to any invoice."""
        journal = self.env["account.journal"].search(
            [*self.env["account.journal"]._check_company_domain(self.company),
             ("type", "=", "bank")], limit=1)
        payment = self.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer",
            "partner_id": self.patient.id, "amount": amount, "journal_id": journal.id})
        payment.action_post()
        return payment

    def _open_credit(self, move):
        return -sum(move.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).mapped("amount_residual"))


class PortalPaymentRequests:
    """What the patient's browser sends while booking a paid service, for HttpCase tests
    logged in as the patient."""

    def _csrf(self):
        page = self.url_open("/my/appointments").text
        return re.search(r'csrf_token: "([^"]+)"', page).group(1)

    def _submit_booking(self, service, start):
        """The confirm page's button, for ``service`` with ``self.staff`` at ``start``."""
        return self.url_open("/my/appointments/book/confirm", data={
            "csrf_token": self._csrf(), "service": service.id,
            "staff": self.staff.id, "start": format_start(start)}, allow_redirects=False)

    def _form_transaction(self, route, **values):
        """What Odoo's payment form posts to ``route`` to create a transaction of the Demo
        provider: its processing values, or the error message the form would show."""
        values = {
            "provider_id": self.provider.id,
            "payment_method_id": self.provider.payment_method_ids[:1].id,
            "token_id": None, "amount": 1.0, "flow": "direct",
            "tokenization_requested": False, "landing_route": "/elsewhere",
            "is_validation": False, "access_token": "from-the-page",
            **values,
        }
        response = self.opener.post(
            f"{self.base_url()}{route}",
            json={"id": 0, "jsonrpc": "2.0", "method": "call", "params": values})
        body = response.json()
        if "error" in body:
            return body["error"]["data"]["message"]
        return body["result"]

    def _mine(self):
        return self.env["calendar.event"].with_context(active_test=False).search(
            [("clinic_patient_id", "=", self.patient.id)])
