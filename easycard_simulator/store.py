"""In-memory EasyCard terminal: access tokens, payment intents, transactions, card tokens and
consumers, with EasyCard's rules.

Independent of HTTP so tests can drive it directly; every public method is thread safe. API
methods take what the API receives (a parsed JSON body, query pairs) and return
``(HTTP status, JSON-ready body)``; a refusal raises ``ApiError`` carrying EasyCard's
``OperationResponse`` error body. Amounts are ``Decimal`` with two places.

The rules follow EasyCard's public documents (EasycardNG/API: TransactionsApi.md,
PaymentIntent&PaymentRequest.md, CheckoutPage.md, DelayedTransactionJ5.md, Webhooks.md).
Where they are silent the simulator decides, and says so here:

* intents: ``userAmount`` must be false (the payer never sets the amount here) and
  ``redirectUrl`` must start with an allowed base (none configured: any URL);
  ``paymentRequestAmount`` 0 only saves a card and needs ``dealDetails.consumerID`` (the
  schema has no top-level consumerID); ``issueInvoice`` left out means the terminal default,
  which issues an invoice;
* a paid, declined or cancelled intent's link is dead; a declined payment redirects with the
  rejected transaction's ``transactionID``; a cancelled one redirects with no id;
* an approved J4 waits in ``awaitingForTransmission`` (cancellable, not refundable) until the
  settlement batch (``transmit``) makes it ``completed`` (refundable, no longer cancellable);
  a J5 hold waits in ``awaitingToSelectJ5`` for a day;
* ``selectJ5`` creates a new J4 and marks the J5 ``completed``; a second select is refused;
* ``chargeback`` creates a refund transaction (``specialTransactionType`` refund, status
  ``chargeback``) whose id is the answer's ``entityUID``; the source's ``totalRefund`` grows
  and its status becomes ``chargeback`` once fully refunded;
* a stored card is charged without 3-D Secure; a declined token charge answers 201 with
  ``status`` error and the rejected transaction's id;
* lists are newest first; filters match exactly; query names are case-insensitive, as
  ASP.NET binds them.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
import time
import uuid
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote, urlsplit

from easycard_simulator import cards
from easycard_simulator.contract import (
    CARD_PRESENCES,
    CURRENCIES,
    J_DEAL_TYPES,
    TRANSACTION_TYPES,
    ZERO,
    ApiError,
    amount_field,
    append_query,
    choice,
    deal_details,
    iso,
    j5_message,
    matches,
    new_id,
    not_found,
    optional_bool,
    page,
    query_dict,
    quick_status,
    redirect_allowed,
    refused,
    require_object,
    success,
    uuid_text,
    validation_error,
)
from easycard_simulator.webhooks import WebhookHub

DEFAULT_TOKEN_TTL = 86_400  # Authorization.md: expires_in 86400
J5_TTL = 86_400  # "Transaction J5 expired date (in general after 1 day)"
DEFAULT_LANGUAGE = "he-IL"
TERMINAL_NAME = "EasyCard simulator"

DECLINED = "Declined by the card issuer (simulated)"
FAILED_3DS = "3-D Secure authentication failed (simulated)"
CARD_EXPIRED = "The card has expired (simulated)"
TRANSMISSION_FAILED = "Transmission to the processor failed (simulated)"

PaymentStep = namedtuple("PaymentStep", "intent_id challenge_id")


class LinkError(Exception):
    """A checkout link that is ``invalid`` (never issued) or ``unavailable`` (used, expired)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


# --- records ---------------------------------------------------------------------------------


@dataclass
class Intent:
    id: str
    opaque: str  # the checkout link's r: not the id, as EasyCard's is not
    amount: Decimal
    currency: str
    deal: dict
    redirect_url: str
    language: str
    j_deal_type: str
    transaction_type: str
    issue_invoice: bool | None
    allow_save: bool
    save_by_default: bool
    extension: object
    due_date: str | None
    created: float
    status: str = "initial"
    transaction_id: str | None = None
    token_id: str | None = None
    history: list = field(default_factory=list)

    @property
    def save_only(self):
        return self.amount == 0


@dataclass
class Transaction:
    id: str
    status: str
    j_deal_type: str
    amount: Decimal
    currency: str
    card: cards.Card
    deal: dict
    origin: str  # documentOrigin: checkout or API
    created: float
    intent_id: str | None = None
    token_id: str | None = None
    transaction_type: str = "regularDeal"
    payments: int = 1
    special_type: str = "regularDeal"
    card_presence: str = "cardNotPresent"
    issue_invoice: bool = False
    invoice_id: str | None = None
    rejection_message: str | None = None
    j5_expires: float | None = None
    total_refund: Decimal = ZERO
    source_id: str | None = None  # the J5 a J4 was selected from, the deal a refund refunds
    extension: object = None
    correlation_id: str = field(default_factory=new_id)
    updated: float | None = None

    @property
    def regular_j4(self):
        return self.j_deal_type == "J4" and self.special_type == "regularDeal"

    @property
    def allow_refund(self):
        # TransactionsApi.md's example: awaitingForTransmission has allowRefund false.
        return (self.regular_j4 and self.status == "completed"
                and self.total_refund < self.amount)

    @property
    def allow_cancellation(self):
        return self.regular_j4 and self.status == "awaitingForTransmission"


@dataclass
class Token:
    id: str
    card: cards.Card
    consumer_id: str | None
    consumer_email: str | None
    created: float
    deleted: bool = False
    declines: bool = False  # set by /_sim/decline_token: its next charges are declined


@dataclass
class Consumer:
    id: str
    name: str
    email: str | None
    phone: str | None
    national_id: str | None
    external_reference: str | None
    note: str | None
    created: float
    active: bool = True


_INTENT_QUICK = {"payed": "completed", "paymentFailed": "failed", "rejected": "failed",
                 "canceled": "canceled", "viewed": "viewed"}


class Store:
    """The state of one simulated EasyCard terminal."""

    def __init__(self, terminal_id, private_key, allowed_redirects=(),
                 token_ttl=DEFAULT_TOKEN_TTL, webhook_header=None, clock=time.time,
                 issue_invoice_default=True):
        if not private_key:
            raise ValueError("a terminal private key is required")
        self.terminal_id = str(uuid.UUID(terminal_id))
        self.merchant_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "easycard-sim:" + terminal_id))
        self.private_key = private_key
        self.issue_invoice_default = issue_invoice_default
        self.webhooks = WebhookHub(self.terminal_id, self.merchant_id, webhook_header)
        self.public_url = "http://127.0.0.1"  # the checkout's base; the server sets its own
        self._clock = clock
        self._defaults = (tuple(allowed_redirects), token_ttl)
        self._lock = threading.RLock()
        self._access = {}  # access token -> expiry, kept across reset like a real identity server
        self.reset()

    def reset(self, allowed_redirects=None, token_ttl=None):
        """Forget every intent, transaction, token, consumer and event; set the options."""
        allowed = self._defaults[0] if allowed_redirects is None else tuple(allowed_redirects)
        ttl = self._defaults[1] if token_ttl is None else token_ttl
        if not all(isinstance(base, str) and urlsplit(base).netloc for base in allowed):
            raise validation_error("allowed_redirects", "allowed redirects must be absolute URLs")
        if type(ttl) is not int or ttl < 1:
            raise validation_error("token_ttl", "token_ttl must be a positive integer")
        with self._lock:
            self.allowed_redirects, self.token_ttl = allowed, ttl
            self._intents, self._by_opaque, self._challenges = {}, {}, {}
            self._transactions, self._tokens, self._consumers = {}, {}, {}
        self.webhooks.reset()

    def _now(self):
        return self._clock()

    def _publish(self, event, entity_type, reference, external=None, failure=None,
                 intent_id=None):
        self.webhooks.publish(event, entity_type, reference, external, failure, intent_id,
                              iso(self._now()))

    # --- identity ----------------------------------------------------------------------------

    def issue_access_token(self, form):
        """POST /connect/token with its form fields -> the token answer."""
        if form.get("client_id") != "terminal":
            raise ApiError(400, {"error": "invalid_client"})
        if form.get("grant_type") != "terminal_rest_api":
            raise ApiError(400, {"error": "unsupported_grant_type"})
        given = (form.get("authorizationKey") or "").encode()
        if not hmac.compare_digest(given, self.private_key.encode()):
            raise ApiError(400, {"error": "invalid_client"})
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = self._now()
            self._access = {key: end for key, end in self._access.items() if end > now}
            self._access[token] = now + self.token_ttl
            ttl = self.token_ttl
        return 200, {"access_token": token, "expires_in": ttl, "token_type": "Bearer",
                     "scope": "transactions_api"}

    def access_token_valid(self, token):
        with self._lock:
            end = self._access.get(token)
            return end is not None and end > self._now()

    def revoke_access_token(self, token):
        with self._lock:
            self._access.pop(token, None)

    # --- lookups (under the lock) --------------------------------------------------------------

    def _check_terminal(self, value, required):
        if value is None and not required:
            return
        if uuid_text(value, "terminalID") != self.terminal_id:
            raise not_found("Terminal")

    def _intent(self, intent_id):
        intent = self._intents.get(str(intent_id).lower())
        if intent is None:
            raise not_found("PaymentIntent")
        return intent

    def _transaction(self, transaction_id):
        transaction = self._transactions.get(str(transaction_id).lower())
        if transaction is None:
            raise not_found("PaymentTransaction")
        return transaction

    def _live_token(self, token_id):
        token = self._tokens.get(str(token_id).lower())
        if token is None or token.deleted:
            raise not_found("CreditCardToken")
        return token

    def _check_consumer(self, consumer_id):
        if consumer_id is not None and consumer_id not in self._consumers:
            raise not_found("Consumer")

    # --- payment intents ---------------------------------------------------------------------

    def create_intent(self, body):
        """POST /api/paymentIntent -> 201 with the checkout link."""
        intent = self._new_intent(require_object(body))
        with self._lock:
            self._check_consumer(intent.deal["consumerID"])
            self._intents[intent.id] = intent
            self._by_opaque[intent.opaque] = intent
            self._log(intent, "PaymentRequestCreated")
            url = self._link(intent)
        return 201, success("Payment Intent created", intent.id, additionalData={"url": url})

    def _new_intent(self, body):
        self._check_terminal(body.get("terminalID"), required=False)
        currency = choice(body, "currency", CURRENCIES, "ILS")
        amount = amount_field(body, "paymentRequestAmount", allow_zero=True)
        if body.get("userAmount") not in (None, False):
            raise validation_error("userAmount", "userAmount must be false: the payer may not "
                                                 "change the amount")
        deal = deal_details(body.get("dealDetails"))
        if amount == 0 and deal["consumerID"] is None:
            raise validation_error("consumerID", "dealDetails.consumerID is required when "
                                                 "paymentRequestAmount is 0 (save card only)")
        language = body.get("language") or body.get("defaultLanguage") or DEFAULT_LANGUAGE
        if not isinstance(language, str):
            raise validation_error("language", "language must be text such as he-IL")
        opaque = base64.b64encode(secrets.token_bytes(25)).decode()  # has + / = to encode
        return Intent(
            id=new_id(), opaque=opaque, amount=amount, currency=currency, deal=deal,
            redirect_url=self._redirect_url(body.get("redirectUrl")), language=language,
            j_deal_type=choice(body, "jDealType", J_DEAL_TYPES, "J4"),
            transaction_type=choice(body, "transactionType", TRANSACTION_TYPES, "regularDeal"),
            issue_invoice=optional_bool(body, "issueInvoice"),
            allow_save=bool(optional_bool(body, "allowSaveCreditCard")),
            save_by_default=bool(optional_bool(body, "saveCreditCardByDefault")),
            extension=body.get("extension"), due_date=body.get("dueDate"), created=self._now())

    def _redirect_url(self, value):
        parts = urlsplit(value) if isinstance(value, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise validation_error("redirectUrl", "redirectUrl must be an absolute http(s) URL")
        if not redirect_allowed(value, self.allowed_redirects):
            raise validation_error("redirectUrl", "the base of redirectUrl is not one of the "
                                                  "terminal's Checkout Redirect URLs")
        return value

    def _link(self, intent):
        return (f"{self.public_url}/i?r={quote(intent.opaque, safe='')}"
                f"&l={quote(intent.language, safe='')}")

    def _log(self, intent, code, message=None):
        intent.history.append({"paymentRequestHistoryID": new_id(),
                               "operationDate": iso(self._now()),
                               "operationDoneBy": TERMINAL_NAME, "operationCode": code,
                               "operationMessage": message})

    def get_intent(self, intent_id):
        with self._lock:
            return 200, self._intent_json(self._intent(intent_id))

    def delete_intent(self, intent_id):
        """DELETE /api/paymentIntent/{id}: the link stops working."""
        with self._lock:
            intent = self._intent(intent_id)
            if intent.status == "payed":
                raise refused("The payment intent is already paid", "paymentIntentID")
            if intent.status != "canceled":
                intent.status = "canceled"
                self._log(intent, "PaymentRequestCanceled")
        return 200, success("Payment Intent deleted", intent.id)

    def _intent_json(self, intent):
        amount = intent.amount
        return {
            "paymentRequestID": intent.id, "terminalID": self.terminal_id,
            "terminalName": TERMINAL_NAME, "consumerID": intent.deal["consumerID"],
            "paymentTransactionID": intent.transaction_id,
            "paymentRequestUrl": self._link(intent),
            "history": [dict(entry) for entry in intent.history],
            "userPaidDetails": None, "amount": amount, "origin": None,
            "paymentRequestTimestamp": iso(intent.created), "dueDate": intent.due_date,
            "currency": intent.currency, "status": intent.status,
            "quickStatus": _INTENT_QUICK.get(intent.status, "pending"),
            "cardOwnerName": None, "cardOwnerNationalID": None,
            "dealDetails": dict(intent.deal), "numberOfPayments": 1,
            "initialPaymentAmount": amount, "totalAmount": amount,
            "installmentPaymentAmount": ZERO, "paymentRequestAmount": amount,
            "isRefund": False, "userAmount": False, "redirectUrl": intent.redirect_url,
            "onlyAddCard": intent.save_only, "showAuthCode": None,
            "transactionType": intent.transaction_type, "extension": intent.extension,
        }

    # --- hosted checkout ---------------------------------------------------------------------

    def _payable(self, opaque):
        intent = self._by_opaque.get(opaque or "")
        if intent is None:
            raise LinkError("invalid")
        if intent.status not in ("initial", "viewed") or self._overdue(intent):
            raise LinkError("unavailable")
        return intent

    def _overdue(self, intent):
        try:
            due = datetime.fromisoformat(intent.due_date.replace("Z", "+00:00"))
        except (AttributeError, ValueError):
            return False  # no due date, or one the simulator cannot read: never overdue
        due = due if due.tzinfo else due.replace(tzinfo=UTC)
        return due.timestamp() <= self._now()

    def checkout_view(self, opaque):
        """What the checkout page shows; the first view marks the intent viewed."""
        with self._lock:
            intent = self._payable(opaque)
            if intent.status == "initial":
                intent.status = "viewed"
                self._log(intent, "PaymentRequestViewed")
            return {"r": intent.opaque, "amount": intent.amount, "currency": intent.currency,
                    "description": intent.deal["dealDescription"],
                    "merchant": TERMINAL_NAME, "save_only": intent.save_only,
                    "offer_save": intent.allow_save and not intent.save_only,
                    "save_by_default": intent.save_by_default, "language": intent.language}

    def pay(self, opaque, fields, save_card=False):
        """The payer submits the card form -> PaymentStep.

        A 3-D Secure card stops at a challenge (``challenge_id`` set); otherwise the payment
        is finished. Raises LinkError, or cards.CardFormError listing the invalid fields.
        """
        card = cards.read_card_form(fields, self._now())
        with self._lock:
            intent = self._payable(opaque)
            if card.outcome == cards.CHALLENGE:
                challenge = secrets.token_urlsafe(16)
                self._challenges[challenge] = (intent.id, card, save_card)
                return PaymentStep(intent.id, challenge)
            self._finish(intent, card, save_card, None if card.outcome != cards.DECLINE
                         else ("rejectedByProcessor", DECLINED))
            return PaymentStep(intent.id, None)

    def challenge_language(self, challenge):
        with self._lock:
            if challenge not in self._challenges:
                raise LinkError("invalid")
            return self._intents[self._challenges[challenge][0]].language

    def answer_challenge(self, challenge, approved):
        """The payer's 3-D Secure answer -> the intent id of the finished payment."""
        with self._lock:
            if challenge not in self._challenges:
                raise LinkError("invalid")
            intent_id, card, save_card = self._challenges.pop(challenge)
            intent = self._payable(self._intents[intent_id].opaque)
            self._finish(intent, card, save_card,
                         None if approved else ("rejectedBy3Dsecure", FAILED_3DS))
            return intent.id

    def intent_of_link(self, opaque):
        """(intent id, page language) of a checkout link, whatever the intent's state."""
        with self._lock:
            intent = self._by_opaque.get(opaque or "")
            if intent is None:
                raise LinkError("invalid")
            return intent.id, intent.language

    def link_of(self, intent_id):
        with self._lock:
            return self._intent(intent_id).opaque

    def token_of(self, intent_id):
        """The card token a save-only intent created, or None."""
        with self._lock:
            return self._intent(intent_id).token_id

    def cancel_checkout(self, opaque):
        """The payer presses Cancel -> the intent id."""
        with self._lock:
            intent = self._payable(opaque)
            intent.status = "canceled"
            self._log(intent, "PaymentRequestCanceled", "Cancelled by the payer")
            return intent.id

    def _finish(self, intent, card, save_card, rejection):
        """Record the outcome of a payment; ``rejection`` is (status, message) or None."""
        if intent.save_only:
            self._finish_save_only(intent, card, rejection)
            return
        token = None
        if rejection is None and save_card and intent.allow_save:
            token = self._new_token(card, intent.deal, intent.id)
        transaction = self._new_transaction(
            card, intent.amount, intent.currency, intent.deal, intent.j_deal_type, "checkout",
            rejection, intent_id=intent.id, token_id=token and token.id,
            transaction_type=intent.transaction_type, issue_invoice=intent.issue_invoice,
            extension=intent.extension)
        intent.transaction_id = transaction.id
        intent.status = "paymentFailed" if rejection else "payed"
        self._log(intent, "PaymentRequestPaymentFailed" if rejection else "PaymentRequestPayed")

    def _finish_save_only(self, intent, card, rejection):
        if rejection:
            intent.status = "paymentFailed"
            self._log(intent, "PaymentRequestPaymentFailed", rejection[1])
            return
        intent.token_id = self._new_token(card, intent.deal, intent.id).id
        intent.status = "payed"
        self._log(intent, "PaymentRequestPayed")

    def redirect_for(self, intent_id, mode="normal"):
        """Where the checkout sends the payer after ``intent_id`` finished.

        ``mode`` plays a redirect fault: ``no_id`` drops the id, ``other_id`` carries an id
        that belongs to another intent (or to nothing when there is no other).
        """
        with self._lock:
            intent = self._intent(intent_id)
            name, value = None, None
            if intent.token_id:
                name, value = "TokenID", intent.token_id
            elif intent.transaction_id:
                name, value = "transactionID", intent.transaction_id
            if mode == "no_id":
                name = None
            elif mode == "other_id":
                name, value = self._other_id(intent)
            return append_query(intent.redirect_url, name, value)

    def _other_id(self, intent):
        if intent.save_only:
            others = [t.id for t in self._tokens.values() if t.id != intent.token_id]
            return "TokenID", others[-1] if others else new_id()
        others = [t.id for t in self._transactions.values() if t.intent_id != intent.id]
        return "transactionID", others[-1] if others else new_id()

    def pay_headless(self, spec):
        """POST /_sim/pay: pay an intent without the HTML pages (load tests).

        ``spec``: paymentIntentID, card (number), expiry, cvv, name, save_card, and
        three_ds (approve or fail) for a 3-D Secure card. Returns the intent id.
        """
        spec = require_object(spec)
        with self._lock:
            intent = self._intent(uuid_text(spec.get("paymentIntentID"), "paymentIntentID"))
            opaque = intent.opaque
        default_expiry = f"12/{datetime.fromtimestamp(self._now(), UTC).year + 3}"
        fields = {"cardNumber": str(spec.get("card") or "4111111111111111"),
                  "expiry": spec.get("expiry") or default_expiry,
                  "cvv": spec.get("cvv") or "123", "cardOwnerName": spec.get("name") or "Test"}
        step = self.pay(opaque, fields, bool(spec.get("save_card")))
        if step.challenge_id:
            self.answer_challenge(step.challenge_id, spec.get("three_ds", "approve") != "fail")
        return step.intent_id

    # --- transactions ------------------------------------------------------------------------

    def _new_transaction(self, card, amount, currency, deal, j_deal_type, origin, rejection,
                         **extra):
        """Create, store and announce a transaction (under the lock)."""
        now = self._now()
        if rejection:
            status, message = rejection
        else:
            status = "awaitingToSelectJ5" if j_deal_type == "J5" else "awaitingForTransmission"
            status, message = extra.pop("status", status), None
        issue = extra.pop("issue_invoice", None)
        issue = self.issue_invoice_default if issue is None else issue
        transaction = Transaction(
            id=new_id(), status=status, j_deal_type=j_deal_type, amount=amount, currency=currency,
            card=card, deal=dict(deal), origin=origin, created=now, rejection_message=message,
            issue_invoice=issue, invoice_id=new_id() if issue and not rejection else None,
            j5_expires=now + J5_TTL if j_deal_type == "J5" and not rejection else None,
            updated=now, **extra)
        self._transactions[transaction.id] = transaction
        self._publish("TransactionRejected" if rejection else "TransactionCreated",
                      "PaymentTransaction", transaction.id, deal.get("dealReference"), message,
                      transaction.intent_id)
        return transaction

    def get_transaction(self, transaction_id):
        with self._lock:
            return 200, self._transaction_json(self._transaction(transaction_id))

    def list_transactions(self, pairs):
        """GET /api/transactions with its filters -> SummariesAmountResponse."""
        query = query_dict(pairs)
        with self._lock:
            found = [t for t in reversed(self._transactions.values())
                     if self._transaction_matches(t, query)]
            data = [self._transaction_summary(t) for t in page(query, found)]
        totals = {currency: sum((t.amount for t in found if t.currency == currency), ZERO)
                  for currency in CURRENCIES}
        return 200, {"totalAmountILS": totals["ILS"], "totalAmountUSD": totals["USD"],
                     "totalAmountEUR": totals["EUR"], "numberOfRecords": len(found),
                     "data": data}

    @staticmethod
    def _transaction_matches(transaction, query):
        return matches(query, {
            "paymenttransactionid": transaction.id,
            "paymenttransactionintentid": transaction.intent_id,
            "dealreference": transaction.deal.get("dealReference"),
            "consumerid": transaction.deal.get("consumerID"),
            "creditcardtokenid": transaction.token_id,
            "currency": transaction.currency,
            "jdealtype": transaction.j_deal_type,
        })

    def _transaction_json(self, transaction):
        t = transaction
        return {
            "paymentTransactionID": t.id, "transactionDate": iso(t.created)[:10] + "T00:00:00",
            "transactionTimestamp": iso(t.created), "terminalID": self.terminal_id,
            "terminalName": TERMINAL_NAME, "merchantID": self.merchant_id, "status": t.status,
            "paymentTypeEnum": "card", "quickStatus": quick_status(t.status),
            "transactionType": t.transaction_type, "specialTransactionType": t.special_type,
            "jDealType": t.j_deal_type,
            "transactionJ5ExpiredDate": iso(t.j5_expires) if t.j5_expires else None,
            "rejectionReason": "unknown" if t.rejection_message else None,
            "currency": t.currency, "cardPresence": t.card_presence,
            "numberOfPayments": t.payments, "transactionAmount": t.amount, "amount": t.amount,
            "initialPaymentAmount": t.amount, "totalAmount": t.amount,
            "installmentPaymentAmount": ZERO,
            "creditCardDetails": {"cardNumber": t.card.masked,
                                  "cardExpiration": t.card.expiration_text,
                                  "cardVendor": t.card.brand, "cardBrand": t.card.brand,
                                  "solek": t.card.solek, "cardOwnerName": t.card.owner_name},
            "creditCardToken": t.token_id, "dealDetails": dict(t.deal),
            "rejectionMessage": t.rejection_message, "correlationId": t.correlation_id,
            "invoiceID": t.invoice_id, "issueInvoice": t.issue_invoice,
            "documentOrigin": t.origin, "paymentRequestID": None, "paymentIntentID": t.intent_id,
            "extension": t.extension, "totalRefund": t.total_refund,
            "allowTransmission": t.allow_cancellation,
            "allowTransmissionCancellation": t.allow_cancellation,
            "allowRefund": t.allow_refund, "allowInvoiceCreation": False,
            "updatedDate": iso(t.updated or t.created),
        }

    def _transaction_summary(self, transaction):
        t = transaction
        return {
            "paymentTransactionID": t.id, "terminalName": TERMINAL_NAME,
            "terminalID": self.terminal_id, "documentOrigin": t.origin,
            "cardNumber": t.card.masked, "rejectionMessage": t.rejection_message,
            "processorResultCode": None, "transactionAmount": t.amount,
            "initialPaymentAmount": t.amount, "installmentPaymentAmount": ZERO,
            "transactionType": t.transaction_type, "currency": t.currency,
            "transactionTimestamp": iso(t.created), "status": t.status,
            "paymentTypeEnum": "card", "quickStatus": quick_status(t.status),
            "specialTransactionType": t.special_type, "jDealType": t.j_deal_type,
            "rejectionReason": "unknown" if t.rejection_message else None,
            "cardPresence": t.card_presence, "cardOwnerName": t.card.owner_name,
            "consumerExternalReference": t.deal.get("consumerExternalReference"),
            "shvaDealID": None, "invoiceID": t.invoice_id,
            "dealDescription": t.deal.get("dealDescription"),
        }

    # --- merchant-initiated charges ----------------------------------------------------------

    def charge(self, body, j5=False):
        """POST /api/transactions/create (J4) or /blocking (J5) on a token or a card."""
        body = require_object(body)
        self._check_terminal(body.get("terminalID"), required=True)
        currency = choice(body, "currency", CURRENCIES, "ILS")
        amount = amount_field(body, "transactionAmount")
        deal = deal_details(body.get("dealDetails"))
        presence = choice(body, "cardPresence", CARD_PRESENCES, "cardNotPresent")
        kind, payments = self._deal_kind(body, amount, j5)
        with self._lock:
            self._check_consumer(deal["consumerID"])
            card, token = self._charged_card(body, deal)
            transaction = self._new_transaction(
                card, amount, currency, deal, "J5" if j5 else "J4", "API",
                self._charge_rejection(card, token), token_id=token and token.id,
                transaction_type=kind, payments=payments, card_presence=presence,
                issue_invoice=optional_bool(body, "issueInvoice"),
                extension=body.get("extension"))
        return 201, self._charge_answer(transaction)

    @staticmethod
    def _deal_kind(body, amount, j5):
        kind = choice(body, "transactionType", TRANSACTION_TYPES, "regularDeal")
        if j5 or kind == "regularDeal":
            return "regularDeal" if j5 else kind, 1
        details = require_object(body.get("installmentDetails"), "installmentDetails")
        if amount_field(details, "totalAmount") != amount:
            raise validation_error("installmentDetails.totalAmount", "In case of installments "
                                   "transactionAmount must match InstallmentDetails.TotalAmount")
        payments = details.get("numberOfPayments")
        if type(payments) is not int or not 1 <= payments <= 999:
            raise validation_error("installmentDetails.numberOfPayments",
                                   "numberOfPayments must be from 1 to 999")
        return kind, payments

    def _charged_card(self, body, deal):
        """(card, token or None) the charge uses: a stored token, or card details."""
        if body.get("creditCardToken") is not None:
            token = self._live_token(uuid_text(body["creditCardToken"], "creditCardToken"))
            return token.card, token
        details = body.get("creditCardSecureDetails")
        if not isinstance(details, dict):
            raise validation_error("creditCardToken", "creditCardToken or "
                                                      "creditCardSecureDetails is required")
        card = self._card_from_details(details)
        if body.get("saveCreditCard") is True:
            return card, self._new_token(card, deal, None)
        return card, None

    def _card_from_details(self, details):
        expiry = details.get("cardExpiration")  # the schema's object, or "MM/YY" text
        if isinstance(expiry, dict):
            month, year = expiry.get("month"), expiry.get("year")
            valid = type(month) is int and type(year) is int
            expiry = f"{month:02d}/{year}" if valid else None
        fields = {"cardNumber": str(details.get("cardNumber") or ""), "expiry": expiry,
                  "cvv": details.get("cvv") or "000",
                  "cardOwnerName": details.get("cardOwnerName") or "-"}
        try:
            return cards.read_card_form(fields, self._now())
        except cards.CardFormError as exc:
            raise validation_error("creditCardSecureDetails." + exc.fields[0],
                                   "the card details are not valid") from exc

    def _charge_rejection(self, card, token):
        # A stored card is charged without the payer: no 3-D Secure challenge.
        if token is not None and token.declines:
            return "rejectedByProcessor", DECLINED
        if card.expired(self._now()):
            return "rejectedByProcessor", CARD_EXPIRED
        if card.outcome == cards.DECLINE:
            return "rejectedByProcessor", DECLINED
        return None

    def _charge_answer(self, transaction):
        if transaction.rejection_message:
            # Judged by the body, as EasyCard's examples show errors under 201.
            return {"message": "Transaction rejected", "status": "error",
                    "entityUID": transaction.id, "entityReference": transaction.id,
                    "correlationId": transaction.correlation_id,
                    "errors": [{"code": transaction.status,
                                "description": transaction.rejection_message}]}
        extra = {}
        if transaction.j5_expires:
            extra["innerResponse"] = {"message": j5_message(transaction.j5_expires),
                                      "status": "success"}
        return success("Transaction Created", transaction.id, **extra)

    # --- J5, refunds, cancellation, settlement -----------------------------------------------

    def select_j5(self, transaction_id):
        """POST /api/transactions/selectJ5/{id}: capture a J5 hold in full as a new J4."""
        with self._lock:
            hold = self._transaction(transaction_id)
            if hold.j_deal_type != "J5" or hold.status != "awaitingToSelectJ5":
                raise refused("The transaction is not a J5 deal awaiting selection",
                              "transactionID")
            if hold.transaction_type != "regularDeal":
                raise refused("Only regular J5 deals can be selected", "transactionID")
            if hold.j5_expires is None or hold.j5_expires <= self._now():
                raise refused("The J5 deal has expired", "transactionJ5ExpiredDate")
            hold.status, hold.updated = "completed", self._now()
            capture = self._new_transaction(
                hold.card, hold.amount, hold.currency, hold.deal, "J4", "API", None,
                intent_id=hold.intent_id, token_id=hold.token_id, source_id=hold.id,
                issue_invoice=hold.issue_invoice, extension=hold.extension)
        # DelayedTransactionJ5.md shows this warning beside a successful selection.
        warning = {"message": "Invoice State is not valid", "status": "warning",
                   "entityUID": capture.id, "entityReference": capture.id}
        return 201, success("Transaction Created", capture.id, innerResponse=warning)

    def chargeback(self, body):
        """POST /api/transactions/chargeback: refund part or all of a transmitted deal."""
        body = require_object(body)
        source_id = uuid_text(body.get("existingPaymentTransactionID"),
                               "existingPaymentTransactionID")
        amount = amount_field(body, "refundAmount")
        with self._lock:
            source = self._transaction(source_id)
            if not source.allow_refund:
                raise refused("Refund is not allowed for this transaction (allowRefund is "
                              "false: not transmitted yet, or already refunded)",
                              "existingPaymentTransactionID")
            if source.total_refund + amount > source.amount:
                raise validation_error("refundAmount", "refundAmount exceeds what is left "
                                                       "to refund")
            source.total_refund += amount
            source.updated = self._now()
            if source.total_refund == source.amount:
                source.status = "chargeback"
            refund = self._new_transaction(
                source.card, amount, source.currency, source.deal, "J4", "API", None,
                special_type="refund", source_id=source.id, issue_invoice=False,
                status="chargeback")
        return 201, success("Refund created", refund.id)

    def cancel_transmission(self, body):
        """POST /api/transmission/cancel: void a deal before the settlement batch."""
        body = require_object(body)
        self._check_terminal(body.get("terminalID"), required=True)
        transaction_id = uuid_text(body.get("paymentTransactionID"), "paymentTransactionID")
        with self._lock:
            transaction = self._transaction(transaction_id)
            if not transaction.allow_cancellation:
                raise refused("The transaction cannot be canceled (already transmitted, or "
                              "not a J4 awaiting transmission)", "paymentTransactionID")
            transaction.status, transaction.updated = "cancelledByMerchant", self._now()
        # DelayedTransactionJ5.md gives this exact answer.
        return 200, {"message": "Transaction Canceled", "status": "success"}

    def transmit(self):
        """The nightly settlement batch: every J4 awaiting transmission is transmitted."""
        done, failed = [], []
        with self._lock:
            now = self._now()
            for transaction in self._transactions.values():
                if not transaction.allow_cancellation:
                    continue
                if transaction.card.outcome == cards.SETTLEMENT_FAILURE:
                    transaction.status = "transmissionToProcessorFailed"
                    transaction.rejection_message = TRANSMISSION_FAILED
                    failed.append(transaction.id)
                else:
                    transaction.status = "completed"
                    done.append(transaction.id)
                transaction.updated = now
        return {"completed": done, "failed": failed}

    def expire_j5(self, transaction_id=None):
        """Make one J5 hold (or every one) expire now; returns the ids."""
        with self._lock:
            holds = ([self._transaction(transaction_id)] if transaction_id else
                     [t for t in self._transactions.values() if t.status == "awaitingToSelectJ5"])
            for hold in holds:
                if hold.j5_expires is not None:
                    hold.j5_expires = self._now() - 1
            return [hold.id for hold in holds]

    # --- card tokens -------------------------------------------------------------------------

    def _new_token(self, card, deal, intent_id):
        token = Token(id=new_id(), card=card, consumer_id=deal.get("consumerID"),
                      consumer_email=deal.get("consumerEmail"), created=self._now())
        self._tokens[token.id] = token
        self._publish("CardTokenCreated", "CreditCardTokenDetails", token.id,
                      deal.get("dealReference"), intent_id=intent_id)
        return token

    def list_tokens(self, pairs):
        """GET /api/cardtokens?CreditCardTokenID=|ConsumerID= (deleted tokens left out)."""
        query = query_dict(pairs)
        with self._lock:
            found = [t for t in reversed(self._tokens.values()) if not t.deleted and matches(
                query, {"creditcardtokenid": t.id, "consumerid": t.consumer_id})]
            data = [self._token_json(t) for t in page(query, found)]
        return 200, {"numberOfRecords": len(found), "data": data}

    def delete_token(self, token_id):
        with self._lock:
            token = self._live_token(token_id)
            token.deleted = True
        self._publish("CardTokenDeleted", "CreditCardTokenDetails", token.id)
        return 200, success("Credit card token deleted", token.id)

    def decline_token(self, token_id):
        """Every later charge of this token is declined (a card cancelled by its bank)."""
        with self._lock:
            self._live_token(uuid_text(token_id, "creditCardTokenID")).declines = True

    def _token_json(self, token):
        expired = token.card.expired(self._now())
        return {"creditCardTokenID": token.id, "terminalID": self.terminal_id,
                "merchantID": self.merchant_id, "cardNumber": token.card.masked,
                "cardExpiration": {"year": token.card.year % 100, "month": token.card.month,
                                   "expired": expired},
                "cardVendor": token.card.brand, "created": iso(token.created),
                "cardOwnerName": token.card.owner_name, "consumerID": token.consumer_id,
                "consumerEmail": token.consumer_email, "expired": expired}

    # --- consumers (the Metadata API) --------------------------------------------------------

    def create_consumer(self, body):
        """POST /api/consumers -> 201 with the new consumer's id."""
        body = require_object(body)
        name = body.get("consumerName")
        if not isinstance(name, str) or not name.strip():
            raise validation_error("consumerName", "consumerName is required")
        texts = {}
        for key in ("consumerEmail", "consumerPhone", "consumerNationalID",
                    "externalReference", "consumerNote"):
            if body.get(key) is not None and not isinstance(body[key], str):
                raise validation_error(key, f"{key} must be text")
            texts[key] = body.get(key)
        consumer = Consumer(id=new_id(), name=name.strip(), email=texts["consumerEmail"],
                            phone=texts["consumerPhone"],
                            national_id=texts["consumerNationalID"],
                            external_reference=texts["externalReference"],
                            note=texts["consumerNote"], created=self._now())
        with self._lock:
            self._consumers[consumer.id] = consumer
        self._publish("ConsumerCreated", "Consumer", consumer.id, consumer.external_reference)
        return 201, success("Consumer created", consumer.id)

    def list_consumers(self, pairs):
        """GET /api/consumers?ExternalReference=|ConsumerID=|Email=|NationalID=|Phone=."""
        query = query_dict(pairs)
        with self._lock:
            found = [c for c in reversed(self._consumers.values())
                     if self._consumer_matches(c, query)]
            data = [self._consumer_json(c) for c in page(query, found)]
        return 200, {"numberOfRecords": len(found), "data": data}

    @staticmethod
    def _consumer_matches(consumer, query):
        return matches(query, {"consumerid": consumer.id,
                                "externalreference": consumer.external_reference,
                                "email": consumer.email, "nationalid": consumer.national_id,
                                "phone": consumer.phone})

    def get_consumer(self, consumer_id):
        with self._lock:
            consumer = self._consumers.get(str(consumer_id).lower())
            if consumer is None:
                raise not_found("Consumer")
            answer = self._consumer_json(consumer)
        answer.update(merchantID=self.merchant_id, created=iso(consumer.created),
                      consumerNote=consumer.note)
        return 200, answer

    def _consumer_json(self, consumer):
        with_card = any(t.consumer_id == consumer.id and not t.deleted
                        for t in self._tokens.values())
        return {"consumerID": consumer.id, "terminalID": self.terminal_id,
                "consumerEmail": consumer.email, "consumerName": consumer.name,
                "consumerPhone": consumer.phone, "consumerNationalID": consumer.national_id,
                "consumerAddress": None, "externalReference": consumer.external_reference,
                "active": consumer.active, "hasBankAccount": False, "hasCreditCard": with_card}

    # --- webhooks history and the admin dump -------------------------------------------------

    def webhook_history(self, pairs):
        """GET /api/webhooks: the events sent so far, newest first."""
        query = query_dict(pairs)
        found = list(reversed(self.webhooks.history()))
        return 200, {"numberOfRecords": len(found), "data": page(query, found)}

    def dump(self):
        """Everything the simulator holds, as the API would show it (for /_sim/state)."""
        with self._lock:
            intents = [{**self._intent_json(i), "issueInvoice": i.issue_invoice,
                        "jDealType": i.j_deal_type, "creditCardTokenID": i.token_id}
                       for i in self._intents.values()]
            transactions = [{**self._transaction_json(t), "sourceTransactionID": t.source_id}
                            for t in self._transactions.values()]
            tokens = [{**self._token_json(t), "deleted": t.deleted, "declines": t.declines}
                      for t in self._tokens.values()]
            consumers = [self._consumer_json(c) for c in self._consumers.values()]
            options = {"terminalID": self.terminal_id, "merchantID": self.merchant_id,
                       "allowed_redirects": list(self.allowed_redirects),
                       "token_ttl": self.token_ttl, "public_url": self.public_url}
        return {"terminal": options, "paymentIntents": intents, "transactions": transactions,
                "cardTokens": tokens, "consumers": consumers,
                "webhooks": {**self.webhooks.settings(), "queued": self.webhooks.queued(),
                             "delivered": len(self.webhooks.history())}}
