"""Limits, injected faults and accounting (zoho-crm-api.md §8)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests


def codes(api: Any, n: int, path: str = "/crm/v7/users") -> list[int]:
    return [api.get(path).status_code for _ in range(n)]


def test_concurrency_limit_returns_429(factory: Any) -> None:
    emu, api = factory(concurrency_limit=2, latency_ms=300)
    token = api.token

    def one(_: int) -> int:
        r = requests.get(
            f"{emu.base_url}/crm/v7/users", headers={"Authorization": f"Zoho-oauthtoken {token}"}, timeout=10
        )
        return r.status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(one, range(6)))
    assert statuses.count(200) >= 2 and 429 in statuses
    assert emu.stats()["peak_concurrency"] >= 3
    assert emu.stats()["faults"]["concurrency_429"] >= 1


def test_daily_credit_budget(factory: Any) -> None:
    emu, api = factory(daily_credit_budget=3)
    assert codes(api, 3) == [200, 200, 200]
    r = api.get("/crm/v7/users")
    assert r.status_code == 429 and r.json()["code"] == "TOO_MANY_REQUESTS"
    emu.advance(86_400)
    api._token = None
    assert api.get("/crm/v7/users").status_code == 200


def test_credits_are_counted_per_kind(api: Any) -> None:
    api.get("/crm/v7/Leads", {"fields": "Last_Name"})
    api.get("/crm/v7/Leads", {"ids": sorted(api.emu.record_ids("Leads"))[0]})
    api.get("/crm/v7/Leads/deleted")
    api.get("/crm/v7/settings/modules")
    api.get("/crm/v7/settings/fields", {"module": "Leads"})
    api.get("/crm/v7/Leads")  # 400: counted as a call, charges nothing
    s = api.emu.stats()
    assert s["calls"]["token"] == 1 and s["calls"]["list"] == 2
    assert s["credits"] == {"list": 1, "detail": 1, "deleted": 1, "modules_meta": 1, "fields_meta": 1}
    assert s["credits_total"] == 5
    api.emu.config.credits["deleted"] = 2
    api.get("/crm/v7/Leads/deleted")
    assert api.emu.stats()["credits"]["deleted"] == 3


def test_request_log_and_reset(api: Any) -> None:
    api.get("/crm/v7/Leads", {"fields": "Last_Name"}, headers={"If-Modified-Since": "2020-01-01T00:00:00Z"})
    last = api.emu.requests[-1]
    assert last["method"] == "GET" and last["path"] == "/crm/v7/Leads" and last["kind"] == "list"
    assert last["params"] == {"fields": "Last_Name"} and last["status"] == 200
    assert last["headers"]["If-Modified-Since"] == "2020-01-01T00:00:00Z" and isinstance(last["ts"], float)
    api.emu.reset_stats()
    assert api.emu.requests == [] and api.emu.stats()["calls"] == {} and api.emu.stats()["peak_concurrency"] == 0


def test_injected_429_is_deterministic_and_can_send_retry_after(factory: Any) -> None:
    runs = []
    for _ in range(2):
        emu, api = factory(rate_429=0.3, fault_seed=7, retry_after=5)
        api.token  # noqa: B018 - token calls are not faulted
        runs.append(codes(api, 30))
    assert runs[0] == runs[1] and 429 in runs[0] and 200 in runs[0]
    emu, api = factory(rate_429=1.0, retry_after=5)
    r = api.get("/crm/v7/users")
    assert r.headers["Retry-After"] == "5" and r.json()["code"] == "TOO_MANY_REQUESTS"
    assert emu.stats()["faults"]["injected_429"] == 1


def test_injected_500(factory: Any) -> None:
    _emu, api = factory(rate_500=1.0)
    r = api.get("/crm/v7/users")
    assert r.status_code == 500 and r.json()["code"] == "INTERNAL_ERROR"


def test_dropped_connection(factory: Any) -> None:
    emu, api = factory(rate_drop=1.0)
    with pytest.raises(requests.ConnectionError):
        api.get("/crm/v7/users")
    assert emu.stats()["faults"]["drop"] == 1
    emu.config.rate_drop = 0.0
    assert api.get("/crm/v7/users").status_code == 200


def test_faults_do_not_touch_the_accounts_server(factory: Any) -> None:
    _emu, api = factory(rate_500=1.0, rate_drop=0.0)
    assert api.new_token().startswith("1000.")


def test_latency_range(factory: Any) -> None:
    _emu, api = factory(latency_ms=(50, 60))
    r = api.get("/crm/v7/users")
    assert r.elapsed.total_seconds() >= 0.05


def test_truncated_answer_sends_half_the_body_then_closes(factory: Any) -> None:
    emu, api = factory(rate_truncate=1.0, fault_kinds={"users"})
    assert api.token  # the token call is not a /crm call: never faulted
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        api.get("/crm/v7/users")
    assert emu.stats()["faults"]["truncate"] == 1


def test_proxy_502_page_and_invalid_json_answers(factory: Any) -> None:
    emu, api = factory(rate_502_html=1.0, fault_kinds={"list"})
    r = api.get("/crm/v7/Leads", {"fields": "Last_Name"})
    assert r.status_code == 502 and r.headers["Content-Type"] == "text/html" and b"502 Bad Gateway" in r.content
    assert api.get("/crm/v7/users").status_code == 200  # other kinds are not faulted
    emu.config.rate_502_html, emu.config.rate_invalid_json = 0.0, 1.0
    r = api.get("/crm/v7/Leads", {"fields": "Last_Name"})
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()


def test_throttle_messages_name_the_cause_or_both(factory: Any) -> None:
    emu, api = factory(daily_credit_budget=1)
    assert api.get("/crm/v7/users").status_code == 200
    assert "24 hour" in api.get("/crm/v7/users").json()["message"]
    emu.config.rate_429, emu.config.daily_credit_budget = 1.0, None
    assert api.get("/crm/v7/users").json()["message"] == "Too many requests"
    emu.config.throttle_messages = "documented"
    message = api.get("/crm/v7/users").json()["message"]
    assert "24 hour" in message and "concurrency limit" in message


def test_a_client_that_resets_its_connection_is_not_an_error_to_print(emu: Any, capsys: Any) -> None:
    import socket
    import struct
    import time

    sock = socket.create_connection(("127.0.0.1", emu.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
    sock.send(b"GET /crm/v7/Le")
    sock.close()
    time.sleep(0.3)
    assert capsys.readouterr().err == ""
