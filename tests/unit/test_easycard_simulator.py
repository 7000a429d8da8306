"""The EasyCard simulator: what an integrator relies on, through its real HTTP contract.

Each test starts the simulator on a free loopback port with a fixed clock; every request has a
timeout, so no test can hang.
"""

import json
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from easycard_simulator import cards
from easycard_simulator.codec import dumps, parse_amount
from easycard_simulator.contract import INTENT_STATUSES, TRANSACTION_STATUSES
from easycard_simulator.server import make_server

ROOT = Path(__file__).resolve().parents[2]
TERMINAL = "6f1ee8e2-7c57-4b8e-9d33-3a9f7f2a1c01"
KEY = "test-terminal-key"
SHOP = "http://shop.test/payment"
RETURN_URL = SHOP + "/easycard/return?reference=S0001&access_token=abc"
HEADER = ("X-EasyCard-Secret", "s3cret")
VISA, MASTERCARD = "4111111111111111", "5555555555554444"
DECLINE, CHALLENGE, SETTLEMENT = "4000000000000002", "4000000000003220", "4000000000009995"
TIMEOUT = 5
# Spec A4 of the integration: the fields a client reads to verify a transaction.
VERIFIED_FIELDS = {
    "paymentTransactionID", "paymentIntentID", "terminalID", "dealDetails", "status",
    "jDealType", "transactionAmount", "totalAmount", "currency", "totalRefund",
    "creditCardDetails", "creditCardToken", "allowRefund", "allowTransmissionCancellation",
    "rejectionMessage", "transactionJ5ExpiredDate", "transactionType", "specialTransactionType",
}


class Clock:
    """A clock the test moves by hand: token and J5 expiry without sleeping."""

    def __init__(self):
        self.now = datetime(2025, 6, 1, 9, 0, tzinfo=UTC).timestamp()

    def __call__(self):
        return self.now


class Sim:
    """The running simulator and a client of its contract."""

    def __init__(self, server, clock):
        self.server, self.clock, self.url = server, clock, server.base_url
        self._token = None

    def token(self, key=KEY):
        answer = requests.post(self.url + "/connect/token", timeout=TIMEOUT, data={
            "client_id": "terminal", "grant_type": "terminal_rest_api", "authorizationKey": key})
        return answer

    def api(self, method, path, body=None, params=None, token=None):
        if token is None:
            self._token = self._token or self.token().json()["access_token"]
            token = self._token
        return requests.request(method, self.url + path, json=body, params=params,
                                headers={"Authorization": "Bearer " + token}, timeout=TIMEOUT)

    def admin(self, method, path, body=None):
        return requests.request(method, self.url + path, json=body, timeout=TIMEOUT)

    def intent(self, **changes):
        """Create a payment intent; returns (intent id, checkout URL)."""
        body = {"currency": "ILS", "paymentRequestAmount": "120.00", "userAmount": False,
                "redirectUrl": RETURN_URL, "issueInvoice": False,
                "dealDetails": {"dealReference": "S0001", "dealDescription": "Consultation"}}
        body.update(changes)
        answer = self.api("POST", "/api/paymentIntent", body)
        assert answer.status_code == 201, answer.text
        return answer.json()["entityUID"], answer.json()["additionalData"]["url"]

    def submit(self, checkout_url, card=VISA, action="pay", **fields):
        """Submit the checkout form of ``checkout_url`` as a browser would (no redirects)."""
        query = parse_qs(urlsplit(checkout_url).query)
        form = {"r": query["r"][0], "l": query["l"][0], "cardNumber": card, "expiry": "12/30",
                "cvv": "123", "cardOwnerName": "Dana Levi", "action": action, **fields}
        return requests.post(self.url + "/i/pay", data=form, allow_redirects=False,
                             timeout=TIMEOUT)

    def pay(self, card=VISA, **changes):
        """Create an intent, pay it at the checkout; returns (intent id, redirect params)."""
        intent_id, link = self.intent(**changes)
        answer = self.submit(link, card)
        assert answer.status_code == 302, answer.text
        return intent_id, redirect_params(answer.headers["Location"])

    def transaction(self, transaction_id):
        answer = self.api("GET", f"/api/transactions/{transaction_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def consumer(self, reference="P-1"):
        answer = self.api("POST", "/api/consumers", {"consumerName": "Dana Levi",
                                                     "externalReference": reference})
        return answer.json()["entityUID"]

    def saved_token(self, card=VISA):
        consumer = self.consumer()
        _intent, params = self.pay(card, paymentRequestAmount=0,
                                   dealDetails={"consumerID": consumer})
        return params["TokenID"][0], consumer

    def charge(self, path="/api/transactions/create", **changes):
        token, _consumer = self.saved_token()
        body = {"terminalID": TERMINAL, "creditCardToken": token, "transactionAmount": 80,
                "currency": "ILS", "cardPresence": "cardNotPresent", "issueInvoice": False,
                "dealDetails": {"dealReference": "S0002"}, **changes}
        return self.api("POST", path, body)


def redirect_params(location):
    return parse_qs(urlsplit(location).query)


class Receiver(BaseHTTPRequestHandler):
    """A merchant webhook endpoint that records what it receives."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.headers, json.loads(body)))
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass


def serve(server):
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    return thread


def stop(server, thread):
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def sim():
    clock = Clock()
    server = make_server("127.0.0.1", 0, TERMINAL, KEY, [SHOP], webhook_header=HEADER,
                         clock=clock)
    thread = serve(server)
    try:
        yield Sim(server, clock)
    finally:
        stop(server, thread)


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received, server.status = [], 200
    server.url = "http://127.0.0.1:%d/payment/easycard/webhook" % server.server_address[1]
    thread = serve(server)
    try:
        yield server
    finally:
        stop(server, thread)


# --- identity ------------------------------------------------------------------------------------


def test_the_terminal_key_gets_a_bearer_token_for_a_day(sim):
    answer = sim.token()
    assert answer.status_code == 200
    body = answer.json()
    assert (body["expires_in"], body["token_type"], body["scope"]) == (
        86400, "Bearer", "transactions_api")
    assert sim.api("GET", "/api/webhooks", token=body["access_token"]).status_code == 200


def test_a_wrong_key_is_invalid_client(sim):
    answer = sim.token("not-the-key")
    assert (answer.status_code, answer.json()) == (400, {"error": "invalid_client"})


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer forged"},
                                     {"Authorization": "Basic " + KEY}])
def test_api_without_a_valid_bearer_token_is_401_with_no_body(sim, headers):
    answer = requests.get(sim.url + "/api/transactions", headers=headers, timeout=TIMEOUT)
    assert (answer.status_code, answer.content) == (401, b"")


def test_a_token_stops_working_when_it_expires(sim):
    token = sim.token().json()["access_token"]
    sim.clock.now += 86400
    assert sim.api("GET", "/api/webhooks", token=token).status_code == 401


# --- payment intents ---------------------------------------------------------------------------


def test_an_intent_answers_201_with_an_opaque_checkout_link(sim):
    answer = sim.api("POST", "/api/paymentIntent", {
        "paymentRequestAmount": 50, "userAmount": False, "redirectUrl": RETURN_URL})
    body = answer.json()
    assert (answer.status_code, body["status"]) == (201, "success")
    link = urlsplit(body["additionalData"]["url"])
    assert (f"{link.scheme}://{link.netloc}", link.path) == (sim.url, "/i")
    query = parse_qs(link.query)
    assert query["l"] == ["he-IL"] and query["r"][0] != body["entityUID"]


@pytest.mark.parametrize("changes, code", [
    ({"currency": "GBP"}, "currency"),
    ({"userAmount": True}, "userAmount"),
    ({"redirectUrl": "http://evil.test/payment/return"}, "redirectUrl"),
    ({"redirectUrl": "http://shop.test/paymentX"}, "redirectUrl"),
    ({"paymentRequestAmount": 0}, "consumerID"),
    ({"paymentRequestAmount": "10.005"}, "paymentRequestAmount"),
    ({"paymentRequestAmount": "1200$"}, "paymentRequestAmount"),
    ({"jDealType": "J2"}, "jDealType"),
])
def test_an_intent_the_terminal_must_not_create_is_refused(sim, changes, code):
    body = {"currency": "ILS", "paymentRequestAmount": 10, "userAmount": False,
            "redirectUrl": RETURN_URL, **changes}
    answer = sim.api("POST", "/api/paymentIntent", body)
    assert answer.status_code == 400
    assert answer.json()["status"] == "error"
    assert [error["code"] for error in answer.json()["errors"]] == [code]


def test_save_only_needs_the_consumer_inside_deal_details(sim):
    consumer = sim.consumer()
    top_level = sim.api("POST", "/api/paymentIntent", {
        "paymentRequestAmount": 0, "userAmount": False, "redirectUrl": RETURN_URL,
        "consumerID": consumer})
    assert top_level.status_code == 400
    sim.intent(paymentRequestAmount=0, dealDetails={"consumerID": consumer})


def test_an_intent_for_an_unknown_consumer_is_entity_not_found(sim):
    answer = sim.api("POST", "/api/paymentIntent", {
        "paymentRequestAmount": 10, "userAmount": False, "redirectUrl": RETURN_URL,
        "dealDetails": {"consumerID": "0b7c3f8a-0000-4000-8000-000000000000"}})
    assert answer.status_code == 404
    assert (answer.json()["message"], answer.json()["entityType"]) == (
        "Entity Not Found", "Consumer")


def test_get_intent_shows_its_status_and_transaction_once_paid(sim):
    intent_id, link = sim.intent()
    assert sim.api("GET", f"/api/paymentIntent/{intent_id}").json()["status"] == "initial"
    params = redirect_params(sim.submit(link).headers["Location"])
    intent = sim.api("GET", f"/api/paymentIntent/{intent_id}").json()
    assert (intent["status"], intent["paymentTransactionID"]) == (
        "payed", params["transactionID"][0])
    assert intent["dealDetails"]["dealReference"] == "S0001"


def test_deleting_an_intent_kills_its_link(sim):
    intent_id, link = sim.intent()
    assert sim.api("DELETE", f"/api/paymentIntent/{intent_id}").json()["status"] == "success"
    assert sim.api("GET", f"/api/paymentIntent/{intent_id}").json()["status"] == "canceled"
    assert requests.get(link, timeout=TIMEOUT).status_code == 410


# --- hosted checkout ---------------------------------------------------------------------------


def test_the_checkout_is_a_labelled_form_in_the_link_language(sim):
    _intent, link = sim.intent()
    hebrew = requests.get(link, timeout=TIMEOUT)
    assert hebrew.status_code == 200
    assert '<html lang="he" dir="rtl">' in hebrew.text
    for name in ("cardNumber", "expiry", "cvv", "cardOwnerName"):
        assert f'<label for="{name}">' in hebrew.text and f'id="{name}"' in hebrew.text
    assert 'value="pay"' in hebrew.text and 'value="cancel"' in hebrew.text
    assert "120.00 ILS" in hebrew.text
    english = requests.get(link.replace("l=he-IL", "l=en-US"), timeout=TIMEOUT)
    assert '<html lang="en" dir="ltr">' in english.text and "Card number" in english.text


@pytest.mark.parametrize("card, brand, solek", [(VISA, "VISA", "VISA"),
                                                (MASTERCARD, "MASTERCARD", "ISRACARD")])
def test_an_approved_card_redirects_with_the_transaction_id_after_the_own_params(
        sim, card, brand, solek):
    intent_id, link = sim.intent()
    answer = sim.submit(link, card)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(RETURN_URL + "&transactionID=")
    transaction = sim.transaction(redirect_params(location)["transactionID"][0])
    assert (transaction["status"], transaction["jDealType"]) == ("awaitingForTransmission", "J4")
    assert transaction["paymentIntentID"] == intent_id
    assert transaction["transactionAmount"] == transaction["totalAmount"] == 120.0
    card_details = transaction["creditCardDetails"]
    assert (card_details["cardBrand"], card_details["solek"]) == (brand, solek)
    assert card_details["cardNumber"] == card[:6] + "****" + card[-4:]


def test_a_declined_card_redirects_with_a_rejected_transaction(sim):
    _intent, params = sim.pay(DECLINE)
    transaction = sim.transaction(params["transactionID"][0])
    assert transaction["status"] == "rejectedByProcessor"
    assert transaction["rejectionMessage"]
    assert not transaction["allowRefund"] and not transaction["allowTransmissionCancellation"]


@pytest.mark.parametrize("action, status", [("approve", "awaitingForTransmission"),
                                            ("fail", "rejectedBy3Dsecure")])
def test_the_3ds_card_asks_the_payer_then_follows_the_answer(sim, action, status):
    _intent, link = sim.intent()
    challenge = sim.submit(link, CHALLENGE)
    assert challenge.status_code == 303
    page = requests.get(sim.url + challenge.headers["Location"], timeout=TIMEOUT)
    assert page.status_code == 200 and 'value="approve"' in page.text
    code = re.search(r'name="c" value="([^"]+)"', page.text).group(1)
    answer = requests.post(sim.url + "/i/3ds", data={"c": code, "action": action},
                           allow_redirects=False, timeout=TIMEOUT)
    transaction = sim.transaction(redirect_params(answer.headers["Location"])["transactionID"][0])
    assert transaction["status"] == status


def test_cancel_redirects_with_no_id_and_cancels_the_intent(sim):
    intent_id, link = sim.intent()
    answer = sim.submit(link, action="cancel", cardNumber="")
    assert (answer.status_code, answer.headers["Location"]) == (302, RETURN_URL)
    assert sim.api("GET", f"/api/paymentIntent/{intent_id}").json()["status"] == "canceled"
    assert sim.api("GET", "/api/transactions").json()["numberOfRecords"] == 0


def test_invalid_card_fields_are_marked_and_nothing_is_charged(sim):
    _intent, link = sim.intent()
    answer = sim.submit(link, "4111111111111112", expiry="01/20", cvv="1")
    assert answer.status_code == 400
    for name in ("cardNumber", "expiry", "cvv"):
        assert f'aria-describedby="{name}-error"' in answer.text
    assert 'role="alert"' in answer.text
    assert sim.api("GET", "/api/transactions").json()["numberOfRecords"] == 0


def test_a_paid_link_cannot_be_paid_again(sim):
    _intent, link = sim.intent()
    sim.submit(link)
    assert requests.get(link, timeout=TIMEOUT).status_code == 410
    assert sim.submit(link).status_code == 410


def test_a_save_only_intent_returns_a_token_of_the_consumer(sim):
    token_id, consumer = sim.saved_token()
    tokens = sim.api("GET", "/api/cardtokens", params={"ConsumerID": consumer}).json()
    assert [t["creditCardTokenID"] for t in tokens["data"]] == [token_id]
    assert tokens["data"][0]["consumerID"] == consumer
    assert tokens["data"][0]["cardNumber"] == "411111****1111"
    assert sim.api("GET", "/api/transactions").json()["numberOfRecords"] == 0


def test_saving_the_card_while_paying_puts_its_token_on_the_transaction(sim):
    consumer = sim.consumer()
    _intent, link = sim.intent(allowSaveCreditCard=True,
                               dealDetails={"dealReference": "S0001", "consumerID": consumer})
    assert 'name="saveCard"' in requests.get(link, timeout=TIMEOUT).text
    answer = sim.submit(link, saveCard="1")
    transaction = sim.transaction(redirect_params(answer.headers["Location"])["transactionID"][0])
    tokens = sim.api("GET", "/api/cardtokens", params={"ConsumerID": consumer}).json()["data"]
    assert [t["creditCardTokenID"] for t in tokens] == [transaction["creditCardToken"]]


def test_issue_invoice_false_issues_no_invoice_and_omitted_uses_the_terminal_default(sim):
    _intent, params = sim.pay(issueInvoice=False)
    explicit = sim.transaction(params["transactionID"][0])
    assert (explicit["issueInvoice"], explicit["invoiceID"]) == (False, None)
    body = {"currency": "ILS", "paymentRequestAmount": 5, "userAmount": False,
            "redirectUrl": RETURN_URL}
    link = sim.api("POST", "/api/paymentIntent", body).json()["additionalData"]["url"]
    default = sim.transaction(
        redirect_params(sim.submit(link).headers["Location"])["transactionID"][0])
    assert default["issueInvoice"] is True and default["invoiceID"]


def test_a_j5_intent_holds_the_amount_for_a_day(sim):
    _intent, params = sim.pay(jDealType="J5")
    hold = sim.transaction(params["transactionID"][0])
    assert (hold["status"], hold["jDealType"]) == ("awaitingToSelectJ5", "J5")
    expires = datetime.fromisoformat(hold["transactionJ5ExpiredDate"].replace("Z", "+00:00"))
    assert expires.timestamp() == pytest.approx(sim.clock.now + 86400)


# --- transactions --------------------------------------------------------------------------------


def test_a_transaction_has_the_fields_a_client_verifies(sim):
    _intent, params = sim.pay()
    transaction = sim.transaction(params["transactionID"][0])
    assert set(transaction) >= VERIFIED_FIELDS
    assert transaction["terminalID"] == TERMINAL
    assert transaction["dealDetails"]["dealReference"] == "S0001"
    assert transaction["status"] in TRANSACTION_STATUSES
    assert sim.api("GET", "/api/transactions/0b7c3f8a-0000-4000-8000-00000000000f"
                   ).status_code == 404


def test_transactions_are_listed_by_deal_reference_and_intent(sim):
    first, _params = sim.pay(dealDetails={"dealReference": "S0001"})
    sim.pay(dealDetails={"dealReference": "S0002"})
    by_reference = sim.api("GET", "/api/transactions", params={"DealReference": "S0001"}).json()
    assert by_reference["numberOfRecords"] == 1
    assert by_reference["totalAmountILS"] == 120.0
    by_intent = sim.api("GET", "/api/transactions",
                        params={"paymenttransactionintentid": first.upper()}).json()
    assert [t["paymentTransactionID"] for t in by_intent["data"]] == [
        t["paymentTransactionID"] for t in by_reference["data"]]


def test_a_token_charge_creates_a_j4_the_client_then_reads(sim):
    answer = sim.charge()
    assert (answer.status_code, answer.json()["status"]) == (201, "success")
    transaction = sim.transaction(answer.json()["entityUID"])
    assert (transaction["status"], transaction["jDealType"]) == ("awaitingForTransmission", "J4")
    assert (transaction["transactionAmount"], transaction["documentOrigin"]) == (80.0, "API")
    assert transaction["dealDetails"]["dealReference"] == "S0002"


def test_a_declined_token_charge_answers_201_whose_body_says_error(sim):
    token_id, _consumer = sim.saved_token()
    sim.admin("POST", "/_sim/decline_token", {"creditCardTokenID": token_id})
    answer = sim.api("POST", "/api/transactions/create", {
        "terminalID": TERMINAL, "creditCardToken": token_id, "transactionAmount": 10})
    assert (answer.status_code, answer.json()["status"]) == (201, "error")
    assert sim.transaction(answer.json()["entityUID"])["status"] == "rejectedByProcessor"


def test_a_token_charge_needs_the_terminal(sim):
    answer = sim.charge(terminalID=None)
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "terminalID"


def test_a_j5_block_then_select_j5_gives_a_new_j4(sim):
    block = sim.charge("/api/transactions/blocking")
    assert block.json()["innerResponse"]["message"].startswith("J5 Expiration date is 6/2/2025")
    hold_id = block.json()["entityUID"]
    assert sim.transaction(hold_id)["status"] == "awaitingToSelectJ5"
    select = sim.api("POST", f"/api/transactions/selectJ5/{hold_id}")
    assert (select.status_code, select.json()["status"]) == (201, "success")
    capture = sim.transaction(select.json()["entityUID"])
    assert select.json()["entityUID"] != hold_id
    assert (capture["jDealType"], capture["status"], capture["totalAmount"]) == (
        "J4", "awaitingForTransmission", 80.0)
    assert sim.api("POST", f"/api/transactions/selectJ5/{hold_id}").status_code == 400


def test_an_expired_j5_cannot_be_selected(sim):
    hold_id = sim.charge("/api/transactions/blocking").json()["entityUID"]
    assert sim.admin("POST", "/_sim/expire_j5", {}).json()["expired"] == [hold_id]
    answer = sim.api("POST", f"/api/transactions/selectJ5/{hold_id}")
    assert (answer.status_code, answer.json()["status"]) == (400, "error")


def test_refunds_wait_for_transmission_and_partial_refunds_add_up(sim):
    _intent, params = sim.pay()
    source = params["transactionID"][0]

    def refund(amount):
        return sim.api("POST", "/api/transactions/chargeback",
                       {"existingPaymentTransactionID": source, "refundAmount": amount})

    assert refund(50).status_code == 400  # before the settlement batch: cancel, not refund
    assert sim.admin("POST", "/_sim/transmit").json()["completed"] == [source]
    assert sim.transaction(source)["allowRefund"] is True
    assert refund("30.10").status_code == 201
    assert refund(90).status_code == 400  # more than what is left
    assert sim.transaction(source)["totalRefund"] == 30.1
    last = refund("89.90")
    assert sim.transaction(last.json()["entityUID"])["specialTransactionType"] == "refund"
    after = sim.transaction(source)
    assert (after["totalRefund"], after["allowRefund"], after["status"]) == (
        120.0, False, "chargeback")


def test_cancel_works_only_before_transmission(sim):
    _intent, first = sim.pay()
    cancelled = sim.api("POST", "/api/transmission/cancel", {
        "terminalID": TERMINAL, "paymentTransactionID": first["transactionID"][0]})
    assert cancelled.json() == {"message": "Transaction Canceled", "status": "success"}
    assert sim.transaction(first["transactionID"][0])["status"] == "cancelledByMerchant"
    _intent, second = sim.pay()
    sim.admin("POST", "/_sim/transmit")
    late = sim.api("POST", "/api/transmission/cancel", {
        "terminalID": TERMINAL, "paymentTransactionID": second["transactionID"][0]})
    assert late.status_code == 400
    assert sim.transaction(second["transactionID"][0])["status"] == "completed"


def test_the_settlement_failure_card_fails_at_transmission(sim):
    _intent, params = sim.pay(SETTLEMENT)
    transaction_id = params["transactionID"][0]
    assert sim.transaction(transaction_id)["status"] == "awaitingForTransmission"
    assert sim.admin("POST", "/_sim/transmit").json()["failed"] == [transaction_id]
    assert sim.transaction(transaction_id)["status"] == "transmissionToProcessorFailed"


# --- consumers and tokens ------------------------------------------------------------------------


def test_a_consumer_is_found_by_its_external_reference(sim):
    consumer = sim.consumer("partner-42")
    sim.consumer("partner-43")
    found = sim.api("GET", "/api/consumers", params={"ExternalReference": "partner-42"}).json()
    assert [c["consumerID"] for c in found["data"]] == [consumer]
    assert sim.api("GET", f"/api/consumers/{consumer}").json()["consumerName"] == "Dana Levi"
    assert sim.api("POST", "/api/consumers", {"externalReference": "x"}).status_code == 400


def test_a_deleted_token_is_gone_and_cannot_be_charged(sim):
    token_id, _consumer = sim.saved_token()
    assert sim.api("DELETE", f"/api/cardtokens/{token_id}").json()["status"] == "success"
    listed = sim.api("GET", "/api/cardtokens", params={"CreditCardTokenID": token_id}).json()
    assert listed["numberOfRecords"] == 0
    charge = sim.api("POST", "/api/transactions/create", {
        "terminalID": TERMINAL, "creditCardToken": token_id, "transactionAmount": 10})
    assert charge.status_code == 404


# --- faults --------------------------------------------------------------------------------------


def fault(sim, endpoint, kind, **extra):
    answer = sim.admin("PUT", "/_sim/faults", {"endpoint": endpoint, "kind": kind, **extra})
    assert answer.status_code == 200, answer.text


def test_drop_closes_the_connection_and_charges_nothing(sim):
    token_id, _consumer = sim.saved_token()
    fault(sim, "transactions.create", "drop")
    with pytest.raises(requests.ConnectionError):
        sim.api("POST", "/api/transactions/create", {
            "terminalID": TERMINAL, "creditCardToken": token_id, "transactionAmount": 10,
            "dealDetails": {"dealReference": "S0009"}})
    assert sim.api("GET", "/api/transactions", params={"DealReference": "S0009"}
                   ).json()["numberOfRecords"] == 0


def test_drop_after_hides_a_charge_the_list_then_finds(sim):
    token_id, _consumer = sim.saved_token()
    fault(sim, "transactions.create", "drop_after")
    with pytest.raises(requests.ConnectionError):
        sim.api("POST", "/api/transactions/create", {
            "terminalID": TERMINAL, "creditCardToken": token_id, "transactionAmount": 10,
            "dealDetails": {"dealReference": "S0009"}})
    found = sim.api("GET", "/api/transactions", params={"DealReference": "S0009"}).json()
    assert [t["status"] for t in found["data"]] == ["awaitingForTransmission"]


@pytest.mark.parametrize("kind, status", [("error_500", 500), ("bad_request", 400),
                                          ("error_body_201", 201)])
def test_error_faults_answer_an_error_and_create_nothing(sim, kind, status):
    fault(sim, "paymentIntent.create", kind)
    answer = sim.api("POST", "/api/paymentIntent", {
        "paymentRequestAmount": 10, "userAmount": False, "redirectUrl": RETURN_URL})
    assert (answer.status_code, answer.json()["status"]) == (status, "error")
    assert sim.admin("GET", "/_sim/state").json()["paymentIntents"] == []


def test_malformed_fault_answers_success_with_a_body_that_is_not_json(sim):
    fault(sim, "token", "malformed")
    answer = sim.token()
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()


def test_unauthorized_fault_revokes_the_token_so_only_a_new_one_works(sim):
    old = sim.token().json()["access_token"]
    fault(sim, "transactions.list", "unauthorized")
    assert sim.api("GET", "/api/transactions", token=old).status_code == 401
    assert sim.api("GET", "/api/transactions", token=old).status_code == 401
    new = sim.token().json()["access_token"]
    assert sim.api("GET", "/api/transactions", token=new).status_code == 200


@pytest.mark.parametrize("kind, field, tampered", [
    ("tamper_amount", "transactionAmount", 121.0),
    ("tamper_currency", "currency", "USD"),
    ("tamper_reference", "dealDetails", {"dealReference": "S0001-TAMPERED"}),
])
def test_tamper_faults_change_one_get_answer(sim, kind, field, tampered):
    _intent, params = sim.pay()
    transaction_id = params["transactionID"][0]
    fault(sim, "transactions.get", kind)
    seen = sim.transaction(transaction_id)[field]
    if isinstance(tampered, dict):
        seen = {"dealReference": seen["dealReference"]}
    assert seen == tampered
    assert sim.transaction(transaction_id)["transactionAmount"] == 120.0
    assert sim.transaction(transaction_id)["currency"] == "ILS"


def test_tampering_an_intent_changes_its_amount(sim):
    intent_id, _link = sim.intent()
    fault(sim, "paymentIntent.get", "tamper_amount")
    assert sim.api("GET", f"/api/paymentIntent/{intent_id}").json()[
        "paymentRequestAmount"] == 121.0


def test_redirect_faults_drop_the_id_or_give_another_intents_id(sim):
    sim.pay()
    fault(sim, "checkout", "redirect_without_id")
    _second, no_id = sim.pay()
    assert no_id == redirect_params(RETURN_URL)
    fault(sim, "checkout", "redirect_other_id")
    third, other = sim.pay()
    stolen = sim.transaction(other["transactionID"][0])
    assert stolen["paymentIntentID"] != third


def test_a_fault_applies_its_count_after_letting_requests_through(sim):
    fault(sim, "transactions.list", "error_500", times=2, after=1)
    statuses = [sim.api("GET", "/api/transactions").status_code for _ in range(4)]
    assert statuses == [200, 500, 500, 200]
    assert sim.api("GET", "/api/webhooks").status_code == 200


@pytest.mark.parametrize("spec", [
    {"endpoint": "transactions.list", "kind": "tamper_amount"},
    {"endpoint": "checkout", "kind": "drop"},
    {"endpoint": "nowhere", "kind": "drop"},
    {"kind": "explode"},
    {"kind": "drop", "times": 0},
])
def test_a_fault_that_cannot_apply_is_refused(sim, spec):
    assert sim.admin("PUT", "/_sim/faults", spec).status_code == 400
    assert sim.admin("GET", "/_sim/faults").json()["faults"] == []


# --- webhooks ------------------------------------------------------------------------------------


def configure_webhooks(sim, **settings):
    answer = sim.admin("PUT", "/_sim/webhooks", settings)
    assert answer.status_code == 200, answer.text


def test_webhooks_wait_until_delivered_and_carry_the_custom_header(sim, receiver):
    _intent, params = sim.pay()
    assert receiver.received == []
    results = sim.server.deliver_webhooks(receiver.url, timeout=TIMEOUT)
    assert [r["status"] for r in results] == [200]
    headers, event = receiver.received[0]
    assert headers[HEADER[0]] == HEADER[1]
    assert set(event) == {"eventID", "terminalID", "correlationId", "eventName", "entityType",
                          "entityReference", "entityExternalReference", "eventTimestamp",
                          "isFailureEvent", "errorMesage"}
    assert (event["eventName"], event["entityType"], event["entityReference"]) == (
        "TransactionCreated", "PaymentTransaction", params["transactionID"][0])
    assert event["entityExternalReference"] == "S0001" and event["isFailureEvent"] is False
    assert sim.server.deliver_webhooks(receiver.url, timeout=TIMEOUT) == []
    history = sim.api("GET", "/api/webhooks").json()
    assert [h["eventID"] for h in history["data"]] == [event["eventID"]]


def test_a_rejected_payment_sends_a_failure_event(sim, receiver):
    sim.pay(DECLINE)
    sim.admin("POST", "/_sim/webhooks/deliver", {"url": receiver.url})
    event = receiver.received[0][1]
    assert (event["eventName"], event["isFailureEvent"]) == ("TransactionRejected", True)
    assert event["errorMesage"]


def test_duplicate_mode_sends_the_same_event_n_times(sim, receiver):
    configure_webhooks(sim, mode="duplicate", duplicates=3)
    sim.pay()
    sim.server.deliver_webhooks(receiver.url, timeout=TIMEOUT)
    assert len({event["eventID"] for _headers, event in receiver.received}) == 1
    assert len(receiver.received) == 3


def test_out_of_order_mode_sends_the_newest_event_first(sim, receiver):
    configure_webhooks(sim, mode="out_of_order")
    _first, first = sim.pay()
    _second, second = sim.pay()
    sim.server.deliver_webhooks(receiver.url, timeout=TIMEOUT)
    assert [event["entityReference"] for _headers, event in receiver.received] == [
        second["transactionID"][0], first["transactionID"][0]]


def test_never_mode_sends_nothing(sim, receiver):
    configure_webhooks(sim, mode="never")
    sim.pay()
    assert sim.server.deliver_webhooks(receiver.url, timeout=TIMEOUT) == []


def test_wrong_header_mode_sends_another_header_value(sim, receiver):
    configure_webhooks(sim, mode="wrong_header")
    sim.pay()
    sim.server.deliver_webhooks(receiver.url, timeout=TIMEOUT)
    assert receiver.received[0][0][HEADER[0]] != HEADER[1]


def test_unknown_id_mode_names_an_entity_that_does_not_exist(sim, receiver):
    configure_webhooks(sim, mode="unknown_id")
    sim.pay()
    sim.server.deliver_webhooks(receiver.url, timeout=TIMEOUT)
    reference = receiver.received[0][1]["entityReference"]
    assert sim.api("GET", f"/api/transactions/{reference}").status_code == 404


def test_before_redirect_mode_holds_the_payer_until_the_webhook_is_delivered(sim, receiver):
    configure_webhooks(sim, mode="before_redirect")
    _intent, link = sim.intent()
    held = sim.submit(link)
    assert held.status_code == 200
    continue_url = sim.url + re.search(r'href="([^"]+)"', held.text).group(1)
    assert requests.get(continue_url, allow_redirects=False, timeout=TIMEOUT).status_code == 409
    sim.server.deliver_webhooks(receiver.url, timeout=TIMEOUT)
    answer = requests.get(continue_url, allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 302 and "transactionID=" in answer.headers["Location"]


def test_an_event_the_merchant_refused_stays_queued(sim, receiver):
    receiver.status = 500
    sim.pay()
    assert [r["status"] for r in sim.server.deliver_webhooks(receiver.url)] == [500]
    receiver.status = 200
    assert [r["status"] for r in sim.server.deliver_webhooks(receiver.url)] == [200]


# --- test control --------------------------------------------------------------------------------


def test_reset_forgets_the_data_but_keeps_issued_tokens(sim):
    sim.pay()
    fault(sim, "transactions.list", "error_500", times=None)
    assert sim.admin("POST", "/_sim/reset", {"token_ttl": 60}).json()["token_ttl"] == 60
    answer = sim.api("GET", "/api/transactions")
    assert (answer.status_code, answer.json()["numberOfRecords"]) == (200, 0)
    assert sim.token().json()["expires_in"] == 60


def test_the_state_dump_never_shows_a_full_card_number(sim):
    sim.saved_token()
    sim.pay(MASTERCARD, issueInvoice=True)
    state = sim.admin("GET", "/_sim/state")
    assert VISA not in state.text and MASTERCARD not in state.text
    assert state.json()["paymentIntents"][-1]["issueInvoice"] is True


@pytest.mark.parametrize("three_ds, status", [("approve", "payed"), ("fail", "paymentFailed")])
def test_headless_pay_settles_an_intent_without_the_pages(sim, three_ds, status):
    intent_id, _link = sim.intent()
    answer = sim.admin("POST", "/_sim/pay", {"paymentIntentID": intent_id, "card": CHALLENGE,
                                             "three_ds": three_ds}).json()
    assert answer["status"] == status
    assert answer["redirect"] == f"{RETURN_URL}&transactionID={answer['transactionID']}"


def test_concurrent_payments_each_get_their_own_transaction(sim):
    intents = [sim.intent()[0] for _ in range(24)]

    def pay(intent_id):
        return sim.admin("POST", "/_sim/pay", {"paymentIntentID": intent_id}).json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(pay, intents))
    assert [answer["status"] for answer in answers] == ["payed"] * 24
    assert len({answer["transactionID"] for answer in answers}) == 24
    assert sim.api("GET", "/api/transactions").json()["numberOfRecords"] == 24


def test_every_status_given_is_one_easycard_documents(sim):
    sim.pay(DECLINE)
    sim.pay(SETTLEMENT)
    failed_3ds, _link = sim.intent()
    sim.admin("POST", "/_sim/pay", {"paymentIntentID": failed_3ds, "card": CHALLENGE,
                                    "three_ds": "fail"})
    sim.charge("/api/transactions/blocking")
    intent_id, _link = sim.intent()
    sim.api("DELETE", f"/api/paymentIntent/{intent_id}")
    sim.admin("POST", "/_sim/transmit")
    state = sim.admin("GET", "/_sim/state").json()
    assert {t["status"] for t in state["transactions"]} <= set(TRANSACTION_STATUSES)
    assert {i["status"] for i in state["paymentIntents"]} <= set(INTENT_STATUSES)


def test_command_line_prints_the_address_and_serves():
    process = subprocess.Popen(
        [sys.executable, "-m", "easycard_simulator", "--host", "127.0.0.1", "--port", "0",
         "--terminal", TERMINAL, "--private-key", "cli-key", "--allowed-redirect", SHOP,
         "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()
        match = re.fullmatch(r"EasyCard simulator listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        answer = requests.post(match.group(1) + "/connect/token", timeout=TIMEOUT, data={
            "client_id": "terminal", "grant_type": "terminal_rest_api",
            "authorizationKey": "cli-key"})
        assert answer.json()["token_type"] == "Bearer"
    finally:
        process.terminate()
        process.wait(timeout=5)


# --- amounts and cards ---------------------------------------------------------------------------


def test_amounts_are_exact_decimals_written_with_two_places():
    assert dumps({"amount": Decimal("0.1") + Decimal("0.2")}) == '{"amount":0.30}'
    assert parse_amount("120.5") == Decimal("120.50")
    for bad in (True, 1.5, "12,50", Decimal("NaN"), Decimal("1E+30")):
        with pytest.raises(ValueError):
            parse_amount(bad)


def test_the_test_cards_pass_the_luhn_check_and_map_to_their_outcomes():
    assert all(cards.luhn_valid(number) for number in cards.OUTCOMES)
    assert cards.OUTCOMES[DECLINE] == cards.DECLINE
    assert cards.Card("4242424242424242", 1, 2030).outcome == cards.APPROVE
