"""End-to-end fixtures: a real emulator over HTTP and the CLI configured through the documented env vars."""

import contextlib
import io
import json
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import duckdb
import pytest

import zoho_crm_pipeline
from zoho_emulator import EmulatorConfig, ZohoEmulator

DATASET = "zoho_crm_data"


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


def configure_env(monkeypatch: pytest.MonkeyPatch, emu: ZohoEmulator, **overrides: Optional[str]) -> None:
    """Point the pipeline at the emulator through the configuration contract (env vars)."""
    env = {
        "SOURCES__ZOHO_CRM__CREDENTIALS__CLIENT_ID": emu.client_id,
        "SOURCES__ZOHO_CRM__CREDENTIALS__CLIENT_SECRET": emu.client_secret,
        "SOURCES__ZOHO_CRM__CREDENTIALS__REFRESH_TOKEN": emu.refresh_token,
        "SOURCES__ZOHO_CRM__API_BASE_URL": emu.base_url,
        "SOURCES__ZOHO_CRM__ACCOUNTS_URL": emu.base_url,
    }
    for key, value in overrides.items():
        env[f"SOURCES__ZOHO_CRM__{key.upper()}"] = value
    for key, value in env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)


def run_cli(*args: str) -> Tuple[int, str, str]:
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = zoho_crm_pipeline.main(list(args))
    return code, out.getvalue(), err.getvalue()


def query(sql: str, db: str = "zoho_crm.duckdb") -> List[Tuple[Any, ...]]:
    """Run SQL against the pipeline's DuckDB file (dataset schema selected)."""
    with duckdb.connect(db, read_only=True) as con:
        con.execute(f"SET schema '{DATASET}'")
        return con.execute(sql).fetchall()


def table_count(table: str) -> int:
    """Rows in a table of the dataset."""
    return int(query(f"SELECT count(*) FROM {table}")[0][0])


def column_types(table: str) -> Dict[str, str]:
    """DuckDB column types of a dataset table."""
    rows = query(
        "SELECT column_name, data_type FROM information_schema.columns "
        f"WHERE table_schema = '{DATASET}' AND table_name = '{table}'"
    )
    return dict(rows)


def list_calls(emu: ZohoEmulator) -> Dict[str, int]:
    """List calls per module path since the last reset_stats()."""
    calls: Dict[str, int] = {}
    for req in emu.requests:
        if req["kind"] == "list":
            module = req["path"].split("/")[3]
            calls[module] = calls.get(module, 0) + 1
    return calls


def no_dataset(path: Path) -> bool:
    """True when the run left no loaded module tables behind."""
    db = path / "zoho_crm.duckdb"
    if not db.exists():
        return True
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'zoho_crm_%'"
        ).fetchall()
    return rows[0][0] == 0


def dumps(value: Any) -> str:
    """Stable JSON for comparisons in assertion messages."""
    return json.dumps(value, sort_keys=True, default=str)
