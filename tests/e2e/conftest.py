"""End-to-end fixtures: real emulators over HTTP, and the offline demo loaded once per session.

The helpers that configure and run the CLI and read its DuckDB file are in tests/e2e/helpers.py."""

from typing import Any, Callable, Iterator, List

import dlt
import pytest

from tests.e2e.helpers import DemoRun, run_cli
from tests.helpers import isolate_dlt
from zoho_crm.demo import DEMO_DUCKDB_FILE, DEMO_PIPELINE_NAME
from zoho_emulator import EmulatorConfig, ZohoEmulator


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., ZohoEmulator]]:
    """Start emulators with the given EmulatorConfig settings; all are stopped after the test."""
    started: List[ZohoEmulator] = []

    def factory(**settings: Any) -> ZohoEmulator:
        settings.setdefault("default_records", 12)
        emu = ZohoEmulator(EmulatorConfig(**settings)).start()
        # records modified in the listing second are fetched again by the next run; start past that second
        emu.advance(2)
        started.append(emu)
        return emu

    yield factory
    for emu in started:
        emu.stop()


@pytest.fixture
def emulator(make_emulator: Callable[..., ZohoEmulator]) -> ZohoEmulator:
    """An emulated org with a dozen records per module."""
    return make_emulator()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """The offline demo (every module, 150 records each plus 600 Deals) loaded once for the whole session.

    Read only: a test that changes the data loads its own. The run gets the same isolated environment a test gets
    from `isolated_dlt` (which is function-scoped, so not active here); read its database by absolute path
    (`duckdb`, `pipeline`), not from the test's working directory."""
    root = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        isolate_dlt(mp, root)
        code, out, err = run_cli("--demo")
        pipeline = None
        if code == 0:
            pipeline = dlt.attach(DEMO_PIPELINE_NAME, pipelines_dir=str(root / "dlt_data" / "pipelines"))
    return DemoRun(code, out, err, root, root / DEMO_DUCKDB_FILE, pipeline)
