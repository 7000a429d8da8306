from odoo import fields, models

from ..tools.portal_offer import portal_payment, portal_visible


class ProductProduct(models.Model):
    _inherit = "product.product"

    def _clinic_portal_offers(self, partner, date=None, priced=True):
        """What the client portal offers ``partner`` for each service of ``self``.

        The price is the unit price in the partner's pricelist (its company's pricelist
        rules, currency and date), or the sales price when the partner has no pricelist.

        :param partner: the patient (res.partner record)
        :param date: the date the price applies to (default: now)
        :param priced: False for whether the portal shows the services alone, without their
            price and payment: the pricelist's rules are then not computed at all
        :returns: {product id: {'visible': bool, 'price': float, 'currency_id': int,
                   'payment': 'none' | 'guarantee' | 'prepayment'}}
        """
        partner.ensure_one()
        company = partner.company_id or self.env.company
        if not priced:
            return {product.id: {"visible": product._clinic_portal_visible(company)}
                    for product in self}
        pricelist = partner.with_company(company).property_product_pricelist
        currency = pricelist.currency_id or company.currency_id
        prices = pricelist.with_company(company)._compute_price_rule(
            self, 1.0, currency=currency, date=date or fields.Datetime.now())
        offers = {}
        for product in self:
            price = prices[product.id][0]
            offers[product.id] = {
                "visible": product._clinic_portal_visible(company),
                "price": price,
                "currency_id": currency.id,
                "payment": portal_payment(
                    card_guarantee_required=product.clinic_card_guarantee_required,
                    prepayment_required=product.clinic_prepayment_required,
                    free=currency.is_zero(price),
                ),
            }
        return offers

    def _clinic_portal_offer(self, partner, date=None, priced=True):
        """The portal offer of one service for ``partner``; see ``_clinic_portal_offers``."""
        self.ensure_one()
        return self._clinic_portal_offers(partner, date=date, priced=priced)[self.id]

    def _clinic_portal_visible(self, company):
        """The portal shows this service to the clients of ``company``."""
        self.ensure_one()
        return portal_visible(
            shown_in_portal=self.clinic_portal_visible,
            active=self.active and self.product_tmpl_id.active,
            sale_ok=self.sale_ok,
            is_service=self.type == "service",
            duration_minutes=self.clinic_duration_minutes,
            company_allowed=not self.company_id or self.company_id in company.parent_ids,
        )
