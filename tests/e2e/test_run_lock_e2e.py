"""One run per pipeline, with real processes: a second run leaves at once (exit 3, no Zoho call), and a run
killed with SIGKILL leaves its lock to the next run, which completes the mirror."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from tests.e2e.helpers import configure_env, run_cli
from tests.e2e.mirror import assert_table_mirrors
from tests.helpers import REPO_ROOT
from zoho_crm import table_name
from zoho_emulator import ZohoEmulator

MODULES = ["Leads", "Deals"]
pytestmark = pytest.mark.slow  # the CLI runs in child processes


def start_cli(cwd: Path) -> subprocess.Popen:
    """The CLI as a scheduler starts it: its own process, configuration from the environment."""
    command = [sys.executable, str(REPO_ROOT / "zoho_crm_pipeline.py"), "--modules", ",".join(MODULES)]
    return subprocess.Popen(command, cwd=cwd, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def crm_calls(emu: ZohoEmulator) -> int:
    return len([r for r in emu.requests if r["path"].startswith("/crm/")])


def lock_file(tmp_path: Path) -> Path:
    return tmp_path / "dlt_data" / "pipelines" / "zoho_crm.run.lock"


def assert_mirror(emu: ZohoEmulator) -> None:
    for module in MODULES:
        assert_table_mirrors(emu.records(module), table_name(module))


def test_a_second_run_leaves_at_once_with_code_3_and_spends_no_credits(make_emulator, monkeypatch, tmp_path) -> None:
    emu = make_emulator(latency_ms=600)  # the first run takes several seconds
    configure_env(monkeypatch, emu)
    first = start_cli(tmp_path)
    wait_for(lambda: crm_calls(emu) >= 1)  # the lock is taken before any Zoho call: it is held now
    holder = json.loads(lock_file(tmp_path).read_text())
    calls_before = len(emu.requests)
    started = time.monotonic()
    second = start_cli(tmp_path)
    _, err = second.communicate(timeout=60)
    elapsed = time.monotonic() - started
    assert first.poll() is None, "the first run ended before the second one was refused: no overlap tested"
    assert second.returncode == 3
    assert err.decode().splitlines() == [
        f"another run of pipeline zoho_crm is in progress since {holder['started']}, pid {first.pid}: this run "
        "stopped before any Zoho call, nothing lost (if that run is stuck, stop that process and run again)"
    ]
    assert elapsed < 15
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert [r["kind"] for r in emu.requests].count("token") == 1  # the second run never even asked for a token
    assert len(emu.requests) > calls_before
    assert_mirror(emu)


def test_a_run_killed_mid_extract_leaves_its_lock_to_the_next_run(make_emulator, monkeypatch, tmp_path) -> None:
    emu = make_emulator(latency_ms=300)
    configure_env(monkeypatch, emu)
    first = start_cli(tmp_path)
    kill_after = random.Random(9).randint(2, 5)  # Zoho calls answered before SIGKILL
    wait_for(lambda: crm_calls(emu) >= kill_after)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    left = json.loads(lock_file(tmp_path).read_text())
    assert left["pid"] == first.pid
    emu.advance(3)
    emu.touch("Leads", n=2)
    emu.delete("Deals", n=1)
    emu.advance(2)
    code, _, err = run_cli("--modules", ",".join(MODULES))
    assert code == 0, err
    assert err.splitlines()[0] == (
        f"warning: the previous run of pipeline zoho_crm (pid {first.pid}, started {left['started']}) did not "
        "finish: this run takes over"
    )
    assert lock_file(tmp_path).read_text() == ""
    assert_mirror(emu)
