"""Reconciliation: what Zoho changes without moving Modified_Time — formula and rollup values, names of renamed
lookups, deletions whose entries aged out or were never listed, records restored with their old Modified_Time —
repaired on a schedule, within the credit budget, on every destination that keeps a mirror."""

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import dlt
import pytest

from tests.e2e.helpers import configure_env, load, query, run_cli, table_count
from tests.e2e.mirror import assert_table_mirrors
from tests.helpers import REPO_ROOT
from zoho_crm import table_name
from zoho_emulator import ZohoEmulator

MODULES = ["Deals", "Accounts", "Leads", "Contacts"]
SIZES = {"Deals": 120, "Accounts": 40, "Leads": 150, "Contacts": 60}
ARGS = ("--modules", ",".join(MODULES))


def drift(emu: ZohoEmulator, restored: List[str]) -> Dict[str, List[str]]:
    """Changes no listing shows: formulas, rollups, renamed accounts, ghosts, restores (returns what changed)."""
    changed = {
        "formulas": emu.recalculate_formulas("Leads", 10) + emu.recalculate_formulas("Deals", 10),
        "rollups": emu.recalculate_rollups("Accounts", 8),
        "renamed": emu.rename("Accounts", 3),
    }
    changed["ghosts"] = emu.delete("Leads", 5)
    emu.empty_recycle_bin("Leads", changed["ghosts"])  # an admin empties the bin: /deleted never lists them
    emu.restore("Contacts", restored)  # back with their old Modified_Time (restore_bumps_modified_time=False)
    emu.advance(2)
    return changed


def wrong_tables(emu: ZohoEmulator, db: str = "zoho_crm.duckdb") -> List[str]:
    """The module tables that differ from Zoho."""
    wrong = []
    for module in MODULES:
        try:
            assert_table_mirrors(emu.records(module), table_name(module), db=db)
        except AssertionError:
            wrong.append(module)
    return wrong


def reconciled_modules() -> List[str]:
    """Modules `zoho_crm_reconciliations` has a row for (none when the table does not exist)."""
    exists = query("SELECT count(*) FROM information_schema.tables WHERE table_name = 'zoho_crm_reconciliations'")
    return [row[0] for row in query("SELECT module FROM zoho_crm_reconciliations")] if exists[0][0] else []


def record_calls(emu: ZohoEmulator) -> Dict[str, int]:
    """Calls that read records: a reconciliation's listings (with more fields than id,Modified_Time) and fetches."""
    calls: Dict[str, int] = {"reconcile_list": 0, "detail": 0, "bulk_create": 0}
    for r in emu.requests:
        if r["kind"] == "list" and r["params"].get("fields", "").lower() != "id,modified_time":
            calls["reconcile_list"] += 1
        elif r["kind"] in ("detail", "bulk_create"):
            calls[r["kind"]] += 1
    return calls


@pytest.fixture
def drifting_org(make_emulator: Callable[..., ZohoEmulator], request) -> ZohoEmulator:
    bumps = getattr(request, "param", False)
    return make_emulator(
        seed=11,
        default_records=5,
        records_per_module=SIZES,
        restore_bumps_modified_time=False,
        rename_bumps_lookup_modified_time=bumps,
        rollup_bumps_parent_modified_time=bumps,
    )


def first_load_then_drift(monkeypatch: pytest.MonkeyPatch, emu: ZohoEmulator, **env: Any) -> Dict[str, List[str]]:
    load(monkeypatch, emu, *ARGS, SETTINGS_TABLES="none", **env)
    restored = emu.delete("Contacts", 3)
    emu.advance(2)
    load(monkeypatch, emu, *ARGS, SETTINGS_TABLES="none", **env)  # the mirror removes them
    return drift(emu, restored)


@pytest.mark.parametrize(
    "drifting_org", [False, True], ids=["lookups_and_rollups_keep_modified_time", "they_bump_it"], indirect=True
)
def test_one_reconciling_run_makes_every_value_and_id_equal_to_zohos(drifting_org: ZohoEmulator, monkeypatch) -> None:
    emu = drifting_org
    first_load_then_drift(monkeypatch, emu)
    emu.reset_stats()
    load(monkeypatch, emu, *ARGS, SETTINGS_TABLES="none")  # within the interval: a plain incremental run
    plain = emu.stats()["credits_total"]
    assert wrong_tables(emu)  # the drift no listing shows stays
    assert record_calls(emu)["reconcile_list"] == 0

    emu.reset_stats()
    run = load(monkeypatch, emu, *ARGS, SETTINGS_TABLES="none", RECONCILE_EVERY_HOURS="0")

    assert wrong_tables(emu) == []
    assert emu.stats()["credits_total"] - plain <= 30
    assert "Reconciled Leads: " in run.out and "5 removed" in run.out
    rows = query("SELECT module, checked, added, removed FROM zoho_crm_reconciliations ORDER BY module")
    found = {module: (checked, added, removed) for module, checked, added, removed in rows}
    assert found["Leads"] == (145, 0, 5) and found["Contacts"] == (60, 3, 0)
    log = query("SELECT count(*) FROM zoho_crm_deleted_records WHERE module = 'Leads' AND type = 'reconciliation'")
    assert log[0][0] == 5

    emu.reset_stats()
    load(monkeypatch, emu, *ARGS, SETTINGS_TABLES="none", RECONCILE_EVERY_HOURS=None)  # the default: 24 hours
    assert record_calls(emu) == {"reconcile_list": 0, "detail": 0, "bulk_create": 0}
    assert wrong_tables(emu) == []


def test_the_first_load_counts_as_a_reconciliation(drifting_org: ZohoEmulator, monkeypatch) -> None:
    load(monkeypatch, drifting_org, *ARGS, SETTINGS_TABLES="none")
    drifting_org.reset_stats()
    load(monkeypatch, drifting_org, *ARGS, SETTINGS_TABLES="none")
    assert record_calls(drifting_org)["reconcile_list"] == 0
    assert reconciled_modules() == []


def test_never_turns_reconciliation_off(drifting_org: ZohoEmulator, monkeypatch) -> None:
    first_load_then_drift(monkeypatch, drifting_org, RECONCILE_EVERY_HOURS="never")
    drifting_org.reset_stats()
    load(monkeypatch, drifting_org, *ARGS, SETTINGS_TABLES="none", RECONCILE_EVERY_HOURS="never")
    assert record_calls(drifting_org)["reconcile_list"] == 0
    assert wrong_tables(drifting_org)


def test_keep_mode_keeps_the_rows_and_logs_each_deletion_once(drifting_org: ZohoEmulator, monkeypatch) -> None:
    changed = first_load_then_drift(monkeypatch, drifting_org, DELETE_MODE="keep")
    for _ in range(2):
        load(monkeypatch, drifting_org, *ARGS, SETTINGS_TABLES="none", DELETE_MODE="keep", RECONCILE_EVERY_HOURS="0")
    ghosts = ", ".join(f"'{rid}'" for rid in changed["ghosts"])
    assert table_count(table_name("Leads")) == 150  # the rows stay
    logged = query(f"SELECT type FROM zoho_crm_deleted_records WHERE id IN ({ghosts})")
    assert sorted(logged) == [("reconciliation",)] * 5
    removed = query("SELECT removed FROM zoho_crm_reconciliations WHERE module = 'Leads' ORDER BY reconciled_at")
    assert removed == [(5,), (0,)]  # the second reconciliation knows them already


def test_a_reconciliation_the_credit_budget_cannot_pay_waits_with_nothing_applied(
    drifting_org: ZohoEmulator, monkeypatch
) -> None:
    first_load_then_drift(monkeypatch, drifting_org)
    drifting_org.reset_stats()
    budget = {"SETTINGS_TABLES": "none", "RECONCILE_EVERY_HOURS": "0", "CREDIT_BUDGET": "14"}
    run = load(monkeypatch, drifting_org, *ARGS, **budget, check=False)
    assert run.code == 3 and "credit budget of 14 credits is reached" in run.err
    assert drifting_org.stats()["credits_total"] <= 14
    assert len(reconciled_modules()) < len(MODULES)  # what the budget cannot pay waits, nothing of it applied
    assert wrong_tables(drifting_org)
    load(monkeypatch, drifting_org, *ARGS, SETTINGS_TABLES="none", RECONCILE_EVERY_HOURS="0", CREDIT_BUDGET=None)
    assert wrong_tables(drifting_org) == []


def test_a_module_past_bulk_threshold_is_reconciled_with_one_bulk_read_job(
    make_emulator: Callable[..., ZohoEmulator], monkeypatch
) -> None:
    emu = make_emulator(seed=12, default_records=3, records_per_module={"Leads": 400}, bulk_delay=0.05)
    load(monkeypatch, emu, "--modules", "Leads", SETTINGS_TABLES="none", BULK_THRESHOLD="300")
    ghosts = emu.delete("Leads", 7, permanent=True)
    emu.recalculate_formulas("Leads", 4)
    emu.advance(121 * 86400)  # the permanent deletions aged out of /deleted
    emu.reset_stats()
    run = load(
        monkeypatch, emu, "--modules", "Leads", SETTINGS_TABLES="none", BULK_THRESHOLD="300", RECONCILE_EVERY_HOURS="0"
    )
    assert record_calls(emu)["bulk_create"] == 1 and record_calls(emu)["reconcile_list"] == 0
    assert emu.stats()["credits_total"] <= 50 + 10
    assert "credits, bulk)" in run.out
    assert_table_mirrors(emu.records("Leads"), table_name("Leads"), False)
    assert not set(ghosts) & {row[0] for row in query("SELECT id FROM zoho_crm_leads")}


def test_a_record_edited_while_the_reconciliation_runs_ends_exact(drifting_org: ZohoEmulator, monkeypatch) -> None:
    import threading

    first_load_then_drift(monkeypatch, drifting_org)
    drifting_org.config.latency_ms = 40
    def edit() -> None:
        drifting_org.touch("Leads", 5)
        drifting_org.recalculate_formulas("Deals", 5)

    edits = threading.Timer(0.4, edit)
    edits.start()
    load(monkeypatch, drifting_org, *ARGS, SETTINGS_TABLES="none", RECONCILE_EVERY_HOURS="0")
    edits.join()
    drifting_org.config.latency_ms = 0
    drifting_org.advance(2)
    load(monkeypatch, drifting_org, *ARGS, SETTINGS_TABLES="none", RECONCILE_EVERY_HOURS="0")
    assert wrong_tables(drifting_org) == []


def test_the_dlt_trace_and_the_library_report_what_each_reconciliation_found(
    drifting_org: ZohoEmulator, monkeypatch
) -> None:
    first_load_then_drift(monkeypatch, drifting_org)
    import zoho_crm

    pipeline = dlt.pipeline("zoho_crm", destination=dlt.destinations.duckdb(os.path.abspath("zoho_crm.duckdb")))
    configure_env(monkeypatch, drifting_org)
    result = zoho_crm.mirror(pipeline, modules=MODULES, settings_tables="none", reconcile_every_hours=0)
    assert result.reconciled["Leads"]["removed"] == 5 and result.reconciled["Accounts"]["refreshed"] >= 8
    metrics = {
        name: m.custom_metrics
        for package in pipeline.last_trace.last_extract_info.metrics.values()
        for step in package
        for name, m in step["resource_metrics"].items()
    }
    assert metrics["zoho_crm_leads"]["zoho_reconciliation"]["removed"] == 5


def _lake(tmp_path: Path) -> Tuple[Dict[str, str], Callable[[str], Any]]:
    import deltalake

    env = {"DESTINATION__FILESYSTEM__BUCKET_URL": str(tmp_path / "lake")}

    def ids(table: str) -> set:
        delta = deltalake.DeltaTable(str(tmp_path / "lake" / "zoho_crm_data" / table))
        return set(delta.to_pyarrow_table(columns=["id"])["id"].to_pylist())

    return env, ids


def test_delta_tables_are_reconciled_too(drifting_org: ZohoEmulator, monkeypatch, tmp_path: Path) -> None:
    env, ids = _lake(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    flags = (*ARGS, "--destination", "filesystem", "--table-format", "delta")
    first_load_then_drift(monkeypatch, drifting_org)  # DuckDB first: the drift itself
    load(monkeypatch, drifting_org, *flags, SETTINGS_TABLES="none")
    load(monkeypatch, drifting_org, *flags, SETTINGS_TABLES="none", RECONCILE_EVERY_HOURS="0")
    for module in MODULES:
        assert ids(table_name(module)) == drifting_org.record_ids(module)


@pytest.mark.skipif(not os.environ.get("ZOHO_TEST_POSTGRES"), reason="ZOHO_TEST_POSTGRES not set")
def test_postgres_mirror_is_reconciled_too(drifting_org: ZohoEmulator, monkeypatch) -> None:
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", os.environ["ZOHO_TEST_POSTGRES"])
    monkeypatch.setenv("PIPELINES__ZOHO_CRM__DATASET_NAME", f"reconcile_{os.getpid()}")
    flags = (*ARGS, "--destination", "postgres")
    first_load_then_drift(monkeypatch, drifting_org)
    load(monkeypatch, drifting_org, *flags, SETTINGS_TABLES="none")
    load(monkeypatch, drifting_org, *flags, SETTINGS_TABLES="none", RECONCILE_EVERY_HOURS="0")
    dataset = dlt.attach("zoho_crm").dataset()
    for module in MODULES:
        got = {row[0] for row in dataset(f"SELECT id FROM {table_name(module)}").fetchall()}
        assert got == drifting_org.record_ids(module)


# Runs the CLI and SIGKILLs it once the reconciliation of Leads has yielded what it found (extract), or right after
# DuckDB copied the Leads rows of the reconciling run (load): the next run must end exact and reconciled.
KILLED = """
import os, runpy, signal, sys
where = sys.argv[1]
sys.path.insert(0, os.path.dirname(sys.argv[2]))
if where == "extract":
    from zoho_crm.readers import reconcile
    items = reconcile._Job.items
    def killed(self, done):
        for batch in items(self, done):
            yield batch
            if self.module == "Leads":
                os.kill(os.getpid(), signal.SIGKILL)
    reconcile._Job.items = killed
else:
    from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob
    copy = DuckDbCopyJob.run
    def killed_after_copy(self):
        copy(self)
        if self.load_table_name == "zoho_crm_leads":
            os.kill(os.getpid(), signal.SIGKILL)
    DuckDbCopyJob.run = killed_after_copy
sys.argv = [sys.argv[2], *sys.argv[3:]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.slow
@pytest.mark.parametrize("where", ["extract", "load"])
def test_a_killed_reconciliation_is_redone_never_half_applied(drifting_org: ZohoEmulator, monkeypatch, where) -> None:
    first_load_then_drift(monkeypatch, drifting_org)
    configure_env(monkeypatch, drifting_org, SETTINGS_TABLES="none", RECONCILE_EVERY_HOURS="0")
    script = str(REPO_ROOT / "zoho_crm_pipeline.py")
    killed = subprocess.run([sys.executable, "-c", KILLED, where, script, *ARGS], capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    rerun = run_cli(*ARGS)
    assert rerun.code == 0, rerun.err
    assert wrong_tables(drifting_org) == []
    assert query("SELECT count(*) FROM zoho_crm_reconciliations WHERE module = 'Leads'")[0][0] >= 1


@pytest.mark.parametrize("ids_unknown", ["omit", "invalid_data"])
def test_ghosts_are_removed_whether_zoho_leaves_out_or_refuses_ids_it_no_longer_has(
    make_emulator: Callable[..., ZohoEmulator], monkeypatch, ids_unknown: str
) -> None:
    emu = make_emulator(seed=13, default_records=3, records_per_module={"Leads": 150}, ids_unknown=ids_unknown)
    load(monkeypatch, emu, "--modules", "Leads", SETTINGS_TABLES="none")
    ghosts = emu.delete("Leads", 4)
    emu.empty_recycle_bin("Leads", ghosts)
    emu.advance(2)
    run = load(monkeypatch, emu, "--modules", "Leads", SETTINGS_TABLES="none", RECONCILE_EVERY_HOURS="0")
    assert "4 removed" in run.out
    assert_table_mirrors(emu.records("Leads"), table_name("Leads"))
