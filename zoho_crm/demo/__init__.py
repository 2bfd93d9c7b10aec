"""The offline demo's pipeline: its own name and DuckDB file, so it never touches a real org's mirror.

The CLI starts the Zoho emulator (the source package never imports it) and runs the real pipeline against it.
The pipeline is built here rather than in the CLI script because `dlt deploy` reads the script and expects a
single `dlt.pipeline(...)` call in it. The emulator's org is persisted in `DEMO_ORG_FILE` beside the DuckDB file,
so that every demo after the first is an incremental run of the same org (`target.py`).
"""

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

