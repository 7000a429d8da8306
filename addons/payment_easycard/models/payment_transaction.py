import uuid
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import float_compare

from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment.logging import get_payment_logger

from .. import const
from .payment_provider import EasyCardError, EasyCardUnknownOutcome

_logger = get_payment_logger(__name__, const.SENSITIVE_KEYS)

RETURN_ROUTE = "/payment/easycard/return"


def easycard_id(value):
    """``value`` as EasyCard's lower-case UUID text, or None when it is not a UUID."""
    try:
        return str(uuid.UUID(str(value)))
    except (TypeError, ValueError, AttributeError):
        return None


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    easycard_intent_id = fields.Char(
        string="EasyCard Payment Intent", readonly=True, copy=False, index="btree_not_null",
        help="The hosted checkout link EasyCard created for this payment.")
    easycard_consumer_id = fields.Char(string="EasyCard Customer", readonly=True, copy=False)
    easycard_j5_expiry = fields.Datetime(
        string="Hold Expires", readonly=True, copy=False,
        help="When EasyCard releases the authorized amount (a J5 hold) if it is not captured.")

    # === RENDERING: the hosted checkout === #

    def _get_specific_rendering_values(self, processing_values):
        """Override of `payment`: create EasyCard's payment intent for exactly this amount
        (or, to save a card, for nothing) and send the payer to its checkout page."""
        if self.provider_code != "easycard":
            return super()._get_specific_rendering_values(processing_values)
        answer = self.provider_id._send_api_request(
            "POST", "/api/paymentIntent", json=self._easycard_intent_payload(),
            reference=self.reference)
        url = (answer.get("additionalData") or {}).get("url") if isinstance(answer, dict) \
            else None
        intent_id = easycard_id(answer.get("entityUID"))
        if not url or not intent_id:
            raise ValidationError(self.env._("EasyCard did not return a checkout page."))
        self.easycard_intent_id = intent_id
        parts = urlsplit(url)
        # A GET form replaces the query of its action: the link's r and l go as inputs.
        return {"api_url": urlunsplit(parts._replace(query="", fragment="")),
                "url_params": dict(parse_qsl(parts.query, keep_blank_values=True))}

    def _easycard_intent_payload(self):
        provider = self.provider_id
        saving_only = self.operation == "validation"
        deal = self._easycard_deal_details()
        if saving_only or self.tokenize:
            self.easycard_consumer_id = provider._easycard_consumer(self.partner_id)
            deal["consumerID"] = self.easycard_consumer_id
        return {
            "terminalID": provider.easycard_terminal_id,
            "currency": self.currency_id.name,
            "paymentRequestAmount": 0 if saving_only else self._easycard_amount(),
            "userAmount": False,
            "issueInvoice": False,
            "transactionType": "regularDeal",
            "allowInstallments": False,
            "allowCredit": False,
            "jDealType": "J5" if provider.capture_manually and not saving_only else "J4",
            "allowSaveCreditCard": bool(self.tokenize and not saving_only),
            "saveCreditCardByDefault": bool(self.tokenize and not saving_only),
            "dealDetails": deal,
            "redirectUrl": self._easycard_return_url(),
            "language": "he-IL" if (self.partner_lang or "").startswith("he") else "en-US",
        }

    def _easycard_amount(self):
        return round(abs(self.amount), 2)

    def _easycard_deal_details(self):
        partner = self.partner_id
        return {
            "dealReference": self.reference,
            "dealDescription": self.reference,
            "consumerName": self.partner_name or partner.name or None,
            "consumerEmail": self.partner_email or partner.email or None,
            "consumerPhone": self.partner_phone or partner.phone or None,
        }

    def _easycard_return_url(self):
        token = payment_utils.generate_access_token(self.reference, env=self.env)
        query = urlencode({"reference": self.reference, "access_token": token})
        return f"{self.provider_id.get_base_url().rstrip('/')}{RETURN_ROUTE}?{query}"

    # === PROCESSING: what EasyCard says, read back from its API === #

    @api.model
    def _extract_reference(self, provider_code, payment_data):
        """Override of `payment`: the reference this module verified the data against."""
        if provider_code != "easycard":
            return super()._extract_reference(provider_code, payment_data)
        return payment_data.get("reference")

    def _extract_amount_data(self, payment_data):
        """Override of `payment`: the deal's total and currency, to two decimals."""
        if self.provider_code != "easycard":
            return super()._extract_amount_data(payment_data)
        deal = payment_data.get("transaction")
        if not deal:
            return None  # a saved card or an unpaid checkout: no amount to check
        return {"amount": float(deal.get("totalAmount") or deal.get("transactionAmount") or 0),
                "currency_code": deal.get("currency"), "precision_digits": 2}

    def _apply_updates(self, payment_data):
        """Override of `payment`: the state EasyCard reports for the deal, the saved card or
        the checkout."""
        if self.provider_code != "easycard":
            return super()._apply_updates(payment_data)
        if payment_data.get("transaction"):
            self._easycard_apply_deal(payment_data["transaction"])
        elif payment_data.get("token"):
            self._easycard_set_method({"cardBrand": payment_data["token"].get("cardVendor")})
            self._set_done()
        elif payment_data.get("intent"):
            self._easycard_apply_intent(payment_data["intent"])
        return None

    def _easycard_apply_deal(self, deal):
        self.provider_reference = deal.get("paymentTransactionID")
        self._easycard_set_method(deal.get("creditCardDetails") or {})
        status = deal.get("status")
        is_hold = deal.get("jDealType") == "J5"
        if is_hold and deal.get("transactionJ5ExpiredDate"):
            self.easycard_j5_expiry = self._easycard_datetime(deal["transactionJ5ExpiredDate"])
        if status in const.STATUS_AUTHORIZED or (is_hold and status in const.STATUS_DONE):
            self._set_authorized()
        elif status in const.STATUS_DONE:
            self._set_done()
        elif status in const.STATUS_CANCEL:
            self._set_canceled(state_message=self.env._("EasyCard cancelled the deal."))
        elif status in const.STATUS_ERROR or status == const.STATUS_TRANSMISSION_FAILED:
            self._easycard_apply_failure(status, deal)
        elif status in const.STATUS_AFTER_DONE:
            # Refunded later, or this is the refund itself: it was confirmed once.
            self._set_done()
        elif status in const.STATUS_PENDING:
            self._set_pending()
        else:
            _logger.warning("EasyCard reported the unknown status %r for %s.", status,
                            self.reference)
            self._set_pending(state_message=self.env._(
                "EasyCard reported a status this module does not know (%(status)s): the "
                "payment waits for a known one.", status=status))

    def _easycard_apply_failure(self, status, deal):
        if status == const.STATUS_TRANSMISSION_FAILED and self.state == "done":
            _logger.warning("EasyCard could not settle the confirmed payment %s.",
                            self.reference)
            return
        self._set_error(self.env._(
            "EasyCard refused the payment: %(reason)s",
            reason=deal.get("rejectionMessage") or status))

    def _easycard_apply_intent(self, intent):
        status = intent.get("status")
        if status in const.INTENT_CANCELED:
            self._set_canceled(state_message=self.env._(
                "The payment was cancelled on EasyCard's page."))
        elif status in const.INTENT_FAILED:
            self._set_error(self.env._("EasyCard refused the card."))

    def _easycard_set_method(self, card):
        brand = str(card.get("cardBrand") or card.get("solek") or "").upper()
        code = const.PAYMENT_METHODS_MAPPING.get(brand)
        method = self.env["payment.method"]._get_from_code(code) if code else None
        if method:
            self.payment_method_id = method

    @api.model
    def _easycard_datetime(self, text):
        try:
            return fields.Datetime.to_datetime(str(text).replace("T", " ")[:19])
        except ValueError:
            return False

    def _extract_token_values(self, payment_data):
        """Override of `payment`: EasyCard's card token, never the card number."""
        if self.provider_code != "easycard":
            return super()._extract_token_values(payment_data)
        token = payment_data.get("token") or {}
        deal = payment_data.get("transaction") or {}
        token_id = easycard_id(token.get("creditCardTokenID") or deal.get("creditCardToken"))
        if not token_id:
            return {}
        masked = token.get("cardNumber") or (deal.get("creditCardDetails") or {}).get(
            "cardNumber") or ""
        return {
            "provider_ref": token_id,
            "payment_details": "".join(c for c in masked if c.isdigit())[-4:],
            "easycard_consumer_id": token.get("consumerID") or self.easycard_consumer_id,
        }

    # === VERIFICATION: nothing EasyCard's redirect or webhook says is trusted as is === #

    def _easycard_expected_reference(self):
        """The dealReference EasyCard keeps for this transaction: a capture, void or refund
        acts on the deal of its source."""
        return (self.source_transaction_id or self).reference

    def _easycard_fetch_deal(self, deal_id):
        """EasyCard's transaction ``deal_id``, checked to be this transaction's: its
        reference, terminal and payment intent."""
        self.ensure_one()
        deal = self.provider_id._send_api_request(
            "GET", f"/api/transactions/{deal_id}", reference=self.reference)
        problems = []
        if not isinstance(deal, dict) or easycard_id(deal.get("paymentTransactionID")) != deal_id:
            raise EasyCardError(self.env._("EasyCard answered with another transaction."))
        if (deal.get("dealDetails") or {}).get("dealReference") \
                != self._easycard_expected_reference():
            problems.append("reference")
        if easycard_id(deal.get("terminalID")) != easycard_id(
                self.provider_id.easycard_terminal_id):
            problems.append("terminal")
        if self.easycard_intent_id and easycard_id(deal.get("paymentIntentID")) \
                != self.easycard_intent_id:
            problems.append("payment intent")
        if self._easycard_is_own_deal(deal):
            amount = deal.get("totalAmount", deal.get("transactionAmount"))
            try:
                amount = float(amount)
            except (TypeError, ValueError):
                amount = None
            if amount is None or float_compare(amount, self._easycard_amount(), 2) != 0:
                problems.append("amount")
            if deal.get("currency") != self.currency_id.name:
                problems.append("currency")
        if problems:
            _logger.warning("EasyCard transaction %s does not match %s: %s.", deal_id,
                            self.reference, ", ".join(problems))
            raise EasyCardError(self.env._(
                "EasyCard's transaction does not belong to this payment (%(fields)s).",
                fields=", ".join(problems)))
        return deal

    def _easycard_is_own_deal(self, deal):
        """Whether ``deal`` is the one this transaction made (not the source deal a refund
        reads first): then its amount and currency must be this transaction's."""
        own = self.provider_reference or self.easycard_intent_id
        return bool(own) and own in (easycard_id(deal.get("paymentTransactionID")),
                                     easycard_id(deal.get("paymentIntentID")))

    def _easycard_fetch_token(self, token_id):
        """EasyCard's card token ``token_id``, checked to be of this payer and terminal."""
        self.ensure_one()
        found = self.provider_id._send_api_request(
            "GET", "/api/cardtokens", params={"CreditCardTokenID": token_id},
            reference=self.reference)
        rows = [row for row in (found.get("data") or []) if isinstance(row, dict)
                and easycard_id(row.get("creditCardTokenID")) == token_id]
        if not rows:
            raise EasyCardError(self.env._("EasyCard does not know this card."))
        token = rows[0]
        if easycard_id(token.get("terminalID")) != easycard_id(
                self.provider_id.easycard_terminal_id) or (
                self.easycard_consumer_id and token.get("consumerID") != self.easycard_consumer_id):
            _logger.warning("EasyCard card %s is not the card of %s.", token_id, self.reference)
            raise EasyCardError(self.env._("EasyCard's card does not belong to this payer."))
        return token

    def _easycard_fetch_intent(self):
        self.ensure_one()
        intent = self.provider_id._send_api_request(
            "GET", f"/api/paymentIntent/{self.easycard_intent_id}", reference=self.reference)
        if (intent.get("dealDetails") or {}).get("dealReference") != self.reference:
            raise EasyCardError(self.env._(
                "EasyCard's payment intent does not belong to this payment."))
        return intent

    def _easycard_settle(self, deal_id=None, token_id=None):
        """Read this transaction's outcome back from EasyCard and process it: the deal
        ``deal_id``, the saved card ``token_id``, else what its payment intent says."""
        self.ensure_one()
        data = {"reference": self.reference}
        if deal_id:
            data["transaction"] = self._easycard_fetch_deal(deal_id)
        elif token_id and self.operation == "validation":
            data["token"] = self._easycard_fetch_token(token_id)
        elif self.easycard_intent_id:
            intent = self._easycard_fetch_intent()
            paid_by = easycard_id(intent.get("paymentTransactionID"))
            if paid_by:
                data["transaction"] = self._easycard_fetch_deal(paid_by)
            elif intent.get("status") == "payed" and self.operation == "validation":
                token = self._easycard_saved_card_of_consumer()
                if not token:
                    return self
                data["token"] = token
            else:
                data["intent"] = intent
        else:
            return self
        return self._process("easycard", data)

    def _easycard_saved_card_of_consumer(self):
        """The newest card of this payer's consumer no token of Odoo holds yet, or None."""
        if not self.easycard_consumer_id:
            return None
        found = self.provider_id._send_api_request(
            "GET", "/api/cardtokens", params={"ConsumerID": self.easycard_consumer_id},
            reference=self.reference)
        terminal = easycard_id(self.provider_id.easycard_terminal_id)
        rows = [row for row in found.get("data") or [] if isinstance(row, dict)
                and easycard_id(row.get("terminalID")) == terminal]
        known = set(self.env["payment.token"].sudo().with_context(active_test=False).search([
            ("provider_id", "=", self.provider_id.id),
            ("provider_ref", "in", [row.get("creditCardTokenID") for row in rows]),
        ]).mapped("provider_ref"))
        return next((row for row in rows if row.get("creditCardTokenID") not in known), None)

    # === MERCHANT-INITIATED OPERATIONS === #

    def _send_payment_request(self):
        """Override of `payment`: charge the saved card off-session (a J5 hold when the
        provider captures manually). A charge without a readable answer stays pending; the
        reconciliation job finds it in EasyCard's records before anything is retried."""
        if self.provider_code != "easycard":
            return super()._send_payment_request()
        provider = self.provider_id
        deal = self._easycard_deal_details()
        deal["consumerID"] = self.token_id.easycard_consumer_id or None
        endpoint = "/api/transactions/blocking" if provider.capture_manually \
            else "/api/transactions/create"
        self._easycard_call_then_settle("POST", endpoint, {
            "terminalID": provider.easycard_terminal_id,
            "creditCardToken": self.token_id.provider_ref,
            "transactionAmount": self._easycard_amount(),
            "currency": self.currency_id.name,
            "cardPresence": "cardNotPresent",
            "transactionType": "regularDeal",
            "issueInvoice": False,
            "dealDetails": deal,
        })
        return None

    def _easycard_call_then_settle(self, method, endpoint, payload):
        """Send an operation that creates a deal, then read that deal back and process it."""
        try:
            answer = self.provider_id._send_api_request(method, endpoint, json=payload,
                                                        reference=self.reference)
        except EasyCardUnknownOutcome as exc:
            self._easycard_wait_for_reconciliation(exc)
            return
        except EasyCardError as exc:
            refused = easycard_id(exc.body.get("entityUID"))
            if not refused:
                raise
            answer = exc.body  # a rejected deal still exists: read its reason
        self._easycard_settle_created(easycard_id(answer.get("entityUID")))

    def _easycard_settle_created(self, deal_id):
        if not deal_id:
            self._easycard_wait_for_reconciliation(None)
            return
        self.provider_reference = deal_id
        try:
            self._easycard_settle(deal_id=deal_id)
        except EasyCardError as exc:
            # The deal exists: an unreadable or doubtful answer is read again later.
            self._easycard_wait_for_reconciliation(exc)

    def _easycard_wait_for_reconciliation(self, exc):
        _logger.warning("EasyCard gave no readable answer for %s (%s): left pending.",
                        self.reference, exc)
        self._set_pending(state_message=self.env._(
            "EasyCard did not confirm the operation: it is checked against EasyCard's records "
            "within minutes, and never sent twice."))

    def _send_capture_request(self):
        """Override of `payment`: select the J5 hold in full; EasyCard answers with the new
        (J4) deal, which this capture transaction records."""
        if self.provider_code != "easycard":
            return super()._send_capture_request()
        hold = self.source_transaction_id
        self._easycard_call_then_settle(
            "POST", f"/api/transactions/selectJ5/{hold.provider_reference}", None)
        return None

    def _send_void_request(self):
        """Override of `payment`: EasyCard cannot cancel a J5 hold, so the hold is selected
        and the deal it becomes is cancelled before the nightly settlement."""
        if self.provider_code != "easycard":
            return super()._send_void_request()
        hold = self.source_transaction_id
        provider = self.provider_id
        selected = provider._send_api_request(
            "POST", f"/api/transactions/selectJ5/{hold.provider_reference}",
            reference=self.reference)
        deal_id = easycard_id(selected.get("entityUID"))
        try:
            provider._send_api_request("POST", "/api/transmission/cancel", json={
                "terminalID": provider.easycard_terminal_id, "paymentTransactionID": deal_id,
            }, reference=self.reference)
        except EasyCardError as exc:
            _logger.error("EasyCard captured hold %s but did not cancel deal %s: %s",
                          hold.reference, deal_id, exc)
            raise ValidationError(self.env._(
                "EasyCard captured the hold instead of releasing it, and refused to cancel "
                "the charge (%(reason)s): cancel deal %(deal)s in EasyCard's portal before "
                "tonight's settlement.", reason=exc.args[0], deal=deal_id)) from None
        self._easycard_settle_created(deal_id)
        return None

    def _send_refund_request(self):
        """Override of `payment`: a settled deal is refunded (in part or in full); one not
        yet settled can only be cancelled, in full; otherwise say when it can be."""
        if self.provider_code != "easycard":
            return super()._send_refund_request()
        source = self.source_transaction_id
        provider = self.provider_id
        deal = source._easycard_fetch_deal(source.provider_reference)
        amount = self._easycard_amount()
        if deal.get("allowRefund"):
            self._easycard_call_then_settle("POST", "/api/transactions/chargeback", {
                "existingPaymentTransactionID": source.provider_reference,
                "refundAmount": amount,
            })
            return None
        if deal.get("allowTransmissionCancellation"):
            if float_compare(amount, float(deal.get("totalAmount") or 0), 2) != 0:
                raise ValidationError(self.env._(
                    "EasyCard settles card payments overnight: until then only the whole "
                    "payment can be cancelled. Refund part of it tomorrow."))
            provider._send_api_request("POST", "/api/transmission/cancel", json={
                "terminalID": provider.easycard_terminal_id,
                "paymentTransactionID": source.provider_reference,
            }, reference=self.reference)
            self.provider_reference = source.provider_reference
            self._set_done(state_message=self.env._(
                "Cancelled at EasyCard before settlement: the card is not charged."))
            return None
        if deal.get("status") == const.STATUS_TRANSMISSION_FAILED:
            raise ValidationError(self.env._(
                "EasyCard could not settle this payment with the card company, so the card was "
                "not charged and there is nothing to refund: see the deal in EasyCard's "
                "portal."))
        total = float(deal.get("totalAmount") or 0)
        if float_compare(float(deal.get("totalRefund") or 0), total, 2) >= 0:
            raise ValidationError(self.env._(
                "EasyCard has refunded this whole payment already: nothing is left to refund."))
        raise ValidationError(self.env._(
            "EasyCard can neither refund nor cancel this payment now (%(status)s): it is being "
            "settled. Try again after the nightly settlement.", status=deal.get("status")))

    # === RECONCILIATION === #

    def action_easycard_check(self):
        """Staff ask EasyCard now what became of this transaction, as the reconciliation job
        does; a charge that never answered is judged only once EasyCard has had the time to
        record it."""
        self.ensure_one()
        if self.provider_code != "easycard" or self.state not in ("draft", "pending"):
            raise UserError(self.env._("Only an EasyCard payment waiting for an outcome can "
                                       "be checked with EasyCard."))
        unanswered = not (self.provider_reference or self.easycard_intent_id
                          or self.operation == "refund")
        wait = timedelta(minutes=const.RECONCILE_AFTER_MINUTES)
        if unanswered and self.create_date > fields.Datetime.now() - wait:
            raise UserError(self.env._(
                "EasyCard did not answer this charge: check again from %(time)s, once EasyCard "
                "has recorded it. Do not charge the card again meanwhile.",
                time=fields.Datetime.context_timestamp(self, self.create_date + wait)
                .strftime("%H:%M")))
        try:
            self._easycard_reconcile()
        except ValidationError as exc:
            raise UserError(self.env._("EasyCard could not be asked: %(reason)s",
                                       reason=exc.args[0])) from None
        state = dict(self._fields["state"]._description_selection(self.env))[self.state]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if self.state == "done" else "info",
                "message": self.env._("EasyCard was asked: the payment is %(state)s.",
                                      state=state),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _cron_easycard_reconcile(self, limit=200):
        """Settle EasyCard transactions left without an outcome (no webhook, no return, a
        dropped connection): each is read back from EasyCard before anything is retried."""
        now = fields.Datetime.now()
        txs = self.search(Domain([
            ("provider_code", "=", "easycard"),
            ("state", "in", ("draft", "pending")),
            ("create_date", "<=", now - timedelta(minutes=const.RECONCILE_AFTER_MINUTES)),
            ("create_date", ">=", now - timedelta(minutes=const.RECONCILE_WITHIN_MINUTES)),
        ]), limit=limit, order="id")
        for tx in txs:
            try:
                with self.env.cr.savepoint():
                    tx._easycard_reconcile()
            except ValidationError as exc:
                _logger.warning("EasyCard reconciliation of %s failed: %s", tx.reference, exc)
        return len(txs)

    def _easycard_reconcile(self):
        self.ensure_one()
        if self.provider_reference and self.operation != "refund":
            self._easycard_settle(deal_id=easycard_id(self.provider_reference))
        elif self.easycard_intent_id:
            self._easycard_settle()
        elif self.operation == "refund":
            self._easycard_reconcile_refund()
        elif self.state == "pending":
            self._easycard_reconcile_by_reference()

    def _easycard_reconcile_by_reference(self):
        """A charge EasyCard may or may not have made: look it up by its reference; none
        means nothing was charged."""
        found = self.provider_id._send_api_request(
            "GET", "/api/transactions", params={"DealReference": self.reference},
            reference=self.reference)
        deal_ids = [easycard_id(row.get("paymentTransactionID")) for row in
                    found.get("data") or [] if isinstance(row, dict)]
        known = set(self.search([("provider_code", "=", "easycard"),
                                 ("provider_reference", "in", [d for d in deal_ids if d]),
                                 ("id", "!=", self.id)]).mapped("provider_reference"))
        for deal_id in deal_ids:
            if deal_id and deal_id not in known:
                self._easycard_settle_created(deal_id)
                return
        self._set_error(self.env._(
            "EasyCard has no record of this charge: the card was not charged."))

    def _easycard_reconcile_refund(self):
        """A refund whose answer was lost: EasyCard's total refunded on the source deal
        tells whether it was made."""
        source = self.source_transaction_id
        deal = source._easycard_fetch_deal(source.provider_reference)
        confirmed = sum(-r.amount for r in source.child_transaction_ids
                        if r.operation == "refund" and r.state == "done" and r != self)
        refunded = float(deal.get("totalRefund") or 0)
        if float_compare(refunded, confirmed - self.amount, 2) >= 0:
            self._set_done(state_message=self.env._("EasyCard's records show the refund."))
        elif deal.get("status") in const.STATUS_CANCEL and not confirmed:
            self._set_done(state_message=self.env._(
                "Cancelled at EasyCard before settlement: the card is not charged."))
        else:
            self._set_error(self.env._(
                "EasyCard has no record of this refund: nothing was refunded."))
