import re

from odoo import models

# An expiry ("12/29", "12/2029") left out, the last run of at least four digits ends the card
# number.
EXPIRY = re.compile(r"\b[0-9]{1,2}\s*/\s*[0-9]{2,4}\b")
CARD_DIGITS = re.compile(r"[0-9]{4,}")


class PaymentToken(models.Model):
    _inherit = "payment.token"

    def _clinic_card_digits(self):
        """The last four digits of the saved card, whatever else its provider keeps in its
        details (a mask, an expiry, a name); the details as they are when they hold none."""
        self.ensure_one()
        runs = CARD_DIGITS.findall(EXPIRY.sub(" ", self.payment_details or ""))
        return runs[-1][-4:] if runs else self.payment_details or ""

    def _clinic_card_brand(self):
        """The card's brand (Visa, MasterCard …) when its provider told it, else ''."""
        self.ensure_one()
        method = self.payment_method_id
        return method.name if method.primary_payment_method_id else ""

    def _clinic_card_label(self):
        """The card as the staff and the patient are told of it: last four digits and brand."""
        self.ensure_one()
        brand = self._clinic_card_brand()
        return f"{self._clinic_card_digits()} ({brand})" if brand else self._clinic_card_digits()
