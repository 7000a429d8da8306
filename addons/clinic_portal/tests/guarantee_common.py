from odoo.fields import Command
from odoo.tests import new_test_user

from .payment_common import LIST_PRICE, PrepaymentSetup

# The physiotherapy session is booked with a card as guarantee; the patient's pricelist
# sells it at its list price, 300 before VAT.
GUARANTEE_PRICE = LIST_PRICE


class GuaranteeSetup(PrepaymentSetup):
    """The prepayment set-up, a service booked with a card as guarantee, and a member of the
    staff who invoices."""

    @classmethod
    def _setup_guarantee(cls, env):
        cls._setup_prepayment(env)
        cls.physio = cls._make_service(
            env, "Physio session", 60, cls.staff | cls.staff2, list_price=GUARANTEE_PRICE,
            clinic_card_guarantee_required=True, taxes_id=[Command.set(cls.vat.ids)])
        cls.accountant = new_test_user(
            env, login="guarantee_accountant", name="Guarantee Accountant",
            groups="base.group_user,account.group_account_invoice",
            email="guarantee.accountant@example.com", tz="UTC")

    def _hold_for_card(self, start, partner=None, staff=None):
        return self._book(start, product=self.physio, partner=partner, staff=staff)

    def _card_of(self, partner, simulated_state="done", details="1111"):
        """A card ``partner`` saved on the Demo provider; its charges end in
        ``simulated_state``."""
        return self.env["payment.token"].create({
            "provider_id": self.provider.id,
            "payment_method_id": self.provider.payment_method_ids[:1].id,
            "partner_id": partner.id,
            "payment_details": details,
            "provider_ref": f"demo-card-{details}",
            "demo_simulated_state": simulated_state,
        })

    def _save_card(self, event, state="done", post_process=True):
        """Save a card for ``event`` on the Demo provider as its payment form does in
        validation mode: a validation transaction of the appointment asking for a token,
        the provider's notification, then the post-processing."""
        tx = self.env["payment.transaction"].sudo().create({
            "provider_id": self.provider.id,
            "payment_method_id": self.provider.payment_method_ids[:1].id,
            "amount": 0.0,
            "currency_id": self.company.currency_id.id,
            "partner_id": event.clinic_patient_id.id,
            "operation": "validation",
            "tokenize": True,
            "clinic_appointment_id": event.id,
        })
        self._notify(tx, state, post_process=post_process)
        return tx
