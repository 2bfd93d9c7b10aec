"""Repairs of what a SIGKILL leaves between two of dlt's steps, done before the pending packages are processed.

dlt makes its steps resumable, but two moments of its own are not safe against a kill (both found by
`benchmarks/soak.py`, both reproduced by tests/e2e/test_crash_recovery_e2e.py):

- after normalize committed a package and before it deleted the extracted copy: the copy is normalized again on
  every later run, which fails, so the pipeline never runs again;
- after the destination committed a copy job into the staging dataset and before dlt recorded the job as done: on
  resume dlt copies the file again into a staging table it does not truncate again (it truncates once per package),
  and the merge inserts every staged row, so those records are in the table twice.
"""

import logging
from typing import List

import dlt
from dlt.common.destination.client import WithStagingDataset

logger = logging.getLogger(__name__)
DATA_FORMATS = ("parquet", "jsonl", "typed-jsonl", "insert_values", "csv", "model")  # not .sql/.reference followups
DONE = ("completed", "failed")


def discard_committed_leftovers(pipeline: dlt.Pipeline) -> List[str]:
    """Delete extracted packages whose normalized twin was already committed.

    dlt's normalize step renames the normalized package into `load/normalized`, then deletes the extracted copy
    (it logs "Committing storage, do not kill this process"). A SIGKILL in between leaves the copy, whole or half
    deleted, and dlt normalizes it again on every later run and fails ("Directory not empty" renaming onto the
    committed package, or FileNotFoundError on its deleted `new_jobs`), so the pipeline never runs again
    (dlt-hub/dlt#4446 meets the same leftover on NFS). The committed package holds all the data: drop the copy.

    Returns:
        The load ids whose leftover was deleted.
    """
    committed = set(pipeline.list_normalized_load_packages()) | set(pipeline.list_completed_load_packages())
    leftovers = [load_id for load_id in pipeline.list_extracted_load_packages() if load_id in committed]
    extracted = pipeline._get_normalize_storage().extracted_packages  # no public API deletes one package
    for load_id in leftovers:
        extracted.delete_package(load_id)
        logger.info("Deleted the extracted copy of load package %s, already normalized by a killed run", load_id)
    return leftovers


def reset_interrupted_staging_copies(pipeline: dlt.Pipeline) -> List[str]:
    """Empty the staging tables whose copy job was interrupted, so that copying the file again is exact.

    A table qualifies when none of its copy jobs in the package finished: the staging table then holds nothing but
    what the interrupted job may have committed (dlt emptied it when it started the package), and every job of the
    table runs again. A table with a finished job beside an interrupted one (rare: one file per table is the rule)
    cannot be emptied without losing the finished job's rows; it is left as dlt has it, with a warning.

    Returns:
        The staging tables emptied.
    """
    storage = pipeline._get_load_storage().normalized_packages  # no public API lists a package's started jobs
    emptied: List[str] = []
    for load_id in pipeline.list_normalized_load_packages():
        interrupted, finished = set(), set()
        for state, job in storage.list_all_jobs_with_states(load_id):
            if job.file_format not in DATA_FORMATS:
                continue
            pending = storage.load_pending_transition(load_id, job.file_name())
            if state == "started_jobs" and not (pending and pending[0] in DONE):
                interrupted.add(job.table_name)
            elif state in ("completed_jobs", "failed_jobs") or (pending and pending[0] in DONE):
                finished.add(job.table_name)
        if interrupted:
            emptied += _empty_staging_tables(pipeline, load_id, interrupted, finished)
    return emptied


def _empty_staging_tables(pipeline: dlt.Pipeline, load_id: str, interrupted: set, finished: set) -> List[str]:
    with pipeline.destination_client() as client:
        if not isinstance(client, WithStagingDataset):
            return []
        staged = sorted(t for t in interrupted if client.should_load_data_to_staging_dataset(t))
        mixed = [t for t in staged if t in finished]
        if mixed:
            logger.warning(
                "load package %s: the copies of %s into the staging dataset were interrupted beside finished ones; "
                "if those tables show duplicate ids, reload them with --full-refresh",
                load_id,
                ", ".join(mixed),
            )
        tables = [t for t in staged if t not in finished]
        if tables:
            with client.with_staging_dataset() as staging:
                staging.initialize_storage(truncate_tables=tables)  # what dlt itself does when a package starts
            logger.info("load package %s: emptied staging tables %s before copying again", load_id, tables)
    return tables


