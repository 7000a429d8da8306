from odoo import http
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.http import request
from odoo.tools import format_amount

from odoo.addons.payment import utils as payment_utils

from .. import const
from .payment import ClinicPaymentPortal


class ClinicGuaranteePortal(ClinicPaymentPortal):
    """Saving a card as the guarantee of a held appointment: Odoo's payment form in
    validation mode on the appointment's own page, its validation transaction tied to the
    appointment; no amount of the appointment is ever charged there. What the saved card
    does is ``payment.transaction._post_process``."""

    def _clinic_values(self, **values):
        partner = request.env.user.partner_id
        company = self._clinic_policy().company
        events = request.env["calendar.event"]
        return super()._clinic_values(
            saved_card=lambda: events._clinic_saved_card(partner, company),
            no_show_fee=lambda product: self._clinic_fee_label(product, partner),
            **values)

    def _clinic_fee_label(self, product, partner):
        """The no-show fee of ``product`` for ``partner``, formatted; '' when there is none."""
        amount, currency = request.env["calendar.event"]._clinic_fee_of(product, partner)
        return "" if currency.is_zero(amount) else format_amount(request.env, amount, currency)

    def _clinic_detail_values(self, event_sudo, **values):
        values = super()._clinic_detail_values(event_sudo, **values)
        if event_sudo.clinic_card_guarantee and values["held"]:
            refusal = event_sudo._clinic_card_refusal()
            # The card is the one of who pays: the patient, or the family member who booked.
            is_payer = event_sudo.clinic_payer_id == request.env.user.partner_id
            values.update(can_pay=is_payer and not refusal, payment_refusal=refusal)
        return values

    @http.route("/my/appointments/<int:event_id>/card", type="http", auth="user",
                website=True, methods=["GET"])
    def clinic_appointment_card(self, event_id, **kw):
        event_sudo = self._document_or_404("calendar.event", event_id)
        if self._clinic_not_payer(event_sudo) or event_sudo._clinic_card_refusal():
            return request.redirect(event_sudo._clinic_portal_url())
        return request.render("clinic_portal.portal_appointment_card",
                              self._clinic_card_values(event_sudo))

    def _clinic_card_values(self, event_sudo):
        partner = request.env.user.partner_id
        providers_sudo = self._clinic_card_providers(event_sudo)
        return self._clinic_detail_values(
            event_sudo,
            mode="validation", allow_token_selection=False, partner_id=partner.id,
            providers_sudo=providers_sudo,
            payment_methods_sudo=self._clinic_card_methods(providers_sudo),
            tokens_sudo=request.env["payment.token"].sudo(),
            availability_report={},
            reference_prefix=f"{const.TRANSACTION_PREFIX}{event_sudo.id}",
            transaction_route=f"/my/appointments/{event_sudo.id}/card/transaction",
            landing_route=event_sudo._clinic_portal_url(),
            access_token=payment_utils.generate_access_token(partner.id, None, None),
        )

    def _clinic_card_providers(self, event_sudo):
        company = self._clinic_policy().company
        return event_sudo._clinic_guarantee_providers(request.env.user.partner_id, company)

    def _clinic_card_methods(self, providers_sudo):
        return request.env["payment.method"].sudo()._get_compatible_payment_methods(
            providers_sudo.ids, request.env.user.partner_id.id, force_tokenization=True)

    @http.route("/my/appointments/<int:event_id>/card/transaction", type="jsonrpc",
                auth="user")
    def clinic_appointment_card_transaction(self, event_id, access_token=None, **kwargs):
        """Create the validation transaction that saves the patient's card for the held
        appointment ``event_id``; return its processing values. The amount is the
        provider's validation amount, whatever the page sent.

        :raise ValidationError: not the user's appointment, or no card can be saved for it
        """
        try:
            event_sudo = self._document_check_access("calendar.event", event_id)
        except (AccessError, MissingError):
            raise ValidationError(request.env._("This appointment does not exist.")) from None
        self._validate_transaction_kwargs(kwargs)
        if self._clinic_not_payer(event_sudo):
            raise ValidationError(request.env._("This appointment does not exist."))
        refusal = event_sudo._clinic_card_refusal()
        if refusal:
            raise ValidationError(refusal)
        if not kwargs.pop("is_validation", False) or kwargs.get("flow") == "token":
            raise ValidationError(request.env._("Save a new card to book this appointment."))
        providers_sudo = self._clinic_card_providers(event_sudo)
        methods_sudo = self._clinic_card_methods(providers_sudo)
        if (self._cast_as_int(kwargs.get("provider_id")) not in providers_sudo.ids
                or self._cast_as_int(kwargs.get("payment_method_id")) not in methods_sudo.ids):
            raise ValidationError(request.env._("Choose one of the payment methods shown."))
        kwargs.pop("amount", None)
        kwargs.update(landing_route=event_sudo._clinic_portal_url(),
                      tokenization_requested=True)
        tx_sudo = self._create_transaction(
            amount=None, currency_id=None, partner_id=request.env.user.partner_id.id,
            reference_prefix=f"{const.TRANSACTION_PREFIX}{event_sudo.id}",
            is_validation=True,
            custom_create_values={"clinic_appointment_id": event_sudo.id}, **kwargs)
        return tx_sudo._get_processing_values()
