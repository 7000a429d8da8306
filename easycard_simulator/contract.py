"""EasyCard's API vocabulary: its enums, its error bodies and how it reads requests.

The enums and body shapes are those of EasyCard's public documents (EasycardNG/API,
TransactionsApi.md); the readers hold no state, so the store uses them to read requests and
shape answers.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlencode, urlsplit, urlunsplit

from easycard_simulator.codec import parse_amount

# TransactionStatusEnum (TransactionsApi.md, TransactionResponse.status).
TRANSACTION_STATUSES = (
    "initial", "confirmedByAggregator", "confirmedByPinpadPreProcessor", "confirmedByProcessor",
    "awaitingForTransmission", "transmissionInProgress", "transmissionCancelingInProgress",
    "completed", "awaitingToSelectJ5", "chargeback", "chargebackFailed",
    "transmissionToProcessorFailed", "failedToCommitByAggregator", "failedToConfirmByProcesor",
    "failedToConfirmByAggregator", "cancelledByMerchant", "rejectedByProcessor",
    "rejectedByAggregator", "rejectedBy3Dsecure",
)
# PaymentRequestStatusEnum, the status of a payment intent.
INTENT_STATUSES = ("initial", "sending", "sent", "viewed", "payed", "paymentFailed", "rejected",
                   "canceled", "sendingFailed")
CURRENCIES = ("ILS", "USD", "EUR")
J_DEAL_TYPES = ("J4", "J5")
TRANSACTION_TYPES = ("regularDeal", "installments", "credit", "immediate")
CARD_PRESENCES = ("cardNotPresent", "regular", "Internet")
# DealDetails schema: what the API keeps and returns; the text fields are checked.
DEAL_TEXT_FIELDS = ("dealReference", "dealDescription", "consumerEmail", "consumerName",
                    "consumerNationalID", "consumerPhone", "consumerExternalReference",
                    "responsiblePerson", "externalUserID", "branch", "department")
DEAL_FIELDS = DEAL_TEXT_FIELDS + ("consumerID", "items", "consumerAddress")
DEFAULT_TAKE = 100
MAX_TAKE = 1000
ZERO = Decimal("0.00")


class ApiError(Exception):
    """A refusal: ``status`` and the JSON ``body`` EasyCard answers with."""

    def __init__(self, status, body):
        super().__init__(body.get("message") or body.get("error"))
        self.status = status
        self.body = body


def new_id():
    return str(uuid.uuid4())


def validation_error(code, description):
    return ApiError(400, {"message": "Validation Errors", "status": "error",
                          "correlationId": new_id(),
                          "errors": [{"code": code, "description": description}]})


def not_found(entity_type):
    return ApiError(404, {"message": "Entity Not Found", "status": "error",
                          "correlationId": new_id(), "entityType": entity_type})


def refused(message, code):
    return ApiError(400, {"message": message, "status": "error", "correlationId": new_id(),
                          "errors": [{"code": code, "description": message}]})


def success(message, entity_id=None, **extra):
    body = {"message": message, "status": "success", "correlationId": new_id()}
    if entity_id is not None:
        body.update(entityUID=entity_id, entityReference=entity_id)
    body.update(extra)
    return body


def iso(seconds):
    """Seconds since the epoch -> ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def j5_message(seconds):
    """The expiry text /blocking reports, in EasyCard's format (DelayedTransactionJ5.md)."""
    moment = datetime.fromtimestamp(seconds, UTC)
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return (f"J5 Expiration date is {moment.month}/{moment.day}/{moment.year} "
            f"{hour}:{moment.minute:02d}:{moment.second:02d} {half}")


# --- request parsing -------------------------------------------------------------------------


def require_object(body, what="the body"):
    if not isinstance(body, dict):
        raise validation_error("body", f"{what} must be a JSON object")
    return body


def uuid_text(value, code, required=True):
    if value is None and not required:
        return None
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    raise validation_error(code, f"{code} must be a UUID")


def amount_field(body, name, allow_zero=False):
    try:
        amount = parse_amount(body.get(name))
    except ValueError as exc:
        raise validation_error(name, f"{name} must be an amount with at most two decimal "
                                     "places") from exc
    if amount < 0 or (amount == 0 and not allow_zero):
        raise validation_error(name, f"{name} must be {'zero or ' if allow_zero else ''}"
                                     "positive")
    return amount


def choice(body, name, allowed, default):
    value = body.get(name)
    if value is None:
        return default
    if value not in allowed:
        raise validation_error(name, f"{name} must be one of " + ", ".join(allowed))
    return value


def optional_bool(body, name):
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise validation_error(name, f"{name} must be true, false or null")
    return value


def deal_details(value):
    """DealDetails as stored: every schema field present (null when not given)."""
    if value is None:
        value = {}
    require_object(value, "dealDetails")
    deal = {name: value.get(name) for name in DEAL_FIELDS}
    for name in DEAL_TEXT_FIELDS:
        if deal[name] is not None and not isinstance(deal[name], str):
            raise validation_error(name, f"dealDetails.{name} must be text")
    deal["consumerID"] = uuid_text(deal["consumerID"], "consumerID", required=False)
    return deal


def query_dict(pairs):
    """Query pairs -> {lower-case name: value}: ASP.NET binds names case-insensitively."""
    return {name.lower(): value for name, value in pairs}


def matches(query, values):
    """Whether every filter of ``query`` naming a key of ``values`` matches it exactly.

    Ids (names ending in ``id``) compare case-insensitively, as GUIDs do.
    """
    for name, value in values.items():
        if name not in query:
            continue
        if value is None:
            return False
        wanted = query[name].lower() if name.endswith("id") else query[name]
        if wanted != (value.lower() if name.endswith("id") else value):
            return False
    return True


def page(query, items):
    take, skip = query.get("take"), query.get("skip")
    try:
        take = DEFAULT_TAKE if take is None else int(take)
        skip = 0 if skip is None else int(skip)
    except ValueError as exc:
        raise validation_error("Take", "Take and Skip must be integers") from exc
    take = max(0, min(take, MAX_TAKE))
    return items[max(skip, 0):max(skip, 0) + take]


def redirect_allowed(url, bases):
    """Whether ``url`` starts with one of the allowed base URLs (scheme, host, port, path)."""
    if not bases:
        return True
    target = urlsplit(url)
    for base in bases:
        allowed = urlsplit(base)
        path = allowed.path.rstrip("/")
        if ((target.scheme, target.netloc.lower()) == (allowed.scheme, allowed.netloc.lower())
                and (target.path == path or target.path.startswith(path + "/"))):
            return True
    return False


def append_query(url, name, value):
    """``url`` with ``name=value`` added after its own query parameters, which stay as sent."""
    if name is None:
        return url
    parts = urlsplit(url)
    extra = urlencode({name: value})
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


def quick_status(status):
    """QuickStatusFilterTypeEnum of a transaction status."""
    if status == "completed":
        return "Completed"
    if status in ("awaitingForTransmission", "transmissionInProgress"):
        return "AwaitingForTransmission"
    if status in ("cancelledByMerchant", "transmissionCancelingInProgress"):
        return "Canceled"
    if status == "chargeback":
        return "Chargeback"
    if status.startswith(("rejected", "failed")) or status.endswith("Failed"):
        return "Failed"
    return "Pending"
