"""Throughput: one concurrency limit for the whole run, modules in parallel, Zoho-aware 429s, the retry budget."""

from typing import Any

import pytest

from tests.e2e.helpers import load
from tests.e2e.mirror import assert_table_mirrors
from zoho_crm import table_name
from zoho_crm.settings import DEFAULT_MODULES

FEW = ("Leads", "Deals", "Quotes", "Accounts")


def assert_exact(emu: Any, modules: tuple = DEFAULT_MODULES) -> None:
    for module in modules:
        assert_table_mirrors(emu.records(module), table_name(module))


@pytest.mark.parametrize("limit", [1, 3])
def test_calls_in_flight_never_exceed_max_concurrency_for_the_whole_run(make_emulator, monkeypatch, limit) -> None:
    emu = make_emulator(default_records=250, latency_ms=15)
    load(monkeypatch, emu, max_concurrency=str(limit))
    # every kind of call ran in this run: listings, details, metadata, deletions, users
    assert {"list", "detail", "fields_meta", "modules_meta", "deleted", "users"} <= set(emu.stats()["calls"])
    assert emu.stats()["peak_concurrency"] == limit  # reached, never exceeded
    assert_exact(emu, FEW)


def test_listings_of_different_modules_overlap(make_emulator, monkeypatch) -> None:
    emu = make_emulator(latency_ms=40)
    load(monkeypatch, emu, max_concurrency="5")
    emu.reset_stats()
    load(monkeypatch, emu, max_concurrency="5")  # nothing changed: only listings and deletions
    assert set(emu.stats()["calls"]) <= {"token", "list", "deleted", "modules_meta", "users"}
    assert emu.stats()["peak_concurrency"] == 5


def test_zoho_concurrency_429_lowers_the_runs_concurrency_and_the_mirror_is_exact(make_emulator, monkeypatch) -> None:
    emu = make_emulator(default_records=60, latency_ms=10, concurrency_limit=2)
    out = load(monkeypatch, emu, max_concurrency="6").out
    assert emu.stats()["faults"]["concurrency_429"] >= 1 and "Retried: throttled" in out
    assert_exact(emu)


def test_daily_limit_429_stops_the_run_at_once_with_exit_3_and_nothing_is_lost(make_emulator, monkeypatch) -> None:
    emu = make_emulator(default_records=30, daily_credit_budget=25)
    code, _, err = load(monkeypatch, emu, check=False)
    assert code == 3 and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and "Zoho's 24-hour API credit limit is exhausted" in err
    assert emu.stats()["faults"]["budget_429"] <= 5  # the calls in flight (max_concurrency), then none
    emu.config.daily_credit_budget = None
    load(monkeypatch, emu)
    assert_exact(emu)


def test_ambiguous_429s_are_retried_with_backoff(make_emulator, monkeypatch) -> None:
    emu = make_emulator(default_records=30, rate_429=0.3, throttle_messages="documented", fault_seed=5)
    load(monkeypatch, emu, "--modules", ",".join(FEW))
    assert emu.stats()["faults"]["injected_429"] > 3
    assert_exact(emu, FEW)


def test_429s_for_the_whole_retry_budget_stop_the_run_with_exit_3(make_emulator, monkeypatch) -> None:
    emu = make_emulator(rate_429=1.0, fault_kinds={"list"})
    code, _, err = load(monkeypatch, emu, "--modules", "Leads", check=False, max_retry_seconds="1")
    assert code == 3 and len(err.strip().splitlines()) == 1
    assert "throttled a call for" in err and "daily credits may be exhausted" in err


def test_server_errors_for_the_whole_retry_budget_fail_with_one_line_and_exit_1(make_emulator, monkeypatch) -> None:
    emu = make_emulator(rate_500=1.0, fault_kinds={"list"})
    code, _, err = load(monkeypatch, emu, "--modules", "Leads", check=False, max_retry_seconds="1")
    assert code == 1 and "Traceback" not in err and "500" in err


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fault_mix_run_ends_exact_in_one_run(make_emulator, monkeypatch, seed: int) -> None:
    emu = make_emulator(
        default_records=40, rate_429=0.3, rate_500=0.1, rate_drop=0.05, rate_truncate=0.02, fault_seed=seed
    )
    load(monkeypatch, emu, "--modules", ",".join(FEW))
    faults = emu.stats()["faults"]
    assert faults["injected_429"] and faults["injected_500"] and faults["drop"]
    assert_exact(emu, FEW)
