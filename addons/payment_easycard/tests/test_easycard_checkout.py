from urllib.parse import urlsplit

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import (
    APPROVED_MASTERCARD,
    DECLINED,
    PRIVATE_KEY,
    TERMINAL,
    THREE_DS,
    EasyCardCase,
    logs_warning,
)


@tagged("post_install", "-at_install")
class TestEasyCardCheckout(EasyCardCase):
    """Pay now: EasyCard's hosted checkout for the exact amount, judged on what EasyCard's
    API says once the payer is back."""

    def test_pay_now_sends_the_payer_to_a_checkout_for_exactly_the_amount(self):
        tx = self._tx(amount=245.5)
        action, inputs = self._checkout(tx)
        self.assertEqual(action, self.sim_url("/i"))
        self.assertEqual(set(inputs), {"r", "l"})
        [intent] = self.sim_state()["paymentIntents"]
        self.assertEqual(intent["paymentRequestID"], tx.easycard_intent_id)
        self.assertEqual((intent["amount"], intent["currency"]), (245.5, "ILS"))
        self.assertEqual(intent["dealDetails"]["dealReference"], tx.reference)
        self.assertIs(intent["userAmount"], False, "the payer cannot change the amount")
        self.assertIs(intent["issueInvoice"], False, "no EasyCard tax document")
        self.assertEqual((intent["jDealType"], intent["transactionType"]),
                         ("J4", "regularDeal"), "charged at once, no installments")
        redirect = urlsplit(intent["redirectUrl"])
        self.assertEqual(redirect.path, "/payment/easycard/return")

    def test_the_checkout_page_speaks_hebrew_to_a_hebrew_payer(self):
        self.env["res.lang"]._activate_lang("he_IL")
        self.payer.lang = "he_IL"
        tx = self._tx(partner_lang="he_IL")
        _action, inputs = self._checkout(tx)
        self.assertEqual(inputs["l"], "he-IL")

    def test_an_approved_card_confirms_the_payment_when_the_payer_returns(self):
        tx = self._tx()
        self._checkout(tx)
        paid = self.sim_pay(tx, card=APPROVED_MASTERCARD)
        self.return_to_odoo(paid["redirect"])
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.provider_reference, paid["transactionID"])
        self.assertEqual(tx.payment_method_id.code, "mastercard")
        self.assertEqual(len(self.sim_deals(tx.reference)), 1, "charged exactly once")

    def test_a_declined_card_fails_with_easycards_reason(self):
        tx = self._tx()
        self._checkout(tx)
        self.return_to_odoo(self.sim_pay(tx, card=DECLINED)["redirect"])
        self.assertEqual(tx.state, "error")
        self.assertIn("Declined", tx.state_message)

    def test_a_failed_3d_secure_challenge_fails_the_payment(self):
        tx = self._tx()
        self._checkout(tx)
        self.return_to_odoo(self.sim_pay(tx, card=THREE_DS, three_ds="fail")["redirect"])
        self.assertEqual(tx.state, "error")

    def test_a_passed_3d_secure_challenge_confirms_the_payment(self):
        tx = self._tx()
        self._checkout(tx)
        self.return_to_odoo(self.sim_pay(tx, card=THREE_DS, three_ds="approve")["redirect"])
        self.assertEqual(tx.state, "done")

    def test_cancelling_on_easycards_page_cancels_the_payment(self):
        tx = self._tx()
        _action, inputs = self._checkout(tx)
        self.sim.store.cancel_checkout(inputs["r"])
        [intent] = self.sim_state()["paymentIntents"]
        self.return_to_odoo(intent["redirectUrl"])
        self.assertEqual(tx.state, "cancel")

    def test_a_return_with_a_wrong_access_token_changes_nothing(self):
        tx = self._tx()
        self._checkout(tx)
        paid = self.sim_pay(tx)
        forged = paid["redirect"].replace("access_token=", "access_token=x")
        self.return_to_odoo(forged)
        self.assertEqual(tx.state, "draft")

    @logs_warning
    def test_the_return_of_another_payment_does_not_confirm_this_one(self):
        first, second = self._tx(), self._tx()
        self._checkout(first)
        self._checkout(second)
        paid_first = self.sim_pay(first)
        # The second payment's return names the first payment's deal.
        [intent] = [i for i in self.sim_state()["paymentIntents"]
                    if i["paymentRequestID"] == second.easycard_intent_id]
        self.return_to_odoo(f"{intent['redirectUrl']}&transactionID={paid_first['transactionID']}")
        self.assertEqual(second.state, "draft")

    def test_manual_capture_holds_the_amount_and_shows_when_the_hold_expires(self):
        self.provider.capture_manually = True
        tx = self._tx()
        self._checkout(tx)
        [intent] = self.sim_state()["paymentIntents"]
        self.assertEqual(intent["jDealType"], "J5")
        self.return_to_odoo(self.sim_pay(tx)["redirect"])
        self.assertEqual(tx.state, "authorized")
        self.assertTrue(tx.easycard_j5_expiry, "staff see when the hold ends")

    def test_capturing_a_hold_charges_it_once_as_a_new_deal(self):
        self.provider.capture_manually = True
        tx = self._tx()
        self._checkout(tx)
        self.return_to_odoo(self.sim_pay(tx)["redirect"])
        capture = tx._capture()
        self.assertEqual(capture.state, "done")
        self.assertNotEqual(capture.provider_reference, tx.provider_reference)
        self.assertEqual(tx.state, "done")
        j4 = [d for d in self.sim_deals(tx.reference) if d["jDealType"] == "J4"]
        self.assertEqual(len(j4), 1)

    def test_voiding_a_hold_leaves_the_card_uncharged(self):
        self.provider.capture_manually = True
        tx = self._tx()
        self._checkout(tx)
        self.return_to_odoo(self.sim_pay(tx)["redirect"])
        void = tx._void()
        self.assertEqual(void.state, "cancel")
        self.assertEqual(tx.state, "cancel")
        [j4] = [d for d in self.sim_deals(tx.reference) if d["jDealType"] == "J4"]
        self.assertEqual(j4["status"], "cancelledByMerchant")

    def test_only_ils_usd_and_eur_are_offered(self):
        names = set(self.provider._get_supported_currencies().mapped("name"))
        self.assertTrue(names <= {"ILS", "USD", "EUR"})
        self.assertIn("ILS", names)

    def test_test_connection_tells_whether_the_key_works(self):
        action = self.provider.action_easycard_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.provider.easycard_private_key = PRIVATE_KEY + "-revoked"
        with self.assertRaises(UserError):
            self.provider.action_easycard_test_connection()

    def test_a_terminal_that_is_not_a_uuid_is_refused_on_the_form(self):
        with self.assertRaises(ValidationError):
            self.provider.easycard_terminal_id = "terminal-1"
        self.assertEqual(self.provider.easycard_terminal_id, TERMINAL)
