"""What EasyCard's public API documents say, as data: hosts, statuses, card brands."""

from odoo.addons.payment.const import SENSITIVE_KEYS as PAYMENT_SENSITIVE_KEYS

# Never logged: the terminal's private key and the access token exchanged for it.
SENSITIVE_KEYS = {"authorizationKey", "access_token"}
PAYMENT_SENSITIVE_KEYS.update(SENSITIVE_KEYS)

# The hosts of each service, by provider state: "test" is EasyCard's sandbox.
HOSTS = {
    "test": {
        "identity": "https://ecng-identity.azurewebsites.net",
        "api": "https://ecng-transactions.azurewebsites.net",
        "metadata": "https://ecng-profile.azurewebsites.net",
    },
    "enabled": {
        "identity": "https://identity.e-c.co.il",
        "api": "https://api.e-c.co.il",
        "metadata": "https://merchant.e-c.co.il",
    },
}

SUPPORTED_CURRENCIES = ("ILS", "USD", "EUR")

# Odoo's payment method codes offered by default; the brands are brands of "card".
DEFAULT_PAYMENT_METHOD_CODES = {"card", "visa", "mastercard", "amex", "diners"}

# EasyCard's card brand (cardBrand, else solek) -> Odoo payment method code.
PAYMENT_METHODS_MAPPING = {
    "VISA": "visa",
    "MASTERCARD": "mastercard",
    "AMEX": "amex",
    "DINERS_CLUB": "diners",
    "DINERS": "diners",
    "JCB": "jcb",
    "DISCOVER": "discover",
}

# Transaction statuses (TransactionResponse.status) and what they mean for Odoo.
STATUS_PENDING = {"initial"}
STATUS_DONE = {
    "confirmedByAggregator", "confirmedByPinpadPreProcessor", "confirmedByProcessor",
    "awaitingForTransmission", "transmissionInProgress", "completed",
}
STATUS_AUTHORIZED = {"awaitingToSelectJ5"}
STATUS_CANCEL = {"cancelledByMerchant", "transmissionCancelingInProgress"}
STATUS_ERROR = {
    "rejectedByProcessor", "rejectedByAggregator", "rejectedBy3Dsecure",
    "failedToConfirmByProcesor", "failedToConfirmByAggregator", "failedToCommitByAggregator",
}
# Settlement failed: an error before the payment was confirmed, a note after.
STATUS_TRANSMISSION_FAILED = "transmissionToProcessorFailed"
# A confirmed deal later refunded or charged back: never moves a confirmed payment back.
STATUS_AFTER_DONE = {"chargeback", "chargebackFailed", "refund"}

# Payment intent statuses that end a checkout without a payment.
INTENT_CANCELED = {"canceled"}
INTENT_FAILED = {"paymentFailed", "rejected"}

# Renew the access token this long before EasyCard says it expires (seconds).
TOKEN_MARGIN = 300
# Seconds an API call may take; Odoo's own providers wait 10.
REQUEST_TIMEOUT = 10

# The reconciliation job settles transactions older than this and younger than that (minutes).
RECONCILE_AFTER_MINUTES = 5
RECONCILE_WITHIN_MINUTES = 4 * 24 * 60
