"""What a killed or failed run leaves behind is finished by the next run, which then fetches what changed since."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import dlt
import pytest

from tests.e2e.helpers import configure_env, run_cli
from tests.e2e.holders import hold_duckdb, release
from tests.e2e.mirror import assert_table_mirrors
from tests.helpers import REPO_ROOT
from zoho_crm import table_name
from zoho_emulator import ZohoEmulator

MODULES = ["Leads", "Quotes"]
pytestmark = pytest.mark.slow  # each test SIGKILLs a CLI run in a child process

# Runs the CLI and SIGKILLs it inside dlt's normalize step right after the normalized package was committed to
# load/normalized, while the extracted copy is being deleted (new_jobs gone or not yet): the window dlt marks
# "Committing storage, do not kill this process", which a SIGKILL (OOM killer, scheduler timeout) ignores.
KILL_DURING_NORMALIZE_CLEANUP = """
import os, runpy, shutil, signal, sys
from dlt.common.storages.load_package import PackageStorage
delete = PackageStorage.delete_package
def killed_midway(self, load_id, not_exists_ok=False):
    path = self.storage.make_full_path(self.get_package_path(load_id))
    if os.path.join("normalize", "extracted") in path and not not_exists_ok:
        if sys.argv[1] == "new_jobs_deleted":
            shutil.rmtree(os.path.join(path, "new_jobs"))
        os.kill(os.getpid(), signal.SIGKILL)
    return delete(self, load_id, not_exists_ok)
PackageStorage.delete_package = killed_midway
sys.argv = [sys.argv[2], "--modules", sys.argv[3]]
sys.path.insert(0, os.path.dirname(sys.argv[0]))
runpy.run_path(sys.argv[0], run_name="__main__")
"""

# Runs the CLI and SIGKILLs it right after DuckDB committed the copy of the Leads rows into the staging dataset,
# before dlt recorded the job as done: the next run copies the same file again.
KILL_AFTER_STAGING_COPY = """
import os, runpy, signal, sys
from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob
copy = DuckDbCopyJob.run
def killed_after_commit(self):
    copy(self)
    if self.load_table_name == "zoho_crm_leads":
        os.kill(os.getpid(), signal.SIGKILL)
DuckDbCopyJob.run = killed_after_commit
sys.argv = [sys.argv[1], "--modules", sys.argv[2]]
sys.path.insert(0, os.path.dirname(sys.argv[0]))
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def assert_mirror(emu: ZohoEmulator) -> None:
    for module in MODULES:
        assert_table_mirrors(emu.records(module), table_name(module))


def change(emu: ZohoEmulator) -> None:
    emu.advance(3)
    emu.touch("Leads", n=3)
    emu.add("Quotes", n=2)
    emu.delete("Quotes", n=1)
    emu.advance(2)


@pytest.mark.parametrize("cleanup", ["nothing_deleted", "new_jobs_deleted"])
def test_a_run_killed_while_dlt_cleans_up_after_normalize_does_not_block_later_runs(
    emulator, monkeypatch, tmp_path: Path, cleanup: str
) -> None:
    configure_env(monkeypatch, emulator)
    assert run_cli("--modules", ",".join(MODULES))[0] == 0
    change(emulator)
    script = str(REPO_ROOT / "zoho_crm_pipeline.py")
    killed = subprocess.run(
        [sys.executable, "-c", KILL_DURING_NORMALIZE_CLEANUP, cleanup, script, ",".join(MODULES)],
        cwd=tmp_path,
        env=dict(os.environ),
        capture_output=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    change(emulator)
    code, _, err = run_cli("--modules", ",".join(MODULES))
    assert code == 0, err
    assert_mirror(emulator)
    assert not dlt.pipeline("zoho_crm").has_pending_data


def test_a_run_killed_after_a_staging_copy_committed_loads_no_row_twice(emulator, monkeypatch, tmp_path) -> None:
    configure_env(monkeypatch, emulator)
    assert run_cli("--modules", ",".join(MODULES))[0] == 0
    change(emulator)
    script = str(REPO_ROOT / "zoho_crm_pipeline.py")
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_STAGING_COPY, script, ",".join(MODULES)],
        cwd=tmp_path,
        env=dict(os.environ),
        capture_output=True,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    code, _, err = run_cli("--modules", ",".join(MODULES))
    assert code == 0, err
    assert_mirror(emulator)  # exactly one row per record: no duplicates


def test_a_load_that_failed_is_finished_by_the_next_run_which_then_fetches_what_changed(
    emulator, monkeypatch, tmp_path: Path
) -> None:
    configure_env(monkeypatch, emulator)
    assert run_cli("--modules", ",".join(MODULES))[0] == 0
    change(emulator)
    holders = []
    normalize = dlt.Pipeline.normalize

    def normalize_while_a_notebook_opens_the_file(self: dlt.Pipeline, *args: object, **kwargs: object) -> object:
        holders.append(hold_duckdb(tmp_path))  # and keeps it open when the load step starts
        return normalize(self, *args, **kwargs)

    monkeypatch.setattr(dlt.Pipeline, "normalize", normalize_while_a_notebook_opens_the_file)
    code, _, err = run_cli("--modules", ",".join(MODULES))
    monkeypatch.setattr(dlt.Pipeline, "normalize", normalize)
    for holder in holders:
        release(holder)
    assert code == 1
    (pending,) = dlt.pipeline("zoho_crm").list_normalized_load_packages()
    assert err.strip().splitlines() == [
        f"error: load step failed: the DuckDB file {tmp_path / 'zoho_crm.duckdb'} is in use by another process "
        f"(PID {holders[0].pid}, {os.path.realpath(sys.executable)}): close it (a notebook, DBeaver, the duckdb CLI) "
        "and run again"
    ]
    change(emulator)
    code, _, err = run_cli("--modules", ",".join(MODULES))
    assert code == 0, err
    assert err.strip().splitlines() == [
        f"warning: an earlier run did not finish: loaded the load package {pending} it left pending; now fetching "
        "what changed since"
    ]
    assert_mirror(emulator)
