"""The gate every Zoho call passes: one concurrency limit, Zoho's 429 policy, retries within a time budget."""

import threading
import time
from typing import Any, Dict, List

import pytest
import requests
import requests_mock

from tests.unit.zoho_mock import BASE, TOKEN_URL, FakeTime, make_client
from zoho_crm.api.gate import AdaptiveLimit
from zoho_crm.api.ledger import RunLedger, classify_call
from zoho_crm.errors import (
    ZohoApiError,
    ZohoConnectionError,
    ZohoCrmStoppedEarly,
    ZohoDailyLimitError,
    ZohoInvalidResponseError,
    ZohoNetworkError,
    ZohoThrottledError,
)

LEADS = f"{BASE}/crm/v7/Leads"
OK = {"json": {"data": [{"id": "1"}]}}


def too_many(message: str, **extra: Any) -> Dict[str, Any]:
    body = {"code": "TOO_MANY_REQUESTS", "details": {}, "message": message, "status": "error"}
    return {"status_code": 429, "json": body, **extra}


def server_error(status: int = 500) -> Dict[str, Any]:
    return {"status_code": status, "json": {"code": "INTERNAL_ERROR", "details": {}, "message": "x", "status": "error"}}


@pytest.fixture
def m():
    with requests_mock.Mocker() as mocker:
        mocker.post(TOKEN_URL, json={"access_token": "1000.t", "expires_in": 3600})
        yield mocker


def api_calls(m: requests_mock.Mocker) -> int:
    return len([r for r in m.request_history if r.url.startswith(f"{BASE}/crm")])


def test_calls_in_flight_never_exceed_max_concurrency() -> None:
    in_flight, peak, lock = [0], [0], threading.Lock()

    def slow(request: Any, context: Any) -> Dict[str, Any]:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.02)
        with lock:
            in_flight[0] -= 1
        return {"data": [{"id": "1"}]}

    client = make_client(max_concurrency=3)
    adapter = requests_mock.Adapter()
    adapter.register_uri("GET", LEADS, json=slow)
    adapter.register_uri("POST", TOKEN_URL, json={"access_token": "1000.t", "expires_in": 3600})
    for session in (client.rest.session, client.auth.session):
        session.mount(BASE, adapter)  # requests-mock's Mocker would serialise the threads
    threads = [threading.Thread(target=client.get_data, args=("Leads",)) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 3 and client.gate.limit.peak == 3


def test_429_naming_only_the_daily_limit_stops_at_once_with_exit_3_error(m) -> None:
    m.get(LEADS, [too_many("Number of API requests for the 24 hour period is exceeded"), OK])
    fake = FakeTime()
    with pytest.raises(ZohoDailyLimitError, match="24-hour API credit limit") as err:
        make_client(fake_time=fake).get_data("Leads")
    assert isinstance(err.value, ZohoCrmStoppedEarly)
    assert api_calls(m) == 1 and fake.sleeps == []


@pytest.mark.parametrize(
    "message",
    [
        "The concurrency limit of the user for the app is exceeded",
        "Too many requests",
        "Number of API requests for the 24 hour period is exceeded or the concurrency limit of the user for the "
        "app is exceeded",
    ],
)
def test_concurrency_or_ambiguous_429_halves_the_limit_and_retries(m, message: str) -> None:
    m.get(LEADS, [too_many(message), too_many(message), OK])
    ledger, fake = RunLedger(), FakeTime()
    client = make_client(ledger, max_concurrency=8, fake_time=fake)
    assert client.get_data("Leads") == [{"id": "1"}]
    assert client.gate.limit.limit == 2  # 8 -> 4 -> 2: each retry was sent after the previous decrease
    assert ledger.retries == {"throttled": 2} and len(fake.sleeps) == 2
    assert 0.25 <= fake.sleeps[0] <= 0.5 and 0.5 <= fake.sleeps[1] <= 1.0  # exponential backoff with jitter


def test_retry_after_is_honoured_when_zoho_sends_it(m) -> None:
    m.get(LEADS, [too_many("Too many requests", headers={"Retry-After": "7"}), OK])
    fake = FakeTime()
    make_client(fake_time=fake).get_data("Leads")
    assert fake.sleeps == [7.0]


def test_persistent_429_stops_the_run_after_the_retry_budget(m) -> None:
    m.get(LEADS, **too_many("Too many requests"))
    fake = FakeTime()
    with pytest.raises(ZohoThrottledError, match=r"throttled a call for \d+ s.*daily credits may be exhausted"):
        make_client(max_retry_seconds=60, fake_time=fake).get_data("Leads")
    assert sum(fake.sleeps) <= 60 and api_calls(m) == len(fake.sleeps) + 1 > 5


def test_server_errors_are_retried_then_fail_with_the_status_after_the_budget(m) -> None:
    m.get(LEADS, [server_error(), server_error(503), OK])
    ledger = RunLedger()
    assert make_client(ledger).get_data("Leads") == [{"id": "1"}]
    assert ledger.retries == {"server_error": 2}
    page = "<html><title>502 Bad Gateway</title></html>"
    m.get(LEADS, status_code=502, text=page, headers={"Content-Type": "text/html"})
    with pytest.raises(ZohoApiError) as err:
        make_client(max_retry_seconds=30).get_data("Leads", module="Leads")
    assert err.value.status_code == 502 and err.value.code == "HTTP_502"
    assert "502 Bad Gateway" in str(err.value) and "GET /crm/v7/Leads" in str(err.value)


def test_a_501_not_implemented_is_not_retried(m) -> None:
    m.get(LEADS, status_code=501, text="Unsupported method", headers={"Content-Type": "text/plain"})
    ledger = RunLedger()
    with pytest.raises(ZohoApiError) as err:
        make_client(ledger).get_data("Leads", module="Leads")
    assert err.value.status_code == 501 and api_calls(m) == 1 and not ledger.retries


def test_dropped_and_truncated_answers_are_retried(m) -> None:
    m.get(
        LEADS,
        [
            {"exc": requests.exceptions.ConnectionError("reset by peer")},
            {"exc": requests.exceptions.ChunkedEncodingError("IncompleteRead")},
            OK,
        ],
    )
    ledger = RunLedger()
    client = make_client(ledger)
    client.gate.reached = True
    assert client.get_data("Leads") == [{"id": "1"}]
    assert ledger.retries == {"dropped": 2}


def test_connection_lost_for_the_whole_budget_is_a_network_error(m) -> None:
    m.get(LEADS, exc=requests.exceptions.ConnectionError("reset"))
    client = make_client(max_retry_seconds=20)
    client.gate.reached = True
    with pytest.raises(ZohoNetworkError, match="lost the connection to the Zoho CRM API"):
        client.get_data("Leads")


def test_unreachable_api_fails_fast_as_a_configuration_error(m) -> None:
    m.get(LEADS, exc=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(ZohoConnectionError, match="cannot reach the Zoho CRM API"):
        make_client().get_data("Leads")
    assert api_calls(m) == 3


def test_invalid_json_is_retried_then_reported(m) -> None:
    m.get(LEADS, [{"text": '{"data": [{"id"'}, OK])
    ledger = RunLedger()
    assert make_client(ledger).get_data("Leads") == [{"id": "1"}]
    assert ledger.retries == {"invalid_json": 1}
    m.get(LEADS, text="<html>captive portal</html>")
    with pytest.raises(ZohoInvalidResponseError, match=r"is not valid JSON.*captive portal"):
        make_client(max_retry_seconds=10).get_data("Leads", module="Leads")


def test_a_token_refresh_resend_passes_the_gate_and_is_counted(m) -> None:
    invalid = {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}
    m.get(LEADS, [{"status_code": 401, "json": invalid}, OK])
    ledger = RunLedger()
    assert make_client(ledger).get_data("Leads", params={"ids": "1"}) == [{"id": "1"}]
    assert ledger.calls_by_kind() == {"detail": 2} and ledger.credits_by_kind() == {"detail": 1}


def test_limit_grows_back_one_by_one_after_a_streak_of_successes() -> None:
    limit = AdaptiveLimit(4)
    with limit.slot() as epoch:
        pass
    limit.throttled(epoch)
    limit.throttled(epoch)  # same wave: lowered once
    assert limit.limit == 2
    for _ in range(8):
        limit.succeeded()
    assert limit.limit == 3
    for _ in range(12):
        limit.succeeded()
    assert limit.limit == 4
    for _ in range(100):
        limit.succeeded()
    assert limit.limit == 4


@pytest.mark.parametrize(
    ("method", "url", "key"),
    [
        ("GET", f"{BASE}/crm/v7/Leads?fields=id&per_page=200", ("Leads", "list")),
        ("GET", f"{BASE}/crm/v7/Leads?ids=1,2", ("Leads", "detail")),
        ("GET", f"{BASE}/crm/v7/Quotes/4876", ("Quotes", "record")),
        ("GET", f"{BASE}/crm/v7/Deals/deleted?type=all", ("Deals", "deleted")),
        ("GET", f"{BASE}/crm/v7/users?type=AllUsers", ("Users", "users")),
        ("GET", f"{BASE}/crm/v7/settings/fields?module=Leads", ("Leads", "metadata")),
        ("GET", f"{BASE}/crm/v7/settings/modules", ("", "metadata")),
        ("POST", f"{BASE}/crm/bulk/v7/read", ("", "bulk_create")),
        ("GET", f"{BASE}/crm/bulk/v7/read/55", ("", "bulk_status")),
        ("GET", f"{BASE}/crm/bulk/v7/read/55/result", ("", "bulk_download")),
    ],
)
def test_calls_are_classified_by_module_and_kind_from_their_url(method: str, url: str, key: tuple) -> None:
    assert classify_call(method, url) == key


def test_a_coql_count_is_charged_to_the_module_it_counts() -> None:
    body = b'{"select_query": "select COUNT(id) from Quotes where id is not null"}'
    assert classify_call("POST", f"{BASE}/crm/v7/coql", body) == ("Quotes", "coql")


def test_credits_remaining_header_is_kept(m) -> None:
    m.get(LEADS, json={"data": []}, headers={"X-API-CREDITS-REMAINING": "4321"})
    ledger = RunLedger()
    make_client(ledger).get_data("Leads")
    assert ledger.credits_remaining == 4321


def test_no_retry_sleep_holds_a_slot(m) -> None:
    """While one call backs off, another goes through: slots are held only on the wire."""
    m.get(LEADS, [too_many("Too many requests"), OK, OK])
    events: List[str] = []
    client = make_client(max_concurrency=1)
    gate = client.gate

    def sleep(seconds: float) -> None:
        events.append(f"in flight while sleeping: {gate.limit.in_flight}")

    gate._sleep = sleep
    client.get_data("Leads")
    assert events == ["in flight while sleeping: 0"]


def test_a_body_that_is_never_json_fails_after_four_attempts_not_the_whole_retry_budget(m) -> None:
    m.get(LEADS, text="<html>maintenance</html>")
    fake = FakeTime()
    with pytest.raises(ZohoInvalidResponseError):
        make_client(max_retry_seconds=600, fake_time=fake).get_data("Leads", module="Leads")
    assert api_calls(m) == 4 and sum(fake.sleeps) < 20
