"""The HIS client against a live simulator: contract behaviour, retries and faults."""

import json
import math
import socket
import time
from datetime import UTC, datetime, timedelta, timezone

import his_client
import pytest
import requests
from his_client import (
    HisAuthError,
    HisBadResponse,
    HisClient,
    HisConnectionError,
    HisDeadlineReached,
    HisError,
    HisNotFound,
    HisRecordError,
    HisRejected,
    HisServerError,
    IscAccount,
    parse_account,
)

# The data the his_server fixture seeds (conftest.py), checked by the first test below.
ANCHOR = datetime(2025, 1, 31, 12)
PATIENTS = 200
WINDOW_FROM = ANCHOR - timedelta(days=30)
WINDOW_TO = ANCHOR
SEEDED_ACCOUNTS = math.ceil(0.9 * PATIENTS)


class FakeSleep:
    """Records the waits instead of sleeping, so retries cost nothing."""

    def __init__(self):
        self.waits = []

    def __call__(self, seconds):
        self.waits.append(seconds)


def make_client(his_server, **options):
    settings = {
        "connect_timeout": 1.0,
        "read_timeout": 2.0,
        "max_retries": 2,
        "backoff": 0.5,
        "max_backoff": 30.0,
        "sleep": FakeSleep(),
    }
    settings.update(options)
    return HisClient(his_server.base_url, settings.pop("api_key", his_server.api_key),
                     **settings)


@pytest.fixture
def client(his_server):
    with make_client(his_server) as his:
        yield his


def sim(his_server, method, path, payload=None):
    """Call the simulator's admin API."""
    response = requests.request(method, his_server.base_url + path, json=payload, timeout=5)
    response.raise_for_status()
    return response.json()


def add_fault(his_server, **fault):
    return sim(his_server, "PUT", "/_sim/faults", fault)


def logged(his_server, path):
    return [r for r in sim(his_server, "GET", "/_sim/requests")["requests"] if r["path"] == path]


def utc(text):
    return datetime.fromisoformat(text.removesuffix("Z"))


def list_all(client, updated_from, updated_to, page_size=1000, cursor=None):
    pages = list(client.iter_account_pages(updated_from, updated_to, page_size, cursor))
    return pages, [item for items, _cursor in pages for item in items]


def expected_accounts(store, updated_from, updated_to):
    return [a for a in store.account_snapshot()
            if updated_from <= utc(a["updated_at"]) < updated_to]


def test_fixture_seeds_the_data_these_tests_expect(his_server):
    assert (his_server.anchor, his_server.patients) == (ANCHOR, PATIENTS)
    assert his_server.store.describe()["accounts"] == SEEDED_ACCOUNTS


# --- authentication and health ---------------------------------------------------------------


def test_wrong_api_key_raises_auth_error_without_retry(his_server):
    with make_client(his_server, api_key="wrong-key") as his:
        with pytest.raises(HisAuthError) as caught:
            his.health()
        assert caught.value.status == 401
        assert caught.value.code == "unauthorized"
        assert his.request_count == 1
        assert his.sleep.waits == []


def test_health_returns_status_and_version(client):
    health = client.health()
    assert health["status"] == "ok"
    assert health["version"]


def test_base_url_may_end_with_api_prefix(his_server):
    with HisClient(his_server.base_url + "/api/v1/", his_server.api_key) as his:
        assert his.health()["status"] == "ok"


def test_wrong_base_url_is_not_mistaken_for_missing_account(his_server):
    with (HisClient(his_server.base_url + "/elsewhere", his_server.api_key) as his,
          pytest.raises(HisNotFound) as caught):
        his.get_account("BN000001")
    assert caught.value.code == "unknown_endpoint"


def test_refused_connection_is_retried_then_connection_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleep = FakeSleep()
    with HisClient(f"http://127.0.0.1:{port}", "key", connect_timeout=0.5, max_retries=2,
                   sleep=sleep) as his:
        with pytest.raises(HisConnectionError):
            his.health()
        assert his.request_count == 3
    assert sleep.waits == [0.5, 1.0]


# --- listing ---------------------------------------------------------------------------------


def test_paging_returns_each_account_in_range_once_in_order(client, his_server):
    low, high = ANCHOR - timedelta(days=20), ANCHOR - timedelta(days=10)
    expected = expected_accounts(his_server.store, low, high)
    assert len(expected) > 20  # several pages of 7

    pages, items = list_all(client, low, high, page_size=7)

    assert [i["patient_code"] for i in items] == [a["patient_code"] for a in expected]
    assert items == expected
    assert len({i["patient_code"] for i in items}) == len(items)
    assert all(low <= utc(i["updated_at"]) < high for i in items)
    keys = [(i["updated_at"], i["patient_code"]) for i in items]
    assert keys == sorted(keys)
    assert len(pages) == math.ceil(len(expected) / 7)
    assert all(cursor for _items, cursor in pages[:-1])
    assert pages[-1][1] is None


def test_listing_the_whole_window_returns_every_seeded_account(client):
    _pages, items = list_all(client, WINDOW_FROM, WINDOW_TO, page_size=50)
    assert len(items) == SEEDED_ACCOUNTS
    assert {i["patient_code"] for i in items} == {f"BN{n:06d}" for n in
                                                   range(1, SEEDED_ACCOUNTS + 1)}


def test_range_end_is_exclusive_and_start_inclusive(client, his_server):
    account = his_server.store.account_snapshot()[40]
    moment = utc(account["updated_at"])
    _pages, starting = list_all(client, moment, moment + timedelta(seconds=1))
    _pages, ending = list_all(client, moment - timedelta(seconds=1), moment)
    assert account in starting
    assert account not in ending


def test_cursor_resumes_after_the_last_committed_page(client):
    _pages, everything = list_all(client, WINDOW_FROM, WINDOW_TO, page_size=25)
    seen = []
    saved_cursor = None
    for number, (items, cursor) in enumerate(
            client.iter_account_pages(WINDOW_FROM, WINDOW_TO, 25)):
        seen.extend(items)
        saved_cursor = cursor
        if number == 1:
            break  # as if the job stopped after committing page 2
    assert saved_cursor

    _pages, rest = list_all(client, WINDOW_FROM, WINDOW_TO, 25, cursor=saved_cursor)

    assert len(seen) == 50
    assert seen + rest == everything


def test_updated_from_after_updated_to_is_rejected(client):
    with pytest.raises(HisRejected) as caught:
        list_all(client, ANCHOR, ANCHOR - timedelta(days=1))
    assert caught.value.code == "invalid_range"
    assert caught.value.status == 422
    assert client.request_count == 1


def test_foreign_cursor_is_rejected(client):
    with pytest.raises(HisRejected) as caught:
        list_all(client, WINDOW_FROM, WINDOW_TO, cursor="not-a-cursor")
    assert caught.value.code == "invalid_cursor"


def test_page_size_above_maximum_is_rejected(client):
    with pytest.raises(HisRejected) as caught:
        list_all(client, WINDOW_FROM, WINDOW_TO, page_size=5001)
    assert caught.value.code == "invalid_parameter"


def test_datetimes_are_sent_in_utc_with_z(client, his_server):
    plus_seven = timezone(timedelta(hours=7))
    list_all(client, datetime(2025, 1, 10, 7, 0, tzinfo=plus_seven), datetime(2025, 1, 11))
    query = logged(his_server, "/api/v1/isc-accounts")[-1]["query"]
    assert query["updated_from"] == "2025-01-10T00:00:00Z"
    assert query["updated_to"] == "2025-01-11T00:00:00Z"
    assert query["limit"] == "1000"


def test_raw_malformed_item_is_returned_raw_so_the_caller_can_skip_it(client, his_server):
    in_range = "2025-01-20T10:00:00Z"
    broken = [
        {"patient_code": "BN900001", "login": "", "status": "active",
         "issued_at": in_range, "updated_at": in_range},
        {"patient_code": "BN900002", "login": "isc900002", "status": "deleted",
         "issued_at": in_range, "updated_at": in_range},
    ]
    sim(his_server, "PUT", "/_sim/raw-accounts", {"items": broken})

    _pages, items = list_all(client, WINDOW_FROM, WINDOW_TO, page_size=30)

    assert broken[0] in items and broken[1] in items
    parsed, skipped = [], []
    for item in items:
        try:
            parsed.append(parse_account(item))
        except HisRecordError as exc:
            skipped.append(exc.patient_code)
    assert sorted(skipped) == ["BN900001", "BN900002"]
    assert len(parsed) == SEEDED_ACCOUNTS


def test_changed_account_moves_to_its_new_update_time(client, his_server):
    changed_at = "2025-02-01T09:00:00Z"
    sim(his_server, "PUT", "/_sim/accounts", {"accounts": [
        {"patient_code": "BN000001", "login": "isc000001", "status": "revoked",
         "updated_at": changed_at}]})

    account = client.get_account("BN000001")
    _pages, new_window = list_all(client, ANCHOR, ANCHOR + timedelta(days=1))
    _pages, old_window = list_all(client, WINDOW_FROM, WINDOW_TO)

    assert account.status == "revoked"
    assert account.updated_at == utc(changed_at)
    assert [i["patient_code"] for i in new_window] == ["BN000001"]
    assert "BN000001" not in {i["patient_code"] for i in old_window}


# --- single account --------------------------------------------------------------------------


def test_get_account_returns_the_parsed_account(client, his_server):
    account = client.get_account("BN000003")
    raw = his_server.store.get_account("BN000003")
    assert isinstance(account, IscAccount)
    assert account.status == "locked"
    assert account.login == "isc000003"
    assert account.issued_at == utc(raw["issued_at"])
    assert account.updated_at == utc(raw["updated_at"])
    assert account.updated_at.tzinfo is None


def test_get_account_is_none_when_the_patient_has_no_account_yet(client, his_server):
    code = f"BN{PATIENTS:06d}"
    assert client.get_account(code) is None
    answer = requests.get(f"{his_server.base_url}/api/v1/patients/{code}/isc-account",
                          headers={"X-Api-Key": his_server.api_key}, timeout=5)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_get_account_is_none_for_an_unknown_patient(client, his_server):
    assert client.get_account("BN999999") is None
    answer = requests.get(f"{his_server.base_url}/api/v1/patients/BN999999/isc-account",
                          headers={"X-Api-Key": his_server.api_key}, timeout=5)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "unknown_patient"


# --- booking orders --------------------------------------------------------------------------


def booking(reference, **fields):
    payload = {"reference": reference, "name": "Tran Thi B", "mobile": "0388000111",
               "birth_date": "1990-05-17", "gender": "female", "national_id": "079190000111",
               "requested_date": "2025-02-10", "service": "General health check"}
    payload.update(fields)
    return payload


def test_booking_order_allocates_a_new_patient_code(client, his_server):
    order = client.create_booking_order(booking("CRM-1"))
    assert order == {"order_number": "HIS-ORD-000001",
                     "patient_code": f"BN{PATIENTS + 1:06d}", "existing_patient": False}
    assert his_server.store.get_patient(order["patient_code"])["name"] == "Tran Thi B"


def test_booking_order_keeps_the_code_of_a_patient_matched_by_national_id(client):
    # The national ID of patient 5 wins over the mobile of patient 7.
    order = client.create_booking_order(
        booking("CRM-2", national_id="000000000005", mobile="0900000007"))
    assert order["patient_code"] == "BN000005"
    assert order["existing_patient"] is True


def test_booking_order_falls_back_to_matching_by_mobile(client):
    by_mobile = client.create_booking_order(
        booking("CRM-3", national_id=None, mobile="0900000007"))
    unknown_id = client.create_booking_order(
        booking("CRM-4", national_id="079199999999", mobile="0900000008"))
    assert (by_mobile["patient_code"], by_mobile["existing_patient"]) == ("BN000007", True)
    assert (unknown_id["patient_code"], unknown_id["existing_patient"]) == ("BN000008", True)


def test_patient_created_by_a_booking_is_matched_next_time(client):
    first = client.create_booking_order(booking("CRM-5"))
    again = client.create_booking_order(booking("CRM-6", mobile=None))
    assert again["patient_code"] == first["patient_code"]
    assert again["existing_patient"] is True
    assert again["order_number"] != first["order_number"]


def test_same_reference_returns_the_same_order(client, his_server):
    first = client.create_booking_order(booking("CRM-7"))
    again = client.create_booking_order(booking("CRM-7", name="Someone Else"))
    assert again == first
    assert len(his_server.store.booking_orders()) == 1
    statuses = [r["status"] for r in logged(his_server, "/api/v1/booking-orders")]
    assert statuses == [201, 200]


@pytest.mark.parametrize("change", [
    {"name": None}, {"name": "  "}, {"requested_date": None},
    {"requested_date": "2025-02-30"}, {"requested_date": "10/02/2025"},
    {"birth_date": "1990-5-17"}, {"gender": "unknown"},
])
def test_invalid_booking_order_is_rejected(client, change):
    with pytest.raises(HisRejected) as caught:
        client.create_booking_order(booking("CRM-8", **change))
    assert caught.value.code == "validation_error"
    assert caught.value.status == 422
    assert next(iter(change)) in caught.value.message
    assert client.request_count == 1


def test_booking_order_is_retried_after_a_503_and_created_once(client, his_server):
    add_fault(his_server, endpoint="booking-orders", kind="error", times=1)
    order = client.create_booking_order(booking("CRM-9"))
    assert order["order_number"] == "HIS-ORD-000001"
    assert len(his_server.store.booking_orders()) == 1
    assert len(logged(his_server, "/api/v1/booking-orders")) == 2


# --- faults and retries ----------------------------------------------------------------------


def test_latency_beyond_read_timeout_gives_connection_error_after_retries(his_server):
    add_fault(his_server, endpoint="health", kind="latency", latency_ms=600)
    with make_client(his_server, read_timeout=0.1, max_retries=2) as his:
        with pytest.raises(HisConnectionError) as caught:
            his.health()
        assert his.request_count == 3
        assert his.sleep.waits == [0.5, 1.0]
    assert "in time" in caught.value.reason
    assert len(logged(his_server, "/api/v1/health")) == 3


def test_latency_within_read_timeout_succeeds(client, his_server):
    add_fault(his_server, endpoint="health", kind="latency", latency_ms=50, times=1)
    assert client.health()["status"] == "ok"
    assert client.request_count == 1


def test_503_once_then_success_is_retried(client, his_server):
    add_fault(his_server, endpoint="health", kind="error", times=1)
    assert client.health()["status"] == "ok"
    assert [r["status"] for r in logged(his_server, "/api/v1/health")] == [503, 200]
    assert client.sleep.waits == [0.5]
    assert client.retry_count == 1


def test_persistent_5xx_gives_connection_error_once_retries_are_exhausted(client, his_server):
    add_fault(his_server, endpoint="isc-accounts", kind="error", status=502)
    with pytest.raises(HisConnectionError) as caught:
        list_all(client, WINDOW_FROM, WINDOW_TO)
    assert caught.value.status == 502
    assert len(logged(his_server, "/api/v1/isc-accounts")) == 3


def test_persistent_5xx_is_an_error_answer_not_an_unreachable_his(client, his_server):
    add_fault(his_server, endpoint="health", kind="error", status=500)
    with pytest.raises(HisServerError) as caught:
        client.health()
    assert (caught.value.kind, caught.value.status) == ("server_error", 500)


def test_a_dropped_connection_is_an_unreachable_his(client, his_server):
    add_fault(his_server, endpoint="health", kind="drop")
    with pytest.raises(HisConnectionError) as caught:
        client.health()
    assert not isinstance(caught.value, HisServerError)
    assert caught.value.kind == "unreachable"


def test_deadline_bounds_a_slow_answer_and_its_retries(his_server):
    add_fault(his_server, endpoint="health", kind="latency", latency_ms=1500)
    with make_client(his_server, read_timeout=1.0, max_retries=3, sleep=time.sleep) as his:
        his.deadline = time.monotonic() + 0.4
        started = time.monotonic()
        with pytest.raises(HisDeadlineReached):
            his.health()
        assert time.monotonic() - started < 0.8
        assert his.request_count == 1


def test_deadline_stops_retrying_when_the_wait_would_pass_it(client, his_server):
    add_fault(his_server, endpoint="health", kind="error", status=503)
    client.deadline = time.monotonic() + 0.3
    with pytest.raises(HisDeadlineReached):
        client.health()
    assert client.request_count == 1
    assert client.sleep.waits == []


def test_the_his_clock_is_read_from_its_answers(client):
    assert client.his_now is None
    client.health()
    assert abs(client.his_now - datetime.now(UTC).replace(tzinfo=None)) < timedelta(seconds=5)
    assert client.clock() == client.his_now


def test_error_text_from_the_his_is_cleaned_and_bounded():
    body = json.dumps({"error": {"code": "bad\u0000code",
                                 "message": "line\u0000one\nline\u001btwo " + "x" * 5000}})
    his = HisClient("http://his.test", "key", session=RecordingSession(400, body.encode()))
    with pytest.raises(HisRejected) as caught:
        his.health()
    assert caught.value.code == "bad code"
    assert caught.value.message.startswith("line one line two x")
    assert len(caught.value.message) <= his_client.MAX_MESSAGE_LENGTH


def test_backoff_doubles_and_is_capped(his_server):
    add_fault(his_server, kind="error", status=500)
    with make_client(his_server, max_retries=4, backoff=1.0, max_backoff=3.0) as his:
        with pytest.raises(HisConnectionError):
            his.health()
        assert his.sleep.waits == [1.0, 2.0, 3.0, 3.0]


def test_rate_limit_retry_after_is_honoured(client, his_server):
    add_fault(his_server, endpoint="isc-accounts", kind="rate_limit", retry_after=7, times=1)
    _pages, items = list_all(client, WINDOW_FROM, WINDOW_TO)
    assert len(items) == SEEDED_ACCOUNTS
    assert client.sleep.waits == [7.0]
    assert [r["status"] for r in logged(his_server, "/api/v1/isc-accounts")] == [429, 200]


def test_retry_after_is_capped_by_max_backoff(his_server):
    add_fault(his_server, endpoint="health", kind="rate_limit", retry_after=120, times=1)
    with make_client(his_server, max_backoff=10.0) as his:
        his.health()
        assert his.sleep.waits == [10.0]


def test_malformed_json_raises_bad_response_without_retry(client, his_server):
    add_fault(his_server, endpoint="isc-accounts", kind="malformed", times=1)
    with pytest.raises(HisBadResponse):
        list_all(client, WINDOW_FROM, WINDOW_TO)
    assert client.request_count == 1


def test_malformed_single_account_answer_raises_bad_response(client, his_server):
    add_fault(his_server, endpoint="isc-account", kind="malformed", times=1)
    with pytest.raises(HisBadResponse):
        client.get_account("BN000001")


def test_dropped_connection_is_retried_then_connection_error(client, his_server):
    add_fault(his_server, endpoint="health", kind="drop")
    with pytest.raises(HisConnectionError):
        client.health()
    assert client.request_count == 3
    assert client.sleep.waits == [0.5, 1.0]
    assert len(logged(his_server, "/api/v1/health")) == 3


def test_dropped_connection_once_then_success(client, his_server):
    add_fault(his_server, endpoint="isc-account", kind="drop", times=1)
    assert client.get_account("BN000002").patient_code == "BN000002"
    assert client.request_count == 2


def test_client_error_is_not_retried(client, his_server):
    add_fault(his_server, endpoint="health", kind="error", status=400, times=1)
    with pytest.raises(HisRejected) as caught:
        client.health()
    assert caught.value.code == "simulated_error"
    assert client.request_count == 1


def test_every_error_is_a_his_error_with_a_reason():
    for cls in (HisConnectionError, HisAuthError, HisNotFound, HisBadResponse):
        error = cls()
        assert isinstance(error, HisError)
        assert error.reason and str(error) == error.reason
    rejected = HisRejected("validation_error", "name is required")
    assert isinstance(rejected, HisError)
    assert "name is required" in rejected.reason
    assert HisRecordError("bad", "BN1").patient_code == "BN1"


# --- transport details -----------------------------------------------------------------------


class RecordingSession:
    """Stands in for requests.Session and answers a fixed body."""

    def __init__(self, status=200, body=b'{"status": "ok", "version": "1"}'):
        self.calls = []
        self.status = status
        self.body = body

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs))
        response = requests.Response()
        response.status_code = self.status
        response._content = self.body
        return response


def test_every_request_has_timeouts_and_the_key_and_no_redirects():
    session = RecordingSession()
    his = HisClient("https://his.example", "secret", connect_timeout=3.0, read_timeout=9.0,
                    session=session)
    his.health()
    method, url, kwargs = session.calls[0]
    assert (method, url) == ("GET", "https://his.example/api/v1/health")
    assert kwargs["timeout"] == (3.0, 9.0)
    assert kwargs["headers"]["X-Api-Key"] == "secret"
    assert kwargs["allow_redirects"] is False
    assert his.request_count == 1


@pytest.mark.parametrize("body", [
    b'{"order_number": "HIS-ORD-1"}', b'{"order_number": "", "patient_code": "BN1"}',
    b'["HIS-ORD-1", "BN1"]', b'{"patient_code": 12, "order_number": "HIS-ORD-1"}',
])
def test_booking_order_answer_without_its_numbers_is_a_bad_response(body):
    his = HisClient("https://his.example", "secret", session=RecordingSession(201, body))
    with pytest.raises(HisBadResponse):
        his.create_booking_order(booking("CRM-10"))


def test_unserialisable_payload_is_a_caller_error_not_a_network_one():
    session = RecordingSession(201)
    his = HisClient("https://his.example", "secret", session=session)
    with pytest.raises(TypeError):
        his.create_booking_order(booking("CRM-11", birth_date=datetime(1990, 5, 17)))
    assert session.calls == []


def test_booking_payload_is_sent_as_json():
    session = RecordingSession(201, b'{"order_number": "O1", "patient_code": "BN1", '
                                    b'"existing_patient": false}')
    his = HisClient("https://his.example", "secret", session=session)
    his.create_booking_order(booking("CRM-12"))
    _method, url, kwargs = session.calls[0]
    assert url == "https://his.example/api/v1/booking-orders"
    assert kwargs["headers"]["Content-Type"] == "application/json"
    assert json.loads(kwargs["data"]) == booking("CRM-12")


@pytest.mark.parametrize("header, seconds", [
    ("7", 7.0), ("0", 0.0), ("-3", 0.0), ("soon", None), ("", None),
    ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
])
def test_retry_after_header_parsing(header, seconds):
    assert his_client.retry_after_seconds(header) == seconds


# --- record parsing --------------------------------------------------------------------------

GOOD = {"patient_code": "BN000001", "login": "isc000001", "status": "active",
        "issued_at": "2025-01-02T08:30:00Z", "updated_at": "2025-01-03T10:00:00Z"}


def test_parse_account_returns_naive_utc_datetimes():
    account = parse_account({**GOOD, "updated_at": "2025-01-03T10:00:00.123456Z"})
    assert account == IscAccount("BN000001", "isc000001", "active",
                                 datetime(2025, 1, 2, 8, 30),
                                 datetime(2025, 1, 3, 10, 0, 0, 123456))
    assert account.issued_at.tzinfo is None


@pytest.mark.parametrize("change", [
    {"login": None}, {"login": ""}, {"login": "   "}, {"login": 42},
    {"status": None}, {"status": "deleted"}, {"status": "ACTIVE"},
    {"issued_at": None}, {"issued_at": ""}, {"issued_at": 1735806600},
    {"issued_at": "2025-01-02T08:30:00"}, {"issued_at": "2025-01-02T08:30:00+00:00"},
    {"issued_at": "2025-01-02 08:30:00Z"}, {"issued_at": "2025-13-02T08:30:00Z"},
    {"updated_at": None}, {"updated_at": "2025-02-30T10:00:00Z"},
    {"updated_at": "2025-01-03T10:00:00.5Z"}, {"updated_at": "yesterday"},
])
def test_parse_account_rejects_malformed_field(change):
    record = {**GOOD, **change}
    record = {k: v for k, v in record.items() if v is not None}
    with pytest.raises(HisRecordError) as caught:
        parse_account(record)
    assert caught.value.patient_code == "BN000001"
    assert "BN000001" in caught.value.reason


@pytest.mark.parametrize("record", [
    None, [], "BN000001", {}, {**GOOD, "patient_code": ""}, {**GOOD, "patient_code": 7},
    {k: v for k, v in GOOD.items() if k != "patient_code"},
])
def test_parse_account_rejects_record_without_a_patient_code(record):
    with pytest.raises(HisRecordError) as caught:
        parse_account(record)
    assert caught.value.patient_code is None


@pytest.mark.parametrize("change", [
    {"login": "isc\u0000001"}, {"login": "isc\n001"}, {"login": "x" * 100_000},
    {"patient_code": "BN000001\u0000"}, {"patient_code": "BN" + "0" * 100},
])
def test_parse_account_refuses_text_the_database_cannot_store_or_should_not(change):
    with pytest.raises(HisRecordError) as caught:
        parse_account({**GOOD, **change})
    code = caught.value.patient_code
    assert code and "\u0000" not in code and len(code) <= his_client.MAX_CODE_LENGTH
    assert "\u0000" not in caught.value.reason and len(caught.value.reason) < 300


@pytest.mark.parametrize("field", ["updated_at", "issued_at"])
def test_parse_account_refuses_a_time_more_than_a_day_ahead_of_the_his_clock(field):
    his_now = datetime(2025, 1, 3, 10, 0)
    assert parse_account({**GOOD, field: "2025-01-04T10:00:00Z"}, his_now)
    for late in ("2025-01-04T10:00:01Z", "9999-12-31T23:59:59Z"):
        with pytest.raises(HisRecordError) as caught:
            parse_account({**GOOD, field: late}, his_now)
        assert "ahead of the HIS clock" in caught.value.reason


# --- request log -----------------------------------------------------------------------------


def test_request_log_records_contract_requests(client, his_server):
    client.health()
    list_all(client, datetime(2025, 1, 1), datetime(2025, 1, 2), page_size=50)
    entries = sim(his_server, "GET", "/_sim/requests")["requests"]
    assert [(e["method"], e["path"]) for e in entries] == [
        ("GET", "/api/v1/health"), ("GET", "/api/v1/isc-accounts")]
    assert entries[1]["query"] == {"updated_from": "2025-01-01T00:00:00Z",
                                   "updated_to": "2025-01-02T00:00:00Z", "limit": "50"}
    assert all(e["at"].endswith("Z") and e["status"] == 200 for e in entries)

    sim(his_server, "DELETE", "/_sim/requests")
    assert sim(his_server, "GET", "/_sim/requests")["requests"] == []


def test_naive_datetimes_mean_utc():
    assert his_client.format_utc(datetime(2025, 1, 2, 3, 4, 5)) == "2025-01-02T03:04:05Z"
    assert his_client.format_utc(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)) == (
        "2025-01-02T03:04:05Z")


# --- fetching ahead --------------------------------------------------------------------------


def test_prefetcher_fetches_one_item_ahead_and_no_further():
    pulled = []

    def pages():
        for number in range(1, 6):
            pulled.append(number)
            yield number

    with his_client.Prefetcher(pages(), prepare=lambda n: n * 10) as fetched:
        seen = []
        for item in fetched:
            deadline = time.monotonic() + 5
            while len(pulled) < min(item // 10 + 1, 5) and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(0.02)  # time enough to run further ahead, if it would
            seen.append((item, len(pulled)))
    assert seen == [(10, 2), (20, 3), (30, 4), (40, 5), (50, 5)]


def test_prefetcher_raises_a_failure_after_the_items_before_it_and_stops():
    def pages():
        yield 1
        yield 2
        raise HisServerError("page 3 failed")

    fetched = his_client.Prefetcher(pages())
    assert next(fetched) == 1
    assert next(fetched) == 2
    with pytest.raises(HisServerError, match="page 3 failed"):
        next(fetched)
    assert not fetched._thread.is_alive()
    with pytest.raises(StopIteration):
        next(fetched)


def test_prefetcher_stops_its_thread_when_the_caller_leaves_early():
    def pages():
        number = 0
        while True:
            number += 1
            yield number

    with his_client.Prefetcher(pages()) as fetched:
        assert next(fetched) == 1
    assert not fetched._thread.is_alive()


def test_prefetcher_records_the_waiting_that_fetching_ahead_did_not_hide():
    def slow_pages():
        for number in range(4):
            time.sleep(0.05)
            yield number

    # A caller quicker than the HIS waits for every page; a slower one only for the first.
    with his_client.Prefetcher(slow_pages()) as quick:
        assert list(quick) == [0, 1, 2, 3]
    with his_client.Prefetcher(slow_pages()) as slow:
        for _number in slow:
            time.sleep(0.2)
    assert len(quick.fetch_seconds) == len(quick.wait_seconds) == 4
    assert all(seconds >= 0.04 for seconds in quick.wait_seconds + quick.fetch_seconds)
    assert slow.wait_seconds[0] >= 0.04
    assert all(seconds < 0.1 for seconds in slow.wait_seconds[1:])
    assert len(slow.handle_seconds) == 4 and all(s >= 0.19 for s in slow.handle_seconds)
