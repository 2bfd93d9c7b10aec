"""Where a pipeline loads: destination, dataset and table format from the caller, else dlt config, else defaults.

dlt resolves a pipeline's `destination_type` and `dataset_name` from `[pipelines.<pipeline name>]` (or the top
level: `DESTINATION_TYPE`, `DATASET_NAME`) and every destination option from `[destination.<name>]`. This module
only fills in the two defaults where this project differs from dlt: DuckDB in a file of the working directory,
and the dataset `zoho_crm_data`.
"""

import logging
import os
from typing import Any, Optional

import dlt
from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.specs import known_sections
from dlt.common.destination import TDestinationReferenceArg
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.pipeline.configuration import PipelineConfiguration

from ..errors import ZohoConfigError

logger = logging.getLogger(__name__)

DEFAULT_DATASET = "zoho_crm_data"  # not "zoho_crm": DuckDB names the catalog after the file
TABLE_FORMATS = ("delta",)  # iceberg: dlt 1.31 merges it, but applies neither hard_delete nor child row removal


# DuckDB's buffer memory for loads and merges; past it DuckDB spills to a temporary directory beside the file.
# Without insertion order, a large COPY can spill too (else a million wide rows ran out of memory).
# One thread: each DuckDB thread of an INSERT keeps its own partial row groups (up to 122,880 rows) in memory, which
# with 5,000-character texts filled the 256MB (spilling ~300 MB to disk per 100,000-row file) and made the merge run
# out of memory with the database held open; one thread halves them, spills less and loads in less CPU and time.
DUCKDB_GLOBAL_CONFIG = {"memory_limit": "256MB", "preserve_insertion_order": False, "threads": 1}
# One load job at a time: DuckDB parallelises each INSERT itself, and dlt's 20 parallel jobs (one per file of
# 100,000 rows) shared the memory limit: a million REST-shaped rows ran out of memory in the parquet inserts.
DUCKDB_LOAD_JOBS = 1


def pipeline_config(pipeline_name: str) -> PipelineConfiguration:
    """The pipeline settings dlt itself would resolve for `dlt.pipeline(pipeline_name)` (same sections)."""
    return resolve_configuration(
        PipelineConfiguration(pipeline_name=pipeline_name), sections=(known_sections.PIPELINES, pipeline_name)
    )


def resolve_destination(
    pipeline_name: str, destination: Optional[str], default_duckdb_file: str
) -> TDestinationReferenceArg:
    """The destination: the given name, else `destination_type` from dlt config, else DuckDB.

    DuckDB's file is `destination.duckdb.credentials` when configured, else `default_duckdb_file`; either way a
    relative path is taken from the working directory, as an absolute path: dlt would resolve a relative one
    against the directory of the pipeline's first run.
    """
    config = pipeline_config(pipeline_name)
    name = destination or config.destination_type
    if name and name != "duckdb":
        return str(name)
    configured: Any = dlt.config.get("destination.duckdb.credentials")
    if configured is None:
        return duckdb_file(os.path.abspath(default_duckdb_file))
    database = configured.get("database") if isinstance(configured, dict) else _duckdb_database(configured)
    # a relative file path; not `:pipeline:`, `md:…` or another marker, which dlt places itself
    if isinstance(database, str) and database and ":" not in database and not os.path.isabs(database):
        return duckdb_file(os.path.abspath(database))
    return dlt.destinations.duckdb()  # dlt resolves the configured credentials and every other option


def duckdb_file(path: str) -> TDestinationReferenceArg:
    """DuckDB in `path`, with a memory limit for its merges (it spills to disk past it) unless the user set
    `[destination.duckdb.credentials] global_config` (or pragmas) themselves: flat memory whatever the org's size."""
    if dlt.config.get("destination.duckdb.credentials.global_config") or dlt.config.get(
        "destination.duckdb.credentials.pragmas"
    ):
        return dlt.destinations.duckdb(path)
    credentials = DuckDbCredentials(path, global_config=dict(DUCKDB_GLOBAL_CONFIG))
    return dlt.destinations.duckdb(credentials, max_parallel_load_jobs=DUCKDB_LOAD_JOBS)


def resolve_dataset(pipeline_name: str, dataset: Optional[str]) -> str:
    """The dataset (schema): the given name, else `dataset_name` from dlt config, else `zoho_crm_data`."""
    return dataset or pipeline_config(pipeline_name).dataset_name or DEFAULT_DATASET


def resolve_table_format(pipeline: dlt.Pipeline, table_format: Optional[str]) -> Optional[str]:
    """The open table format: the given one, else `[pipelines.<name>] table_format`, checked against the destination.

    Raises:
        ZohoConfigError: An unknown format, or a destination that cannot store it.
    """
    table_format = table_format or dlt.config.get(f"{known_sections.PIPELINES}.{pipeline.pipeline_name}.table_format")
    if not table_format:
        return None
    table_format = str(table_format).strip().lower()
    if table_format not in TABLE_FORMATS:
        raise ZohoConfigError(f"unknown table format {table_format!r}: use {' or '.join(TABLE_FORMATS)}")
    supported = pipeline.destination.capabilities().supported_table_formats or []
    if table_format not in supported:
        raise ZohoConfigError(
            f"destination {pipeline.destination.destination_name} cannot store {table_format} tables: "
            f"use --destination filesystem with [destination.filesystem] bucket_url (a folder or a bucket)"
        )
    return table_format


def _duckdb_database(configured: Any) -> Optional[str]:
    try:
        return DuckDbCredentials(str(configured)).database
    except Exception:  # not a path or a connection string dlt understands: dlt reports it when it resolves
        return None
