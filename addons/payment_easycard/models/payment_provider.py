import threading
import time
import uuid

import requests

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.payment.logging import get_payment_logger

from .. import const

_logger = get_payment_logger(__name__, const.SENSITIVE_KEYS)

# Access tokens per (database, provider, terminal, key), in this process only: writing them on
# the provider would make concurrent payments conflict on its row, and a retried request could
# then send a charge twice.
_TOKENS = {}
_TOKENS_LOCK = threading.Lock()


class EasyCardError(ValidationError):
    """EasyCard refused the request; ``body`` is its answer (may be empty)."""

    def __init__(self, message, body=None):
        super().__init__(message)
        self.body = body or {}


class EasyCardUnknownOutcome(EasyCardError):
    """No readable answer came back: the request may or may not have been carried out."""


class PaymentProvider(models.Model):
    _inherit = "payment.provider"

    code = fields.Selection(selection_add=[("easycard", "EasyCard")],
                            ondelete={"easycard": "set default"})
    easycard_terminal_id = fields.Char(
        string="EasyCard Terminal", required_if_provider="easycard", copy=False,
        help="The terminal's id (a UUID), from EasyCard's merchant portal.")
    easycard_private_key = fields.Char(
        string="EasyCard Private Key", required_if_provider="easycard", copy=False,
        groups="base.group_system",
        help="Shown once by \"Reset Private Key\" in EasyCard's merchant portal; a reset "
             "revokes the previous key.")
    easycard_webhook_header_name = fields.Char(
        string="Webhook Header", copy=False,
        help="Name of the header EasyCard sends with each webhook, when one was agreed with "
             "EasyCard; webhooks without it are then refused.")
    easycard_webhook_header_value = fields.Char(
        string="Webhook Header Value", copy=False, groups="base.group_system")
    easycard_server_url = fields.Char(
        string="EasyCard Server", copy=False, groups="base.group_system",
        help="One address serving EasyCard's identity, API and metadata paths, in place of "
             "EasyCard's own hosts (a simulator). Leave empty to use EasyCard.")

    # === COMPUTE METHODS === #

    def _compute_feature_support_fields(self):
        """Override of `payment`: saved cards, full-only capture of J5 holds, partial refunds."""
        result = super()._compute_feature_support_fields()
        self.filtered(lambda p: p.code == "easycard").update({
            "support_manual_capture": "full_only",
            "support_refund": "partial",
            "support_tokenization": True,
        })
        return result

    def _get_supported_currencies(self):
        """Override of `payment`: EasyCard charges ILS, USD and EUR only."""
        currencies = super()._get_supported_currencies()
        if self.code == "easycard":
            currencies = currencies.filtered(lambda c: c.name in const.SUPPORTED_CURRENCIES)
        return currencies

    def _get_default_payment_method_codes(self):
        """Override of `payment`: a card, and the brands EasyCard reports."""
        self.ensure_one()
        if self.code != "easycard":
            return super()._get_default_payment_method_codes()
        return const.DEFAULT_PAYMENT_METHOD_CODES

    # === CONSTRAINT METHODS === #

    @api.constrains("easycard_terminal_id")
    def _check_easycard_terminal_id(self):
        for provider in self.filtered(lambda p: p.code == "easycard" and p.easycard_terminal_id):
            try:
                uuid.UUID(provider.easycard_terminal_id)
            except ValueError:
                raise ValidationError(self.env._(
                    "The EasyCard terminal is a UUID such as "
                    "6f1ee8e2-7c57-4b8e-9d33-3a9f7f2a1c01, as EasyCard's merchant portal "
                    "shows it.")) from None

    # === ACTION METHODS === #

    def action_easycard_test_connection(self):
        """Exchange the private key for a token and read one page of the terminal's
        transactions: tell the manager whether the credentials work."""
        self.ensure_one()
        self._easycard_forget_token()
        try:
            self._send_api_request("GET", "/api/transactions", params={"take": 1})
        except ValidationError as exc:
            raise UserError(self.env._("EasyCard refused the connection: %(reason)s",
                                       reason=exc.args[0])) from None
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("Connected to EasyCard terminal %(terminal)s.",
                                      terminal=self.easycard_terminal_id),
                "sticky": False,
            },
        }

    # === BUSINESS METHODS === #

    def _easycard_host(self, service):
        """Base URL of EasyCard's ``service`` (identity, api or metadata) for this provider."""
        self.ensure_one()
        override = self.sudo().easycard_server_url
        if override:
            return override.rstrip("/")
        return const.HOSTS["enabled" if self.state == "enabled" else "test"][service]

    def _easycard_token_key(self):
        sudo = self.sudo()
        return (self.env.cr.dbname, self.id, sudo.easycard_terminal_id,
                sudo.easycard_private_key, self._easycard_host("identity"))

    def _easycard_forget_token(self):
        with _TOKENS_LOCK:
            _TOKENS.pop(self._easycard_token_key(), None)

    def _easycard_access_token(self):
        """A valid bearer token for the API, exchanged for the private key when needed."""
        key = self._easycard_token_key()
        with _TOKENS_LOCK:
            cached = _TOKENS.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        answer = self._send_api_request(
            "POST", "/connect/token", service="identity",
            data={"client_id": "terminal", "grant_type": "terminal_rest_api",
                  "authorizationKey": self.sudo().easycard_private_key or ""})
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not token:
            raise EasyCardError(self.env._("EasyCard did not issue an access token."))
        lifetime = answer.get("expires_in") if isinstance(answer.get("expires_in"), int) else 0
        with _TOKENS_LOCK:
            _TOKENS[key] = (token, time.monotonic() + max(lifetime - const.TOKEN_MARGIN, 0))
        return token

    # === REQUEST HELPERS === #

    def _build_request_url(self, endpoint, *, service="api", **kwargs):
        """Override of `payment`: EasyCard's host for the service, then the path."""
        if self.code != "easycard":
            return super()._build_request_url(endpoint, **kwargs)
        return self._easycard_host(service) + endpoint

    def _build_request_headers(self, method, endpoint, payload, *, service="api", **kwargs):
        """Override of `payment`: the bearer token on every call but the token's own."""
        if self.code != "easycard":
            return super()._build_request_headers(method, endpoint, payload, **kwargs)
        if service == "identity":
            return {"Accept": "application/json"}
        return {"Accept": "application/json",
                "Authorization": f"Bearer {self._easycard_access_token()}"}

    def _send_api_request(self, method, endpoint, *, params=None, data=None, json=None,
                          reference=None, **kwargs):
        """Override of `payment` for EasyCard: a 401 renews the token and retries once; a
        request without a readable answer raises `EasyCardUnknownOutcome` (it may have been
        carried out), a refusal `EasyCardError`; success is judged by the body's status, as
        EasyCard can answer an error under 201.
        """
        if self.code != "easycard":
            return super()._send_api_request(method, endpoint, params=params, data=data,
                                             json=json, reference=reference, **kwargs)
        self.ensure_one()
        for attempt in (1, 2):
            response = self._easycard_send(method, endpoint, params, data, json, reference,
                                           **kwargs)
            if response.status_code == 401 and kwargs.get("service") != "identity" \
                    and attempt == 1:
                self._easycard_forget_token()
                continue
            break
        return self._easycard_answer(response)

    def _easycard_send(self, method, endpoint, params, data, json, reference, **kwargs):
        url = self._build_request_url(endpoint, **kwargs)
        payload = params or data or json
        headers = self._build_request_headers(method, endpoint, payload, **kwargs)
        self._log_request(method, url, payload, reference=reference)
        try:
            response = requests.request(method, url, params=params, data=data, json=json,
                                        headers=headers, timeout=const.REQUEST_TIMEOUT)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout):
            raise EasyCardUnknownOutcome(self.env._(
                "EasyCard did not answer: the connection failed or timed out.")) from None
        self._log_response(response, reference=reference)
        return response

    def _easycard_answer(self, response):
        """The JSON body of ``response``; raise for anything but a successful answer."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 500 or (response.ok and body is None):
            raise EasyCardUnknownOutcome(self.env._(
                "EasyCard's answer could not be read (HTTP %(code)s).",
                code=response.status_code))
        if response.status_code == 401 or response.status_code == 403:
            raise EasyCardError(self.env._(
                "EasyCard refused the credentials: check the terminal and its private key."))
        if not response.ok or (isinstance(body, dict) and body.get("status") == "error"):
            raise EasyCardError(self.env._("EasyCard refused the request: %(reason)s",
                                           reason=self._easycard_reason(body, response)), body)
        return body

    def _parse_response_error(self, response):
        """Override of `payment`: EasyCard's errors[].description, else its message."""
        if self.code != "easycard":
            return super()._parse_response_error(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        return self._easycard_reason(body, response)

    @api.model
    def _easycard_reason(self, body, response=None):
        if isinstance(body, dict):
            errors = body.get("errors") if isinstance(body.get("errors"), list) else []
            texts = [e.get("description") for e in errors
                     if isinstance(e, dict) and e.get("description")]
            if texts:
                return "; ".join(str(t) for t in texts)
            if body.get("message"):
                return str(body["message"])
            if body.get("error"):
                return str(body["error"])
        if response is not None:
            return f"HTTP {response.status_code}"
        return self.env._("no reason given")

    # === CONSUMERS (EasyCard's Metadata API) === #

    def _easycard_consumer(self, partner):
        """The id of EasyCard's consumer of ``partner`` on this terminal, created on first
        use; one consumer per customer, found again by its external reference."""
        self.ensure_one()
        reference = self._easycard_consumer_reference(partner)
        found = self._send_api_request("GET", "/api/consumers", service="metadata",
                                       params={"ExternalReference": reference})
        rows = found.get("data") if isinstance(found, dict) else None
        for row in rows or ():
            if isinstance(row, dict) and row.get("externalReference") == reference \
                    and row.get("consumerID"):
                return row["consumerID"]
        created = self._send_api_request("POST", "/api/consumers", service="metadata", json={
            "terminalID": self.easycard_terminal_id,
            "consumerName": partner.name or partner.email or reference,
            "consumerEmail": partner.email or None,
            "consumerPhone": partner.phone or None,
            "externalReference": reference,
        })
        if not created.get("entityUID"):
            raise EasyCardError(self.env._("EasyCard did not create the customer record."))
        return created["entityUID"]

    def _easycard_consumer_reference(self, partner):
        """The external reference of ``partner``'s consumer: unique per database, as several
        databases may share one terminal."""
        db_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        return f"odoo-{db_uuid[:8]}-{partner.commercial_partner_id.id}"
