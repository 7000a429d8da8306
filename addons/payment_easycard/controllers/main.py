from werkzeug.exceptions import Forbidden

from odoo import http
from odoo.exceptions import ValidationError
from odoo.http import request
from odoo.tools import consteq

from odoo.addons.payment import utils as payment_utils
from odoo.addons.payment.logging import get_payment_logger

from .. import const
from ..models.payment_transaction import RETURN_ROUTE, easycard_id

_logger = get_payment_logger(__name__, const.SENSITIVE_KEYS)

WEBHOOK_ROUTE = "/payment/easycard/webhook"
# Webhook entity types and events this module acts on (Webhooks.md).
DEAL_ENTITY = "PaymentTransaction"
CARD_ENTITY = "CreditCardTokenDetails"
CARD_GONE_EVENTS = ("CardTokenDeleted", "CreditCardExpired")


def same_text(given, expected):
    """Whether ``given`` is ``expected``, compared in constant time whatever its characters."""
    return consteq(given.encode("utf-8", "surrogateescape"),
                   expected.encode("utf-8", "surrogateescape"))


class EasyCardController(http.Controller):
    """EasyCard sends the payer back, and its webhooks, unsigned: both only name what to
    read back from EasyCard's API, which is what the transaction is judged on."""

    @http.route(RETURN_ROUTE, type="http", auth="public", methods=["GET"], save_session=False)
    def easycard_return(self, reference=None, access_token=None, **kwargs):
        """The payer is back from EasyCard's checkout: read the outcome back from EasyCard
        (the deal, the saved card or the checkout itself), then show the payment status."""
        tx_sudo = self._easycard_returning_tx(reference, access_token)
        if tx_sudo:
            named = {key.lower(): value for key, value in kwargs.items()}
            try:
                tx_sudo._easycard_settle(deal_id=easycard_id(named.get("transactionid")),
                                         token_id=easycard_id(named.get("tokenid")))
            except ValidationError as exc:
                # Left as it was: the webhook or the reconciliation job settles it.
                _logger.warning("EasyCard return for %s not settled: %s", tx_sudo.reference,
                                exc)
        return request.redirect("/payment/status")

    @staticmethod
    def _easycard_returning_tx(reference, access_token):
        if not isinstance(reference, str) or not isinstance(access_token, str):
            return None
        expected = payment_utils.generate_access_token(reference)
        if not same_text(access_token, expected):
            return None
        return request.env["payment.transaction"].sudo().search(
            [("reference", "=", reference), ("provider_code", "=", "easycard")], limit=1)

    @http.route(WEBHOOK_ROUTE, type="http", auth="public", methods=["POST"], csrf=False,
                save_session=False)
    def easycard_webhook(self, **_params):
        """An event of EasyCard: check its header, re-read the entity it names and process
        it. Answers 200 once handled (or when there is nothing to do), so that EasyCard
        does not send it again; 403 for a wrong header, 400 for a body that is not an
        event. Query or form values are not EasyCard's and are ignored."""
        try:
            event = request.get_json_data()
        except ValueError:
            event = None
        if not isinstance(event, dict):
            return request.make_json_response({"status": "ignored"}, status=400)
        providers_sudo = self._easycard_providers(event.get("terminalID"))
        if not providers_sudo:
            _logger.warning("EasyCard webhook for an unknown terminal: %s", event.get("eventID"))
            return request.make_json_response({"status": "ignored"})
        self._easycard_check_header(providers_sudo)
        entity = easycard_id(event.get("entityReference"))
        try:
            if entity and event.get("entityType") == DEAL_ENTITY:
                self._easycard_deal_event(providers_sudo, entity)
            elif entity and event.get("entityType") == CARD_ENTITY:
                self._easycard_card_event(providers_sudo, entity, event)
        except ValidationError as exc:
            _logger.warning("EasyCard webhook %s not processed: %s", event.get("eventID"), exc)
        return request.make_json_response({"status": "ok"})

    @staticmethod
    def _easycard_providers(terminal):
        """The enabled EasyCard providers of ``terminal`` (the companies sharing it)."""
        terminal = easycard_id(terminal)
        if not terminal:
            return None
        providers = request.env["payment.provider"].sudo().search(
            [("code", "=", "easycard"), ("state", "!=", "disabled")])
        return providers.filtered(lambda p: easycard_id(p.easycard_terminal_id) == terminal)

    @staticmethod
    def _easycard_check_header(providers_sudo):
        """When a header was agreed for the terminal, the webhook must carry it."""
        agreed = [(p.easycard_webhook_header_name.strip(), p.easycard_webhook_header_value or "")
                  for p in providers_sudo if p.easycard_webhook_header_name]
        if not agreed:
            return
        headers = request.httprequest.headers
        if not any(same_text(headers.get(name) or "", value) for name, value in agreed):
            _logger.warning("EasyCard webhook refused: wrong or missing header %s.",
                            agreed[0][0])
            raise Forbidden()

    @staticmethod
    def _easycard_deal_event(providers_sudo, deal_id):
        """The deal ``deal_id`` changed: process it on the transaction that made it, or on
        the payment its reference names while that one has no deal yet."""
        txs = request.env["payment.transaction"].sudo()
        tx = txs.search([("provider_id", "in", providers_sudo.ids),
                         ("provider_reference", "=", deal_id)], limit=1)
        if not tx:
            deal = providers_sudo[0]._send_api_request("GET", f"/api/transactions/{deal_id}")
            reference = (deal.get("dealDetails") or {}).get("dealReference")
            tx = txs.search([("provider_id", "in", providers_sudo.ids),
                             ("reference", "=", reference or ""),
                             ("provider_reference", "=", False)], limit=1)
            if not tx or deal.get("specialTransactionType") == "refund":
                return
        tx._easycard_settle(deal_id=deal_id)

    @staticmethod
    def _easycard_card_event(providers_sudo, token_id, event):
        tokens = request.env["payment.token"].sudo().with_context(active_test=False)
        if event.get("eventName") in CARD_GONE_EVENTS:
            tokens.search([("provider_id", "in", providers_sudo.ids),
                           ("provider_ref", "=", token_id)]).write({"active": False})
            return
        reference = event.get("entityExternalReference")
        tx = request.env["payment.transaction"].sudo().search(
            [("provider_id", "in", providers_sudo.ids), ("reference", "=", reference or ""),
             ("operation", "=", "validation")], limit=1)
        if tx and tx.state in ("draft", "pending"):
            tx._easycard_settle(token_id=token_id)
