from odoo import fields, models

from ..tools.portal_offer import portal_payment, portal_visible


class ProductProduct(models.Model):
    _inherit = "product.product"

    def _clinic_portal_offers(self, partner, date=None):
        """What the client portal offers ``partner`` for each service of ``self``.

        The price is the unit price in the partner's pricelist (its company's pricelist
        rules, currency and date), or the sales price when the partner has no pricelist.

        :param partner: the patient (res.partner record)
        :param date: the date the price applies to (default: now)
        :returns: {product id: {'visible': bool, 'price': float, 'currency_id': int,
                   'payment': 'none' | 'guarantee' | 'prepayment'}}
        """
        partner.ensure_one()
        company = partner.company_id or self.env.company
        pricelist = partner.with_company(company).property_product_pricelist
        currency = pricelist.currency_id or company.currency_id
        prices = pricelist.with_company(company)._compute_price_rule(
            self, 1.0, currency=currency, date=date or fields.Datetime.now())
        offers = {}
        for product in self:
            price = prices[product.id][0]
            offers[product.id] = {
                "visible": portal_visible(
                    shown_in_portal=product.clinic_portal_visible,
                    active=product.active and product.product_tmpl_id.active,
                    sale_ok=product.sale_ok,
                    is_service=product.type == "service",
                    duration_minutes=product.clinic_duration_minutes,
                    company_allowed=(not product.company_id
                                     or product.company_id in company.parent_ids),
                ),
                "price": price,
                "currency_id": currency.id,
                "payment": portal_payment(
                    card_guarantee_required=product.clinic_card_guarantee_required,
                    prepayment_required=product.clinic_prepayment_required,
                    free=currency.is_zero(price),
                ),
            }
        return offers

    def _clinic_portal_offer(self, partner, date=None):
        """The portal offer of one service for ``partner``; see ``_clinic_portal_offers``."""
        self.ensure_one()
        return self._clinic_portal_offers(partner, date=date)[self.id]
