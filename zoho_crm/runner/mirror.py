"""A mirror run: the Zoho CRM source loaded into any dlt pipeline with every guarantee of the CLI.

`zoho_crm.mirror(pipeline, **source_args)` (and `ZohoCrmMirror(...).run(pipeline)`) call `run_mirror` with the
package's source; the CLI is flags, logging, printing and exit codes around it.
"""

import logging
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import dlt
import pendulum
from dlt.common.exceptions import SignalReceivedException
from dlt.common.pipeline import LoadInfo
from dlt.extract import DltSource
from dlt.pipeline.exceptions import PipelineStepFailed

from ..api.ledger import RunLedger, TCallKey
from ..api.stop import RunStop
from ..config import named_modules
from ..context import ZohoCrmSource, mirrored_org
from ..destination import lakehouse
from ..destination.analyst import create_views, drop_views
from ..destination.comments import comment_columns
from ..destination.duckdb import duckdb_held_open_while_loading
from ..destination.preflight import preflight
from ..destination.resolve import resolve_table_format
from ..errors import ZohoCreditBudgetReached, ZohoCrmStoppedEarly, ZohoRunStopped
from ..settings import TABLE_PREFIX
from ..tables.history import with_history_modules
from ..tables.run_log import BOOKKEEPING, count_rows, run_log_source
from .failures.chain import exception_chain, first
from .lock import PipelineRunLock
from .pending import finish_pending_loads
from .reset import reset_everything, reset_modules

logger = logging.getLogger(__name__)
TFigures = Dict[str, Dict[str, int]]  # module ("" for org-wide calls) -> call kind -> count


@dataclass(frozen=True)
class MirrorResult:
    """What a mirror run did: dlt's load info and the run's figures from its ledger.

    Attributes:
        load_info: dlt's `LoadInfo` of the run (`pipeline.last_trace` has the extract and normalize steps).
        rows: Rows loaded per `zoho_crm_*` table, deletion markers, the run log and the data dictionary left out.
        deleted: Records deleted from each module table (tombstones; `delete_mode = "hard"`).
        calls: Zoho CRM API calls by module ("" for org-wide calls) and kind (list, detail, metadata, …).
        credits: API credits by module and kind.
        credits_remaining: The org's credits left today, as Zoho last reported them (None when it did not).
        retries: Retried attempts by reason (throttled, server_error, dropped, …).
        reconciled: What each module's reconciliation found, when it ran (checked, refreshed, added, removed,
            credits, reader), as `zoho_crm_reconciliations` holds it.
        elapsed: Seconds the run took, lock to load.
    """

    load_info: LoadInfo
    rows: Dict[str, int] = field(default_factory=dict)
    deleted: Dict[str, int] = field(default_factory=dict)
    calls: TFigures = field(default_factory=dict)
    credits: TFigures = field(default_factory=dict)
    credits_remaining: Optional[int] = None
    retries: Dict[str, int] = field(default_factory=dict)
    reconciled: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def credits_total(self) -> int:
        """Credits the run spent."""
        return sum(sum(kinds.values()) for kinds in self.credits.values())

    def calls_by_kind(self) -> Dict[str, int]:
        """Calls per kind, all modules together."""
        return _by_kind(self.calls)

    def credits_by_kind(self) -> Dict[str, int]:
        """Credits per kind, all modules together."""
        return _by_kind(self.credits)

    def credits_by_module(self) -> Dict[str, int]:
        """Credits per module ("" for org-wide calls)."""
        return {module: sum(kinds.values()) for module, kinds in self.credits.items()}


def run_mirror(
    pipeline: dlt.Pipeline,
    make_source: Callable[..., ZohoCrmSource],
    *,
    full_refresh: bool = False,
    table_format: Optional[str] = None,
    stop: Optional[RunStop] = None,
    **source_args: Any,
) -> MirrorResult:
    """Mirror the org into `pipeline` (see `zoho_crm.mirror` for the guarantees, in order).

    Args:
        pipeline: Any dlt pipeline, destination set.
        make_source: `zoho_crm_source` (built only once the run holds the pipeline's lock).
        full_refresh: Reload the named modules (and their stage history), or everything when none is named.
        table_format: "delta", or None for the pipeline's configured table format.
        stop: Where the caller asks the run to stop (`RunStop.request(ZohoRunStopped("SIGTERM"))`).
        **source_args: Arguments of the source.
    """
    started, ledger, stop = time.monotonic(), RunLedger(), stop or RunStop()
    try:
        return _run(pipeline, make_source, full_refresh, table_format, stop, ledger, started, source_args)
    except PipelineStepFailed as exc:
        stopped = _stop_of(exc, stop)
        if stopped is None:
            raise
        raise stopped from None


def _run(
    pipeline: dlt.Pipeline,
    make_source: Callable[..., ZohoCrmSource],
    full_refresh: bool,
    table_format: Optional[str],
    stop: RunStop,
    ledger: RunLedger,
    started: float,
    source_args: Dict[str, Any],
) -> MirrorResult:
    started_at = pendulum.now("UTC")
    with PipelineRunLock(pipeline.pipeline_name, pipeline.pipelines_dir) as lock:
        if lock.previous:
            logger.warning(
                "the previous run of pipeline %s (pid %s, started %s) did not finish: this run takes over",
                pipeline.pipeline_name,
                lock.previous.get("pid"),
                lock.previous.get("started"),
            )
        table_format = resolve_table_format(pipeline, table_format)
        preflight(pipeline, table_format)  # a run that cannot load fails before its first Zoho call
        with duckdb_held_open_while_loading(pipeline):
            # what a killed or failed run left goes first (its state synced); then this run fetches anew
            synced = pipeline.has_pending_data
            finish_pending_loads(pipeline)
            source = make_source(**source_args, ledger=ledger, stop=stop)
            if not synced and pipeline.config.restore_from_destination and not pipeline.dev_mode:
                pipeline.sync_destination()  # a new working directory: the org guard needs the destination's state
            if table_format:
                lakehouse.prepare_source(source)
            named = named_modules(source_args.get("modules"))
            other_org = org_changed(pipeline, source)
            if other_org or full_refresh:
                drop_views(pipeline)  # Postgres drops no table a view reads; they come back after the load
            if other_org or (full_refresh and not named):
                reset_everything(pipeline, keep_run_log=not other_org)
            elif full_refresh:
                # only the named modules (and their stage history): the others stay as they are
                reset_modules(pipeline, with_history_modules(pipeline, named))
            run_log = run_log_source(source, count_rows(source), started_at, full_refresh or other_org)
            info = _load(pipeline, [source, run_log], table_format)
        if table_format:
            lakehouse.apply_deletions(pipeline, info.loads_ids, table_format)
        comment_columns(pipeline, info.loads_ids)
        create_views(pipeline)
    result = _result(pipeline, info, ledger, time.monotonic() - started)
    if ledger.budget_stops:
        stop = ZohoCreditBudgetReached(ledger.credit_budget or 0, ledger.credits_total(), list(ledger.budget_stops))
        stop.result = result
        raise stop
    return result


def org_changed(pipeline: dlt.Pipeline, source: ZohoCrmSource) -> bool:
    """True when the pipeline's tables mirror another Zoho API domain than the source reads: they are replaced."""
    previous = mirrored_org(pipeline.state, source.name)
    current = source.context.api_base_url if source.context else None
    if not previous or not current or previous == current:
        return False
    logger.warning(
        "pipeline %s last loaded %s, now %s: dropping its tables and cursors and loading everything",
        pipeline.pipeline_name,
        previous,
        current,
    )
    return True


def _load(pipeline: dlt.Pipeline, sources: List[DltSource], table_format: Optional[str]) -> LoadInfo:
    """One `pipeline.run` (one trace: extract, normalize, load; one load package), parquet where the destination
    takes it.

    A stop with nothing lost inside dlt's steps (Zoho's daily limit, throttling, a signal) is raised as itself
    (`run_mirror`).
    """
    formats = pipeline.destination.capabilities().supported_loader_file_formats
    info = pipeline.run(
        sources,
        loader_file_format="parquet" if "parquet" in formats else None,
        table_format=table_format,  # type: ignore[arg-type]
    )
    info.raise_on_failed_jobs()
    return info


def _stop_of(exc: PipelineStepFailed, stop: RunStop) -> Optional[ZohoCrmStoppedEarly]:
    """The stop with nothing lost behind a failed dlt step: a signal (dlt's own during normalize and load, or the
    caller's request), Zoho's daily limit, throttling, the credit budget; None for a failure."""
    links = exception_chain(exc)
    received = first(links, SignalReceivedException)
    if isinstance(received, SignalReceivedException):
        return ZohoRunStopped(signal.Signals(received.signal_code).name, exc.step)
    if isinstance(stop.reason, ZohoRunStopped):
        return ZohoRunStopped(stop.reason.signal_name, exc.step)
    stopped = first(links, ZohoCrmStoppedEarly)
    return stopped if isinstance(stopped, ZohoCrmStoppedEarly) else None


def _result(pipeline: dlt.Pipeline, info: LoadInfo, ledger: RunLedger, elapsed: float) -> MirrorResult:
    trace = pipeline.last_trace
    counts = trace.last_normalize_info.row_counts if trace and trace.last_normalize_info else {}
    deleted = dict(ledger.tombstones)
    rows = {
        t: n - deleted.get(t, 0)
        for t, n in sorted(counts.items())
        if t.startswith(TABLE_PREFIX) and t.split("__")[0] not in BOOKKEEPING  # not the org's data
    }
    return MirrorResult(
        load_info=info,
        rows=rows,
        deleted=deleted,
        calls=_nested(ledger.calls),
        credits=_nested(ledger.credits),
        credits_remaining=ledger.credits_remaining,
        retries=dict(ledger.retries),
        reconciled=dict(sorted(ledger.reconciliations.items())),
        elapsed=elapsed,
    )


def _nested(counts: "Counter[TCallKey]") -> TFigures:
    out: TFigures = {}
    for (module, kind), n in sorted(counts.items()):
        if n:
            out.setdefault(module, {})[kind] = n
    return out


def _by_kind(figures: TFigures) -> Dict[str, int]:
    out: Counter[str] = Counter()
    for kinds in figures.values():
        out.update(kinds)
    return dict(out)

