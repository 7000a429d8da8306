from odoo.tests import TransactionCase


class ClinicServiceCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.group_ids += cls.env.ref("product.group_product_pricelist")
        # The patient pays the sales price unless a test gives them a pricelist (the demo
        # clinic's pricelist would otherwise apply to everyone).
        cls.env["product.pricelist"].search([]).action_archive()
        cls.company = cls.env.company
        cls.patient = cls.env["res.partner"].create({"name": "Patient", "company_id": False})

    @classmethod
    def _service(cls, name, price=100.0, **flags):
        values = {
            "name": name,
            "type": "service",
            "list_price": price,
            "clinic_duration_minutes": 30,
            "clinic_portal_visible": True,
            **flags,
        }
        return cls.env["product.product"].create(values)
