"""Failing before spending credits, and stopping cleanly: the destination checked before the first Zoho call, every
call given up at once when the run fails, SIGTERM and SIGINT ending a run with nothing lost."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import dlt.common.libs
import pytest

from tests.e2e.helpers import configure_env, run_cli
from tests.e2e.holders import hold_duckdb, release
from tests.e2e.mirror import assert_table_mirrors
from tests.helpers import REPO_ROOT
from zoho_crm import table_name
from zoho_emulator import ZohoEmulator

POOL_MESSAGE = "Shutdown of dlt thread pool"


def zoho_calls(emu: ZohoEmulator) -> int:
    """Calls to the Zoho CRM API (token requests aside)."""
    return sum(1 for r in emu.requests if r["kind"] != "token")


def test_delta_without_the_deltalake_package_names_it_before_any_zoho_call(
    emulator: ZohoEmulator, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "deltalake", None)  # `pip install -r requirements.txt` brings no deltalake
    monkeypatch.delitem(sys.modules, "dlt.common.libs.deltalake", raising=False)
    monkeypatch.delattr(dlt.common.libs, "deltalake", raising=False)  # imported by an earlier test in this process
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", str(tmp_path / "lake"))
    configure_env(monkeypatch, emulator)
    started = time.monotonic()
    code, _, err = run_cli("--modules", "Leads", "--destination", "filesystem", "--table-format", "delta")
    assert code == 2 and time.monotonic() - started < 20
    expected = 'error: missing package for dlt deltalake helpers: pip install "dlt[deltalake]"'
    assert err.strip().splitlines() == [expected]
    assert zoho_calls(emulator) == 0


def test_postgres_on_a_closed_port_names_the_server_before_any_zoho_call(emulator: ZohoEmulator, monkeypatch) -> None:
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", "postgresql://loader:secret@127.0.0.1:1/analytics")
    configure_env(monkeypatch, emulator)
    started = time.monotonic()
    code, _, err = run_cli("--modules", "Leads", "--destination", "postgres")
    assert code == 1 and time.monotonic() - started < 30
    (line,) = err.strip().splitlines()
    assert line.startswith("error: sync step failed: destination postgres:") and '"127.0.0.1", port 1' in line
    assert "secret" not in err
    assert zoho_calls(emulator) == 0


@pytest.mark.slow
def test_a_duckdb_file_held_by_another_process_stops_with_exit_3_before_any_zoho_call(
    emulator: ZohoEmulator, monkeypatch, tmp_path: Path
) -> None:
    holder = hold_duckdb(tmp_path)
    try:
        configure_env(monkeypatch, emulator)
        code, _, err = run_cli("--modules", "Leads")
    finally:
        release(holder)
    assert code == 3 and "is in use by another process" in err
    assert zoho_calls(emulator) == 0
    configure_env(monkeypatch, emulator)
    assert run_cli("--modules", "Leads").code == 0  # and once the file is free, the run goes through


@pytest.mark.parametrize("fault", ["rate_500", "rate_invalid_json"])
def test_a_failing_run_gives_up_every_retry_at_once_and_says_one_line(
    make_emulator: Callable[..., ZohoEmulator], monkeypatch, capfd, fault: str
) -> None:
    # Leads' detail calls fail forever (retried for max_retry_seconds) beside a named module the user cannot read
    emu = make_emulator(
        records_per_module={"Leads": 300}, no_permission_modules={"Contacts"}, fault_kinds={"detail"}, **{fault: 1.0}
    )
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "4")  # each retry sleeps 2 to 4 s, then longer
    configure_env(monkeypatch, emu, SETTINGS_TABLES="none", MAX_RETRY_SECONDS="600")
    started = time.monotonic()
    code, _out, err = run_cli("--modules", "Leads,Contacts")
    elapsed = time.monotonic() - started
    captured = capfd.readouterr()
    assert code == 2 and elapsed < 20, (code, elapsed)
    assert err.strip().splitlines() == [err.strip()] and "no permission to read Contacts" in err
    assert POOL_MESSAGE not in err + captured.err + captured.out


# Runs the CLI and, where asked, sends itself SIGTERM inside the load step (after DuckDB copied the Leads rows).
CLI = """
import os, runpy, signal, sys
sys.path.insert(0, os.path.dirname(sys.argv[2]))
if sys.argv[1] == "load":
    from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob
    copy = DuckDbCopyJob.run
    def signalled_after_copy(self):
        copy(self)
        if self.load_table_name == "zoho_crm_leads":
            os.kill(os.getpid(), signal.SIGTERM)
    DuckDbCopyJob.run = signalled_after_copy
sys.argv = [sys.argv[2], *sys.argv[3:]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def start_cli(where: str, *args: str) -> subprocess.Popen:
    script = str(REPO_ROOT / "zoho_crm_pipeline.py")
    return subprocess.Popen(
        [sys.executable, "-c", CLI, where, script, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_extract_stops_within_seconds_with_exit_3_and_the_rerun_is_exact(
    make_emulator: Callable[..., ZohoEmulator], monkeypatch, sig: signal.Signals
) -> None:
    emu = make_emulator(records_per_module={"Leads": 3000}, latency_ms=150)
    configure_env(monkeypatch, emu, SETTINGS_TABLES="none", BULK_THRESHOLD="0")
    cli = start_cli("extract", "--modules", "Leads")
    while not any(r["kind"] == "detail" for r in emu.requests):  # fetching records
        assert cli.poll() is None, cli.communicate()
        time.sleep(0.05)
    time.sleep(1.0)
    cli.send_signal(sig)
    sent = time.monotonic()
    _out, err = cli.communicate(timeout=30)
    assert cli.returncode == 3 and time.monotonic() - sent < 10, (cli.returncode, err)
    assert err.strip().splitlines() == [
        f"stopped by {sig.name} during extract: nothing of this run was loaded, the next run fetches it again; "
        "nothing lost, run again"
    ]
    emu.config.latency_ms = 0
    assert run_cli("--modules", "Leads").code == 0
    assert_table_mirrors(emu.records("Leads"), table_name("Leads"))


@pytest.mark.slow
def test_sigterm_during_load_leaves_the_package_pending_and_the_rerun_loads_it_first(
    make_emulator: Callable[..., ZohoEmulator], monkeypatch
) -> None:
    emu = make_emulator(records_per_module={"Leads": 400, "Contacts": 200})
    configure_env(monkeypatch, emu, SETTINGS_TABLES="none")
    cli = start_cli("load", "--modules", "Leads,Contacts")
    _out, err = cli.communicate(timeout=120)
    assert cli.returncode == 3, err
    assert len(err.strip().splitlines()) == 1, err
    (line,) = err.strip().splitlines()
    assert line.startswith("stopped by SIGTERM during load: the load package stays pending")
    emu.reset_stats()
    rerun = run_cli("--modules", "Leads,Contacts")
    assert rerun.code == 0 and "an earlier run did not finish" in rerun.err
    for module in ("Leads", "Contacts"):
        assert_table_mirrors(emu.records(module), table_name(module))
    assert os.path.exists("zoho_crm.duckdb")


def test_an_answer_that_is_never_json_ends_the_run_within_seconds_with_one_line(
    make_emulator: Callable[..., ZohoEmulator], monkeypatch, capfd
) -> None:
    emu = make_emulator(records_per_module={"Leads": 300}, fault_kinds={"detail"}, rate_invalid_json=1.0)
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "1")  # dlt's default backoff
    configure_env(monkeypatch, emu, SETTINGS_TABLES="none", MAX_RETRY_SECONDS="600")
    started = time.monotonic()
    code, _, err = run_cli("--modules", "Leads")
    assert code == 1 and time.monotonic() - started < 20
    assert len(err.strip().splitlines()) == 1 and "not valid JSON" in err
    assert POOL_MESSAGE not in err + capfd.readouterr().err
