from odoo.tests import tagged

from .common import APPROVED, SETTLEMENT_FAILS, EasyCardCase


@tagged("post_install", "-at_install")
class TestEasyCardCards(EasyCardCase):
    """Leave a card (a save-only checkout), charge it off-session, refund."""

    def test_leaving_a_card_charges_nothing_and_keeps_only_easycards_token(self):
        tx = self._tx("validation")
        self._checkout(tx)
        [intent] = self.sim_state()["paymentIntents"]
        self.assertEqual(intent["amount"], 0, "save card only")
        self.assertTrue(intent["dealDetails"]["consumerID"])
        paid = self.sim_pay(tx)
        self.return_to_odoo(paid["redirect"])
        self.assertEqual(tx.state, "done")
        token = tx.token_id
        self.assertEqual(token.provider_ref, paid["tokenID"])
        self.assertEqual(token.payment_details, APPROVED[-4:])
        self.assertEqual(token.partner_id, self.payer)
        self.assertEqual(token.easycard_consumer_id, intent["dealDetails"]["consumerID"])
        self.assertEqual(token.payment_method_id.code, "visa", "the card's brand, as EasyCard says")
        self.assertFalse(self.sim_deals(), "nothing charged")
        self.assertNotIn(APPROVED, str(token.read()), "the card number is never stored")

    def test_one_easycard_customer_per_patient_however_many_cards(self):
        self._token()
        self._token()
        self.assertEqual(len(self.sim_state()["consumers"]), 1)

    def test_a_card_saved_while_paying_becomes_a_token(self):
        tx = self._tx(tokenize=True)
        self._checkout(tx)
        self.return_to_odoo(self.sim_pay(tx, save_card=True)["redirect"])
        self.assertEqual(tx.state, "done")
        self.assertTrue(tx.token_id.provider_ref)

    def test_a_saved_card_is_charged_off_session_once(self):
        token = self._token()
        fee = self._tx("offline", amount=80.0, token_id=token.id)
        fee._charge_with_token()
        self.assertEqual(fee.state, "done")
        [deal] = self.sim_deals(fee.reference)
        self.assertEqual((deal["cardPresence"], deal["transactionAmount"]),
                         ("cardNotPresent", 80.0))
        self.assertEqual(deal["creditCardToken"], token.provider_ref)

    def test_a_refused_saved_card_fails_with_the_reason(self):
        token = self._token()
        self.sim.store.decline_token(token.provider_ref)
        fee = self._tx("offline", amount=80.0, token_id=token.id)
        fee._charge_with_token()
        self.assertEqual(fee.state, "error")
        self.assertIn("Declined", fee.state_message)

    def test_a_hold_on_a_saved_card_when_capturing_manually(self):
        token = self._token()
        self.provider.capture_manually = True
        tx = self._tx("offline", amount=50.0, token_id=token.id)
        tx._charge_with_token()
        self.assertEqual(tx.state, "authorized")
        [deal] = self.sim_deals(tx.reference)
        self.assertEqual(deal["jDealType"], "J5")

    def _paid(self, amount=120.0, card=APPROVED):
        tx = self._tx(amount=amount)
        self._checkout(tx)
        self.return_to_odoo(self.sim_pay(tx, card=card)["redirect"])
        self.assertEqual(tx.state, "done")
        return tx

    def test_a_refund_before_settlement_cancels_the_whole_deal(self):
        tx = self._paid()
        refund = tx._refund()
        self.assertEqual(refund.state, "done")
        [deal] = self.sim_deals(tx.reference)
        self.assertEqual(deal["status"], "cancelledByMerchant", "the card is never charged")

    def test_a_partial_refund_before_settlement_says_when_it_can_be_made(self):
        tx = self._paid()
        refund = tx._refund(amount_to_refund=20.0)
        self.assertEqual(refund.state, "error")
        self.assertIn("tomorrow", refund.state_message)
        [deal] = self.sim_deals(tx.reference)
        self.assertEqual(deal["status"], "awaitingForTransmission", "nothing changed")

    def test_a_settled_deal_is_refunded_in_part_then_in_full(self):
        tx = self._paid()
        self.sim.store.transmit()
        first = tx._refund(amount_to_refund=20.0)
        second = tx._refund(amount_to_refund=100.0)
        self.assertEqual((first.state, second.state), ("done", "done"))
        source = [d for d in self.sim_deals(tx.reference)
                  if d["paymentTransactionID"] == tx.provider_reference][0]
        self.assertEqual(source["totalRefund"], 120.0)

    def test_a_refund_that_is_no_longer_possible_says_so_and_refunds_nothing(self):
        tx = self._paid()
        self.sim.store.transmit()
        tx._refund()
        again = tx._refund(amount_to_refund=10.0)
        self.assertEqual(again.state, "error")
        self.assertIn("nothing is left to refund", again.state_message)

    def test_a_payment_whose_settlement_failed_has_nothing_to_refund_and_says_why(self):
        tx = self._paid(card=SETTLEMENT_FAILS)
        self.assertEqual(self.sim.store.transmit()["failed"], [tx.provider_reference])
        refund = tx._refund()
        self.assertEqual(refund.state, "error")
        self.assertIn("nothing to refund", refund.state_message)
        self.assertEqual(tx.state, "done", "the confirmed payment is not moved back")

