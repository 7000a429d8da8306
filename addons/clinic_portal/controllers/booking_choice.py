from dataclasses import dataclass

from .. import const


@dataclass(frozen=True)
class BookingChoice:
    """What the booking pages book, as their parameters name it: a service of the price
    list, or a session of the patient's treatment plan (``treatment_plan.py``)."""

    # The service booked (product.product, as superuser).
    product: object
    # The parameters that name it in the pages' links: {"service": id} or {"plan_line": id}.
    params: dict
    # The staff the patient may book it with (res.users), and the message when the chosen
    # one is not among them.
    staff_list: object
    staff_error: str
    # The service's portal offer (price, payment step); none for a plan session.
    offer: dict | None = None
    plan_line: object = None
    # The patient booked for (res.partner): the user, or a family member they act for.
    patient: object = None

    @property
    def payment(self):
        return self.offer["payment"] if self.offer else const.PAYMENT_NONE
