"""The offline demo's pipeline: its own name and DuckDB file, so it never touches a real org's mirror.

The CLI starts the Zoho emulator (the source package never imports it) and runs the real pipeline against it.
The pipeline is built here rather than in the CLI script because `dlt deploy` reads the script and expects a
single `dlt.pipeline(...)` call in it. The emulator's org is persisted in `DEMO_ORG_FILE` beside the DuckDB file,
so that every demo after the first is an incremental run of the same org.
"""

import os
from pathlib import Path
from typing import Optional

import dlt

from ..destination.resolve import resolve_dataset, resolve_destination

DEMO_PIPELINE_NAME = "zoho_crm_demo"
DEMO_DUCKDB_FILE = "zoho_crm_demo.duckdb"
DEMO_ORG_FILE = "zoho_crm_demo.org.json"
DEMO_QUERIES = ("Open pipeline by stage", "Won revenue by month", "Quoted products")


def demo_pipeline(
    destination: Optional[str] = None, dataset: Optional[str] = None, progress: Optional[str] = None
) -> dlt.Pipeline:
    """The demo pipeline: `zoho_crm_demo`, into `zoho_crm_demo.duckdb` unless a destination is given or configured.

    Args:
        destination: dlt destination name (`--destination`); None: dlt config, else DuckDB.
        dataset: Dataset name (`--dataset`); None: dlt config, else `zoho_crm_data`.
        progress: dlt progress collector name.
    """
    return dlt.pipeline(
        pipeline_name=DEMO_PIPELINE_NAME,
        destination=resolve_destination(DEMO_PIPELINE_NAME, destination, DEMO_DUCKDB_FILE),
        dataset_name=resolve_dataset(DEMO_PIPELINE_NAME, dataset),
        progress=progress,
    )


def demo_duckdb_path(pipeline: dlt.Pipeline) -> Optional[Path]:
    """The absolute path of the demo's DuckDB file; None when it loads into another destination."""
    if pipeline.destination.destination_name != "duckdb":
        return None
    # the resolved configuration, not a client: a client would create the file, and the demo asks whether it exists
    config = pipeline.destination.configuration(None, accept_partial=True)  # type: ignore[arg-type]
    database = getattr(config.credentials, "database", None)
    if not isinstance(database, str) or database.startswith((":", "md:", "motherduck:")):
        return None  # in memory, or MotherDuck: no file
    return Path(os.path.abspath(database))


def demo_org_path(duckdb: Optional[Path]) -> Path:
    """Where the demo keeps its emulator org: beside its DuckDB file, else in the working directory."""
    return (duckdb.parent if duckdb is not None else Path.cwd()) / DEMO_ORG_FILE


def demo_reload_reason(new_org: bool, duckdb: Optional[Path], full_refresh: bool) -> Optional[str]:
    """Why this demo loads everything (None: it is incremental): a new org, a mirror without its DuckDB file (the
    pipeline state's cursors would skip the records loaded before), or `--full-refresh`."""
    if new_org:
        return "a new demo org"
    if duckdb is not None and not duckdb.exists():
        return "no DuckDB file yet"
    return "--full-refresh" if full_refresh else None


def demo_target_line(pipeline: dlt.Pipeline, duckdb: Optional[Path]) -> str:
    """Where the demo loads, by the names an analyst needs to reach it (`dlt.attach(name)`, the DuckDB file)."""
    where = str(duckdb) if duckdb is not None else pipeline.destination.destination_name
    return f"Pipeline {pipeline.pipeline_name} → {where}, dataset {pipeline.dataset_name}"
