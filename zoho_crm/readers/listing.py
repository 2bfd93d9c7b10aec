"""The listing resource of a module: which reader lists its changed records this run, REST or Bulk Read.

Every later run, and every module at or under `bulk_threshold` records, uses the REST listing. A module's first
load (no cursor yet) is probed with the REST listing itself: if it ends within `PROBE_COUNT_AFTER` records (or
the threshold, when lower) those rows are used as they are, at exactly the REST cost. Past that, one COQL count
(1 credit) tells the module's size: at or under the threshold the listing goes on as REST, details flowing at
once; over it the probe stops and a Bulk Read export loads the module. Without an answer to the count (no
`ZohoCRM.coql.READ` scope, say) the probe lists on to the threshold, holding details until it knows. A failed job
or a download that keeps failing falls back to the REST listing.
"""

import logging
from datetime import datetime
from typing import Iterator, List, Optional

import dlt
from dlt.common.typing import TDataItem

from ..api.ledger import RunLedger
from ..context import RunContext
from ..errors import ZohoApiError, ZohoNetworkError
from ..records.csv_records import csv_plan
from ..settings import BULK_JOB_CREDITS, COQL_PATH, CREDIT_COSTS, CURSOR_FIELD, METADATA_RESERVE, PROBE_COUNT_AFTER
from .bulk import BulkReadFailed, JobJournal, bulk_batches, journal_path
from .rest import rest_batches
from .streams import in_extract_pool, unless_unreadable

logger = logging.getLogger(__name__)
LISTED = "listed"  # resource state: the module had a complete first listing (set when the listing ends)


def modified_record_ids(
    context: RunContext,
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
    context.listing_starts.note(module, since)  # what the reconciliation of this run leaves to this listing
    if first_load and bulk_threshold > 0:
        journal = JobJournal(journal_path())
        batches = _probe_then_read(context, module, ids_per_request, since, bulk_threshold, journal)
    else:
        batches = _rest_with_metadata(context, module, ids_per_request, since)
    yield from in_extract_pool(context, unless_unreadable(context, module, batches))
    state[LISTED] = True


def _rest_with_metadata(
    context: RunContext, module: str, ids_per_request: int, since: datetime
) -> Iterator[List[TDataItem]]:
    """The REST listing; its first batch also reserves the module's field metadata, which the detail transformer
    reads only if a row survives dlt's boundary dedup (a run without changes reads none)."""
    first = True
    for batch in rest_batches(context, module, ids_per_request, since):
        if first and not context.ledger.reserve(METADATA_RESERVE, module):
            return
        first = False
        yield batch


def _probe_then_read(
    context: RunContext, module: str, ids_per_request: int, since: datetime, threshold: int, journal: JobJournal
) -> Iterator[List[TDataItem]]:
    details = _DetailPayments(context.ledger, module)
    held: List[List[TDataItem]] = []
    listed = 0
    size: Optional[int] = None  # the COQL count; -1 when Zoho did not answer it
    probe = rest_batches(context, module, ids_per_request, since, reserve_details=False)
    for batch in probe:
        held.append(batch)
        listed += len(batch)
        if size is None and listed > min(PROBE_COUNT_AFTER, threshold):
            count = record_count(context, module) if threshold > PROBE_COUNT_AFTER else None
            size = -1 if count is None else count
        if size is not None and 0 <= size <= threshold:
            # a REST load: the details of what is listed need not wait for the listing to end
            yield from details.paid(held)
            held.clear()
            if details.stopped:
                probe.close()
                return
        elif listed > threshold or (size or 0) > threshold:
            probe.close()
            break
    else:
        # small enough: these are the REST listing's rows, now paying for their metadata and detail calls
        yield from details.paid(held)
        return
    held.clear()
    try:
        ready = _metadata_ready(context, module, BULK_JOB_CREDITS)
        plan = csv_plan(context.client, context.metadata, module) if ready else None
        logger.info("%s has more than %d records: first load through Bulk Read", module, threshold)
        yield from bulk_batches(context, module, plan, since, ids_per_request, journal)
    except (BulkReadFailed, ZohoApiError, ZohoNetworkError) as ex:
        logger.warning("Bulk Read of %s failed (%s): loading it through the REST API instead", module, ex)
        yield from _rest_with_metadata(context, module, ids_per_request, since)


def record_count(context: RunContext, module: str) -> Optional[int]:
    """The module's record count from COQL (1 credit), or None when Zoho does not answer it (no
    `ZohoCRM.coql.READ` scope, a module COQL cannot read, …) or the credit budget cannot pay it."""
    if context.quirks.endpoint_refused(COQL_PATH) or not context.ledger.reserve(CREDIT_COSTS["coql"], module):
        return None
    query = f"select COUNT(id) from {module} where id is not null"
    client = context.client
    try:
        answer = client.post_json(f"{client.rest.base_url}/{COQL_PATH}", {"select_query": query}, module)
    except ZohoApiError as ex:
        context.ledger.release(CREDIT_COSTS["coql"])
        context.quirks.refuse_endpoint(COQL_PATH)  # not asked again this run
        logger.info("No COQL count for %s (%s): probing its size by listing", module, ex)
        return None
    try:  # one row, one column: its key is the expression or its alias (Zoho's naming is undocumented)
        return int(next(iter(answer["data"][0].values())))
    except (KeyError, IndexError, AttributeError, StopIteration, TypeError, ValueError):
        return None


class _DetailPayments:
    """Credits of the detail calls of listed batches: the module's metadata once, then one call per batch."""

    def __init__(self, ledger: RunLedger, module: str) -> None:
        self.ledger, self.module = ledger, module
        self.metadata_paid = self.stopped = False

    def paid(self, batches: List[List[TDataItem]]) -> Iterator[List[TDataItem]]:
        """Yield the batches, oldest first, while the credit budget pays for them (`stopped` once it cannot)."""
        for batch in batches:
            if not self.metadata_paid:
                self.metadata_paid = self.ledger.reserve(METADATA_RESERVE, self.module)
            if not self.metadata_paid or not self.ledger.reserve(1, self.module):
                self.stopped = True
                return
            yield batch


def _metadata_ready(context: RunContext, module: str, extra: int = 0) -> bool:
    """Reserve and read the module's field metadata (types, subforms), with `extra` credits of headroom."""
    if not context.ledger.reserve(METADATA_RESERVE + extra, module):
        return False
    context.metadata.hints(module)
    context.ledger.release(extra)
    return True

