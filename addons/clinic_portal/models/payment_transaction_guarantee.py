from odoo import models

from .. import const


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _post_process(self):
        """Book the appointments held for a card once its validation is confirmed, and mark
        the no-show fees charged to a guarantee card once their charge is.

        Only on the first post-processing of a confirmation: a notification that arrives
        twice changes nothing twice. The parent books the fee's payment against its invoice.
        """
        confirmed = self.filtered(lambda t: t.state == "done" and not t.is_post_processed
                                  and t.clinic_appointment_id)
        for tx in confirmed.filtered(lambda t: t.operation == const.OPERATION_CARD_SAVED):
            tx.clinic_appointment_id.sudo()._clinic_settle_card(tx)
        result = super()._post_process()
        for tx in confirmed.filtered(lambda t: t.operation == const.OPERATION_FEE):
            tx.clinic_appointment_id.sudo()._clinic_fee_charged(tx)
        return result
