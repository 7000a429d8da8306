import json

from odoo.tests import tagged

from .common import TERMINAL, WEBHOOK_ROUTE, EasyCardCase, logs_warning


@tagged("post_install", "-at_install")
class TestEasyCardWebhooks(EasyCardCase):
    """Webhooks are unsigned: each only names what to read back from EasyCard."""

    def _paid_without_return(self, **extra):
        tx = self._tx(**extra)
        self._checkout(tx)
        paid = self.sim_pay(tx)
        return tx, paid

    def test_a_webhook_alone_confirms_the_payment(self):
        tx, _paid = self._paid_without_return()
        deliveries = self.deliver_webhooks()
        self.assertTrue(deliveries)
        self.assertTrue(all(d["status"] == 200 for d in deliveries), deliveries)
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")

    def test_duplicate_webhooks_change_nothing_twice(self):
        self.sim.store.webhooks.configure({"mode": "duplicate", "duplicates": 3})
        tx = self._tx("validation")
        self._checkout(tx)
        self.sim_pay(tx)
        self.deliver_webhooks()
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")
        tokens = self.env["payment.token"].search([("partner_id", "=", self.payer.id)])
        self.assertEqual(len(tokens), 1, "one saved card, however many webhooks")

    def test_a_webhook_before_the_payer_returns_then_the_return_confirm_once(self):
        self.sim.store.webhooks.configure({"mode": "before_redirect"})
        tx, paid = self._paid_without_return()
        self.deliver_webhooks()
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")
        self.return_to_odoo(paid["redirect"])
        self.assertEqual(tx.state, "done")
        self.assertEqual(len(self.sim_deals(tx.reference)), 1)

    @logs_warning
    def test_a_webhook_naming_an_unknown_deal_is_acknowledged_and_changes_nothing(self):
        self.sim.store.webhooks.configure({"mode": "unknown_id"})
        tx, _paid = self._paid_without_return()
        deliveries = self.deliver_webhooks()
        self.assertTrue(all(d["status"] == 200 for d in deliveries))
        self.env.invalidate_all()
        self.assertEqual(tx.state, "draft")

    @logs_warning
    def test_with_a_header_agreed_a_wrong_or_missing_header_is_refused(self):
        self.provider.write({"easycard_webhook_header_name": "X-Clinic-Hook",
                             "easycard_webhook_header_value": "s3cret"})
        self.sim.store.webhooks.configure({"mode": "wrong_header", "header_name": "X-Clinic-Hook",
                                           "header_value": "s3cret"})
        tx, _paid = self._paid_without_return()
        self.assertEqual({d["status"] for d in self.deliver_webhooks()}, {403})
        event = {"terminalID": TERMINAL, "entityType": "PaymentTransaction",
                 "entityReference": _paid["transactionID"], "eventName": "TransactionCreated"}
        bare = self.url_open(WEBHOOK_ROUTE, data=json.dumps(event),
                             headers={"Content-Type": "application/json"})
        self.assertEqual(bare.status_code, 403)
        self.env.invalidate_all()
        self.assertEqual(tx.state, "draft")
        self.sim.store.webhooks.configure({"mode": "normal"})
        self.assertEqual({d["status"] for d in self.deliver_webhooks()}, {200})
        self.env.invalidate_all()
        self.assertEqual(tx.state, "done")

    @logs_warning
    def test_a_webhook_of_another_terminal_or_not_json_is_ignored(self):
        tx, paid = self._paid_without_return()
        event = {"terminalID": "00000000-0000-4000-8000-000000000000",
                 "entityType": "PaymentTransaction", "entityReference": paid["transactionID"]}
        other = self.url_open(WEBHOOK_ROUTE, data=json.dumps(event),
                              headers={"Content-Type": "application/json"})
        self.assertEqual(other.status_code, 200)
        garbage = self.url_open(WEBHOOK_ROUTE, data=b"{not json",
                                headers={"Content-Type": "application/json"})
        self.assertEqual(garbage.status_code, 400)
        self.env.invalidate_all()
        self.assertEqual(tx.state, "draft")

    def test_with_no_webhook_at_all_the_job_settles_the_payment(self):
        self.sim.store.webhooks.configure({"mode": "never"})
        tx, _paid = self._paid_without_return()
        self.assertFalse(self.deliver_webhooks())
        self._reconcile(tx)
        self.assertEqual(tx.state, "done")

    def test_a_deleted_card_is_archived(self):
        token = self._token()
        self.sim.store.delete_token(token.provider_ref)
        self.deliver_webhooks()
        self.env.invalidate_all()
        self.assertFalse(token.active)
