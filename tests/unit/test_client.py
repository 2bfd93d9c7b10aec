"""HTTP layer: Zoho paging (page numbers, then page_token), 204/304 as empty, error mapping, retries."""

import pytest
import requests_mock

from tests.unit.zoho_mock import BASE, TOKEN_URL, ZohoMock, make_client, make_context, make_records
from zoho_crm.api.client import ZohoClient
from zoho_crm.api.ledger import RunLedger
from zoho_crm.errors import ZohoApiError, ZohoConnectionError
from zoho_crm.readers.rest import fetch_records

LEADS = f"{BASE}/crm/v7/Leads"


def list_all(client: ZohoClient, module: str = "Leads", headers: dict | None = None) -> list:
    pages = client.paginate(module, module=module, params={"fields": "id"}, headers=headers)
    return [row for page in pages for row in page]


def test_pagination_follows_next_page_token_without_page_param() -> None:
    with requests_mock.Mocker() as m:
        zoho = ZohoMock(m, {"Leads": make_records(450)})
        rows = list_all(make_client())
        assert len(rows) == 450 and len({r["id"] for r in rows}) == 450
        lists = zoho.calls("list")
        assert len(lists) == 3
        assert "page" not in lists[0].qs and "page_token" not in lists[0].qs
        assert lists[1].qs["page_token"] == ["tok200"] and "page" not in lists[1].qs
        assert lists[2].qs["page_token"] == ["tok400"]
        assert all(r.qs["fields"] == ["id"] for r in lists)  # params stay identical along the chain


def test_pagination_uses_page_numbers_until_a_token_appears() -> None:
    with requests_mock.Mocker() as m:
        zoho = ZohoMock(m, {"Leads": make_records(450)})
        zoho.token_mode = "never"
        assert len(list_all(make_client())) == 450
        assert [r.qs.get("page") for r in zoho.calls("list")] == [None, ["2"], ["3"]]


@pytest.mark.parametrize("status", [204, 304])
def test_no_content_and_not_modified_are_empty_results(status: int) -> None:
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, json={"access_token": "1000.t", "expires_in": 3600})
        m.get(LEADS, status_code=status)
        client = make_client()
        assert list_all(client, headers={"If-Modified-Since": "2024-01-01T00:00:00+00:00"}) == []
        assert client.get_data("Leads", params={"ids": "1"}) == []


def test_zoho_error_envelope_is_parsed() -> None:
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, json={"access_token": "1000.t", "expires_in": 3600})
        body = {"code": "INVALID_MODULE", "details": {"resource_path_index": 0}, "message": "bad", "status": "error"}
        m.get(LEADS, status_code=400, json=body)
        with pytest.raises(ZohoApiError) as err:
            list_all(make_client())
        assert err.value.code == "INVALID_MODULE" and err.value.details == {"resource_path_index": 0}


def test_server_errors_are_retried_then_succeed() -> None:
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, json={"access_token": "1000.t", "expires_in": 3600})
        err = {"code": "INTERNAL_ERROR", "details": {}, "message": "x", "status": "error"}
        m.get(LEADS, [{"status_code": 500, "json": err}, {"json": {"data": [{"id": "1"}]}}])
        ledger = RunLedger()
        assert make_client(ledger).get_data("Leads", params={"ids": "1"}) == [{"id": "1"}]
        assert ledger.calls_by_kind() == {"detail": 1} and ledger.retries == {"server_error": 1}


def test_unreachable_api_is_a_connection_error() -> None:
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, json={"access_token": "1000.t", "expires_in": 3600})
        client = make_client(base="http://127.0.0.1:9")
        m.get("http://127.0.0.1:9/crm/v7/Leads", real_http=True)
        with pytest.raises(ZohoConnectionError, match=r"cannot reach the Zoho CRM API at http://127\.0\.0\.1:9"):
            client.get_data("Leads")


def test_detail_batch_is_halved_when_zoho_says_too_many_ids() -> None:
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, json={"access_token": "1000.t", "expires_in": 3600})
        too_many = {"code": "LIMIT_EXCEEDED", "details": {"limit": 50, "param_name": "ids"}, "status": "error"}

        def detail(request, context):
            ids = request.qs["ids"][0].split(",")
            if len(ids) > 50:
                context.status_code = 400
                return too_many
            return {"data": [{"id": i} for i in ids]}

        m.get(LEADS, json=detail)
        ids = [str(i) for i in range(100)]
        assert [r["id"] for r in fetch_records(make_context(make_client()), "Leads", ids)] == ids
        assert [len(r.qs["ids"][0].split(",")) for r in m.request_history[1:]] == [100, 50, 50]


def test_call_counts_are_kept_per_kind() -> None:
    with requests_mock.Mocker() as m:
        ZohoMock(m, {"Leads": make_records(250)})
        ledger = RunLedger()
        client = make_client(ledger)
        list_all(client)
        fetch_records(make_context(client), "Leads", ["4876876000000100000"])
        assert ledger.calls_by_kind() == {"list": 2, "detail": 1}
        assert ledger.credits_by_kind() == {"list": 2, "detail": 1}


def test_server_clock_is_read_from_the_rfc1123_date_header() -> None:
    from requests import Response

    from zoho_crm.api.timestamps import server_second

    response = Response()
    response.headers["Date"] = "Sat, 28 Nov 2026 18:13:06 GMT"
    assert server_second(response).isoformat() == "2026-11-28T18:13:06+00:00"
    response.headers["Date"] = "garbage"
    assert server_second(response) is None
