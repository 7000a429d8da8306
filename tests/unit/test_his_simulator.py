"""The HIS simulator: seeding, paging, admin API, faults and command line."""

import math
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from his_simulator.server import (
    ENDPOINT_METHODS,
    REQUEST_LOG_LIMIT,
    FaultBook,
    RequestLog,
    make_server,
)
from his_simulator.store import (
    MAX_LIMIT,
    WINDOW_SECONDS,
    Store,
    StoreError,
    decode_cursor,
    encode_cursor,
)

ROOT = Path(__file__).resolve().parents[2]
OPENAPI_FILE = ROOT / "addons" / "crm_isc_sync" / "api" / "his_openapi.yaml"


def utc(text):
    return datetime.fromisoformat(text.removesuffix("Z"))


def page_through(store, limit, **window):
    items, cursor, pages = [], None, 0
    while True:
        page = store.list_accounts(limit=limit, cursor=cursor, **window)
        items.extend(page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages


def call(his_server, method, path, payload=None, key=True):
    headers = {"X-Api-Key": his_server.api_key} if key else {}
    return requests.request(method, his_server.base_url + path, json=payload, headers=headers,
                            timeout=5)


# --- seeding ---------------------------------------------------------------------------------


def test_seeding_100000_patients_is_complete():
    store = Store(patients=100_000, seed=1, accounts_ratio=0.9, anchor="2025-01-31T12:00:00Z")
    figures = store.describe()
    assert figures["patients"] == 100_000
    assert figures["accounts"] == 90_000
    assert store.get_patient("BN000001")["name"] == "Patient 1"
    assert store.get_patient("BN100000") == {
        "patient_code": "BN100000", "name": "Patient 100000", "mobile": "0900100000",
        "national_id": "000000100000", "birth_date": None, "gender": None}
    assert store.get_patient("BN100001") is None
    assert store.get_account("BN090000")["login"] == "isc090000"
    with pytest.raises(StoreError) as caught:
        store.get_account("BN090001")
    assert caught.value.code == "not_found"

    items, pages = page_through(store, 1000)
    assert pages == 90
    assert len({i["patient_code"] for i in items}) == 90_000


def test_seeding_is_deterministic_for_a_seed():
    first = Store(patients=300, seed=7, anchor="2025-01-31T12:00:00Z").account_snapshot()
    again = Store(patients=300, seed=7, anchor="2025-01-31T12:00:00Z").account_snapshot()
    other = Store(patients=300, seed=8, anchor="2025-01-31T12:00:00Z").account_snapshot()
    assert first == again
    assert first != other


def test_first_ten_patients_have_accounts_and_patient_3_is_locked():
    store = Store(patients=50, seed=3, accounts_ratio=0.0, anchor="2025-01-31T12:00:00Z")
    statuses = {n: store.get_account(f"BN{n:06d}")["status"] for n in range(1, 11)}
    assert statuses == {n: "locked" if n == 3 else "active" for n in range(1, 11)}
    assert store.describe()["accounts"] == 10


def test_accounts_ratio_gives_accounts_to_the_first_patients():
    store = Store(patients=200, seed=1, accounts_ratio=0.5, anchor="2025-01-31T12:00:00Z")
    assert store.describe()["accounts"] == 100
    assert store.get_account("BN000100")["patient_code"] == "BN000100"
    with pytest.raises(StoreError) as caught:
        store.get_account("BN000101")
    assert caught.value.code == "not_found"


def test_seeded_updates_lie_in_the_30_days_before_the_anchor():
    store = Store(patients=2000, seed=5, anchor="2025-01-31T12:00:00Z")
    anchor = datetime(2025, 1, 31, 12)
    start = anchor - timedelta(seconds=WINDOW_SECONDS)
    accounts = store.account_snapshot()
    assert all(start <= utc(a["issued_at"]) <= utc(a["updated_at"]) < anchor for a in accounts)
    updates = sorted(utc(a["updated_at"]) for a in accounts)
    assert updates[0] - start < timedelta(days=1)  # spread over the whole window
    assert anchor - updates[-1] < timedelta(days=1)
    statuses = {a["status"] for a in accounts}
    assert statuses == {"active", "locked", "revoked"}


def test_default_anchor_is_now_truncated_to_the_hour():
    now = datetime(2025, 3, 4, 15, 47, 12, tzinfo=UTC).timestamp()
    store = Store(patients=20, clock=lambda: now)
    assert store.describe()["anchor"] == "2025-03-04T15:00:00Z"


# --- paging in the store ---------------------------------------------------------------------


def test_store_pages_cover_a_window_once_in_order():
    store = Store(patients=500, seed=2, anchor="2025-01-31T12:00:00Z")
    window = {"updated_from": "2025-01-10T00:00:00Z", "updated_to": "2025-01-20T00:00:00Z"}
    items, pages = page_through(store, 13, **window)
    expected = [a for a in store.account_snapshot()
                if datetime(2025, 1, 10) <= utc(a["updated_at"]) < datetime(2025, 1, 20)]
    assert items == expected
    assert pages == math.ceil(len(expected) / 13)


def test_default_page_size_is_500():
    store = Store(patients=1000, seed=2, anchor="2025-01-31T12:00:00Z")
    assert len(store.list_accounts()["items"]) == 500


@pytest.mark.parametrize("params, code", [
    ({"limit": "0"}, "invalid_parameter"),
    ({"limit": str(MAX_LIMIT + 1)}, "invalid_parameter"),
    ({"limit": "ten"}, "invalid_parameter"),
    ({"updated_from": "2025-13-01T00:00:00Z"}, "invalid_parameter"),
    ({"updated_to": "tomorrow"}, "invalid_parameter"),
    ({"updated_from": "2025-01-02T00:00:00Z", "updated_to": "2025-01-01T00:00:00Z"},
     "invalid_range"),
    ({"cursor": "!!!"}, "invalid_cursor"),
    ({"cursor": encode_cursor(["x"])}, "invalid_cursor"),
])
def test_store_rejects_bad_listing_parameters(params, code):
    store = Store(patients=20, anchor="2025-01-31T12:00:00Z")
    with pytest.raises(StoreError) as caught:
        store.list_accounts(**params)
    assert (caught.value.status, caught.value.code) == (422, code)


def test_cursor_round_trips_and_is_url_safe():
    key = (1_736_000_000_000_000, "BN000042", 0)
    cursor = encode_cursor(key)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert decode_cursor(cursor) == key


def test_updated_account_leaves_its_old_place_in_the_order():
    store = Store(patients=30, seed=1, anchor="2025-01-31T12:00:00Z")
    store.upsert_accounts([{"patient_code": "BN000002", "login": "new-login",
                            "status": "revoked", "updated_at": "2025-02-05T00:00:00Z"}])
    snapshot = store.account_snapshot()
    assert len(snapshot) == 27
    assert snapshot[-1]["patient_code"] == "BN000002"
    assert snapshot[-1]["login"] == "new-login"
    assert [a["patient_code"] for a in snapshot].count("BN000002") == 1


def test_upsert_defaults_updated_at_to_now_and_keeps_issued_at():
    now = datetime(2025, 2, 1, 8, 0, tzinfo=UTC).timestamp()
    store = Store(patients=30, seed=1, anchor="2025-01-31T12:00:00Z", clock=lambda: now)
    issued = store.get_account("BN000004")["issued_at"]
    store.upsert_accounts([{"patient_code": "BN000004", "login": "isc000004",
                            "status": "locked"}])
    account = store.get_account("BN000004")
    assert account["updated_at"] == "2025-02-01T08:00:00Z"
    assert account["issued_at"] == issued


@pytest.mark.parametrize("account", [
    {"login": "x", "status": "active"},
    {"patient_code": "BN1", "login": "", "status": "active"},
    {"patient_code": "BN1", "login": "x", "status": "gone"},
    {"patient_code": "BN1", "login": "x", "status": "active", "updated_at": "later"},
])
def test_upsert_rejects_invalid_accounts(account):
    store = Store(patients=5, anchor="2025-01-31T12:00:00Z")
    with pytest.raises(StoreError):
        store.upsert_accounts([account])


def test_raw_items_sort_by_updated_at_or_as_if_updated_now():
    now = datetime(2025, 2, 10, tzinfo=UTC).timestamp()
    store = Store(patients=20, seed=1, anchor="2025-01-31T12:00:00Z", clock=lambda: now)
    dated = {"patient_code": "BN000005", "status": "??", "updated_at": "2025-02-01T00:00:00Z"}
    undated = {"unexpected": True}
    store.add_raw_accounts([undated, dated])
    items, _pages = page_through(store, 7)
    assert items[-2:] == [dated, undated]
    assert store.describe()["raw_accounts"] == 2


def test_raw_items_may_be_listed_at_another_time_than_their_updated_at(his_server):
    far = {"patient_code": "BN000005", "login": "x", "status": "active",
           "issued_at": "2025-01-01T00:00:00Z", "updated_at": "9999-12-31T23:59:59Z"}
    call(his_server, "PUT", "/_sim/raw-accounts",
         {"items": [far], "listed_at": "2025-01-20T00:00:00Z"})
    answer = call(his_server, "GET", "/api/v1/isc-accounts?updated_from="
                  "2025-01-19T00:00:00Z&updated_to=2025-01-21T00:00:00Z&limit=5000")
    assert answer.status_code == 200 and far in answer.json()["items"]


# --- patients and booking orders in the store ------------------------------------------------


def test_added_patients_have_no_account_and_are_matched_by_booking():
    store = Store(patients=20, anchor="2025-01-31T12:00:00Z")
    codes = store.add_patients([
        {"name": "Le Van C", "mobile": "0377000222", "national_id": "001099000222"},
        {"patient_code": "BN777777", "name": "Pham D", "mobile": "0377000333"},
    ])
    assert codes == ["BN000021", "BN777777"]
    with pytest.raises(StoreError) as caught:
        store.get_account("BN000021")
    assert caught.value.code == "not_found"
    created, order = store.create_booking_order(
        {"name": "C", "national_id": "001099000222", "requested_date": "2025-02-01"})
    assert created and order["patient_code"] == "BN000021" and order["existing_patient"]
    created, order = store.create_booking_order(
        {"name": "D", "mobile": "0377000333", "requested_date": "2025-02-01"})
    assert order["patient_code"] == "BN777777"


def test_adding_an_existing_patient_code_is_a_conflict():
    store = Store(patients=20, anchor="2025-01-31T12:00:00Z")
    with pytest.raises(StoreError) as caught:
        store.add_patients([{"patient_code": "BN000003", "name": "Dup"}])
    assert caught.value.status == 409
    assert store.describe()["patients"] == 20


def test_new_patient_codes_skip_codes_taken_by_added_patients():
    store = Store(patients=20, anchor="2025-01-31T12:00:00Z")
    store.add_patients([{"patient_code": "BN000021", "name": "Taken"}])
    _created, order = store.create_booking_order({"name": "New", "requested_date": "2025-02-01"})
    assert order["patient_code"] == "BN000022"


# --- HTTP: contract details ------------------------------------------------------------------


def test_missing_api_key_is_401_and_logged(his_server):
    answer = call(his_server, "GET", "/api/v1/health", key=False)
    assert answer.status_code == 401
    assert answer.json() == {"error": {"code": "unauthorized",
                                       "message": "missing or wrong X-Api-Key header"}}
    entries = call(his_server, "GET", "/_sim/requests", key=False).json()["requests"]
    assert [(e["path"], e["status"]) for e in entries] == [("/api/v1/health", 401)]


def test_unknown_endpoint_and_wrong_method(his_server):
    unknown = call(his_server, "GET", "/api/v1/nothing")
    wrong = call(his_server, "DELETE", "/api/v1/isc-accounts")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_endpoint")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (405, "method_not_allowed")
    assert wrong.headers["Allow"] == "GET"


def test_booking_order_status_is_201_then_200_for_a_known_reference(his_server):
    body = {"reference": "R-1", "name": "A", "requested_date": "2025-02-01"}
    first = call(his_server, "POST", "/api/v1/booking-orders", body)
    again = call(his_server, "POST", "/api/v1/booking-orders", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()


def test_booking_order_with_a_body_that_is_not_json_is_400(his_server):
    answer = requests.post(his_server.base_url + "/api/v1/booking-orders", data=b"{oops",
                           headers={"X-Api-Key": his_server.api_key,
                                    "Content-Type": "application/json"}, timeout=5)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_json")


def test_patient_code_in_the_path_is_url_decoded(his_server):
    answer = call(his_server, "GET", "/api/v1/patients/BN%30%30%30%30%30%31/isc-account")
    assert answer.json()["patient_code"] == "BN000001"


# --- HTTP: admin API -------------------------------------------------------------------------


def test_reset_reseeds_and_clears_the_log_and_faults(his_server):
    call(his_server, "GET", "/api/v1/health")
    call(his_server, "PUT", "/_sim/faults", {"kind": "error"})
    answer = call(his_server, "POST", "/_sim/reset",
                  {"patients": 40, "seed": 9, "accounts_ratio": 0.5,
                   "anchor": "2025-06-01T00:00:00Z"})
    assert answer.status_code == 200
    figures = answer.json()
    assert (figures["patients"], figures["accounts"]) == (40, 20)
    assert figures["anchor"] == "2025-06-01T00:00:00Z"
    assert call(his_server, "GET", "/_sim/requests").json()["requests"] == []
    assert call(his_server, "GET", "/_sim/faults").json()["faults"] == []
    assert call(his_server, "GET", "/api/v1/health").status_code == 200


def test_fault_applies_the_given_number_of_times(his_server):
    call(his_server, "PUT", "/_sim/faults", {"endpoint": "health", "kind": "error",
                                             "status": 502, "times": 2})
    statuses = [call(his_server, "GET", "/api/v1/health").status_code for _ in range(3)]
    assert statuses == [502, 502, 200]


def test_fault_for_one_endpoint_leaves_the_others_alone(his_server):
    call(his_server, "PUT", "/_sim/faults", {"endpoint": "isc-accounts", "kind": "error"})
    assert call(his_server, "GET", "/api/v1/health").status_code == 200
    assert call(his_server, "GET", "/api/v1/isc-accounts").status_code == 503


def test_wildcard_fault_until_cleared(his_server):
    call(his_server, "PUT", "/_sim/faults", {"endpoint": "*", "kind": "rate_limit",
                                             "retry_after": 4})
    limited = call(his_server, "GET", "/api/v1/patients/BN000001/isc-account")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "4"
    assert call(his_server, "GET", "/api/v1/health").status_code == 429
    call(his_server, "DELETE", "/_sim/faults")
    assert call(his_server, "GET", "/api/v1/health").status_code == 200


def test_malformed_fault_body_is_not_json(his_server):
    call(his_server, "PUT", "/_sim/faults", {"endpoint": "health", "kind": "malformed",
                                             "times": 1})
    answer = call(his_server, "GET", "/api/v1/health")
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()


def test_drop_fault_closes_the_connection_without_an_answer(his_server):
    call(his_server, "PUT", "/_sim/faults", {"kind": "drop", "times": 1})
    with pytest.raises(requests.ConnectionError):
        call(his_server, "GET", "/api/v1/health")
    assert call(his_server, "GET", "/api/v1/health").status_code == 200


@pytest.mark.parametrize("fault", [
    {"kind": "explode"}, {"endpoint": "patients", "kind": "error"},
    {"kind": "error", "times": 0}, {"kind": "latency", "latency_ms": -1},
    {"kind": "error", "status": 200},
])
def test_invalid_fault_is_rejected(his_server, fault):
    answer = call(his_server, "PUT", "/_sim/faults", fault)
    assert answer.status_code == 422
    assert call(his_server, "GET", "/_sim/faults").json()["faults"] == []


def test_admin_accounts_and_patients_endpoints(his_server):
    added = call(his_server, "POST", "/_sim/patients",
                 {"patients": [{"name": "New One", "mobile": "0366000111"}]})
    code = added.json()["patient_codes"][0]
    assert call(his_server, "GET", f"/api/v1/patients/{code}/isc-account").status_code == 404
    call(his_server, "PUT", "/_sim/accounts", {"accounts": [
        {"patient_code": code, "login": "isc-new", "status": "active"}]})
    account = call(his_server, "GET", f"/api/v1/patients/{code}/isc-account").json()
    assert (account["login"], account["status"]) == ("isc-new", "active")
    bad = call(his_server, "PUT", "/_sim/accounts", {"accounts": [{"patient_code": code}]})
    assert bad.status_code == 422


def test_admin_requests_are_not_logged(his_server):
    call(his_server, "GET", "/_sim/state")
    call(his_server, "GET", "/api/v1/health")
    entries = call(his_server, "GET", "/_sim/requests").json()["requests"]
    assert [e["path"] for e in entries] == ["/api/v1/health"]


def test_request_log_keeps_only_the_most_recent_entries():
    log = RequestLog(limit=3)
    for number in range(5):
        log.record("GET", f"/api/v1/{number}", {})
    assert [e["path"] for e in log.entries()] == ["/api/v1/2", "/api/v1/3", "/api/v1/4"]
    assert REQUEST_LOG_LIMIT == 100_000


def test_fault_book_uses_faults_in_order():
    book = FaultBook()
    book.add({"endpoint": "health", "kind": "error", "times": 1})
    book.add({"endpoint": "*", "kind": "drop", "times": 1})
    assert book.take("isc-accounts")["kind"] == "drop"
    assert book.take("health")["kind"] == "error"
    assert book.take("health") is None


# --- command line and contract ---------------------------------------------------------------


def test_command_line_prints_the_address_and_serves():
    process = subprocess.Popen(
        [sys.executable, "-m", "his_simulator", "--host", "127.0.0.1", "--port", "0",
         "--api-key", "cli-key", "--patients", "50", "--seed", "2", "--quiet"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()
        match = re.fullmatch(r"HIS simulator listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        answer = requests.get(match.group(1) + "/api/v1/health",
                              headers={"X-Api-Key": "cli-key"}, timeout=5)
        assert answer.json()["status"] == "ok"
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_openapi_contract_is_valid_and_matches_the_simulator():
    yaml = pytest.importorskip("yaml")
    validator = pytest.importorskip("openapi_spec_validator")
    spec = yaml.safe_load(OPENAPI_FILE.read_text())
    validator.validate(spec)
    methods = {path: sorted(operations) for path, operations in spec["paths"].items()}
    assert methods == {
        "/health": ["get"],
        "/booking-orders": ["post"],
        "/isc-accounts": ["get"],
        "/patients/{patient_code}/isc-account": ["get"],
    }
    assert sorted(m.lower() for m in ENDPOINT_METHODS.values()) == sorted(
        m for ops in methods.values() for m in ops)
    assert spec["servers"][0]["url"] == "/api/v1"
    assert spec["components"]["securitySchemes"]["ApiKey"]["name"] == "X-Api-Key"


def test_simulator_answers_conform_to_the_contract_schemas(his_server):
    yaml = pytest.importorskip("yaml")
    schema_validator = pytest.importorskip("openapi_schema_validator")
    spec = yaml.safe_load(OPENAPI_FILE.read_text())

    def check(answer, schema_name):
        schema = {"$ref": f"#/components/schemas/{schema_name}",
                  "components": spec["components"]}
        schema_validator.validate(answer.json(), schema,
                                  cls=schema_validator.OAS30Validator)

    check(call(his_server, "GET", "/api/v1/health"), "Health")
    check(call(his_server, "GET", "/api/v1/isc-accounts?limit=3"), "AccountPage")
    check(call(his_server, "GET", "/api/v1/patients/BN000001/isc-account"), "IscAccount")
    check(call(his_server, "GET", "/api/v1/patients/BN999999/isc-account"), "Error")
    check(call(his_server, "POST", "/api/v1/booking-orders",
               {"reference": "S-1", "name": "A", "requested_date": "2025-02-01",
                "gender": None, "birth_date": None}), "BookingOrder")
    check(call(his_server, "GET", "/api/v1/health", key=False), "Error")


def test_server_fixture_uses_the_fixed_anchor(his_server):
    assert his_server.store.describe()["anchor"] == his_server.anchor.strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def test_make_server_requires_an_api_key():
    with pytest.raises(ValueError):
        make_server("127.0.0.1", 0, Store(patients=1), "")


def test_fault_after_lets_the_first_requests_through(his_server):
    his_server.server.faults.add({"endpoint": "health", "kind": "error", "status": 500,
                                  "after": 2, "times": 1})
    statuses = []
    for _ in range(4):
        try:
            statuses.append(requests.get(his_server.base_url + "/api/v1/health",
                                         headers={"X-Api-Key": his_server.api_key},
                                         timeout=5).status_code)
        except requests.RequestException:
            statuses.append(None)
    assert statuses == [200, 200, 500, 200]
