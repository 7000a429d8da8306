from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestServiceFlags(TransactionCase):
    def test_service_product_can_be_created(self):
        service = self.env["product.product"].create({"name": "Consultation", "type": "service"})
        self.assertEqual(service.type, "service")
