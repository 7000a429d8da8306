from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.fields import Command
from odoo.http import request

from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment.controllers.portal import PaymentPortal

from .. import const
from .portal import ClinicPortal


class ClinicPaymentPortal(ClinicPortal, PaymentPortal):
    """Paying an appointment held for a prepayment: Odoo's payment form on the appointment's
    own page, its transaction tied to the appointment and its draft invoice, and giving the
    time back. What the payment does is ``payment.transaction._post_process``."""

    @http.route("/my/appointments/<int:event_id>/pay", type="http", auth="user", website=True,
                methods=["GET"])
    def clinic_appointment_pay(self, event_id, **kw):
        event_sudo = self._document_or_404("calendar.event", event_id)
        if self._clinic_not_payer(event_sudo) or event_sudo._clinic_payment_refusal():
            return request.redirect(event_sudo._clinic_portal_url())
        return request.render("clinic_portal.portal_appointment_pay",
                              self._clinic_pay_values(event_sudo))

    def _clinic_pay_values(self, event_sudo):
        invoice = event_sudo.clinic_invoice_id
        partner = request.env.user.partner_id
        amount, currency = invoice.amount_total, invoice.currency_id
        providers_sudo = request.env["payment.provider"].sudo()._get_compatible_providers(
            invoice.company_id.id, partner.id, amount, currency_id=currency.id)
        return self._clinic_detail_values(
            event_sudo,
            amount=amount, currency=currency, partner_id=partner.id,
            providers_sudo=providers_sudo,
            payment_methods_sudo=request.env["payment.method"].sudo()
            ._get_compatible_payment_methods(providers_sudo.ids, partner.id,
                                             currency_id=currency.id),
            tokens_sudo=request.env["payment.token"].sudo()._get_available_tokens(
                providers_sudo.ids, partner.id),
            show_tokenize_input_mapping=self._compute_show_tokenize_input_mapping(
                providers_sudo),
            availability_report={},
            reference_prefix=f"{const.TRANSACTION_PREFIX}{event_sudo.id}",
            transaction_route=f"/my/appointments/{event_sudo.id}/transaction",
            landing_route=event_sudo._clinic_portal_url(),
            access_token=payment_utils.generate_access_token(partner.id, amount, currency.id),
        )

    @http.route("/my/appointments/<int:event_id>/transaction", type="jsonrpc", auth="user")
    def clinic_appointment_transaction(self, event_id, access_token=None, **kwargs):
        """Create the transaction that pays the held appointment ``event_id``; return its
        processing values. The amount is the invoice's, whatever the page sent.

        :raise ValidationError: not the user's appointment, or it cannot be paid now
        """
        try:
            event_sudo = self._document_check_access("calendar.event", event_id)
        except (AccessError, MissingError):
            raise ValidationError(request.env._("This appointment does not exist.")) from None
        self._validate_transaction_kwargs(kwargs)
        if self._clinic_not_payer(event_sudo):
            raise ValidationError(request.env._("This appointment does not exist."))
        refusal = event_sudo._clinic_payment_refusal()
        if refusal:
            raise ValidationError(refusal)
        if kwargs.pop("is_validation", False):
            raise ValidationError(request.env._("This appointment needs a payment."))
        invoice = event_sudo.clinic_invoice_id
        partner = request.env.user.partner_id
        compatible = request.env["payment.provider"].sudo()._get_compatible_providers(
            invoice.company_id.id, partner.id, invoice.amount_total,
            currency_id=invoice.currency_id.id)
        if self._cast_as_int(kwargs.get("provider_id")) not in compatible.ids:
            raise ValidationError(request.env._("Choose one of the payment methods shown."))
        kwargs.pop("amount", None)
        kwargs["landing_route"] = event_sudo._clinic_portal_url()
        tx_sudo = self._create_transaction(
            amount=invoice.amount_total, currency_id=invoice.currency_id.id,
            partner_id=partner.id,
            reference_prefix=f"{const.TRANSACTION_PREFIX}{event_sudo.id}",
            custom_create_values={"invoice_ids": [Command.set(invoice.ids)],
                                  "clinic_appointment_id": event_sudo.id},
            **kwargs)
        return tx_sudo._get_processing_values()

    @http.route("/my/appointments/<int:event_id>/release", type="http", auth="user",
                website=True, methods=["POST"])
    def clinic_appointment_release(self, event_id, **kw):
        """The patient gives back the time held for them, to choose another."""
        event_sudo = self._document_or_404("calendar.event", event_id)
        try:
            event_sudo._clinic_release_by_patient()
        except UserError as exc:
            return request.render("clinic_portal.portal_my_appointment",
                                  self._clinic_detail_values(event_sudo, error=exc.args[0]))
        return request.redirect(
            f"/my/appointments/book?service={event_sudo.clinic_product_id.id}", code=303)
