"""OAuth: one shared token, Zoho-oauthtoken header, refresh on INVALID_TOKEN, token-endpoint errors."""

import threading

import pytest
import requests_mock

from tests.unit.zoho_mock import BASE, CREDS, TOKEN_URL, make_client
from zoho_crm.api.auth import ZohoOAuth
from zoho_crm.errors import ZohoAccessError, ZohoAuthError, ZohoConnectionError

DEALS = f"{BASE}/crm/v7/Deals"


def token_response(n: int = 1, expires_in: int = 3600) -> dict:
    return {"access_token": f"1000.tok{n}", "expires_in": expires_in, "api_domain": BASE, "token_type": "Bearer"}


def test_requests_carry_zoho_oauthtoken_header_and_share_one_token() -> None:
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, json=token_response())
        m.get(DEALS, json={"data": [{"id": "1"}]})
        client = make_client()
        threads = [threading.Thread(target=client.get_data, args=("Deals",)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        api_calls = [r for r in m.request_history if r.url.startswith(DEALS)]
        assert len(api_calls) == 8
        assert {r.headers["Authorization"] for r in api_calls} == {"Zoho-oauthtoken 1000.tok1"}
        assert m.call_count - len(api_calls) == 1  # one refresh for all threads


def test_refresh_grant_posts_client_and_refresh_token_as_form() -> None:
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, json=token_response())
        m.get(DEALS, json={"data": []})
        make_client().get_data("Deals")
        body = m.request_history[0].text
        assert "grant_type=refresh_token" in body
        assert "refresh_token=1000.refresh-s3cr3t" in body
        assert "client_id=1000.CLIENT" in body


def test_invalid_token_401_refreshes_once_and_retries_the_same_call() -> None:
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, [{"json": token_response(1)}, {"json": token_response(2)}])
        invalid = {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}
        m.get(DEALS, [{"status_code": 401, "json": invalid}, {"json": {"data": [{"id": "7"}]}}])
        assert make_client().get_data("Deals", params={"ids": "7"}) == [{"id": "7"}]
        deals_calls = [r for r in m.request_history if r.url.startswith(DEALS)]
        assert [r.headers["Authorization"] for r in deals_calls] == [
            "Zoho-oauthtoken 1000.tok1",
            "Zoho-oauthtoken 1000.tok2",
        ]
        assert deals_calls[1].qs == {"ids": ["7"]}


def test_403_saying_token_invalid_also_refreshes() -> None:
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, [{"json": token_response(1)}, {"json": token_response(2)}])
        body = {"code": "AUTHENTICATION_FAILURE", "message": "Invalid token provided", "status": "error"}
        m.get(DEALS, [{"status_code": 403, "json": body}, {"json": {"data": [{"id": "7"}]}}])
        assert make_client().get_data("Deals") == [{"id": "7"}]


def test_token_still_invalid_after_refresh_is_an_access_error_not_a_loop() -> None:
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, json=token_response())
        invalid = {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}
        m.get(DEALS, status_code=401, json=invalid)
        with pytest.raises(ZohoAccessError, match="even after a refresh"):
            make_client().get_data("Deals")
        assert len([r for r in m.request_history if r.url.startswith(DEALS)]) == 2


def test_scope_mismatch_names_module_and_scope_without_retrying() -> None:
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, json=token_response())
        body = {"code": "OAUTH_SCOPE_MISMATCH", "details": {}, "message": "invalid oauth scope", "status": "error"}
        m.get(DEALS, status_code=401, json=body)
        with pytest.raises(ZohoAccessError) as err:
            make_client().get_data("Deals", module="Deals")
        assert "Deals" in str(err.value) and "ZohoCRM.modules" in str(err.value)
        assert len([r for r in m.request_history if r.url.startswith(DEALS)]) == 1


def test_no_permission_names_module() -> None:
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, json=token_response())
        body = {"code": "NO_PERMISSION", "details": {"permissions": ["Crm_Implied_View_Deals"]}, "message": "x"}
        m.get(DEALS, status_code=403, json=body)
        with pytest.raises(ZohoAccessError, match="no permission to read Deals"):
            make_client().get_data("Deals", module="Deals")


@pytest.mark.parametrize(
    "payload,status,expected",
    [
        ({"error": "invalid_client"}, 200, "client_id and client_secret"),
        ({"error": "invalid_code"}, 200, "rejected the refresh token"),
        (
            {
                "error": "Access Denied",
                "error_description": "You have made too many requests continuously. Please try again after some time.",
                "status": "failure",
            },
            200,
            "at most 10 per refresh token",
        ),
        ({"error": "Access Denied", "status": "failure"}, 400, "at most 10 per refresh token"),
    ],
)
def test_token_endpoint_errors_become_clear_auth_errors(payload: dict, status: int, expected: str) -> None:
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, json=payload, status_code=status)
        with pytest.raises(ZohoAuthError, match=expected) as err:
            make_client().get_data("Deals")
        assert "s3cr3t" not in str(err.value)


def test_token_is_renewed_before_it_expires() -> None:
    with requests_mock.Mocker() as m:
        m.post(TOKEN_URL, [{"json": token_response(1, expires_in=0)}, {"json": token_response(2)}])
        m.get(DEALS, json={"data": []})
        client = make_client()
        client.get_data("Deals")
        client.get_data("Deals")
        assert [r.headers["Authorization"] for r in m.request_history if r.url.startswith(DEALS)] == [
            "Zoho-oauthtoken 1000.tok1",
            "Zoho-oauthtoken 1000.tok2",
        ]


def test_unreachable_accounts_server_is_a_connection_error() -> None:
    auth = ZohoOAuth(access_token_url="http://127.0.0.1:9/oauth/v2/token", **CREDS)
    with pytest.raises(ZohoConnectionError, match="cannot reach the Zoho accounts server"):
        auth.current_token()
