"""End-to-end helpers: the CLI configured for an emulator through the documented env vars, and readers of the DuckDB
mirror it loads. Plain functions; the fixtures (emulators, the demo) are in conftest.py."""

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Set, Tuple

import dlt
import duckdb
import pytest

import zoho_crm_pipeline
from zoho_emulator import ZohoEmulator

DATASET = "zoho_crm_data"
DUCKDB_FILE = "zoho_crm.duckdb"  # the CLI's default, in the working directory


class CliRun(NamedTuple):
    """What one CLI run returned; unpacks as (code, out, err)."""

    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        """stdout, then stderr."""
        return self.out + self.err


@dataclass(frozen=True)
class DemoRun:
    """One `--demo` run of the CLI in a directory of its own (the session fixture `demo_run`): what it printed and
    what it loaded. Read its data by these absolute paths, not from a test's working directory."""

    code: int
    out: str
    err: str
    root: Path  # its working directory; its dlt data dir is root / "dlt_data"
    duckdb: Path  # its DuckDB file
    pipeline: Optional[dlt.Pipeline]  # the demo pipeline, attached from its dlt data dir (None when the run failed)


def configure_env(monkeypatch: pytest.MonkeyPatch, emu: ZohoEmulator, **overrides: Optional[str]) -> None:
    """Point the pipeline at the emulator through the configuration contract (env vars).

    `overrides` are more source settings, `SOURCES__ZOHO_CRM__<KEY>`; None removes one."""
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


def run_cli(*args: str) -> CliRun:
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = zoho_crm_pipeline.main(list(args))
    return CliRun(code, out.getvalue(), err.getvalue())


def load(
    monkeypatch: pytest.MonkeyPatch,
    emu: ZohoEmulator,
    *args: str,
    check: bool = True,
    into: Optional[Path] = None,
    **env: Optional[str],
) -> CliRun:
    """Run the CLI with `args` against the emulator `emu`; returns (code, out, err).

    env: source settings for configure_env (`delete_mode="keep"`, `SETTINGS_TABLES="none"`, ...).
    check: assert that the run exited 0 (stderr as the message); False leaves the exit code to the caller.
    into: load into the DuckDB file `<into>.duckdb` with the dlt data dir `<into>_dlt`, for a test that keeps several
    mirrors apart; by default the CLI loads into zoho_crm.duckdb in the working directory.
    """
    if into is not None:
        monkeypatch.setenv("DLT_DATA_DIR", str(into.with_name(f"{into.name}_dlt")))
        monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(into.with_name(f"{into.name}.duckdb")))
    configure_env(monkeypatch, emu, **env)
    run = run_cli(*args)
    if check:
        assert run.code == 0, run.err
    return run


def query(sql: str, db: str = DUCKDB_FILE) -> List[Tuple[Any, ...]]:
    """Run SQL against the pipeline's DuckDB file (dataset schema selected)."""
    with duckdb.connect(db, read_only=True) as con:
        con.execute(f"SET schema '{DATASET}'")
        return con.execute(sql).fetchall()


def table_count(table: str, db: str = DUCKDB_FILE) -> int:
    """Rows in a table of the dataset."""
    return int(query(f"SELECT count(*) FROM {table}", db)[0][0])


def column_types(table: str, db: str = DUCKDB_FILE) -> Dict[str, str]:
    """DuckDB column types of a dataset table."""
    rows = query(
        "SELECT column_name, data_type FROM information_schema.columns "
        f"WHERE table_schema = '{DATASET}' AND table_name = '{table}'",
        db,
    )
    return dict(rows)


def dataset_tables(db: str = DUCKDB_FILE) -> Set[str]:
    """Names of the dataset's tables."""
    rows = query(f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{DATASET}'", db)
    return {r[0] for r in rows}


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
    db = path / DUCKDB_FILE
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
