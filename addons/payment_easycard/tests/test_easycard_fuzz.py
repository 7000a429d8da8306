"""EasyCard's return route and webhook, fuzzed: whatever arrives, never a server error, and
nothing changes unless EasyCard's API confirms it."""

import json
import os

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import TERMINAL, WEBHOOK_ROUTE, EasyCardCase

EXAMPLES = int(os.environ.get("CLINIC_FUZZ_EXAMPLES") or 5) * 8
TEXT = st.text(st.characters(codec="utf-8"), max_size=60)
IDS = st.one_of(st.uuids().map(str), TEXT, st.integers(), st.none())
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)), max_leaves=12)
EVENTS = st.fixed_dictionaries({
    "terminalID": st.one_of(st.just(TERMINAL), IDS),
    "entityType": st.sampled_from(["PaymentTransaction", "CreditCardTokenDetails", "Consumer",
                                   "", "x"]),
    "eventName": st.sampled_from(["TransactionCreated", "TransactionRejected",
                                  "CardTokenCreated", "CardTokenDeleted", "CreditCardExpired",
                                  "", "x"]),
    "entityReference": IDS,
    "entityExternalReference": st.one_of(IDS, st.just("EC-FUZZ")),
}, optional={"extra": JSON})
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


@tagged("post_install", "-at_install")
class TestEasyCardFuzz(EasyCardCase):

    def _snapshot(self):
        self.env.flush_all()
        self.env.cr.execute("SELECT id, state, provider_reference FROM payment_transaction "
                            "ORDER BY id")
        txs = self.env.cr.fetchall()
        self.env.cr.execute("SELECT id, active FROM payment_token ORDER BY id")
        return txs, self.env.cr.fetchall()

    def test_webhook_bodies_never_break_the_server_nor_change_anything(self):
        self.provider.write({"easycard_webhook_header_name": "X-Clinic-Hook",
                             "easycard_webhook_header_value": "s3cret"})
        tx = self._tx()
        self._checkout(tx)
        before = self._snapshot()

        @FUZZ
        @given(body=st.one_of(EVENTS, JSON, st.binary(max_size=200)),
               header=st.one_of(st.none(), st.just("s3cret"),
                                st.text(st.characters(min_codepoint=32, max_codepoint=255),
                                        max_size=40)))
        @example(body={"terminalID": TERMINAL}, header="\u00b2")
        def post(body, header):
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers = {"Content-Type": "application/json"}
            if header is not None:
                headers["X-Clinic-Hook"] = header.encode("latin-1")
            response = self.url_open(WEBHOOK_ROUTE, data=raw, headers=headers)
            self.assertLess(response.status_code, 500, raw[:200])

        # Events naming nothing EasyCard knows are logged (and acknowledged): not asserted here.
        with mute_logger("odoo.addons.payment_easycard.controllers.main"):
            post()
        self.assertEqual(self._snapshot(), before)

    def test_return_parameters_never_break_the_server_nor_change_anything(self):
        tx = self._tx()
        self._checkout(tx)
        before = self._snapshot()

        @FUZZ
        @given(params=st.dictionaries(
            st.sampled_from(["reference", "access_token", "transactionID", "TokenID",
                             "transactionid", "x"]),
            st.one_of(TEXT, st.uuids().map(str), st.just(tx.reference)), max_size=5))
        @example(params={"reference": "\u00b2", "access_token": "\u0663"})
        def visit(params):
            response = self.url_open("/payment/easycard/return", params=params,
                                     allow_redirects=False)
            self.assertLess(response.status_code, 500, params)

        with mute_logger("odoo.addons.payment_easycard.controllers.main"):
            visit()
        self.assertEqual(self._snapshot(), before)
