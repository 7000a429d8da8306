"""What the client portal offers for one service: plain rules, no database access."""

PAYMENT_NONE = "none"
PAYMENT_GUARANTEE = "guarantee"
PAYMENT_PREPAYMENT = "prepayment"


def portal_visible(shown_in_portal, active, sale_ok, is_service, duration_minutes,
                   company_allowed=True):
    """A service is bookable in the portal only when every condition holds.

    :param bool shown_in_portal: the "Show in client portal" flag
    :param bool active: the product is not archived
    :param bool sale_ok: the product can be sold
    :param bool is_service: the product is a service
    :param int duration_minutes: its duration; a slot needs a positive length
    :param bool company_allowed: the product is shared or belongs to the patient's company
    """
    return bool(shown_in_portal and active and sale_ok and is_service and company_allowed
                and (duration_minutes or 0) > 0)


def portal_payment(card_guarantee_required, prepayment_required, free):
    """The payment step a booking requires: none, a card guarantee, or a prepayment.

    A prepayment secures the booking by itself, so it wins over a card guarantee when both
    flags are set. A free service has nothing to prepay: it then asks for the card guarantee
    if that flag is set (against no-shows), otherwise for nothing.
    """
    if prepayment_required and not free:
        return PAYMENT_PREPAYMENT
    if card_guarantee_required:
        return PAYMENT_GUARANTEE
    return PAYMENT_NONE
