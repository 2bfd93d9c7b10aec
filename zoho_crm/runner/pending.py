"""Finish what an earlier run left pending before fetching anything new."""

import logging
from typing import List

import dlt

from .repairs import discard_committed_leftovers, reset_interrupted_staging_copies

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
    reset_interrupted_staging_copies(pipeline)
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

