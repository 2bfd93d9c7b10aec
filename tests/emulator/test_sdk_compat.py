"""The emulator checked by a client nobody here wrote: Zoho's official Python SDK for API v7 (``zohocrmsdk7-0``).

The SDK talks to an in-process emulator over real HTTP (its ``Environment`` API and accounts URLs point at it) and
deserialises every answer into its typed classes. Each test asserts the SDK's success wrapper (not an APIException,
not a swallowed SDKException) and compares parsed values with the emulator's own data for a sample.

The one place where the SDK and Zoho's documentation disagree (the users ``type`` values) is an xfail with the reason;
see "Checked by Zoho's official SDK" in zoho_emulator/README.md.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import zohocrmsdk.src.com.zoho.crm.api.bulk_read as bulk_read
import zohocrmsdk.src.com.zoho.crm.api.currencies as currencies
import zohocrmsdk.src.com.zoho.crm.api.fields as fields
import zohocrmsdk.src.com.zoho.crm.api.layouts as layouts
import zohocrmsdk.src.com.zoho.crm.api.modules as modules
import zohocrmsdk.src.com.zoho.crm.api.org as org
import zohocrmsdk.src.com.zoho.crm.api.pipeline as pipeline
import zohocrmsdk.src.com.zoho.crm.api.profiles as profiles
import zohocrmsdk.src.com.zoho.crm.api.record as record
import zohocrmsdk.src.com.zoho.crm.api.roles as roles
import zohocrmsdk.src.com.zoho.crm.api.tags as tags
import zohocrmsdk.src.com.zoho.crm.api.territories as territories
import zohocrmsdk.src.com.zoho.crm.api.users as users
from zohocrmsdk.src.com.zoho.crm.api import HeaderMap, ParameterMap
from zohocrmsdk.src.com.zoho.crm.api.exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.util import Choice

from zoho_emulator import EmulatorConfig, ZohoEmulator
from zoho_emulator.org_settings import PIPELINE_BY_NAME

from .conftest import START, Api
from .sdk_harness import SdkSession, choice, success, type_mismatches

STANDARD_MODULES = ("Accounts", "Calls", "Campaigns", "Cases", "Contacts", "Deals", "Events", "Invoices", "Leads",
                    "Price_Books", "Products", "Purchase_Orders", "Quotes", "Sales_Orders", "Solutions", "Tasks",
                    "Vendors")
LEADS = 2500


@pytest.fixture(scope="module")
def emu() -> Iterator[ZohoEmulator]:
    """One emulator for the module: 2,500 leads so that Get Records needs page_token."""
    e = ZohoEmulator(EmulatorConfig(start_time=START, records_per_module={"Leads": LEADS}, bulk_delay=30)).start()
    yield e
    e.stop()


@pytest.fixture(scope="module")
def sdk(emu: ZohoEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SdkSession]:
    """The SDK initialised against ``emu`` (token store, field cache and logs in a temporary directory)."""
    session = SdkSession(emu, tmp_path_factory.mktemp("zoho-sdk"))
    yield session
    session.close()


@pytest.fixture(scope="module")
def raw(emu: ZohoEmulator) -> Api:
    """Plain HTTP client on ``emu`` (one access token for the module: refreshes are throttled)."""
    return Api(emu)


def params(**values: Any) -> ParameterMap:
    """A ParameterMap from ``Param`` objects given by name on ``values['cls']``."""
    cls = values.pop("cls")
    pm = ParameterMap()
    for name, value in values.items():
        pm.add(getattr(cls, name), value)
    return pm


def parsed_time(value: str) -> datetime:
    """An emulator datetime string as the aware datetime the SDK compares with."""
    return datetime.fromisoformat(value)


def by_id(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Emulator rows keyed by integer id (the SDK parses ids as int)."""
    return {int(r["id"]): r for r in rows}


# --- every key with the JSON type the SDK declares -----------------------------------------------------------------
TYPED_ANSWERS = [
    ("/crm/v7/org", {}, "org.ResponseWrapper"),
    ("/crm/v7/settings/modules", {}, "modules.ResponseWrapper"),
    ("/crm/v7/settings/modules/Deals", {}, "modules.ResponseWrapper"),
    *[("/crm/v7/settings/fields", {"module": m}, "fields.ResponseWrapper") for m in (*STANDARD_MODULES, "DealHistory")],
    ("/crm/v7/users", {}, "users.ResponseWrapper"),
    ("/crm/v7/settings/roles", {}, "roles.ResponseWrapper"),
    ("/crm/v7/settings/profiles", {}, "profiles.ResponseWrapper"),
    ("/crm/v7/settings/territories", {}, "territories.ResponseWrapper"),
    ("/crm/v7/org/currencies", {}, "currencies.ResponseWrapper"),
    ("/crm/v7/settings/tags", {"module": "Deals"}, "tags.ResponseWrapper"),
    ("/crm/v7/settings/layouts", {"module": "Deals"}, "layouts.ResponseWrapper"),
    ("/crm/v7/settings/layouts", {"module": "Quotes"}, "layouts.ResponseWrapper"),
    ("/crm/v7/settings/pipeline", {"layout_id": "DEALS"}, "pipeline.ResponseWrapper"),
    ("/crm/v7/Leads", {"fields": "Last_Name,Owner"}, "record.ResponseWrapper"),
    ("/crm/v7/DealHistory/deleted", {}, "record.DeletedRecordsWrapper"),
    ("/crm/v7/Leads/deleted", {}, "record.DeletedRecordsWrapper"),
]


@pytest.mark.parametrize(("path", "query", "wrapper"), TYPED_ANSWERS,
                         ids=[f"{p}?{','.join(q.values())}" for p, q, _ in TYPED_ANSWERS])
def test_every_key_has_the_json_type_the_sdk_declares(raw: Api, sdk: SdkSession, emu: ZohoEmulator, path: str,
                                                       query: dict[str, str], wrapper: str) -> None:
    query = {k: str(emu.store.layout_id("Deals")) if v == "DEALS" else v for k, v in query.items()}
    if path.startswith("/crm/v7/DealHistory/deleted") and not emu.deleted("DealHistory"):
        emu.delete("Deals", 1)  # history rows are deleted along with their deal
    r = raw.get(path, query)
    assert r.status_code == 200, r.text
    assert type_mismatches(r.json(), wrapper) == []


def test_type_check_catches_a_wrong_type(sdk: SdkSession) -> None:
    assert type_mismatches({"org": [{"mc_status": "false", "license_details": []}]}, "org.ResponseWrapper") == [
        "$.org[0].mc_status: 'false' is not a Boolean", "$.org[0].license_details: list where "
        "zohocrmsdk.src.com.zoho.crm.api.org.LicenseDetails is declared"]


def test_bulk_read_answers_have_the_json_types_the_sdk_declares(raw: Api, sdk: SdkSession, emu: ZohoEmulator) -> None:
    created = raw.post("/crm/bulk/v7/read", {"query": {"module": {"api_name": "Leads"}, "fields": ["Last_Name"]}})
    assert created.status_code == 201 and type_mismatches(created.json(), "bulk_read.ActionWrapper") == []
    emu.advance(60)
    status = raw.get(f"/crm/bulk/v7/read/{created.json()['data'][0]['details']['id']}").json()
    assert status["data"][0]["state"] == "COMPLETED" and type_mismatches(status, "bulk_read.ResponseWrapper") == []


# --- token step, org, modules, fields -------------------------------------------------------------------------------
def test_token_step_identifies_the_current_user_and_the_org(sdk: SdkSession, emu: ZohoEmulator) -> None:
    # Initializer.initialize refreshed the token, then read /users?type=CurrentUser and /org to name the token
    rows = sdk.token_rows()
    org_id = success(org.OrgOperations().get_organization(), org.ResponseWrapper).get_org()[0].get_zgid()
    admin = emu.users()[0]
    assert len(rows) == 1 and rows[0][1] == f"{admin['email']}:{org_id}"
    assert rows[0][4] == emu.refresh_token and rows[0][5]
    paths = [(r["path"], r["params"].get("type")) for r in emu.requests]
    first_user_call = paths.index(("/crm/v7/users", "CurrentUser"))
    assert paths[first_user_call - 1:first_user_call + 2] == [
        ("/oauth/v2/token", None), ("/crm/v7/users", "CurrentUser"), ("/crm/v7/org", None)]


def test_organization_parses_with_home_currency_and_time_zone(raw: Api, sdk: SdkSession, emu: ZohoEmulator) -> None:
    body = raw.get("/crm/v7/org").json()["org"][0]
    o = success(org.OrgOperations().get_organization(), org.ResponseWrapper).get_org()[0]
    assert (str(o.get_id()), o.get_company_name(), o.get_iso_code(), o.get_currency()) == (
        body["id"], "Zylker Corp", "INR", "Indian Rupee - INR")
    assert o.get_time_zone() == "Asia/Kolkata" and o.get_mc_status() is True
    assert o.get_primary_email() == emu.users()[0]["email"]
    assert o.get_license_details().get_paid_type() == "enterprise"
    assert choice(o.get_hierarchy_preferences().get_type()) == "Role_Hierarchy"


def test_modules_list_every_api_module_and_dealhistory_as_field_tracker(sdk: SdkSession, emu: ZohoEmulator) -> None:
    mods = success(modules.ModulesOperations().get_modules(), modules.ResponseWrapper).get_modules()
    got = {m.get_api_name(): m for m in mods}
    assert set(got) == set(emu.store.mdefs)
    assert choice(got["DealHistory"].get_generated_type()) == "field_tracker"
    assert got["DealHistory"].get_api_supported() is True
    assert {n for n, m in got.items() if choice(m.get_generated_type()) == "default" and m.get_api_supported()} \
        >= set(STANDARD_MODULES)


@pytest.mark.parametrize("module", STANDARD_MODULES)
def test_field_metadata_of_every_standard_module_parses(sdk: SdkSession, emu: ZohoEmulator, module: str) -> None:
    res = success(fields.FieldsOperations().get_fields(params(cls=fields.GetFieldsParam, module=module)),
                  fields.ResponseWrapper)
    got = {f.get_api_name(): f for f in res.get_fields()}
    mdef = emu.store.mdefs[module]
    assert list(got) == [f.api_name for f in mdef.fields]
    for f in mdef.fields:
        assert got[f.api_name].get_data_type() == f.data_type and got[f.api_name].get_json_type() == f.json_type
        assert got[f.api_name].get_id() == emu.store.meta_id(f"field:{module}:{f.api_name}")


def test_deal_stage_metadata_carries_history_tracking_and_stage_probabilities(sdk: SdkSession) -> None:
    res = success(fields.FieldsOperations().get_fields(params(cls=fields.GetFieldsParam, module="Deals")),
                  fields.ResponseWrapper)
    stage = next(f for f in res.get_fields() if f.get_api_name() == "Stage")
    tracker = stage.get_history_tracking().get_module()
    assert (tracker.get_api_name(), tracker.get_module_name()) == ("DealHistory", "DealHistory")
    assert stage.get_history_tracking().get_duration_configured_field().get_api_name() == "Duration"
    picks = {choice(p.get_actual_value()): p for p in stage.get_pick_list_values()}
    assert (picks["Qualification"].get_probability(), picks["Closed Won"].get_probability()) == (10, 100)
    assert picks["Closed Won"].get_forecast_type() == "Closed Won"
    assert picks["Closed Lost"].get_forecast_category().get_name() == "Omitted"


# --- records ---------------------------------------------------------------------------------------------------------
def test_get_records_follows_page_token_past_2000_records(sdk: SdkSession, emu: ZohoEmulator) -> None:
    ops = record.RecordOperations("Leads")
    seen: list[record.Record] = []
    token = None
    calls = 0
    while True:
        pm = params(cls=record.GetRecordsParam, fields="Last_Name,Email,Lead_Status,Modified_Time,Owner",
                    converted="both", approved="both", per_page=200)
        if token:
            pm.add(record.GetRecordsParam.page_token, token)
        res = success(ops.get_records(pm), record.ResponseWrapper)
        calls += 1
        seen.extend(res.get_data())
        info = res.get_info()
        if not info.get_more_records():
            break
        token = info.get_next_page_token()
    assert calls == 13 and len(seen) == LEADS
    expected = by_id(emu.records("Leads"))
    assert {r.get_id() for r in seen} == set(expected)
    for rec in seen[::250]:
        want = expected[rec.get_id()]
        assert rec.get_key_value("Last_Name") == want["Last_Name"] and rec.get_key_value("Email") == want["Email"]
        assert choice(rec.get_key_value("Lead_Status")) == want["Lead_Status"]
        assert rec.get_key_value("Modified_Time") == parsed_time(want["Modified_Time"])
        assert str(rec.get_key_value("Owner").get_id()) == want["Owner"]["id"]


def test_records_by_ids_carry_line_items_subforms_and_multi_select_lookups(sdk: SdkSession, emu: ZohoEmulator) -> None:
    for module, field in (("Quotes", "Quoted_Items"), ("Accounts", "Subform_1"), ("Deals", "Associated_Contacts")):
        expected = by_id(emu.records(module))
        ids = sorted(expected)[:5]
        res = success(record.RecordOperations(module).get_records(
            params(cls=record.GetRecordsParam, ids=",".join(map(str, ids)))), record.ResponseWrapper)
        assert [r.get_id() for r in res.get_data()] == ids
        for rec in res.get_data():
            rows = rec.get_key_value(field) or []
            want = expected[rec.get_id()][field]
            assert [row.get_id() for row in rows] == [int(w["id"]) for w in want]
    quote_id = sorted(by_id(emu.records("Quotes")))[0]
    quote = success(record.RecordOperations("Quotes").get_records(
        params(cls=record.GetRecordsParam, ids=str(quote_id))), record.ResponseWrapper).get_data()[0]
    _assert_line_items(quote, by_id(emu.records("Quotes"))[quote_id])


def test_single_record_has_line_items_and_subform_rows(sdk: SdkSession, emu: ZohoEmulator) -> None:
    quotes = by_id(emu.records("Quotes"))
    qid = sorted(quotes)[1]
    quote = success(record.RecordOperations("Quotes").get_record(qid), record.ResponseWrapper).get_data()[0]
    _assert_line_items(quote, quotes[qid])
    accounts = by_id(emu.records("Accounts"))
    aid = next(i for i in sorted(accounts) if accounts[i]["Subform_1"])
    account = success(record.RecordOperations("Accounts").get_record(aid), record.ResponseWrapper).get_data()[0]
    rows = account.get_key_value("Subform_1")
    assert [(r.get_key_value("Skill"), choice(r.get_key_value("Proficiency"))) for r in rows] == [
        (w["Skill"], w["Proficiency"]) for w in accounts[aid]["Subform_1"]]
    assert [t.get_name() for t in account.get_key_value("Territories")] == [
        t["Name"] for t in accounts[aid]["Territories"]]


def _assert_line_items(quote: record.Record, want: dict[str, Any]) -> None:
    items = quote.get_key_value("Quoted_Items")
    assert len(items) == len(want["Quoted_Items"]) > 0
    for item, w in zip(items, want["Quoted_Items"], strict=True):
        product = item.get_key_value("Product_Name")
        assert isinstance(product, record.LineItemProduct)  # typed through associated_module.module
        assert (str(product.get_id()), product.get_name()) == (w["Product_Name"]["id"], w["Product_Name"]["name"])
        assert (item.get_key_value("Quantity"), item.get_key_value("Net_Total")) == (w["Quantity"], w["Net_Total"])
        assert [t.get_value() for t in item.get_key_value("Line_Tax") or []] == [t["value"] for t in w["Line_Tax"]]
    assert quote.get_key_value("Sub_Total") == want["Sub_Total"]


def test_deleted_records_parse(sdk: SdkSession, emu: ZohoEmulator) -> None:
    emu.delete("Contacts", 1)
    emu.delete("Contacts", 1, permanent=True)
    res = success(record.RecordOperations("Contacts").get_deleted_records(
        params(cls=record.GetDeletedRecordsParam, type="all")), record.DeletedRecordsWrapper)
    expected = emu.deleted("Contacts")
    assert [(str(d.get_id()), choice(d.get_type())) for d in res.get_data()] == [
        (e["id"], e["type"]) for e in expected]
    assert res.get_data()[0].get_deleted_time() == parsed_time(expected[0]["deleted_time"])


# --- users, roles, profiles, territories, currencies, tags, layouts, pipelines ---------------------------------------
def test_users_reference_roles_and_profiles_that_exist(sdk: SdkSession, emu: ZohoEmulator) -> None:
    res = success(users.UsersOperations().get_users(params(cls=users.GetUsersParam, type=Choice("ActiveUsers"))),
                  users.ResponseWrapper)
    active = [u for u in emu.users() if u["status"] == "active"]
    assert [str(u.get_id()) for u in res.get_users()] == [u["id"] for u in active]
    role_ids = {r.get_id() for r in success(roles.RolesOperations().get_roles(), roles.ResponseWrapper).get_roles()}
    profile_ids = {p.get_id() for p in success(profiles.ProfilesOperations().get_profiles(),
                                                 profiles.ResponseWrapper).get_profiles()}
    for u in res.get_users():
        assert u.get_role().get_id() in role_ids and u.get_profile().get_id() in profile_ids


@pytest.mark.xfail(strict=True, raises=SDKException, reason=(
    "SDK 6.0.0 accepts only 6 users `type` values (its GetUsersParam enum = the v8 OAS enum) and refuses AllUsers "
    "client-side; Zoho's v7 docs list AllUsers (reference §12). The emulator follows the docs."))
def test_all_users_type_through_the_sdk(sdk: SdkSession, emu: ZohoEmulator) -> None:
    res = users.UsersOperations().get_users(params(cls=users.GetUsersParam, type=Choice("AllUsers")))
    success(res, users.ResponseWrapper)


def test_all_users_type_is_answered_by_the_emulator(raw: Api, emu: ZohoEmulator) -> None:
    # the documented value the SDK refuses (see the xfail above) still works over plain HTTP
    body = raw.get("/crm/v7/users", {"type": "AllUsers"}).json()
    assert [u["id"] for u in body["users"]] == [u["id"] for u in emu.users() if u["status"] != "deleted"]


def test_roles_form_a_hierarchy_with_the_users_roles(raw: Api, sdk: SdkSession, emu: ZohoEmulator) -> None:
    got = success(roles.RolesOperations().get_roles(), roles.ResponseWrapper).get_roles()
    by_name = {r.get_name(): r for r in got}
    assert {u["role"]["name"] for u in emu.users()} <= set(by_name)
    assert by_name["CEO"].get_reporting_to() is None
    assert by_name["Sales Rep"].get_reporting_to().get_id() == by_name["Manager"].get_id()
    assert by_name["CEO"].get_created_time__s() == parsed_time(raw.get(
        "/crm/v7/settings/roles").json()["roles"][0]["created_time__s"])


def test_profiles_parse_with_their_permissions(sdk: SdkSession, emu: ZohoEmulator) -> None:
    got = success(profiles.ProfilesOperations().get_profiles(), profiles.ResponseWrapper).get_profiles()
    assert {str(p.get_id()): p.get_name() for p in got} == {u["profile"]["id"]: u["profile"]["name"]
                                                           for u in emu.users()}
    admin = next(p for p in got if p.get_name() == "Administrator")
    assert all(d.get_enabled() for d in admin.get_permissions_details())


def test_territories_parse_and_hold_the_records_territories(sdk: SdkSession, emu: ZohoEmulator) -> None:
    res = success(territories.TerritoriesOperations().get_territories(), territories.ResponseWrapper)
    got = {str(t.get_id()): t for t in res.get_territories()}
    assert res.get_info().get_count() == len(got) == 4 and res.get_info().get_more_records() is False
    root = next(t for t in got.values() if t.get_reporting_to() is None)
    assert all(t.get_reporting_to().get_id() == root.get_id() for t in got.values() if t is not root)
    europe = next(t for t in got.values() if t.get_name() == "Europe")
    assert {g.get_value() for g in europe.get_account_rule_criteria().get_group()} == {
        "Germany", "United Kingdom", "France", "Switzerland"}
    used = {t["id"] for m, f in (("Accounts", "Territories"), ("Contacts", "Territories"), ("Deals", "Territory"))
            for r in emu.records(m) for t in r[f]}
    assert used and used <= set(got)


def test_currencies_parse_and_cover_every_record_currency(sdk: SdkSession, emu: ZohoEmulator) -> None:
    got = success(currencies.CurrenciesOperations().get_currencies(), currencies.ResponseWrapper).get_currencies()
    by_code = {c.get_iso_code(): c for c in got}
    assert [c for c, cur in by_code.items() if cur.get_is_base()] == ["INR"]
    for module in ("Deals", "Accounts", "Products"):
        for r in emu.records(module):
            cur = by_code[r["Currency"]]
            assert cur.get_is_active() and float(cur.get_exchange_rate()) == r["Exchange_Rate"]


def test_tags_of_a_module_are_the_tags_on_its_records(sdk: SdkSession, emu: ZohoEmulator) -> None:
    for module in ("Leads", "Deals"):
        res = success(tags.TagsOperations().get_tags(params(cls=tags.GetTagsParam, module=module)),
                      tags.ResponseWrapper)
        got = {(t.get_id(), t.get_name(), choice(t.get_color_code())) for t in res.get_tags()}
        used = {(int(t["id"]), t["name"], t["color_code"]) for r in emu.records(module) for t in r["Tag"]}
        assert used and used <= got and res.get_info().get_count() == len(got)


def test_layouts_parse_and_are_the_layout_of_the_records(sdk: SdkSession, emu: ZohoEmulator) -> None:
    for module in ("Deals", "Leads", "DealHistory"):
        got = success(layouts.LayoutsOperations().get_layouts(params(cls=layouts.GetLayoutsParam, module=module)),
                      layouts.ResponseWrapper).get_layouts()
        assert [lay.get_id() for lay in got] == [emu.store.layout_id(module)]
        section_fields = [f.get_api_name() for s in got[0].get_sections() for f in s.get_fields()]
        assert section_fields == [f.api_name for f in emu.store.mdefs[module].fields]
    assert {int(r["Layout"]["id"]) for r in emu.records("Deals")} == {emu.store.layout_id("Deals")}


def test_pipelines_parse_and_hold_every_deal_stage(sdk: SdkSession, emu: ZohoEmulator) -> None:
    layout_id = emu.store.layout_id("Deals")
    got = success(pipeline.PipelineOperations(layout_id).get_pipelines(), pipeline.ResponseWrapper).get_pipeline()
    stages = {p.get_display_value(): [m.get_actual_value() for m in p.get_maps()] for p in got}
    assert {p.get_display_value(): p.get_default() for p in got} == {"Standard (Standard)": True, "Renewals": False}
    for p in got:
        assert [m.get_sequence_number() for m in p.get_maps()] == list(range(1, len(p.get_maps()) + 1))
        assert all(m.get_forecast_type() and m.get_forecast_category().get_name() for m in p.get_maps())
    for deal in emu.records("Deals"):
        assert deal["Stage"] in stages[deal["Pipeline"]] == list(PIPELINE_BY_NAME[deal["Pipeline"]].stages)


# --- DealHistory ---------------------------------------------------------------------------------------------------
def test_deal_history_reads_like_any_module(sdk: SdkSession, emu: ZohoEmulator) -> None:
    ops = record.RecordOperations("DealHistory")
    res = success(ops.get_records(params(cls=record.GetRecordsParam, fields="Stage,Deal_Name,Duration,Moved_To",
                                         sort_by="Modified_Time", sort_order="asc")),
                  record.ResponseWrapper)
    expected = by_id(emu.records("DealHistory"))
    assert {r.get_id() for r in res.get_data()} <= set(expected) and res.get_data()
    sample = res.get_data()[0]
    assert choice(sample.get_key_value("Stage")) == expected[sample.get_id()]["Stage"]
    deal_ref = sample.get_key_value("Deal_Name")
    assert str(deal_ref.get_id()) == expected[sample.get_id()]["Deal_Name"]["id"]
    one = success(ops.get_record(sample.get_id()), record.ResponseWrapper).get_data()[0]
    assert one.get_key_value("Modified_Time") == parsed_time(expected[sample.get_id()]["Modified_Time"])
    ids = sorted(expected)[:3]
    batch = success(ops.get_records(params(cls=record.GetRecordsParam, ids=",".join(map(str, ids)))),
                    record.ResponseWrapper)
    assert [r.get_id() for r in batch.get_data()] == ids


def test_deal_history_follows_stage_changes_and_deletions(sdk: SdkSession, emu: ZohoEmulator) -> None:
    deal_id = sorted(emu.record_ids("Deals"))[-1]
    emu.advance(60)
    since = emu.now().isoformat()
    emu.advance(60)
    emu.touch("Deals", ids=[deal_id], field="Stage")
    hm = HeaderMap()
    hm.add(record.GetRecordsHeader.if_modified_since, datetime.fromisoformat(since))
    res = success(record.RecordOperations("DealHistory").get_records(
        params(cls=record.GetRecordsParam, fields="Stage,Deal_Name,Moved_To,Duration"), hm), record.ResponseWrapper)
    rows = sorted(res.get_data(), key=lambda r: r.get_id())
    assert [str(r.get_key_value("Deal_Name").get_id()) for r in rows] == [deal_id, deal_id]
    closed, current = rows
    deal = next(d for d in emu.records("Deals") if d["id"] == deal_id)
    assert choice(closed.get_key_value("Moved_To")) == choice(current.get_key_value("Stage")) == deal["Stage"]
    assert current.get_key_value("Moved_To") is None
    emu.delete("Deals", ids=[deal_id])
    gone = success(record.RecordOperations("DealHistory").get_deleted_records(), record.DeletedRecordsWrapper)
    history_ids = {r["id"] for r in emu.deleted("DealHistory")}
    assert {str(d.get_id()) for d in gone.get_data()} == history_ids >= {str(r.get_id()) for r in rows}


# --- Bulk Read -------------------------------------------------------------------------------------------------------
def test_bulk_read_job_is_created_polled_and_downloaded_as_csv(sdk: SdkSession, emu: ZohoEmulator) -> None:
    ops = bulk_read.BulkReadOperations()
    query = bulk_read.Query()
    module = modules.MinifiedModule()
    module.set_api_name("Deals")
    query.set_module(module)
    query.set_fields(["Deal_Name", "Stage", "Amount", "Modified_Time"])
    query.set_page(1)
    body = bulk_read.BodyWrapper()
    body.set_query(query)
    created = ops.create_bulk_read_job(body)
    assert created is not None and created.get_status_code() == 201
    action = created.get_object()
    assert isinstance(action, bulk_read.ActionWrapper)
    details = action.get_data()[0]
    assert isinstance(details, bulk_read.SuccessResponse) and choice(details.get_code()) == "ADDED_SUCCESSFULLY"
    job_id = int(details.get_details()["id"])
    pending = success(ops.get_bulk_read_job_details(job_id), bulk_read.ResponseWrapper).get_data()[0]
    assert choice(pending.get_state()) in ("ADDED", "IN PROGRESS") and pending.get_result() is None
    emu.advance(60)
    job = success(ops.get_bulk_read_job_details(job_id), bulk_read.ResponseWrapper).get_data()[0]
    assert choice(job.get_state()) == "COMPLETED" and job.get_result().get_count() == emu.count("Deals")
    download = ops.download_result(job_id)
    assert download is not None and download.get_status_code() == 200
    wrapper = download.get_object()
    assert isinstance(wrapper, bulk_read.FileBodyWrapper)
    stream = wrapper.get_file()
    assert stream.get_name() == f"{job_id}.zip"
    raw = b"".join(stream.get_stream().iter_content(1 << 16))
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read(f"{job_id}.csv").decode())))
    expected = {r["id"]: r for r in emu.records("Deals")}
    assert {r["id"] for r in rows} == set(expected)
    for r in rows[:5]:
        assert (r["Deal_Name"], r["Stage"], float(r["Amount"])) == (
            expected[r["id"]]["Deal_Name"], expected[r["id"]]["Stage"], expected[r["id"]]["Amount"])


def test_sdk_session_puts_back_the_sdk_global_state(sdk: SdkSession, tmp_path: Any) -> None:
    from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer

    before = Initializer.get_initializer()
    with ZohoEmulator(EmulatorConfig(start_time=START, default_records=2)) as other:
        inner = SdkSession(other, tmp_path)
        assert Initializer.get_initializer() is not before
        assert Initializer.get_initializer().environment.url == other.base_url
        inner.close()
    assert Initializer.get_initializer() is before
    assert success(org.OrgOperations().get_organization(), org.ResponseWrapper).get_org()
