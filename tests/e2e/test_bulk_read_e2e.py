"""Bulk Read for first loads: identical tables to REST, the threshold, page tokens, the hand-over, failures, resume,
and credits as a budget."""

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Dict, List

import dlt
import pytest

from tests.e2e.compare import table_differences
from tests.e2e.helpers import configure_env, load, query
from tests.e2e.mirror import assert_table_mirrors
from tests.helpers import REPO_ROOT
from zoho_crm import table_name
from zoho_emulator.config import DEFAULT_SCOPES

BIG = {"Leads": 260, "Products": 130, "Quotes": 130, "Calls": 130, "Deals": 130, "Accounts": 130}
ORG: Dict[str, Any] = {"seed": 5, "default_records": 12, "records_per_module": BIG, "bulk_delay": 0.2}


def resource_metrics(trace: Any) -> Dict[str, Any]:
    """Custom metrics of each resource in a run's extract step (`zoho_api_calls`, `zoho_api_credits`)."""
    return {
        name: m.custom_metrics
        for package in trace.last_extract_info.metrics.values()
        for step in package
        for name, m in step["resource_metrics"].items()
        if m.custom_metrics
    }


def bulk_modules(emu: Any) -> List[str]:
    """Modules of the Bulk Read jobs created so far, in creation order."""
    return [job.module for job in sorted(emu.bulk_api.jobs.values(), key=lambda job: int(job.id))]


def test_bulk_first_load_gives_the_same_tables_as_rest_for_every_module(make_emulator, monkeypatch, tmp_path) -> None:
    emu = make_emulator(**ORG)
    load(monkeypatch, emu, into=tmp_path / "rest", bulk_threshold="0")
    assert bulk_modules(emu) == []
    load(monkeypatch, emu, into=tmp_path / "bulk", bulk_threshold="100")
    assert sorted(bulk_modules(emu)) == sorted([*BIG, "DealHistory"])  # Deals' stage history: > 100 rows too
    assert table_differences(str(tmp_path / "rest.duckdb"), str(tmp_path / "bulk.duckdb")) == []
    # converted from CSV (no detail calls) and completed: lookups, owners, layouts, tags, multi-select picklists
    assert "zoho_crm_leads__tag" in {r[0] for r in query("SHOW TABLES", str(tmp_path / "bulk.duckdb"))}


def test_modules_at_or_under_the_threshold_and_later_runs_use_rest(make_emulator, monkeypatch, tmp_path) -> None:
    emu = make_emulator(**ORG)
    load(monkeypatch, emu, into=tmp_path / "db", bulk_threshold="130")
    # 260 > 130, and Deals' stage history (more than one stay per deal); the five modules of exactly 130 use REST
    assert sorted(bulk_modules(emu)) == ["DealHistory", "Leads"]
    emu.touch("Leads", n=3)
    emu.reset_stats()
    load(monkeypatch, emu, into=tmp_path / "db", bulk_threshold="130")
    assert "bulk_create" not in emu.stats()["calls"] and emu.stats()["calls"]["detail"] == 1
    assert_table_mirrors(emu.records("Leads"), table_name("Leads"), False, str(tmp_path / "db.duckdb"))


def test_exports_past_one_job_page_follow_the_page_token(make_emulator, monkeypatch, tmp_path) -> None:
    emu = make_emulator(**{**ORG, "bulk_page_size": 100})
    load(monkeypatch, emu, "--modules", "Leads,Products", into=tmp_path / "db", bulk_threshold="100")
    assert bulk_modules(emu).count("Leads") == 3 and bulk_modules(emu).count("Products") == 2
    # a job that continues by page_token names no module in its body: its 50 credits still go to its module
    credits = resource_metrics(dlt.attach("zoho_crm").last_trace)
    assert credits["zoho_crm_leads"]["zoho_api_credits"]["bulk_create"] == 150
    assert credits["zoho_crm_products"]["zoho_api_credits"]["bulk_create"] == 100
    for module in ("Leads", "Products"):
        assert_table_mirrors(emu.records(module), table_name(module), False, str(tmp_path / "db.duckdb"))


def test_changes_made_while_a_job_runs_arrive_by_the_next_run(make_emulator, monkeypatch, tmp_path) -> None:
    emu = make_emulator(**{**ORG, "bulk_delay": 1.5})
    changed: Dict[str, List[str]] = {}

    def change_during_the_job() -> None:
        while not emu.bulk_api.jobs:
            time.sleep(0.02)
        time.sleep(0.3)
        changed["touched"] = emu.touch("Leads", n=4)
        changed["added"] = emu.add("Leads", n=3)
        changed["deleted"] = emu.delete("Leads", n=2)

    thread = threading.Thread(target=change_during_the_job)
    thread.start()
    code, _, err = load(
        monkeypatch, emu, "--modules", "Leads", check=False, into=tmp_path / "db", bulk_threshold="100"
    )
    thread.join()
    assert code == 0, err
    assert bulk_modules(emu) == ["Leads"]
    emu.advance(2)
    load(monkeypatch, emu, "--modules", "Leads", into=tmp_path / "db", bulk_threshold="100")
    assert bulk_modules(emu) == ["Leads"]  # the second run read the changes through REST
    assert_table_mirrors(emu.records("Leads"), table_name("Leads"), False, str(tmp_path / "db.duckdb"))
    ids = {r[0] for r in query("SELECT id FROM zoho_crm_leads", str(tmp_path / "db.duckdb"))}
    assert set(changed["added"]) <= ids and not set(changed["deleted"]) & ids


@pytest.mark.parametrize(
    "failure",
    [{"bulk_failure_modules": {"Leads"}}, {"rate_500": 1.0, "fault_kinds": {"bulk_download"}}],
    ids=["job-fails", "download-keeps-failing"],
)
def test_a_failed_bulk_read_falls_back_to_rest(make_emulator, monkeypatch, tmp_path, caplog, failure) -> None:
    emu = make_emulator(**{**ORG, **failure})
    load(monkeypatch, emu, "--modules", "Leads", into=tmp_path / "db", bulk_threshold="100", max_retry_seconds="1")
    assert bulk_modules(emu) == ["Leads"] and "loading it through the REST API instead" in caplog.text
    assert_table_mirrors(emu.records("Leads"), table_name("Leads"), False, str(tmp_path / "db.duckdb"))


@pytest.mark.slow
def test_a_run_killed_mid_job_resumes_the_same_job(make_emulator, monkeypatch, tmp_path) -> None:
    emu = make_emulator(**{**ORG, "bulk_delay": 4.0})
    configure_env(monkeypatch, emu, bulk_threshold="100", modules="Leads")
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(tmp_path / "db.duckdb"))
    cli = [sys.executable, str(REPO_ROOT / "zoho_crm_pipeline.py")]
    first = subprocess.Popen(cli, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not emu.bulk_api.jobs and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert bulk_modules(emu) == ["Leads"]
    second = subprocess.run(cli, env=dict(os.environ), capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert bulk_modules(emu) == ["Leads"]  # resumed: no second job (50 credits) was created
    assert_table_mirrors(emu.records("Leads"), table_name("Leads"), False, str(tmp_path / "db.duckdb"))


def test_credit_budget_stops_runs_early_and_repeated_runs_converge(make_emulator, monkeypatch, tmp_path) -> None:
    # many short runs: lift the emulator's 10-refreshes-per-10-minutes limit, which is not what this test is about;
    # the settings tables have their own budget test; a run sets aside a listing page and field metadata per module
    # (about 6 credits each, 4 modules here), so the budget must leave room for progress beyond that floor
    emu = make_emulator(seed=9, default_records=12, records_per_module={"Leads": 900, "Deals": 450}, refresh_limit=100)
    modules = ("Leads", "Deals", "Accounts")
    codes = []
    for _ in range(25):
        emu.reset_stats()
        code, _, err = load(
            monkeypatch, emu, "--modules", ",".join(modules), check=False, into=tmp_path / "db", credit_budget="40",
            settings_tables="none",
        )
        codes.append(code)
        assert emu.stats()["credits_total"] <= 40  # never more than the budget, token calls aside
        if code == 0:
            break
        assert code == 3 and len(err.strip().splitlines()) == 1, err
        assert "credit budget of 40 credits is reached" in err and "run again" in err
    assert codes[-1] == 0 and len(codes) > 2, codes
    for module in modules:
        assert_table_mirrors(emu.records(module), table_name(module), False, str(tmp_path / "db.duckdb"))


def test_credits_are_in_the_summary_and_in_the_dlt_trace(make_emulator, monkeypatch, tmp_path) -> None:
    emu = make_emulator(daily_credit_limit=100_000, credits_remaining_header="always")
    out = load(monkeypatch, emu, "--modules", "Leads,Deals", into=tmp_path / "db").out
    spent = emu.stats()["credits_total"]
    assert f"API credits: {spent} (" in out and "left today" in out and "by module: " in out
    custom = resource_metrics(dlt.attach("zoho_crm").last_trace)
    assert custom["zoho_crm_leads"]["zoho_api_credits"]["list"] >= 1
    assert custom["zoho_crm_deals"]["zoho_api_credits"]["detail"] >= 1


def test_a_coql_count_sends_a_large_module_to_bulk_read_after_five_listing_pages(
    make_emulator, monkeypatch, tmp_path
) -> None:
    emu = make_emulator(seed=5, default_records=5, records_per_module={"Accounts": 2600}, bulk_delay=0.2)
    load(monkeypatch, emu, "--modules", "Accounts", into=tmp_path / "db", bulk_threshold="2000")
    calls = emu.stats()["calls"]
    assert bulk_modules(emu) == ["Accounts"] and calls["coql"] == 1
    # the probe lists 6 pages: the 1,001st record asks the count, which is over the threshold
    assert calls["list"] == 6, calls  # not the 51 pages of listing up to the threshold
    assert_table_mirrors(emu.records("Accounts"), table_name("Accounts"), False, str(tmp_path / "db.duckdb"))


@pytest.mark.parametrize("coql", [True, False], ids=["counted", "no-coql-scope"])
def test_a_module_under_the_threshold_loads_through_rest_with_or_without_a_count(
    make_emulator, monkeypatch, tmp_path, coql
) -> None:
    scopes = tuple(s for s in DEFAULT_SCOPES if coql or "coql" not in s)
    emu = make_emulator(seed=5, default_records=5, records_per_module={"Accounts": 1500}, scopes=scopes)
    load(monkeypatch, emu, "--modules", "Accounts", into=tmp_path / "db", bulk_threshold="2000")
    stats = emu.stats()
    assert bulk_modules(emu) == [] and (stats["calls"]["list"], stats["calls"]["detail"]) == (8, 15)
    assert stats["credits"].get("coql", 0) == (1 if coql else 0)  # the count: 1 credit, once, on the first load
    assert_table_mirrors(emu.records("Accounts"), table_name("Accounts"), False, str(tmp_path / "db.duckdb"))
