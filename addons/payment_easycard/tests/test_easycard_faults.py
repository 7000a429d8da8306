from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import EasyCardCase, logs_warning


@tagged("post_install", "-at_install")
class TestEasyCardFaults(EasyCardCase):
    """Nothing is lost, nothing is charged twice: a charge whose answer is lost stays
    pending and is settled from EasyCard's records before anything is retried."""

    def _fee(self, amount=80.0):
        token = self._token()
        return self._tx("offline", amount=amount, token_id=token.id)

    @logs_warning
    def test_a_charge_whose_connection_drops_after_it_was_made_is_found_and_confirmed(self):
        fee = self._fee()
        self.sim_fault("transactions.create", "drop_after")
        fee._charge_with_token()
        self.assertEqual(fee.state, "pending", "never error: the card may have been charged")
        self._reconcile(fee)
        self.assertEqual(fee.state, "done")
        self.assertEqual(len(self.sim_deals(fee.reference)), 1, "charged exactly once")

    @logs_warning
    def test_a_charge_whose_connection_drops_before_it_was_made_ends_uncharged(self):
        fee = self._fee()
        self.sim_fault("transactions.create", "drop")
        fee._charge_with_token()
        self.assertEqual(fee.state, "pending")
        self._reconcile(fee)
        self.assertEqual(fee.state, "error")
        self.assertIn("not charged", fee.state_message)
        self.assertFalse(self.sim_deals(fee.reference))

    @logs_warning
    def test_a_server_error_is_settled_like_a_dropped_connection(self):
        fee = self._fee()
        self.sim_fault("transactions.create", "error_500")
        fee._charge_with_token()
        self.assertEqual(fee.state, "pending")
        self._reconcile(fee)
        self.assertEqual(fee.state, "error")

    @logs_warning
    def test_an_unreadable_answer_is_settled_from_easycards_records(self):
        fee = self._fee()
        self.sim_fault("transactions.create", "malformed")
        fee._charge_with_token()
        self.assertEqual(fee.state, "pending")
        self._reconcile(fee)
        self.assertEqual(fee.state, "error", "the simulator did not carry it out")
        self.assertFalse(self.sim_deals(fee.reference))

    def test_an_error_under_201_is_a_refusal(self):
        fee = self._fee()
        self.sim_fault("transactions.create", "error_body_201")
        fee._charge_with_token()
        self.assertEqual(fee.state, "error")
        self.assertFalse(self.sim_deals(fee.reference))

    def test_a_revoked_access_token_is_renewed_once_and_the_charge_made_once(self):
        fee = self._fee()
        self.sim_fault("transactions.create", "unauthorized")
        fee._charge_with_token()
        self.assertEqual(fee.state, "done")
        self.assertEqual(len(self.sim_deals(fee.reference)), 1)

    @logs_warning
    def test_a_lost_reading_of_the_deal_is_read_again_later(self):
        fee = self._fee()
        self.sim_fault("transactions.get", "drop")
        fee._charge_with_token()
        self.assertEqual(fee.state, "pending")
        self.assertTrue(fee.provider_reference)
        self._reconcile(fee)
        self.assertEqual(fee.state, "done")
        self.assertEqual(len(self.sim_deals(fee.reference)), 1)

    @logs_warning
    def test_tampered_amount_currency_or_reference_is_never_accepted(self):
        for kind in ("tamper_amount", "tamper_currency", "tamper_reference"):
            with self.subTest(kind=kind):
                tx = self._tx()
                self._checkout(tx)
                paid = self.sim_pay(tx)
                self.sim_fault("transactions.get", kind)
                self.return_to_odoo(paid["redirect"])
                self.assertEqual(tx.state, "draft", "not confirmed on doubtful data")
                self._reconcile(tx)
                self.assertEqual(tx.state, "done", "confirmed once EasyCard answers true")

    def test_a_return_without_the_deals_id_is_settled_from_the_checkout(self):
        tx = self._tx()
        self._checkout(tx)
        self.sim_fault("checkout", "redirect_without_id")
        self.return_to_odoo(self.sim_pay(tx)["redirect"])
        self.assertEqual(tx.state, "done")

    def test_a_card_left_without_its_id_in_the_return_is_found_by_its_customer(self):
        tx = self._tx("validation")
        self._checkout(tx)
        self.sim_fault("checkout", "redirect_without_id")
        paid = self.sim_pay(tx)
        self.return_to_odoo(paid["redirect"])
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.token_id.provider_ref, paid["tokenID"])

    @logs_warning
    def test_a_return_naming_another_deal_confirms_nothing_until_reconciled(self):
        other = self._tx()
        self._checkout(other)
        self.sim_pay(other)
        tx = self._tx()
        self._checkout(tx)
        self.sim_fault("checkout", "redirect_other_id")
        self.return_to_odoo(self.sim_pay(tx)["redirect"])
        self.assertEqual(tx.state, "draft")
        self._reconcile(tx)
        self.assertEqual(tx.state, "done")

    def test_a_checkout_nobody_came_back_from_is_settled_by_the_job(self):
        tx = self._tx()
        self._checkout(tx)
        self.sim_pay(tx)
        self._reconcile(tx)
        self.assertEqual(tx.state, "done")

    @logs_warning
    def test_a_lost_refund_answer_is_settled_from_the_refunded_total(self):
        tx = self._tx()
        self._checkout(tx)
        self.return_to_odoo(self.sim_pay(tx)["redirect"])
        self.sim.store.transmit()
        self.sim_fault("transactions.chargeback", "drop_after")
        refund = tx._refund(amount_to_refund=30.0)
        self.assertEqual(refund.state, "pending")
        self._reconcile(refund)
        self.assertEqual(refund.state, "done")

    @logs_warning
    def test_staff_checking_a_charge_that_never_answered_wait_then_learn_its_outcome(self):
        fee = self._fee()
        self.sim_fault("transactions.create", "drop_after")
        fee._charge_with_token()
        with self.assertRaises(UserError, msg="too early to judge: nothing concluded"):
            fee.action_easycard_check()
        self.assertEqual(fee.state, "pending")
        self._age(fee)
        action = fee.action_easycard_check()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(fee.state, "done")
        self.assertEqual(len(self.sim_deals(fee.reference)), 1, "charged exactly once")

    def _hold(self):
        self.provider.capture_manually = True
        tx = self._tx()
        self._checkout(tx)
        self.return_to_odoo(self.sim_pay(tx)["redirect"])
        self.assertEqual(tx.state, "authorized")
        return tx

    def test_an_expired_hold_cannot_be_captured_and_says_so(self):
        tx = self._hold()
        self.sim.store.expire_j5()
        capture = tx._capture()
        self.assertEqual(capture.state, "error")
        self.assertIn("expired", capture.state_message)
        self.assertFalse([d for d in self.sim_deals(tx.reference) if d["jDealType"] == "J4"])

    def test_a_hold_whose_release_is_refused_is_flagged_with_the_deal_to_cancel(self):
        tx = self._hold()
        self.sim_fault("transmission.cancel", "bad_request")
        with self.assertLogs("odoo.addons.payment_easycard", "ERROR"):
            void = tx._void()
        self.assertEqual(void.state, "error")
        [j4] = [d for d in self.sim_deals(tx.reference) if d["jDealType"] == "J4"]
        self.assertIn(j4["paymentTransactionID"], void.state_message,
                      "staff are told which deal to cancel before settlement")

