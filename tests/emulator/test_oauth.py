"""Accounts server and API authentication (zoho-crm-api.md §9)."""

from __future__ import annotations

from typing import Any

import requests


def grant(emu: Any, **over: str) -> requests.Response:
    params = {
        "grant_type": "refresh_token",
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
        "refresh_token": emu.refresh_token,
        **over,
    }
    return requests.post(f"{emu.base_url}/oauth/v2/token", params=params, timeout=10)


def test_refresh_grant_via_query_string_returns_zoho_token_shape(emu: Any) -> None:
    r = grant(emu)
    assert r.status_code == 200
    body = r.json()
    assert body["access_token"].startswith("1000.")
    assert body["api_domain"] == emu.base_url
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert "ZohoCRM.modules.READ" in body["scope"].split()


def test_refresh_grant_via_form_body(emu: Any) -> None:
    data = {
        "grant_type": "refresh_token",
        "client_id": emu.client_id,
        "client_secret": emu.client_secret,
        "refresh_token": emu.refresh_token,
    }
    r = requests.post(f"{emu.base_url}/oauth/v2/token", data=data, timeout=10)
    assert r.status_code == 200 and "access_token" in r.json()


def test_wrong_client_gives_invalid_client_with_http_200(emu: Any) -> None:
    assert grant(emu, client_id="1000.NOPE").json() == {"error": "invalid_client"}
    r = grant(emu, client_secret="nope")
    assert r.status_code == 200 and r.json() == {"error": "invalid_client"}


def test_wrong_or_revoked_refresh_token_gives_invalid_code(emu: Any) -> None:
    assert grant(emu, refresh_token="1000.bad.bad").json() == {"error": "invalid_code"}
    emu.revoke_refresh_token()
    assert grant(emu).json() == {"error": "invalid_code"}


def test_unsupported_grant_type(emu: Any) -> None:
    assert grant(emu, grant_type="password").json() == {"error": "unsupported_grant_type"}


def test_credentials_derive_from_seed_and_can_be_overridden(factory: Any) -> None:
    a, _ = factory(seed=5)
    b, _ = factory(seed=5)
    c, _ = factory(seed=6, client_id="1000.MINE", client_secret="s3cret", refresh_token="1000.r.t")
    assert (a.client_id, a.client_secret, a.refresh_token) == (b.client_id, b.client_secret, b.refresh_token)
    assert (c.client_id, c.client_secret, c.refresh_token) == ("1000.MINE", "s3cret", "1000.r.t")
    assert grant(c).status_code == 200 and "access_token" in grant(c).json()


def test_refresh_throttled_after_10_in_10_minutes(emu: Any) -> None:
    for _ in range(10):
        assert "access_token" in grant(emu).json()
    r = grant(emu)
    assert r.status_code == 200
    assert r.json() == {
        "error": "Access Denied",
        "error_description": "You have made too many requests continuously. Please try again after some time.",
        "status": "failure",
    }
    emu.advance(601)
    assert "access_token" in grant(emu).json()


def test_throttle_http_status_variant(factory: Any) -> None:
    emu, _ = factory(throttle_http_status=400, refresh_limit=1)
    assert grant(emu).status_code == 200
    r = grant(emu)
    assert r.status_code == 400 and r.json()["error"] == "Access Denied"


def test_missing_or_malformed_authorization_gives_authentication_failure(api: Any) -> None:
    r = api.get("/crm/v7/Leads", {"fields": "Last_Name"}, auth=False)
    assert r.status_code == 401 and r.json()["code"] == "AUTHENTICATION_FAILURE"
    r = api.get("/crm/v7/Leads", {"fields": "Last_Name"}, auth=False, headers={"Authorization": "Token abc"})
    assert r.status_code == 401 and r.json()["code"] == "AUTHENTICATION_FAILURE"


def test_bearer_scheme_rejected_unless_configured(api: Any) -> None:
    headers = {"Authorization": f"Bearer {api.token}"}
    r = api.get("/crm/v7/Leads", {"fields": "Last_Name"}, auth=False, headers=headers)
    assert r.status_code == 401 and r.json()["code"] == "AUTHENTICATION_FAILURE"
    api.emu.config.accept_bearer = True
    assert api.get("/crm/v7/Leads", {"fields": "Last_Name"}, auth=False, headers=headers).status_code == 200


def test_unknown_token_gives_invalid_token(api: Any) -> None:
    r = api.get(
        "/crm/v7/Leads",
        {"fields": "Last_Name"},
        auth=False,
        headers={"Authorization": "Zoho-oauthtoken 1000.deadbeef.cafe"},
    )
    assert r.status_code == 401
    assert r.json() == {"code": "INVALID_TOKEN", "details": {}, "message": "invalid oauth token", "status": "error"}


def test_expired_token_gives_invalid_token(api: Any) -> None:
    assert api.get("/crm/v7/Leads", {"fields": "Last_Name"}).status_code == 200
    api.emu.advance(3601)
    r = api.get("/crm/v7/Leads", {"fields": "Last_Name"})
    assert r.status_code == 401 and r.json()["code"] == "INVALID_TOKEN"


def test_token_lifetime_setting(factory: Any) -> None:
    emu, api = factory(token_lifetime=60)
    assert grant(emu).json()["expires_in"] == 60
    api.get("/crm/v7/users")
    emu.advance(61)
    assert api.get("/crm/v7/users").json()["code"] == "INVALID_TOKEN"


def test_sixteenth_token_evicts_the_oldest(factory: Any) -> None:
    emu, api = factory(refresh_limit=100)
    tokens = [grant(emu).json()["access_token"] for _ in range(16)]
    first = api.get("/crm/v7/users", auth=False, headers={"Authorization": f"Zoho-oauthtoken {tokens[0]}"})
    second = api.get("/crm/v7/users", auth=False, headers={"Authorization": f"Zoho-oauthtoken {tokens[1]}"})
    assert first.status_code == 401 and first.json()["code"] == "INVALID_TOKEN"
    assert second.status_code == 200


def test_missing_module_scope_gives_oauth_scope_mismatch(factory: Any) -> None:
    _emu, api = factory(scopes=("ZohoCRM.settings.modules.READ", "ZohoCRM.modules.leads.READ"))
    assert api.get("/crm/v7/Leads", {"fields": "Last_Name"}).status_code == 200
    r = api.get("/crm/v7/Contacts", {"fields": "Last_Name"})
    assert r.status_code == 401 and r.json()["code"] == "OAUTH_SCOPE_MISMATCH"
    assert api.get("/crm/v7/settings/fields", {"module": "Leads"}).json()["code"] == "OAUTH_SCOPE_MISMATCH"
    assert api.get("/crm/v7/users").json()["code"] == "OAUTH_SCOPE_MISMATCH"


def test_no_permission_module_gives_403(factory: Any) -> None:
    _emu, api = factory(no_permission_modules={"Deals"})
    r = api.get("/crm/v7/Deals", {"fields": "Deal_Name"})
    assert r.status_code == 403 and r.json()["code"] == "NO_PERMISSION"
    assert r.json()["details"]["permissions"]
