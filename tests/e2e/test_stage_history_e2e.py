"""Stage history: Deals' field-tracker module DealHistory loads with Deals, incrementally, merged (issue 11)."""

import shutil
from pathlib import Path

from tests.e2e.helpers import dataset_tables, list_calls, load, query, table_count
from tests.e2e.mirror import assert_table_mirrors
from zoho_crm.settings import DEFAULT_MODULES

HISTORY = "zoho_crm_dealhistory"


def test_default_run_loads_the_stage_history_of_deals_row_by_row(emulator, monkeypatch) -> None:
    out = load(monkeypatch, emulator).output
    history = emulator.records("DealHistory")
    assert len(history) >= emulator.count("Deals") > 0  # every deal has at least one stay
    assert_table_mirrors(history, HISTORY)
    assert HISTORY in out
    # the last stay of every deal is the stage the deal is in now
    current = dict(query(
        f"SELECT deal_name__id, arg_max(stage, created_time) FROM {HISTORY} GROUP BY 1"
    ))
    assert current == {d["id"]: d["Stage"] for d in emulator.records("Deals")}


def test_modules_all_loads_the_stage_history_too(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", "all")
    assert_table_mirrors(emulator.records("DealHistory"), HISTORY)


def test_modules_without_deals_load_no_stage_history(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", "Leads,Contacts")
    assert HISTORY not in dataset_tables()
    assert "DealHistory" not in list_calls(emulator)


def test_a_stage_change_loads_the_closed_stay_and_the_new_one_on_the_next_run(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", "Deals")
    deal = next(d for d in emulator.records("Deals") if not d["Stage"].startswith("Closed"))
    before = table_count(HISTORY)
    emulator.advance(60)
    emulator.touch("Deals", ids=[deal["id"]], field="Stage")
    emulator.advance(2)
    load(monkeypatch, emulator, "--modules", "Deals")
    assert table_count(HISTORY) == before + 1
    assert_table_mirrors(emulator.records("DealHistory"), HISTORY)
    closed = query(
        f"SELECT moved_to, duration FROM {HISTORY} WHERE deal_name__id = '{deal['id']}' AND moved_to IS NOT NULL "
        "ORDER BY created_time DESC LIMIT 1"
    )
    assert closed and closed[0][0] == next(d for d in emulator.records("Deals") if d["id"] == deal["id"])["Stage"]


def test_a_deleted_deal_takes_its_stage_history_with_it(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", "Deals")
    deal = emulator.records("Deals")[0]["id"]
    assert query(f"SELECT count(*) FROM {HISTORY} WHERE deal_name__id = '{deal}'")[0][0] >= 1
    emulator.advance(5)
    emulator.delete("Deals", ids=[deal])
    emulator.advance(2)
    load(monkeypatch, emulator, "--modules", "Deals")
    assert query(f"SELECT count(*) FROM {HISTORY} WHERE deal_name__id = '{deal}'")[0][0] == 0
    assert_table_mirrors(emulator.records("DealHistory"), HISTORY)


def test_a_run_without_changes_lists_each_module_once_and_reads_no_field_metadata(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator)
    emulator.reset_stats()
    load(monkeypatch, emulator)
    calls = emulator.stats()["calls"]
    assert list_calls(emulator) == {module: 1 for module in [*DEFAULT_MODULES, "DealHistory"]}
    assert calls.get("fields_meta", 0) == 0 and calls["modules_meta"] == 1
    assert calls["deleted"] == len(DEFAULT_MODULES) + 1 and calls.get("detail", 0) == 0


def test_a_fresh_working_directory_finds_the_history_module_with_one_metadata_call(
    emulator, monkeypatch, isolated_dlt: Path
) -> None:
    load(monkeypatch, emulator)
    shutil.rmtree(isolated_dlt / "dlt_data" / "pipelines" / "zoho_crm")  # a new CI runner: state only in DuckDB
    emulator.reset_stats()
    out = load(monkeypatch, emulator).output
    calls = emulator.stats()["calls"]
    fields = [r["params"].get("module") for r in emulator.requests if r["kind"] == "fields_meta"]
    assert fields == ["Deals"]  # the module most like "DealHistory", whose Stage field names it
    assert calls.get("detail", 0) == 0 and "DealHistory" in list_calls(emulator)  # cursors came back too
    assert "Loaded 0 rows" in out


def test_a_stage_history_the_profile_cannot_read_is_skipped_with_a_warning(make_emulator, monkeypatch, caplog) -> None:
    emu = make_emulator(no_permission_modules={"DealHistory"})
    load(monkeypatch, emu, "--modules", "Deals")
    assert "Skipped DealHistory: Zoho answered NO_PERMISSION" in caplog.text
    assert table_count("zoho_crm_deals") == emu.count("Deals") and HISTORY not in dataset_tables()


def test_resetting_deals_reloads_its_stage_history_too(emulator, monkeypatch) -> None:
    load(monkeypatch, emulator, "--modules", "Leads,Deals")
    emulator.reset_stats()
    load(monkeypatch, emulator, "--modules", "Deals", "--full-refresh")
    lists = [r for r in emulator.requests if r["kind"] == "list"]
    assert sorted(r["path"].split("/")[3] for r in lists) == ["DealHistory", "Deals"]
    assert all("If-Modified-Since" not in r["headers"] for r in lists)  # both listed from the start
    assert_table_mirrors(emulator.records("DealHistory"), HISTORY)
