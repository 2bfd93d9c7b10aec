"""`--destination filesystem --table-format delta`: a Delta Lake mirror in a folder, read back with `deltalake`.

Incremental runs merge updated records (no duplicates), drop child rows a record no longer has, and apply
deletions in both delete modes.
"""

from pathlib import Path
from typing import Dict, List

import pendulum
import pytest

from tests.e2e.helpers import configure_env, run_cli

deltalake = pytest.importorskip("deltalake")

ITEMS = "zoho_crm_quotes__quoted_items"
TAXES = "zoho_crm_quotes__quoted_items__line_tax"


def read(lake: Path, table: str) -> List[Dict]:
    return deltalake.DeltaTable(str(lake / "zoho_crm_data" / table)).to_pyarrow_table().to_pylist()


def item_counts(emu) -> Dict[str, int]:
    return {r["id"]: len(r.get("Quoted_Items") or []) for r in emu.records("Quotes")}


def shrink_line_items(emu) -> str:
    """Edit quotes' line items until one quote has fewer items than before; returns its id."""
    before = item_counts(emu)
    for _ in range(10):
        for quote in sorted(before):
            emu.touch("Quotes", ids=[quote], field="Quoted_Items")
            if item_counts(emu)[quote] < before[quote]:
                return quote
    raise AssertionError("the emulator never shrank a quote's line items")


@pytest.mark.parametrize("delete_mode", ["hard", "keep"])
def test_incremental_runs_merge_updates_and_apply_deletions_with_child_tables(
    make_emulator, monkeypatch, tmp_path: Path, delete_mode: str
) -> None:
    emu = make_emulator(default_records=3, records_per_module={"Quotes": 25})
    lake = tmp_path / "lake"
    configure_env(monkeypatch, emu, delete_mode=delete_mode)
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", str(lake))
    args = ("--destination", "filesystem", "--table-format", "delta", "--modules", "Quotes")
    code, _, err = run_cli(*args)
    assert code == 0, err
    assert len(read(lake, ITEMS)) == sum(item_counts(emu).values())
    first_modified = {q["id"]: q["modified_time"] for q in read(lake, "zoho_crm_quotes")}
    deleted_quote = next(r for r in emu.records("Quotes") if r.get("Quoted_Items"))
    deleted_items = len(deleted_quote["Quoted_Items"])

    emu.advance(3)
    shrunk = shrink_line_items(emu)
    others = sorted(emu.record_ids("Quotes") - {shrunk, deleted_quote["id"]})
    (touched,) = emu.touch("Quotes", ids=others[:1])
    emu.delete("Quotes", ids=[deleted_quote["id"]])
    emu.advance(2)
    code, _, err = run_cli(*args)
    assert code == 0, err

    quotes = read(lake, "zoho_crm_quotes")
    ids = [q["id"] for q in quotes]
    assert len(ids) == len(set(ids)), "a record appears twice"
    live = emu.record_ids("Quotes")
    expected = live if delete_mode == "hard" else live | {deleted_quote["id"]}
    assert set(ids) == expected
    by_id = {q["id"]: q for q in quotes}
    for record in emu.records("Quotes"):  # updates merged: every live row carries Zoho's current Modified_Time
        assert by_id[record["id"]]["modified_time"] == pendulum.parse(record["Modified_Time"])
    assert by_id[touched]["modified_time"] > first_modified[touched]

    items = read(lake, ITEMS)
    root_of = {q["_dlt_id"]: q["id"] for q in quotes}
    assert all(item["_dlt_root_id"] in root_of for item in items), "child rows without their record"
    per_quote: Dict[str, int] = {}
    for item in items:
        per_quote[root_of[item["_dlt_root_id"]]] = per_quote.get(root_of[item["_dlt_root_id"]], 0) + 1
    assert per_quote.get(shrunk, 0) == item_counts(emu)[shrunk]  # dropped line items are gone
    expected_items = sum(item_counts(emu).values()) + (deleted_items if delete_mode == "keep" else 0)
    assert len(items) == expected_items
    assert len({item["_dlt_id"] for item in items}) == len(items)
    taxes = read(lake, TAXES)
    item_ids = {item["_dlt_id"] for item in items}
    assert all(tax["_dlt_parent_id"] in item_ids for tax in taxes), "second-level child rows without their parent"

    log = read(lake, "zoho_crm_deleted_records")
    assert deleted_quote["id"] in {row["id"] for row in log}  # the deletion log keeps it in both modes


def test_a_run_without_changes_keeps_the_lake_unchanged(emulator, monkeypatch, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    configure_env(monkeypatch, emulator)
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", str(lake))
    args = ("--destination", "filesystem", "--table-format", "delta", "--modules", "Quotes")
    assert run_cli(*args)[0] == 0
    before = sorted(r["_dlt_id"] for r in read(lake, ITEMS))
    assert run_cli(*args)[0] == 0
    assert sorted(r["_dlt_id"] for r in read(lake, ITEMS)) == before
    assert len(read(lake, "zoho_crm_quotes")) == emulator.count("Quotes")
