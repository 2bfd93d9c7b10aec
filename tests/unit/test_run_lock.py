"""The per-pipeline run lock: exclusive while held, free again when its holder ends, however it ends."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zoho_crm.runner import EXIT_STOPPED_EARLY, PipelineRunLock, RunInProgress, describe_failure


def test_a_second_run_of_the_same_pipeline_is_refused_with_who_holds_it(tmp_path: Path) -> None:
    first = PipelineRunLock("zoho_crm", str(tmp_path))
    with first, pytest.raises(RunInProgress) as refused, PipelineRunLock("zoho_crm", str(tmp_path)):
        pytest.fail("two runs held the lock at once")
    holder = refused.value.holder
    assert holder["pid"] == os.getpid()
    failure = describe_failure(refused.value)
    assert failure.exit_code == EXIT_STOPPED_EARLY
    assert failure.line == (
        f"another run of pipeline zoho_crm is in progress since {holder['started']}, pid {os.getpid()}: this run "
        "stopped before any Zoho call, nothing lost (if that run is stuck, stop that process and run again)"
    )


def test_other_pipelines_and_other_pipeline_directories_run_side_by_side(tmp_path: Path) -> None:
    other_name = PipelineRunLock("zoho_crm_eu", str(tmp_path / "a"))
    other_dir = PipelineRunLock("zoho_crm", str(tmp_path / "b"))
    with PipelineRunLock("zoho_crm", str(tmp_path / "a")), other_name, other_dir:
        assert other_name.path != other_dir.path


def test_the_lock_is_free_again_after_a_run_and_leaves_no_record(tmp_path: Path) -> None:
    with PipelineRunLock("zoho_crm", str(tmp_path)) as lock:
        assert json.loads(Path(lock.path).read_text())["pid"] == os.getpid()
    assert Path(lock.path).read_text() == ""
    with PipelineRunLock("zoho_crm", str(tmp_path)) as again:
        assert again.previous is None  # a clean end is not reported as a killed run


def test_a_lock_left_by_a_dead_process_is_taken_over_and_reported(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    record = {"pid": int(dead.stdout), "host": "worker-1", "started": "2026-01-02 03:04:05 UTC"}
    (tmp_path / "zoho_crm.run.lock").write_text(json.dumps(record))
    with PipelineRunLock("zoho_crm", str(tmp_path)) as lock:
        assert lock.previous == record
