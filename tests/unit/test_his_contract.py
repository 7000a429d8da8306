"""The HIS contract (his_openapi.yaml), fuzzed both ways.

* The simulator: Schemathesis generates requests from the contract, valid and invalid, and
  checks every answer against it (status, content type, body and headers; no 5xx).
* The client: Hypothesis generates the HIS's answers, those the contract allows and those it
  forbids (any status, any JSON, bytes that are not JSON, broken headers), served over
  loopback HTTP; each call ends in a record, a per-record error or a clear HisError, never
  another exception.

Fixed seeds and bounded examples here; ``make fuzz`` runs many more (``HIS_FUZZ_EXAMPLES``).
"""

import json
import os
import threading
from collections import deque
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import his_client
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import negated_parameters
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

SPEC = (Path(__file__).resolve().parents[2]
        / "addons" / "crm_isc_sync" / "api" / "his_openapi.yaml")
EXAMPLES = int(os.environ.get("HIS_FUZZ_EXAMPLES") or 60)
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))

schema = schemathesis.openapi.from_path(SPEC)
# What a schema cannot say: a range that ends before it starts, a cursor the HIS never issued.
MEANINGFUL_REFUSALS = ("invalid_range", "invalid_cursor")


@schemathesis.check
def valid_requests_are_refused_only_for_their_meaning(ctx, response, case):
    """Schemathesis's positive_data_acceptance, knowing the contract's two refusals of
    well-formed requests (its description says when): any other refusal fails."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code in (401, 404, 409, 429) or response.status_code < 400:
        return None
    code = response.json().get("error", {}).get("code") if response.status_code == 422 else None
    if code not in MEANINGFUL_REFUSALS:
        raise AssertionError(f"a request the contract allows was refused: HTTP "
                             f"{response.status_code} {response.text[:200]}")
    return None


@schemathesis.check
def invalid_requests_are_refused(ctx, response, case):
    """Schemathesis's negative_data_rejection, but for a case whose negation drops the API
    key: the test sends the key on every request, so on the wire that case is not invalid."""
    dropped_key = any(location == ParameterLocation.HEADER and name.lower() == "x-api-key"
                      for name, location in negated_parameters(case.meta))
    return None if dropped_key else negative_data_rejection(ctx, response, case)


# --- the simulator against its contract ---------------------------------------------------------
@schema.parametrize()
@FUZZ
def test_the_simulator_answers_as_the_contract_says(case, his_server):
    case.call_and_validate(base_url=his_server.base_url + "/api/v1",
                           headers={"X-Api-Key": his_server.api_key},
                           excluded_checks=[positive_data_acceptance, negative_data_rejection])


# --- the client against every answer -----------------------------------------------------------
CONTRACT = yaml.safe_load(SPEC.read_text())
SCHEMAS = CONTRACT["components"]["schemas"]


def from_schema(node):
    """A strategy for the values the contract's JSON schema ``node`` allows (the subset the
    contract uses: $ref, object, array, string with enum and formats, integer, boolean,
    nullable)."""
    if "$ref" in node:
        return st.deferred(lambda: from_schema(SCHEMAS[node["$ref"].rsplit("/", 1)[1]]))
    strategy = _typed(node)
    return st.none() | strategy if node.get("nullable") else strategy


def _typed(node):
    kind = node.get("type")
    if "enum" in node:
        return st.sampled_from([v for v in node["enum"] if v is not None])
    if kind == "object":
        properties = {name: from_schema(sub) for name, sub in node.get("properties", {}).items()}
        required = set(node.get("required", ()))
        return st.fixed_dictionaries(
            {name: s for name, s in properties.items() if name in required},
            optional={name: s for name, s in properties.items() if name not in required})
    if kind == "array":
        return st.lists(from_schema(node["items"]), max_size=5)
    if kind == "integer":
        return st.integers(node.get("minimum", -(2**63)), node.get("maximum", 2**63))
    if kind == "boolean":
        return st.booleans()
    if node.get("format") == "date-time":
        return st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31)).map(
            lambda moment: moment.isoformat() + "Z")
    if node.get("format") == "date":
        return st.dates().map(lambda day: day.isoformat())
    return st.text(min_size=node.get("minLength", 0), max_size=node.get("maxLength", 40))


ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                 max_size=4),
    max_leaves=12)
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=40)


def _answer(status, body_strategy):
    return st.fixed_dictionaries({
        "status": status,
        "body": body_strategy.map(lambda value: json.dumps(value).encode()),
        "headers": st.fixed_dictionaries({}, optional={
            "Retry-After": HEADER_TEXT | st.integers(-5, 10**12).map(str),
            "Date": HEADER_TEXT | st.just("Mon, 07 Dec 2026 08:00:00 GMT"),
            "Content-Type": st.sampled_from(["application/json", "text/html", ""]),
        }),
    })


def answers(success_schema):
    """What a HIS may answer to one call: as the contract says, or not."""
    error = from_schema({"$ref": "#/components/schemas/Error"})
    return st.one_of(
        _answer(st.just(200), from_schema(success_schema)),
        _answer(st.sampled_from([400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504]),
                error),
        _answer(st.sampled_from([200, 201, 204, 301, 404, 500]), ANY_JSON),
        st.fixed_dictionaries({
            "status": st.integers(200, 599), "headers": st.just({}),
            "body": st.binary(max_size=200) | st.sampled_from(
                [b"", b"{", b"\xff\xfe", b"null", b'{"items": [}', b"<html>oops</html>"])}),
    )


class ScriptedHis(BaseHTTPRequestHandler):
    """A HIS on loopback that answers each request with the next scripted answer."""

    script = deque()

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        answer = self.script.popleft() if self.script else {
            "status": 503, "headers": {}, "body": b'{"error": {"code": "x", "message": "y"}}'}
        self.send_response(answer["status"])
        for name, value in answer["headers"].items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer["body"])))
        self.end_headers()
        if answer["status"] not in (204, 304):
            self.wfile.write(answer["body"])

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def scripted_his():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedHis)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def call(base_url, method, script):
    """``method(client)`` with the HIS answering ``script``: the outcome, which must be a
    value or a HisError."""
    ScriptedHis.script.clear()
    ScriptedHis.script.extend(script)
    client = his_client.HisClient(base_url, "key", max_retries=2, sleep=lambda _s: None,
                                  connect_timeout=2, read_timeout=5)
    try:
        return method(client)
    except his_client.HisError as error:
        assert str(error) and "Traceback" not in str(error)
        return error
    finally:
        client.close()


def _pages(client):
    """Every page of a range, each parsed record by record as the sync engine does."""
    outcome = []
    for items, _cursor in client.iter_account_pages(datetime(2025, 1, 1), datetime(2025, 2, 1),
                                                    page_size=10):
        accounts, errors = his_client.parse_page(items, client.clock())
        assert all(isinstance(a, his_client.IscAccount) for a in accounts)
        assert all(isinstance(e, his_client.HisRecordError) for e in errors)
        outcome.append((accounts, errors))
    return outcome


@FUZZ
@given(script=st.lists(answers({"$ref": "#/components/schemas/AccountPage"}), min_size=1,
                       max_size=4))
def test_the_client_makes_every_account_page_records_record_errors_or_a_clear_failure(
        scripted_his, script):
    call(scripted_his, _pages, script)


@FUZZ
@given(script=st.lists(answers({"$ref": "#/components/schemas/IscAccount"}), min_size=1,
                       max_size=3))
def test_the_client_makes_one_account_a_record_none_or_a_clear_failure(scripted_his, script):
    outcome = call(scripted_his, lambda client: client.get_account("BN000123"), script)
    assert outcome is None or isinstance(outcome, (his_client.IscAccount, his_client.HisError))


@FUZZ
@given(script=st.lists(answers({"$ref": "#/components/schemas/BookingOrder"}), min_size=1,
                       max_size=3))
def test_the_client_makes_a_booking_order_answer_an_order_or_a_clear_failure(scripted_his,
                                                                            script):
    outcome = call(scripted_his, lambda client: client.create_booking_order(
        {"name": "Nguyen Van A", "requested_date": "2025-02-10", "reference": "R-1"}), script)
    if not isinstance(outcome, his_client.HisError):
        assert isinstance(outcome["order_number"], str) and outcome["order_number"].strip()
        assert isinstance(outcome["patient_code"], str) and outcome["patient_code"].strip()


@FUZZ
@given(script=st.lists(answers({"$ref": "#/components/schemas/Health"}), min_size=1,
                       max_size=3))
def test_the_client_makes_a_health_answer_a_status_or_a_clear_failure(scripted_his, script):
    outcome = call(scripted_his, lambda client: client.health(), script)
    assert isinstance(outcome, his_client.HisError) or isinstance(outcome["status"], str)
