from odoo import fields, models


class PaymentToken(models.Model):
    _inherit = "payment.token"

    easycard_consumer_id = fields.Char(
        string="EasyCard Customer", readonly=True, copy=False,
        help="EasyCard's consumer the card token belongs to.")
