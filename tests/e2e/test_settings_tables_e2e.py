"""The org's settings tables: loaded by default, replaced at most once per settings_refresh_hours, gaps skipped
with a warning unless named (issue 11)."""

import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Set

import pytest

from tests.e2e.helpers import configure_env, dataset_tables, load, no_dataset, query, run_cli, table_count
from zoho_crm.settings import DEFAULT_MODULES
from zoho_crm.tables.settings_tables import SETTINGS_TABLES
from zoho_emulator.config import DEFAULT_SCOPES
from zoho_emulator.layouts import layout_json, pipelines_json
from zoho_emulator.org_settings import STAGE_BY_NAME
from zoho_emulator.settings_json import currencies_json, org_json, profiles_json, roles_json, territories_json

SETTINGS_KINDS = {
    "org_meta",
    "roles_meta",
    "profiles_meta",
    "territories_meta",
    "currencies_meta",
    "layouts_meta",
    "pipeline_meta",
}


def settings_calls(emu) -> Dict[str, int]:
    return {kind: n for kind, n in emu.stats()["calls"].items() if kind in SETTINGS_KINDS}


def ids(table: str) -> Set[str]:
    return {r[0] for r in query(f"SELECT id FROM {table}")}


def pipeline_stages() -> Dict[str, List[tuple]]:
    rows = query(
        "SELECT p.display_value, s.sequence_number, s.actual_value, s.probability, s.forecast_type, "
        "s.forecast_category__name FROM zoho_crm_pipelines p "
        "JOIN zoho_crm_pipelines__maps s ON s._dlt_parent_id = p._dlt_id ORDER BY 1, 2"
    )
    out: Dict[str, List[tuple]] = {}
    for pipeline, *stage in rows:
        out.setdefault(pipeline, []).append(tuple(stage))
    return out


@pytest.mark.parametrize("maps_probability", [False, True], ids=["probability-on-stage-picklist", "in-maps"])
def test_default_run_loads_every_settings_table_as_zoho_serves_it(make_emulator, monkeypatch, maps_probability) -> None:
    emu = make_emulator(pipeline_maps_probability=maps_probability)
    load(monkeypatch, emu)
    store = emu.store
    assert set(SETTINGS_TABLES) <= dataset_tables()

    org = org_json(store)
    assert query("SELECT id, company_name, iso_code, time_zone, mc_status FROM zoho_crm_org") == [
        (org["id"], org["company_name"], org["iso_code"], org["time_zone"], True)
    ]
    roles = {r["id"]: (r["name"], (r["reporting_to"] or {}).get("id")) for r in roles_json(store)}
    assert {r[0]: (r[1], r[2]) for r in query("SELECT id, name, reporting_to__id FROM zoho_crm_roles")} == roles
    assert dict(query("SELECT id, name FROM zoho_crm_profiles")) == {p["id"]: p["name"] for p in profiles_json(store)}
    territories = {t["id"]: (t["name"], (t["reporting_to"] or {}).get("id")) for t in territories_json(store)}
    got = {r[0]: (r[1], r[2]) for r in query("SELECT id, name, reporting_to__id FROM zoho_crm_territories")}
    assert got == territories
    currencies = {c["iso_code"]: (Decimal(c["exchange_rate"]), c["is_base"]) for c in currencies_json(store)}
    got = {r[0]: (r[1], r[2]) for r in query("SELECT iso_code, exchange_rate, is_base FROM zoho_crm_currencies")}
    assert got == currencies

    # one row per layout of each loaded module, with the module's name
    expected_layouts = {(m, layout_json(store, store.mdefs[m])["id"]) for m in DEFAULT_MODULES}
    assert set(query("SELECT module, id FROM zoho_crm_layouts")) == expected_layouts
    assert table_count("zoho_crm_layouts__sections") > 0

    # every pipeline stage with its probability and forecast, whether Zoho puts them in `maps` or not
    expected: Dict[str, List[tuple]] = {}
    for pipeline in pipelines_json(store, with_probability=False):
        stages = [STAGE_BY_NAME[m["actual_value"]] for m in pipeline["maps"]]
        expected[pipeline["display_value"]] = [
            (seq, s.name, s.probability, s.forecast_type, s.forecast_category) for seq, s in enumerate(stages, 1)
        ]
    assert pipeline_stages() == expected
    deals_layout = layout_json(store, store.mdefs["Deals"])
    assert set(query("SELECT layout__id, layout__name FROM zoho_crm_pipelines")) == {
        (deals_layout["id"], deals_layout["name"])
    }


def test_a_run_inside_the_refresh_interval_makes_no_settings_call_and_keeps_the_tables(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator)
    counts = {t: table_count(t) for t in SETTINGS_TABLES}
    emulator.reset_stats()
    load(monkeypatch, emulator)
    assert settings_calls(emulator) == {}
    assert {t: table_count(t) for t in SETTINGS_TABLES} == counts and all(counts.values())


def test_a_run_after_the_interval_refreshes_the_tables(make_emulator, monkeypatch) -> None:
    emu = make_emulator()
    interval = 8.0
    started = time.monotonic()  # before any table's refresh started
    load(monkeypatch, emu, "--modules", "Leads", SETTINGS_REFRESH_HOURS=str(interval / 3600))
    refreshed = time.monotonic()  # after every table's refresh started
    emu.reset_stats()
    load(monkeypatch, emu, "--modules", "Leads", SETTINGS_REFRESH_HOURS=str(interval / 3600))
    assert time.monotonic() - started < interval, "the machine is too slow for this test's interval"
    assert settings_calls(emu) == {}  # still inside the interval
    time.sleep(max(0.0, interval - (time.monotonic() - refreshed)) + 0.2)
    emu.reset_stats()
    load(monkeypatch, emu, "--modules", "Leads", SETTINGS_REFRESH_HOURS=str(interval / 3600))
    assert settings_calls(emu) == {kind: 1 for kind in SETTINGS_KINDS} | {"layouts_meta": 2}  # Leads', Deals'


def test_each_refresh_replaces_the_tables_rather_than_appending(make_emulator, monkeypatch) -> None:
    emu = make_emulator()
    load(monkeypatch, emu, "--modules", "Leads", SETTINGS_REFRESH_HOURS="0")
    child_tables = ["zoho_crm_pipelines__maps", "zoho_crm_layouts__sections", "zoho_crm_profiles__permissions_details"]
    counts = {t: table_count(t) for t in [*SETTINGS_TABLES, *child_tables]}
    assert all(counts.values())
    # the org turns territory management off; this Zoho answers that with an empty 204
    emu.config.territories_enabled = False
    emu.config.territories_disabled_error = (204, "")
    emu.reset_stats()
    load(monkeypatch, emu, "--modules", "Leads", SETTINGS_REFRESH_HOURS="0")
    assert set(settings_calls(emu)) == SETTINGS_KINDS  # 0: every run refreshes
    assert table_count("zoho_crm_territories") == 0  # replaced by what Zoho says now: nothing
    assert {t: table_count(t) for t in counts if t != "zoho_crm_territories"} == {
        t: n for t, n in counts.items() if t != "zoho_crm_territories"
    }


def test_an_org_without_territories_or_multi_currency_loads_with_one_warning_each(
    make_emulator, monkeypatch, caplog
) -> None:
    emu = make_emulator(territories_enabled=False, multi_currency=False)
    load(monkeypatch, emu)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert [w for w in warnings if "zoho_crm_territories" in w] == [
        "Skipped zoho_crm_territories: Zoho answered 400 FEATURE_NOT_ENABLED (Territory Management is not enabled)"
    ]
    assert [w for w in warnings if "zoho_crm_currencies" in w] == [
        "Skipped zoho_crm_currencies: Zoho answered 403 CURRENCIES_NOT_ENABLED (Multi currency is not enabled)"
    ]
    assert {"zoho_crm_territories", "zoho_crm_currencies"}.isdisjoint(dataset_tables())
    assert ids("zoho_crm_roles") == {r["id"] for r in roles_json(emu.store)}
    assert table_count("zoho_crm_deals") == emu.count("Deals")
    # skipped tables count as refreshed: the next run asks again only after the interval
    caplog.clear()
    emu.reset_stats()
    load(monkeypatch, emu)
    assert settings_calls(emu) == {} and "Skipped" not in caplog.text


def test_a_missing_scope_skips_only_its_table_with_a_warning_naming_the_scope(
    make_emulator, monkeypatch, caplog
) -> None:
    emu = make_emulator(scopes=tuple(s for s in DEFAULT_SCOPES if s != "ZohoCRM.settings.roles.READ"))
    load(monkeypatch, emu)
    assert (
        "Skipped zoho_crm_roles: the Zoho token lacks the scope ZohoCRM.settings.roles.READ (OAUTH_SCOPE_MISMATCH)"
        in caplog.text
    )
    assert "zoho_crm_roles" not in dataset_tables()
    assert (set(SETTINGS_TABLES) - {"zoho_crm_roles"}) <= dataset_tables()


@pytest.mark.parametrize(
    "setting,env,expected",
    [
        (
            {"territories_enabled": False},
            '["zoho_crm_org", "zoho_crm_territories"]',
            "error: settings table zoho_crm_territories cannot be loaded: Zoho answered 400 FEATURE_NOT_ENABLED "
            "(Territory Management is not enabled); remove it from settings_tables if the org does not use it",
        ),
        (
            {"scopes": tuple(s for s in DEFAULT_SCOPES if s != "ZohoCRM.settings.currencies.READ")},
            "currencies",
            "error: settings table zoho_crm_currencies needs the OAuth scope ZohoCRM.settings.currencies.READ: "
            "create a refresh token with it (README: Get a refresh token), or remove zoho_crm_currencies from "
            "settings_tables",
        ),
        (
            {"scopes": tuple(s for s in DEFAULT_SCOPES if s != "ZohoCRM.settings.layouts.READ")},
            "zoho_crm_pipelines",
            "error: settings table zoho_crm_pipelines needs the OAuth scope ZohoCRM.settings.layouts.READ: "
            "create a refresh token with it (README: Get a refresh token), or remove zoho_crm_pipelines from "
            "settings_tables",
        ),
    ],
    ids=["feature-off", "scope-missing", "pipelines-need-layouts-scope"],
)
def test_a_named_table_zoho_cannot_answer_fails_the_run_with_one_line(
    make_emulator, monkeypatch, tmp_path: Path, setting: Dict[str, Any], env: str, expected: str
) -> None:
    emu = make_emulator(**setting)
    configure_env(monkeypatch, emu, SETTINGS_TABLES=env)
    code, _, err = run_cli("--modules", "Leads")
    assert code == 2
    assert err.strip().splitlines() == [expected]
    assert no_dataset(tmp_path)  # nothing loaded


@pytest.mark.parametrize(
    "env,loaded,calls",
    [
        ("zoho_crm_org,pipelines", {"zoho_crm_org", "zoho_crm_pipelines"}, {"org_meta": 1, "layouts_meta": 1,
                                                                            "pipeline_meta": 1}),
        ('["zoho_crm_layouts"]', {"zoho_crm_layouts"}, {"layouts_meta": 2}),
        ("none", set(), {}),
    ],
    ids=["comma-string", "json-list", "none"],
)
def test_settings_tables_picks_the_tables_and_their_calls(emulator, monkeypatch, env: str, loaded, calls) -> None:
    load(monkeypatch, emulator, "--modules", "Leads,Deals", SETTINGS_TABLES=env)
    assert set(SETTINGS_TABLES) & dataset_tables() == loaded
    assert settings_calls(emulator) == calls


def test_an_unknown_settings_table_is_a_one_line_error_before_any_call(emulator, monkeypatch) -> None:
    configure_env(monkeypatch, emulator, SETTINGS_TABLES="zoho_crm_org,zoho_crm_stages")
    code, _, err = run_cli()
    assert code == 2
    assert err.strip().splitlines() == [
        "error: unknown settings table(s) zoho_crm_stages in settings_tables: use zoho_crm_org, zoho_crm_roles, "
        "zoho_crm_profiles, zoho_crm_territories, zoho_crm_currencies, zoho_crm_layouts, zoho_crm_pipelines "
        "(or all, none)"
    ]
    assert sum(emulator.stats()["calls"].values()) == 0


def test_a_credit_budget_postpones_the_settings_tables_it_cannot_pay_to_a_later_run(make_emulator, monkeypatch) -> None:
    emu = make_emulator()
    budget = 12  # the first run needs 14: Leads' first load, then the settings tables as far as the budget goes
    codes = []
    for _ in range(8):
        emu.reset_stats()
        configure_env(monkeypatch, emu, CREDIT_BUDGET=str(budget))
        code, _, err = run_cli("--modules", "Leads")
        codes.append(code)
        assert emu.stats()["credits_total"] <= budget  # settings calls never push a run past the budget
        if code == 0:
            break
        assert code == 3 and f"credit budget of {budget} credits is reached" in err and "zoho_crm_" in err, err
    assert codes[-1] == 0 and codes[0] == 3, codes
    assert set(SETTINGS_TABLES) <= dataset_tables()
    assert pipeline_stages()["Renewals"][0][2] == STAGE_BY_NAME["Qualification"].probability
