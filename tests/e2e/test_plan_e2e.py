"""`--plan`: what the next run would read and spend, before it spends anything, within 10 % of what it spends."""

import json
import os
from pathlib import Path
from typing import Any, Callable, Dict

import pytest
from dlt.common.pipeline import get_dlt_pipelines_dir

from tests.e2e.helpers import DUCKDB_FILE, dataset_tables, load, table_count
from zoho_crm import table_name
from zoho_emulator import ZohoEmulator
from zoho_emulator.config import DEFAULT_SCOPES

MODULES = 18  # the 17 standard modules and the Deals stage history (Users is an org call)
CONTRACT_KEYS = {"modules", "credits", "credits_remaining", "fits_budget", "seconds"}
MODULE_KEYS = {"module", "records", "changed", "reader", "calls", "credits"}


def plan(monkeypatch: pytest.MonkeyPatch, emu: ZohoEmulator, *args: str, **env: str) -> Dict[str, Any]:
    """`--plan --json`'s document (stdout is JSON and nothing else); the emulator's counters are reset after it."""
    emu.reset_stats()
    run = load(monkeypatch, emu, "--plan", "--json", *args, **env)
    document = json.loads(run.out)
    document["_spent"] = emu.stats()["credits_total"]
    emu.reset_stats()
    return document


def spent_by_run(monkeypatch: pytest.MonkeyPatch, emu: ZohoEmulator, *args: str, **env: str) -> int:
    emu.reset_stats()
    load(monkeypatch, emu, *args, **env)
    return int(emu.stats()["credits_total"])


def within_ten_percent(planned: int, spent: int) -> bool:
    return abs(spent - planned) <= 0.10 * spent


def module(document: Dict[str, Any], name: str) -> Dict[str, Any]:
    return next(m for m in document["modules"] if m["module"] == name)


@pytest.fixture
def org(make_emulator: Callable[..., ZohoEmulator]) -> ZohoEmulator:
    """17 standard modules of 40 records, 3,000 Leads: past a bulk threshold of 1,500, their first load is Bulk."""
    return make_emulator(default_records=40, records_per_module={"Leads": 3000})


def test_the_plan_of_a_first_load_matches_what_the_run_spends_bulk_read_included(org, monkeypatch) -> None:
    document = plan(monkeypatch, org, BULK_THRESHOLD="1500")

    assert set(document) >= CONTRACT_KEYS
    assert all(set(m) >= MODULE_KEYS for m in document["modules"])
    assert document["_spent"] <= MODULES + 5  # a COQL count per module, the module list, the Leads fields
    assert not Path(DUCKDB_FILE).exists() and not os.path.exists(os.path.join(get_dlt_pipelines_dir(), "zoho_crm"))
    leads = module(document, "Leads")
    assert (leads["reader"], leads["records"], leads["changed"]) == ("bulk", 2700, 2700)  # COQL skips converted
    assert leads["calls"]["bulk_create"] == 1 and module(document, "Deals")["reader"] == "rest"
    assert document["fits_budget"] is None and document["seconds"] is not None

    spent = spent_by_run(monkeypatch, org, BULK_THRESHOLD="1500")
    assert within_ten_percent(document["credits"], spent), (document["credits"], spent)
    assert table_count(table_name("Leads")) == org.count("Leads")


def test_after_edits_and_deletions_the_plan_matches_the_incremental_run(org, monkeypatch) -> None:
    load(monkeypatch, org)
    org.advance(60)
    org.touch("Leads", n=250)
    org.touch("Deals", n=40)
    org.delete("Contacts", n=4)
    org.advance(5)
    state = Path(get_dlt_pipelines_dir(), "zoho_crm", "state.json").read_bytes()
    tables = dataset_tables()

    document = plan(monkeypatch, org)

    assert document["_spent"] <= MODULES + 5
    assert Path(get_dlt_pipelines_dir(), "zoho_crm", "state.json").read_bytes() == state  # no state written
    assert dataset_tables() == tables
    assert module(document, "Deals")["changed"] == 40 and module(document, "Accounts")["changed"] == 0
    assert module(document, "Contacts")["records"] == 40  # the mirror's rows before the run deletes four
    assert all(m["reader"] == "rest" for m in document["modules"])
    spent = spent_by_run(monkeypatch, org)
    assert within_ten_percent(document["credits"], spent), (document["credits"], spent)
    assert table_count(table_name("Contacts")) == 36


def test_a_plan_counts_the_reconciliations_that_are_due(org, monkeypatch) -> None:
    modules = ("--modules", "Leads,Deals,Contacts")
    load(monkeypatch, org, *modules, SETTINGS_TABLES="none")
    org.advance(60)
    org.touch("Deals", n=10)
    org.rename("Contacts", n=3)  # changes that Zoho does not timestamp: the reconciliation finds them
    document = plan(monkeypatch, org, *modules, SETTINGS_TABLES="none", RECONCILE_EVERY_HOURS="0")

    assert document["reconciling"] == [m["module"] for m in document["modules"]]
    assert document["reconcile_credits"] >= len(document["modules"])
    assert document["settings_tables"] == []
    spent = spent_by_run(monkeypatch, org, *modules, SETTINGS_TABLES="none", RECONCILE_EVERY_HOURS="0")
    assert within_ten_percent(document["credits"], spent), (document["credits"], spent)


def test_a_settings_refresh_that_is_not_due_is_not_planned(org, monkeypatch) -> None:
    load(monkeypatch, org, "--modules", "Deals")
    org.advance(60)
    document = plan(monkeypatch, org, "--modules", "Deals")
    assert document["settings_tables"] == [] and document["settings_credits"] == 0
    assert [m["module"] for m in document["modules"]] == ["Deals", "DealHistory"]


def test_the_plan_reports_the_credits_zoho_says_are_left_and_whether_the_budget_covers_the_run(
    make_emulator, monkeypatch
) -> None:
    emu = make_emulator(daily_credit_limit=50_000, credits_remaining_header="always")
    document = plan(monkeypatch, emu, "--modules", "Leads,Deals", CREDIT_BUDGET="5")

    assert 49_900 < document["credits_remaining"] < 50_000
    assert document["fits_budget"] is False and document["credit_budget"] == 5
    assert [m["module"] for m in document["modules"]] == ["Leads", "Deals", "DealHistory"]
    roomy = plan(monkeypatch, emu, "--modules", "Leads,Deals", CREDIT_BUDGET="1000")
    assert roomy["fits_budget"] is True


def test_without_the_coql_scope_the_plan_counts_by_listing_and_says_so(make_emulator, monkeypatch) -> None:
    scopes = tuple(s for s in DEFAULT_SCOPES if "coql" not in s.lower())
    emu = make_emulator(default_records=40, records_per_module={"Leads": 450}, scopes=scopes)
    document = plan(monkeypatch, emu, "--modules", "Leads,Accounts")

    assert any("COQL is not allowed" in note for note in document["notes"])
    assert module(document, "Accounts")["records"] == 40  # one listing page holds them all: exact
    leads = module(document, "Leads")
    assert leads["records"] == 200 and "at least 200" in leads["note"]  # a lower bound, said so
    assert document["_spent"] <= 3 + 5


def test_the_plan_in_words_names_each_module_and_the_totals(org, monkeypatch) -> None:
    run = load(monkeypatch, org, "--plan", "--modules", "Leads,Accounts")
    lines = run.out.splitlines()
    assert lines[0].split()[:5] == ["module", "records", "changed", "reader", "credits"]
    assert any(line.startswith("Leads") and "first load" in line and "rest" in line for line in lines)
    assert any(line.startswith("Credits: ") for line in lines)
    assert any(line.startswith("This plan cost ") and "nothing was loaded" in line for line in lines)
    assert not Path(DUCKDB_FILE).exists()


def test_a_plan_with_full_refresh_plans_first_loads(org, monkeypatch) -> None:
    load(monkeypatch, org, "--modules", "Accounts")
    document = plan(monkeypatch, org, "--modules", "Accounts", "--full-refresh")
    accounts = module(document, "Accounts")
    assert accounts["first_load"] is True and accounts["changed"] == 40
    assert table_count(table_name("Accounts")) == 40  # nothing dropped


def test_a_plan_with_an_unknown_module_or_a_revoked_token_is_one_line_and_exit_2(emulator, monkeypatch) -> None:
    unknown = load(monkeypatch, emulator, "--plan", "--modules", "Leeds", check=False)
    assert unknown.code == 2 and len(unknown.err.strip().splitlines()) == 1 and "Leeds" in unknown.err
    emulator.revoke_refresh_token()
    revoked = load(monkeypatch, emulator, "--plan", "--json", check=False)
    assert revoked.code == 2 and revoked.out == "" and len(revoked.err.strip().splitlines()) == 1
    assert emulator.refresh_token not in revoked.err and not Path(DUCKDB_FILE).exists()
