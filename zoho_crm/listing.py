"""The listing resource of a module: which reader lists its changed records this run, REST or Bulk Read.

Every later run, and every module at or under `bulk_threshold` records, uses the REST listing. A module's first
load (no cursor yet) is probed with the REST listing itself: if it ends within the threshold those rows are used
as they are (the module costs what it costs today); past the threshold the probe stops and a Bulk Read export
loads the module. A failed job or a download that keeps failing falls back to the REST listing.
"""

import logging
import os
from datetime import datetime
from typing import Iterator, List, Optional

import dlt
from dlt.common.typing import TDataItem

from .bulk_reader import JOURNAL_FILE, BulkReadFailed, JobJournal, bulk_batches
from .csv_records import csv_plan
from .errors import ZohoApiError, ZohoNetworkError
from .metadata import OrgMetadata
from .rest_reader import rest_batches
from .settings import BULK_JOB_CREDITS, CURSOR_FIELD, METADATA_RESERVE
from .streams import in_extract_pool, unless_unreadable

logger = logging.getLogger(__name__)
LISTED = "listed"  # resource state: the module had a complete first listing (set when the listing ends)


def modified_record_ids(
    metadata: OrgMetadata,
    module: str,
    ids_per_request: int,
    bulk_threshold: int,
    modified: dlt.sources.incremental[datetime] = dlt.sources.incremental(CURSOR_FIELD),
) -> Iterator[List[TDataItem]]:
    """Yield batches of `{id, Modified_Time}` rows of records modified since the cursor (with the whole record
    when Bulk Read already has it)."""
    state = dlt.current.resource_state()
    first_load = not state.get(LISTED) and modified.last_value == modified.initial_value
    since = modified.start_value
    if first_load and bulk_threshold > 0:
        journal = JobJournal(_journal_path())
        batches = _probe_then_read(metadata, module, ids_per_request, since, bulk_threshold, journal)
    else:
        batches = _rest_with_metadata(metadata, module, ids_per_request, since)
    yield from in_extract_pool(unless_unreadable(metadata.client, module, batches))
    state[LISTED] = True


def _rest_with_metadata(
    metadata: OrgMetadata, module: str, ids_per_request: int, since: datetime
) -> Iterator[List[TDataItem]]:
    """The REST listing; its first batch also reserves the module's field metadata, which the detail transformer
    reads only if a row survives dlt's boundary dedup (a run without changes reads none)."""
    first = True
    for batch in rest_batches(metadata.client, module, ids_per_request, since):
        if first and not metadata.client.gate.ledger.reserve(METADATA_RESERVE, module):
            return
        first = False
        yield batch


def _probe_then_read(
    metadata: OrgMetadata, module: str, ids_per_request: int, since: datetime, threshold: int, journal: JobJournal
) -> Iterator[List[TDataItem]]:
    ledger = metadata.client.gate.ledger
    held: List[List[TDataItem]] = []
    listed = 0
    probe = rest_batches(metadata.client, module, ids_per_request, since, reserve_details=False)
    for batch in probe:
        held.append(batch)
        listed += len(batch)
        if listed > threshold:
            probe.close()
            break
    else:
        # small enough: these are the REST listing's rows, now paying for their metadata and detail calls
        if held and not ledger.reserve(METADATA_RESERVE, module):
            return
        for batch in held:
            if not ledger.reserve(1, module):
                return
            yield batch
        return
    held.clear()
    try:
        plan = csv_plan(metadata, module) if _metadata_ready(metadata, module, BULK_JOB_CREDITS) else None
        logger.info("%s has more than %d records: first load through Bulk Read", module, threshold)
        yield from bulk_batches(metadata.client, module, plan, since, ids_per_request, journal)
    except (BulkReadFailed, ZohoApiError, ZohoNetworkError) as ex:
        logger.warning("Bulk Read of %s failed (%s): loading it through the REST API instead", module, ex)
        yield from _rest_with_metadata(metadata, module, ids_per_request, since)


def _metadata_ready(metadata: OrgMetadata, module: str, extra: int = 0) -> bool:
    """Reserve and read the module's field metadata (types, subforms), with `extra` credits of headroom."""
    if not metadata.client.gate.ledger.reserve(METADATA_RESERVE + extra, module):
        return False
    metadata.hints(module)
    metadata.client.gate.ledger.release(extra)
    return True


def _journal_path() -> Optional[str]:
    try:
        return os.path.join(dlt.current.pipeline().working_dir, JOURNAL_FILE)
    except Exception:  # no active pipeline (the source used on its own): no resume across runs
        return None
