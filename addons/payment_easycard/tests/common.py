"""A live EasyCard simulator on a free loopback port, and a provider pointed at it."""

import functools
import itertools
import sys
import threading
from datetime import timedelta
from pathlib import Path

import requests
from lxml import html

from odoo import fields
from odoo.tests import HttpCase

# The simulator is a package at the root of this repository, beside addons/.
_REPO_ROOT = Path(__file__).resolve().parents[3]
if str(_REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(_REPO_ROOT))

from easycard_simulator.server import make_server  # noqa: E402

TERMINAL = "6f1ee8e2-7c57-4b8e-9d33-3a9f7f2a1c01"
PRIVATE_KEY = "test-easycard-key"
APPROVED = "4111111111111111"
APPROVED_MASTERCARD = "5555555555554444"
DECLINED = "4000000000000002"
THREE_DS = "4000000000003220"
SETTLEMENT_FAILS = "4000000000009995"
WEBHOOK_ROUTE = "/payment/easycard/webhook"
_REFERENCES = itertools.count(1)


def logs_warning(test):
    """The test's doubtful answers are logged for the staff: assert they are."""
    @functools.wraps(test)
    def wrapper(self):
        with self.assertLogs("odoo.addons.payment_easycard", "WARNING"):
            test(self)
    return wrapper


class EasyCardSimulatorMixin:
    """A simulator started for the test class, the EasyCard provider of the company pointed
    at it, and the payer's and EasyCard's sides of a payment. For HttpCase classes."""

    @classmethod
    def _start_easycard(cls, company):
        cls.sim = make_server("127.0.0.1", 0, TERMINAL, PRIVATE_KEY)
        threading.Thread(target=cls.sim.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.sim.server_close)
        cls.addClassCleanup(cls.sim.shutdown)
        cls.easycard = cls.env.ref("payment_easycard.payment_provider_easycard")
        cls.easycard.write({
            "state": "test",
            "is_published": True,
            "company_id": company.id,
            "easycard_terminal_id": TERMINAL,
            "easycard_private_key": PRIVATE_KEY,
            "easycard_server_url": cls.sim.base_url,
        })
        cls.card_method = cls.env.ref("payment.payment_method_card")

    def _reset_easycard(self):
        self.sim.store.reset()
        self.sim.faults.clear()
        self.sim.store.webhooks.reset()

    # --- EasyCard side ----------------------------------------------------------------------

    def sim_url(self, path):
        return self.sim.base_url + path

    def sim_pay(self, tx, card=APPROVED, **extra):
        """The payer pays ``tx``'s checkout with ``card``: the simulator's answer, with the
        redirect back to Odoo."""
        answer = requests.post(self.sim_url("/_sim/pay"), json={
            "paymentIntentID": tx.easycard_intent_id, "card": card, **extra}, timeout=10)
        answer.raise_for_status()
        return answer.json()

    def sim_state(self):
        return requests.get(self.sim_url("/_sim/state"), timeout=10).json()

    def sim_deals(self, reference=None):
        deals = self.sim_state()["transactions"]
        if reference:
            deals = [d for d in deals if d["dealDetails"].get("dealReference") == reference]
        return deals

    def sim_fault(self, endpoint, kind, times=1, **extra):
        self.sim.faults.add({"endpoint": endpoint, "kind": kind, "times": times, **extra})

    def deliver_webhooks(self):
        """EasyCard posts the queued events (no test cookie: any request is let through)."""
        self.env.flush_all()
        with self.allow_requests(all_requests=True):
            return self.sim.deliver_webhooks(self.base_url() + WEBHOOK_ROUTE)

    def return_to_odoo(self, redirect):
        self.env.flush_all()
        response = self.url_open(redirect, allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertTrue(response.headers["Location"].endswith("/payment/status"))
        self.env.invalidate_all()
        return response


class EasyCardCase(EasyCardSimulatorMixin, HttpCase):
    """Odoo talks to the simulator over real HTTP; the test plays the payer (the checkout
    over HTTP) and EasyCard's webhook sender (from the test's own thread)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._start_easycard(cls.env.company)
        cls.provider = cls.easycard
        cls.ils = cls.env.ref("base.ILS")
        cls.ils.active = True
        cls.payer = cls.env["res.partner"].create({
            "name": "Noa Levi", "email": "noa.levi@example.com", "phone": "+972 50 123 4567",
            "lang": "en_US",
        })

    def setUp(self):
        super().setUp()
        self._reset_easycard()

    # --- Odoo side --------------------------------------------------------------------------

    def _tx(self, operation="online_redirect", amount=120.0, **values):
        return self.env["payment.transaction"].create({
            "provider_id": self.provider.id,
            "payment_method_id": self.card_method.id,
            "reference": f"EC-TEST-{next(_REFERENCES)}",
            "amount": 0.0 if operation == "validation" else amount,
            "currency_id": self.ils.id,
            "partner_id": self.payer.id,
            "operation": operation,
            "tokenize": operation == "validation",
            **values,
        })

    def _checkout(self, tx):
        """Render the redirect form as the payment form does: (action, inputs)."""
        processing = tx._get_processing_values()
        form = html.fromstring(processing["redirect_form_html"])
        inputs = {i.get("name"): i.get("value") for i in form.iter("input")}
        return form.get("action"), inputs

    def _token(self, **values):
        tx = self._tx("validation")
        self._checkout(tx)
        answer = self.sim_pay(tx)
        self.url_open(answer["redirect"])
        self.env.invalidate_all()
        token = tx.token_id
        self.assertTrue(token, "saving a card gives a token")
        token.write(values)
        return token

    def _age(self, tx, minutes=10):
        """Make ``tx`` old enough for the reconciliation job."""
        self.env.cr.execute("UPDATE payment_transaction SET create_date = %s WHERE id = %s",
                            (fields.Datetime.now() - timedelta(minutes=minutes), tx.id))
        self.env.invalidate_all()

    def _reconcile(self, tx):
        self._age(tx)
        self.env["payment.transaction"]._cron_easycard_reconcile()
        self.env.invalidate_all()

