"""Settings endpoints: org, roles, profiles, territories, currencies, layouts, pipeline, tags (issue 11, item 4)."""

from __future__ import annotations

from typing import Any

import pytest

from zoho_emulator.config import DEFAULT_SCOPES
from zoho_emulator.org_settings import PIPELINE_BY_NAME

# (path, params, call kind, scope name: None = org)
ENDPOINTS = [
    ("/crm/v7/org", {}, "org_meta", None),
    ("/crm/v7/settings/roles", {}, "roles_meta", "roles"),
    ("/crm/v7/settings/profiles", {}, "profiles_meta", "profiles"),
    ("/crm/v7/settings/territories", {}, "territories_meta", "territories"),
    ("/crm/v7/org/currencies", {}, "currencies_meta", "currencies"),
    ("/crm/v7/settings/layouts", {"module": "Deals"}, "layouts_meta", "layouts"),
    ("/crm/v7/settings/pipeline", {"layout_id": "DEALS"}, "pipeline_meta", "pipeline"),
    ("/crm/v7/settings/tags", {"module": "Leads"}, "tags_meta", "tags"),
]
ROOT_KEYS = {"org_meta": "org", "roles_meta": "roles", "profiles_meta": "profiles", "territories_meta": "territories",
             "currencies_meta": "currencies", "layouts_meta": "layouts", "pipeline_meta": "pipeline",
             "tags_meta": "tags"}
BASE_SCOPES = ("ZohoCRM.modules.READ", "ZohoCRM.settings.modules.READ")


def resolve(emu: Any, params: dict[str, str]) -> dict[str, str]:
    """Fill the Deals layout id into ``params``."""
    return {k: (str(emu.store.layout_id("Deals")) if v == "DEALS" else v) for k, v in params.items()}


def test_settings_endpoints_cost_one_credit_under_their_own_call_kind(api: Any) -> None:
    for path, params, kind, _ in ENDPOINTS:
        r = api.get(path, resolve(api.emu, params))
        assert r.status_code == 200, (path, r.text)
        assert next(iter(r.json())) == ROOT_KEYS[kind]
    stats = api.emu.stats()
    kinds = [kind for _, _, kind, _ in ENDPOINTS]
    assert {k: stats["calls"][k] for k in kinds} == dict.fromkeys(kinds, 1)
    assert {k: stats["credits"][k] for k in kinds} == dict.fromkeys(kinds, 1)
    assert [r["kind"] for r in api.emu.requests if r["kind"] != "token"] == kinds


def test_default_scopes_grant_every_settings_read_scope() -> None:
    for name in ("roles", "profiles", "territories", "currencies", "layouts", "pipeline", "tags"):
        assert f"ZohoCRM.settings.{name}.READ" in DEFAULT_SCOPES
    assert "ZohoCRM.org.READ" in DEFAULT_SCOPES


@pytest.mark.parametrize(("path", "params", "kind", "scope"), ENDPOINTS, ids=[e[2] for e in ENDPOINTS])
def test_settings_endpoint_needs_its_scope(factory: Any, path: str, params: dict[str, str], kind: str,
                                           scope: str | None) -> None:
    read = f"ZohoCRM.settings.{scope}.READ" if scope else "ZohoCRM.org.READ"
    every = read.replace(".READ", ".ALL")
    variants = [((), 401), ((read,), 200), ((every,), 200), (("ZohoCRM.settings.ALL",), 401 if scope is None else 200)]
    for extra, status in variants:
        emu, api = factory(scopes=BASE_SCOPES + extra)
        r = api.get(path, resolve(emu, params))
        assert r.status_code == status, (extra, r.text)
        if status == 401:
            assert r.json()["code"] == "OAUTH_SCOPE_MISMATCH"
        emu.stop()


def test_org_describes_the_home_currency_and_multi_currency_status(api: Any, factory: Any) -> None:
    org = api.get("/crm/v7/org").json()["org"][0]
    assert (org["iso_code"], org["currency_symbol"], org["mc_status"]) == ("INR", "₹", True)
    assert org["primary_email"] == api.emu.users()[0]["email"] and org["time_zone"] == "Asia/Kolkata"
    _emu, single = factory(multi_currency=False)
    assert single.get("/crm/v7/org").json()["org"][0]["mc_status"] is False


def test_users_roles_and_profiles_exist_in_their_settings_tables(api: Any) -> None:
    roles = {r["id"]: r for r in api.get("/crm/v7/settings/roles").json()["roles"]}
    profiles = {p["id"]: p for p in api.get("/crm/v7/settings/profiles").json()["profiles"]}
    for user in api.emu.users():
        assert roles[user["role"]["id"]]["name"] == user["role"]["name"]
        assert profiles[user["profile"]["id"]]["name"] == user["profile"]["name"]
    for role in roles.values():
        assert role["reporting_to"] is None or role["reporting_to"]["id"] in roles


def test_territories_page_and_hold_every_territory_records_use(api: Any) -> None:
    first = api.get("/crm/v7/settings/territories", {"per_page": 3}).json()
    assert first["info"] == {"per_page": 3, "count": 3, "page": 1, "more_records": True}
    second = api.get("/crm/v7/settings/territories", {"per_page": 3, "page": 2}).json()
    assert second["info"]["more_records"] is False and second["info"]["count"] == 1
    assert api.get("/crm/v7/settings/territories", {"per_page": 3, "page": 3}).status_code == 204
    ids = {t["id"] for t in first["territories"] + second["territories"]}
    used = {t["id"] for m, f in (("Accounts", "Territories"), ("Contacts", "Territories"), ("Deals", "Territory"))
            for r in api.emu.records(m) for t in r[f]}
    assert used and used <= ids


def test_accounts_territory_follows_its_billing_country(api: Any) -> None:
    rules = {t["name"]: t["account_rule_criteria"] for t in
             api.get("/crm/v7/settings/territories").json()["territories"]}
    for account in api.emu.records("Accounts"):
        for t in account["Territories"]:
            rule = rules[t["Name"]]
            countries = [leaf["value"] for leaf in rule.get("group", [rule])]
            assert account["Billing_Country"] in countries


def test_territory_management_off_removes_the_feature(factory: Any) -> None:
    emu, api = factory(territories_enabled=False)
    r = api.get("/crm/v7/settings/territories")
    assert r.status_code == 400 and r.json()["code"] == "FEATURE_NOT_ENABLED"
    assert emu.stats()["credits"].get("territories_meta", 0) == 0
    for module, field in (("Accounts", "Territories"), ("Contacts", "Territories"), ("Deals", "Territory")):
        names = [f["api_name"] for f in api.get("/crm/v7/settings/fields", {"module": module}).json()["fields"]]
        assert field not in names and field not in emu.records(module)[0]
    _emu2, api2 = factory(territories_enabled=False, territories_disabled_error=(204, "-"))
    assert api2.get("/crm/v7/settings/territories").status_code == 204


def test_currencies_cover_every_record_currency(api: Any) -> None:
    currencies = {c["iso_code"]: c for c in api.get("/crm/v7/org/currencies").json()["currencies"]}
    assert [c for c in currencies.values() if c["is_base"]] == [currencies["INR"]]
    seen = set()
    for module in ("Deals", "Quotes", "Products", "Vehicles"):
        for r in api.emu.records(module):
            assert currencies[r["Currency"]]["is_active"]
            assert float(currencies[r["Currency"]]["exchange_rate"]) == r["Exchange_Rate"]
            assert r["$currency_symbol"] == currencies[r["Currency"]]["symbol"]
            seen.add(r["Currency"])
    assert {"INR", "USD"} <= seen


def test_single_currency_org_has_no_currencies_endpoint_or_currency_fields(factory: Any) -> None:
    emu, api = factory(multi_currency=False)
    r = api.get("/crm/v7/org/currencies")
    assert r.status_code == 403 and r.json() == {"code": "CURRENCIES_NOT_ENABLED", "details": {},
                                                 "message": "Multi currency is not enabled", "status": "error"}
    names = [f["api_name"] for f in api.get("/crm/v7/settings/fields", {"module": "Deals"}).json()["fields"]]
    assert "Currency" not in names and "Exchange_Rate" not in names
    assert {r["$currency_symbol"] for r in emu.records("Deals")} == {"₹"}


def test_layouts_are_the_layout_records_point_at(api: Any) -> None:
    for module in ("Leads", "Deals", "Quotes", "DealHistory", "Subform_1"):
        layouts = api.get("/crm/v7/settings/layouts", {"module": module}).json()["layouts"]
        assert [lay["id"] for lay in layouts] == [str(api.emu.store.layout_id(module))]
        names = [f["api_name"] for s in layouts[0]["sections"] for f in s["fields"]]
        assert names == [f["api_name"] for f in api.get("/crm/v7/settings/fields", {"module": module}).json()["fields"]]
    deals = api.get("/crm/v7/settings/layouts", {"module": "Deals"}).json()["layouts"][0]
    assert {r["Layout"]["id"] for r in api.emu.records("Deals")} == {deals["id"]}


def test_layout_tags_and_pipeline_parameter_errors(api: Any) -> None:
    def err(path: str, params: dict[str, str] | None = None) -> tuple[int, str, dict[str, Any]]:
        r = api.get(path, params)
        return r.status_code, r.json()["code"], r.json()["details"]
    assert err("/crm/v7/settings/layouts") == (400, "REQUIRED_PARAM_MISSING", {"param": "module"})
    assert err("/crm/v7/settings/layouts", {"module": "Nope"})[:2] == (400, "INVALID_MODULE")
    assert err("/crm/v7/settings/tags") == (400, "REQUIRED_PARAM_MISSING", {"param": "module"})
    assert err("/crm/v7/settings/tags", {"module": "Quoted_Items"})[:2] == (400, "INVALID_MODULE")
    assert err("/crm/v7/settings/pipeline") == (400, "REQUIRED_PARAM_MISSING", {"param": "layout_id"})
    leads_layout = str(api.emu.store.layout_id("Leads"))
    assert err("/crm/v7/settings/pipeline", {"layout_id": leads_layout}) == (
        400, "INVALID_DATA", {"param_name": "layout_id"})


def test_pipelines_hold_every_deal_stage_with_its_forecast(api: Any) -> None:
    pipelines = api.get("/crm/v7/settings/pipeline", {"layout_id": str(api.emu.store.layout_id("Deals"))}).json()
    by_name = {p["display_value"]: p for p in pipelines["pipeline"]}
    assert [p["default"] for p in pipelines["pipeline"]] == [True, False]
    for p in by_name.values():
        assert [m["actual_value"] for m in p["maps"]] == list(PIPELINE_BY_NAME[p["display_value"]].stages)
        assert all("probability" not in m and m["forecast_type"] and m["forecast_category"]["id"] for m in p["maps"])
    for deal in api.emu.records("Deals"):
        assert deal["Stage"] in [m["actual_value"] for m in by_name[deal["Pipeline"]]["maps"]]
    stage_field = next(f for f in api.get("/crm/v7/settings/fields", {"module": "Deals"}).json()["fields"]
                       if f["api_name"] == "Stage")
    probabilities = {v["actual_value"]: v["probability"] for v in stage_field["pick_list_values"] if "probability" in v}
    for deal in api.emu.records("Deals"):
        assert deal["Probability"] == probabilities[deal["Stage"]]
        shared = {m["actual_value"]: m["id"] for m in by_name["Standard (Standard)"]["maps"]}
        assert all(shared[m["actual_value"]] == m["id"] for m in by_name["Renewals"]["maps"])


def test_pipeline_maps_probability_setting_adds_the_stage_probability(factory: Any) -> None:
    emu, api = factory(pipeline_maps_probability=True)
    body = api.get("/crm/v7/settings/pipeline", {"layout_id": str(emu.store.layout_id("Deals"))}).json()
    maps = {m["actual_value"]: m["probability"] for p in body["pipeline"] for m in p["maps"]}
    assert (maps["Qualification"], maps["Negotiation/Review"], maps["Closed Won"], maps["Closed Lost"]) == (
        10, 90, 100, 0)


def test_tags_of_a_module_are_the_tags_its_records_carry(api: Any) -> None:
    leads = {t["id"]: t for t in api.get("/crm/v7/settings/tags", {"module": "Leads"}).json()["tags"]}
    deals = {t["id"]: t for t in api.get("/crm/v7/settings/tags", {"module": "Deals"}).json()["tags"]}
    assert not set(leads) & set(deals)  # each module has its own tags
    for module, tags in (("Leads", leads), ("Deals", deals)):
        used = [t for r in api.emu.records(module) for t in r["Tag"]]
        assert used
        for t in used:
            assert (tags[t["id"]]["name"], tags[t["id"]]["color_code"]) == (t["name"], t["color_code"])
