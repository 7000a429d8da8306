from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import IscSyncCase


@tagged("post_install", "-at_install")
class TestBookingOrder(IscSyncCase):
    def new_order(self, partner, **vals):
        return self.env["isc.booking.order"].with_user(self.isc_user).create(
            {"partner_id": partner.id, "service": "General health check", **vals})

    def test_new_contact_gets_a_patient_code_from_the_his(self):
        contact = self.env["res.partner"].create({"name": "Võ Thị Mới", "phone": "0987654321"})
        order = self.new_order(contact)
        self.assertEqual(order.state, "draft")
        self.assertTrue(order.name.startswith("BO/"))
        order.action_send_to_his()
        self.assertEqual(order.state, "confirmed")
        self.assertTrue(order.his_order_number.startswith("HIS-ORD-"))
        self.assertEqual(contact.isc_patient_code, order.patient_code)
        self.assertNotIn(contact.isc_patient_code, {f"BN{i:06d}" for i in range(1, 61)})
        [post] = self.his_requests("/booking-orders")
        self.assertEqual(post["method"], "POST")

    def test_existing_patient_keeps_their_code(self):
        contact = self.env["res.partner"].create({"name": "Patient 7 again"})
        order = self.new_order(contact, national_id=f"{7:012d}")
        order.action_send_to_his()
        self.assertEqual(contact.isc_patient_code, "BN000007")

    def test_contact_code_is_never_replaced_silently(self):
        contact = self.patient(11)
        order = self.new_order(contact, national_id=f"{20:012d}")  # the HIS knows them as BN20
        order.action_send_to_his()
        self.assertEqual(order.state, "failed")
        self.assertIn("BN000011", order.failure_reason)
        self.assertEqual(contact.isc_patient_code, "BN000011")
        with self.assertRaises(UserError):
            contact.isc_patient_code = "BN000099"

    def test_code_held_by_another_contact_is_refused(self):
        contact = self.env["res.partner"].create({"name": "Same person, second contact"})
        order = self.new_order(contact, national_id=f"{12:012d}")
        order.action_send_to_his()
        self.assertEqual(order.state, "failed")
        self.assertIn(self.patient(12).display_name, order.failure_reason)
        self.assertFalse(contact.isc_patient_code)

    def test_his_rejection_fails_the_order_with_its_reason(self):
        contact = self.env["res.partner"].create({"name": "No date"})
        order = self.new_order(contact)
        self.his_fault(endpoint="booking-orders", kind="error", status=422, times=1)
        order.action_send_to_his()
        self.assertEqual(order.state, "failed")
        self.assertTrue(order.failure_reason)
        self.assertFalse(contact.isc_patient_code)

    def test_his_down_leaves_the_order_sent_and_resending_is_safe(self):
        contact = self.env["res.partner"].create({"name": "Network trouble"})
        order = self.new_order(contact)
        self.his_fault(endpoint="booking-orders", kind="drop")
        order.action_send_to_his()
        self.assertEqual(order.state, "sent")
        self.assertIn("HIS", order.failure_reason)
        self.assertFalse(contact.isc_patient_code)
        self.his.faults.clear()
        order.action_send_to_his()
        self.assertEqual(order.state, "confirmed")
        self.assertEqual(len(self.his_store.booking_orders()), 1)

    def chatter(self, record):
        return record.message_ids.mapped("body")

    def test_a_confirmed_order_tells_its_patient_code_on_screen_and_in_both_chatters(self):
        contact = self.env["res.partner"].create({"name": "Feedback"})
        order = self.new_order(contact)
        action = order.action_send_to_his()
        self.assertEqual(order.state, "confirmed")
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn(order.patient_code, action["params"]["message"])
        for record in (order, contact):
            [line] = [body for body in self.chatter(record) if order.patient_code in body]
            self.assertIn(f'data-oe-id="{order.id}"', line)  # links to the order

    def test_a_refused_order_tells_why_on_screen_and_in_both_chatters(self):
        contact = self.env["res.partner"].create({"name": "Refused"})
        order = self.new_order(contact)
        self.his_fault(endpoint="booking-orders", kind="error", status=422, times=1)
        action = order.action_send_to_his()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn(order.failure_reason, action["params"]["message"])
        for record in (order, contact):
            self.assertTrue([body for body in self.chatter(record)
                             if "did not confirm" in body and order.name in body])

    def test_an_unanswered_order_says_it_can_be_sent_again(self):
        contact = self.env["res.partner"].create({"name": "Unanswered"})
        order = self.new_order(contact)
        self.his_fault(endpoint="booking-orders", kind="drop")
        action = order.action_send_to_his()
        self.assertEqual(order.state, "sent")
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("Sending it again is safe", action["params"]["message"])
        for record in (order, contact):
            self.assertTrue([body for body in self.chatter(record) if "did not answer" in body])

    def test_smart_button_counts_and_opens_the_contacts_orders(self):
        contact = self.env["res.partner"].create({"name": "Counted"})
        self.new_order(contact)
        self.new_order(contact)
        self.assertEqual(contact.isc_booking_order_count, 2)
        action = contact.action_view_isc_booking_orders()
        self.assertEqual(self.env["isc.booking.order"].search(action["domain"]),
                         contact.isc_booking_order_ids)

    def test_booking_order_form_defaults_the_mobile_from_the_contact(self):
        contact = self.env["res.partner"].create({"name": "Form", "phone": "0901234567"})
        with Form(self.env["isc.booking.order"].with_user(self.isc_user)) as form:
            form.partner_id = contact
            self.assertEqual(form.mobile, "0901234567")
