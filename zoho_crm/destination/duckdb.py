"""DuckDB held open through a load step: one database instance for all load jobs instead of one per job."""

import logging
from contextlib import ExitStack, contextmanager
from typing import Any, Iterator

import dlt

logger = logging.getLogger(__name__)

# Up to this much to load, the database stays open through the load step. Past it, dlt's reopening per job is
# noise beside the data and keeps memory as measured: a million Bulk-Read Leads (~500 MB of files) ran out of
# DuckDB memory in the merge when the database stayed open (its memory still held the blocks the copies wrote).
HOLD_OPEN_MAX_BYTES = 64 * 1024 * 1024


@contextmanager
def duckdb_held_open_while_loading(pipeline: dlt.Pipeline) -> Iterator[None]:
    """While in this block, `pipeline.load()` keeps a DuckDB destination's database open for the whole step.

    dlt opens the database for each load job and closes it after: with one job at a time, every job reads the file
    on open and checkpoints it on close (~80 ms each; the 87 jobs of the default modules spent 8 of the load's 10 s
    so). A connection held through the step keeps DuckDB's database instance alive, so the jobs' connections share
    it. Only the load step holds it: during extract and normalize, which take hours on a large org, a notebook may
    still open the file. Loads of more than `HOLD_OPEN_MAX_BYTES` run as dlt runs them.
    """
    if pipeline.destination is None or pipeline.destination.destination_type != "dlt.destinations.duckdb":
        yield
        return
    load = pipeline.load

    def load_held_open(*args: Any, **kwargs: Any) -> Any:
        with ExitStack() as held:
            if _bytes_to_load(pipeline) <= HOLD_OPEN_MAX_BYTES:
                try:
                    held.enter_context(pipeline.destination_client())
                except Exception as ex:  # a file held by another process: dlt reports it in the load step itself
                    logger.debug("DuckDB not held open for the load: %s", ex)
            return load(*args, **kwargs)

    pipeline.load = load_held_open  # type: ignore[method-assign]  # run() calls self.load()
    try:
        yield
    finally:
        del pipeline.load


def _bytes_to_load(pipeline: dlt.Pipeline) -> int:
    """Size of the load files the next load step takes (every normalized package's new jobs)."""
    return sum(
        job.file_size
        for load_id in pipeline.list_normalized_load_packages()
        for job in pipeline.get_load_package_info(load_id).jobs["new_jobs"]
    )
