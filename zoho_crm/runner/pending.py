"""Finish what an earlier run left pending before fetching anything new."""

import logging
from typing import List

import dlt

logger = logging.getLogger(__name__)


def finish_pending_loads(pipeline: dlt.Pipeline) -> List[str]:
    """Normalize and load the packages an earlier run left behind (it was killed, or the destination failed).

    dlt's `pipeline.run()` would load such a package and return without extracting, so a scheduled run would
    report success with the mirror one run behind. Called before `run()`, the pending data goes first and the
    same run then fetches what changed since. The destination is synced first, as `run()` does: a dataset dropped
    at the destination (a deliberate reset) discards the pending packages instead of reviving their cursors.

    Args:
        pipeline: The pipeline about to run, destination set.

    Returns:
        The load ids completed (empty when nothing was pending).
    """
    if not pipeline.has_pending_data:
        return []
    discard_committed_leftovers(pipeline)
    if pipeline.config.restore_from_destination:
        pipeline.sync_destination()
    if pipeline.list_extracted_load_packages():
        pipeline.normalize()
    load_ids = list(pipeline.list_normalized_load_packages())
    if load_ids:
        pipeline.load()
        logger.warning(
            "an earlier run did not finish: loaded the %s it left pending; now fetching what changed since",
            ", ".join(f"load package {load_id}" for load_id in load_ids),
        )
    return load_ids


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
