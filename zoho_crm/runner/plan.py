"""`--plan`: what the next run would read and what it would cost, before it spends anything.

For every module the run would load: the records Zoho has, the records changed since the module's cursor (or "first
load"), the reader (REST, or Bulk Read for a large first load) and the calls and credits by kind, from the same rules
the run follows (`readers/listing.py`, `readers/rest.py`, `readers/bulk.py`). Sizes come from one COQL `COUNT` per
module (1 credit; `Modified_Time > cursor` for an incremental run), Bulk Read modules' field metadata (1 credit: what
converting their CSV costs), and the module list; without the COQL scope, from one listing page per module (a lower
bound, said so). Then the settings tables that are due, the reconciliations that are due, and totals: credits, the
org's credits left when Zoho says it, whether `credit_budget` covers the run, and a wall-time estimate from the
latency of the plan's own calls.

Nothing is loaded, no pipeline state is written (the pipeline is attached only when it exists already) and no
destination table is created; a DuckDB file that does not exist is not opened.
"""

import json
import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import dlt
import pendulum
from dlt.common.pipeline import get_dlt_pipelines_dir

from ..api.ledger import RunLedger
from ..api.timestamps import EPOCH, if_modified_since, to_utc
from ..config import parse_start_date
from ..context import ZohoCrmSource
from ..destination import mirror_read
from ..errors import ZohoApiError
from ..readers.reconcile import RECONCILED_AT, due
from ..readers.rest import module_params, rejected_optional_param
from ..records.csv_records import csv_plan_calls
from ..settings import (
    BULK_JOB_CREDITS,
    COQL_PATH,
    CREDIT_COSTS,
    CURSOR_FIELD,
    PER_PAGE,
    PROBE_COUNT_AFTER,
    USERS,
)
from ..tables.modules import table_name
from ..tables.settings_tables import REFRESHED_AT, SETTINGS_TABLES, refresh_due

BULK_PAGE_RECORDS = 200_000  # records per Bulk Read job
BULK_JOB_SECONDS = 60.0  # a Bulk Read job's wait, counted in the wall-time estimate (Zoho takes about a minute)
# the run's own work, beside its calls: starting, normalizing and loading (measured by benchmarks/plan_accuracy.py
# on a shared 2-core machine: about 3 s and 0.4 ms a record, DuckDB)
LOCAL_SECONDS = 3.0
LOCAL_SECONDS_PER_RECORD = 0.0004
INVENTORY_MODULES = ("Quotes", "Sales_Orders", "Purchase_Orders", "Invoices")  # one line-item subform each
FIELD_READS = 4  # Bulk Read modules whose fields the plan reads (1 credit each): the plan costs modules + 5 at most
CSV_METADATA = 2  # the metadata a CSV conversion reads beyond the fields, when they are not read: tags and layouts


@dataclass
class ModulePlan:
    """What the run would do for one module (`calls` by kind; None where it is unknown)."""

    module: str
    records: Optional[int]
    changed: Optional[int]
    first_load: bool
    records_from: str  # "zoho" (COQL, at a first load) or "mirror" (the destination's rows: no second count)
    reader: str
    calls: Dict[str, int]
    credits: int
    note: str = ""


@dataclass
class Plan:
    """The run's plan; `as_json` is the `--plan --json` contract."""

    modules: List[ModulePlan]
    settings_tables: List[str]
    settings_credits: int
    reconciling: List[str]
    reconcile_credits: int
    org_credits: int  # the module list and Users
    credit_budget: Optional[int]
    credits_remaining: Optional[int]
    seconds: Optional[float]
    plan_credits: int
    notes: List[str] = field(default_factory=list)

    @property
    def credits(self) -> int:
        """Credits the run would spend."""
        return sum(m.credits for m in self.modules) + self.settings_credits + self.reconcile_credits + self.org_credits

    @property
    def fits_budget(self) -> Optional[bool]:
        """Whether `credit_budget` covers the run (None without a budget)."""
        return None if self.credit_budget is None else self.credits <= self.credit_budget

    def as_json(self) -> Dict[str, Any]:
        """`{"modules": [{"module", "records", "changed", "reader", "calls", "credits", …}], "credits",
        "credits_remaining", "fits_budget", "seconds", …}`; null for what is unknown."""
        return {
            "modules": [asdict(m) for m in self.modules],
            "credits": self.credits,
            "credits_remaining": self.credits_remaining,
            "fits_budget": self.fits_budget,
            "seconds": self.seconds,
            "settings_tables": self.settings_tables,
            "settings_credits": self.settings_credits,
            "reconciling": self.reconciling,
            "reconcile_credits": self.reconcile_credits,
            "org_credits": self.org_credits,
            "credit_budget": self.credit_budget,
            "plan_credits": self.plan_credits,
            "notes": self.notes,
        }

    def lines(self) -> List[str]:
        """The plan as the CLI prints it."""
        out = [f"{'module':<18} {'records':>9} {'changed':>11} {'reader':<6} {'credits':>7}  calls"]
        for m in self.modules:
            records = "?" if m.records is None else f"{m.records}{'' if m.records_from == 'zoho' else ' *'}"
            changed = "first load" if m.first_load else ("?" if m.changed is None else str(m.changed))
            calls = ", ".join(f"{k} {n}" for k, n in sorted(m.calls.items()) if n) or "none"
            out.append(f"{m.module:<18} {records:>9} {changed:>11} {m.reader:<6} {m.credits:>7}  {calls}")
            if m.note:
                out.append(f"{'':<18} {m.note}")
        if any(m.records_from == "mirror" for m in self.modules):
            out.append("* rows in the destination (Zoho counts only what changed, 1 credit per module)")
        if self.settings_tables:
            out.append(f"Settings tables due: {', '.join(self.settings_tables)} ({self.settings_credits} credits)")
        if self.reconciling:
            due_now = ", ".join(self.reconciling)
            out.append(f"Reconciliations due: {due_now} (at least {self.reconcile_credits} credits)")
        remaining = "unknown" if self.credits_remaining is None else str(self.credits_remaining)
        budget = "no credit_budget"
        if self.credit_budget is not None:
            budget = f"{'fits' if self.fits_budget else 'OVER'} credit_budget {self.credit_budget}"
        seconds = "?" if self.seconds is None else f"{self.seconds:.1f} s"
        out.append(f"Credits: {self.credits} (the module list and Users {self.org_credits}); {budget}")
        out.append(f"Credits left today (Zoho): {remaining}; estimated time: {seconds}")
        out.append(f"This plan cost {self.plan_credits} credits; nothing was loaded")
        out.extend(f"note: {note}" for note in self.notes)
        return out


def plan_text(pipeline: Optional[dlt.Pipeline], as_json: bool, fresh: bool, **source_args: Any) -> str:
    """`--plan` (`--json`) output for the run of `zoho_crm_source(**source_args)` into `pipeline` (None: never run);
    `fresh`: as a `--full-refresh` of `source_args["modules"]` (else of every module) would load."""
    from .. import zoho_crm_source  # the package imports the runner

    plan = make_plan(pipeline, zoho_crm_source, fresh=fresh, **source_args)
    return json.dumps(plan.as_json(), indent=2) if as_json else "\n".join(plan.lines())


def existing_pipeline(name: str, destination: Any, dataset: Optional[str]) -> Optional[dlt.Pipeline]:
    """The pipeline `name` when it has run here before (attached: nothing written), else None."""
    if not os.path.isdir(os.path.join(get_dlt_pipelines_dir(), name)):
        return None
    return dlt.attach(name, destination=destination, dataset_name=dataset)


def make_plan(
    pipeline: Optional[dlt.Pipeline],
    make_source: Callable[..., ZohoCrmSource],
    fresh: bool = False,
    **source_args: Any,
) -> Plan:
    """The plan of the next run of `make_source(**source_args)` into `pipeline` (None: a pipeline never run);
    `fresh`: every module as a first load (`--full-refresh`)."""
    ledger = RunLedger()
    source = make_source(**source_args, ledger=ledger)
    context = source.context
    assert context is not None
    config = _source_config(source)
    state = (pipeline.state.get("sources") or {}).get(source.name) or {} if pipeline else {}
    resources: Mapping[str, Any] = state.get("resources") or {}
    latencies: List[float] = []
    planner = _Planner(context, pipeline, config, {} if fresh else resources, latencies)
    modules = [m for m in context.modules if m != USERS]
    with ThreadPoolExecutor(max(1, context.max_concurrency)) as pool:
        planned = list(pool.map(planner.module, modules))
    settings, settings_credits = planner.settings(config, modules)
    reconciling, reconcile_credits = planner.reconciliations(planned, config)
    org_credits = CREDIT_COSTS["metadata"] + (CREDIT_COSTS["users"] if USERS in context.modules else 0)
    plan = Plan(
        planned,
        settings,
        settings_credits,
        reconciling,
        reconcile_credits,
        org_credits,
        ledger.credit_budget,
        ledger.credits_remaining,
        None,
        ledger.credits_total(),
        planner.notes,
    )
    plan.seconds = _seconds(plan, latencies, context.max_concurrency)
    return plan


class _Planner:
    def __init__(
        self,
        context: Any,
        pipeline: Optional[dlt.Pipeline],
        config: Dict[str, Any],
        resources: Mapping[str, Any],
        latencies: List[float],
    ) -> None:
        self.context, self.pipeline, self.config, self.resources = context, pipeline, config, resources
        self.latencies = latencies
        self.notes: List[str] = []
        self.field_reads = 0
        self.rows: Optional[Dict[str, int]] = None
        self.lock = threading.Lock()

    def module(self, module: str) -> ModulePlan:
        table = table_name(module)
        listing = self.resources.get(f"{table}_ids") or {}
        cursor = ((listing.get("incremental") or {}).get(CURSOR_FIELD) or {}).get("last_value")
        first_load = not listing.get("listed") and cursor is None
        since = _utc(cursor) if cursor else parse_start_date(self.config["start_date"])
        count, note = self._count(module, None if first_load else since, since if first_load else None)
        records = count if first_load else self._mirror_rows(table)
        threshold, ids = int(self.config["bulk_threshold"]), int(self.config["ids_per_request"])
        subforms = self._subforms(module, table)
        if first_load and count is not None and threshold > 0 and count > threshold:
            calls = self._bulk_calls(module, count, threshold, ids)
            reader = "bulk"
        else:
            n = count or 0
            calls = {
                "list": max(1, math.ceil(n / PER_PAGE)),
                "detail": math.ceil(n / ids),
                "metadata": (1 + subforms) if n else 0,
                "deleted": 1,
            }
            if first_load and threshold > PROBE_COUNT_AFTER and n > min(PROBE_COUNT_AFTER, threshold):
                calls["coql"] = 1  # the probe's count, past its first 1,000 records
            reader = "rest"
        credits = sum(CREDIT_COSTS.get(kind, 1) * n for kind, n in calls.items())
        records_from = "zoho" if first_load else "mirror"
        return ModulePlan(module, records, count, first_load, records_from, reader, calls, credits, note)

    def settings(self, config: Dict[str, Any], modules: List[str]) -> Tuple[List[str], int]:
        """The settings tables due, and their calls (one each; layouts one per module; pipelines per Deals layout)."""
        named = config["settings_tables"]
        tables = list(SETTINGS_TABLES) if named is None else list(named)
        hours = float(config["settings_refresh_hours"])
        due_tables = [t for t in tables if refresh_due((self.resources.get(t) or {}).get(REFRESHED_AT), hours)]
        calls = {t: 1 for t in due_tables}
        if "zoho_crm_layouts" in calls:
            calls["zoho_crm_layouts"] = max(1, len(modules))
        if "zoho_crm_pipelines" in calls:  # the Deals layouts, shared with the layouts table when both refresh
            calls["zoho_crm_pipelines"] = 1 + (0 if "zoho_crm_layouts" in calls and "Deals" in modules else 1)
        return due_tables, sum(calls.values())

    def reconciliations(self, planned: List[ModulePlan], config: Dict[str, Any]) -> Tuple[List[str], int]:
        """Modules whose reconciliation is due, and what its listing costs at least (what it finds costs more)."""
        every = config.get("reconcile_every_hours")
        if every is None:
            return [], 0
        now = pendulum.now("UTC")
        due_modules, credits = [], 0
        for plan in planned:
            state = self.resources.get(f"{table_name(plan.module)}_reconcile") or {}
            if plan.first_load or not due(state.get(RECONCILED_AT), float(every), now):
                continue
            rows = plan.records or 0
            threshold = int(config["bulk_threshold"])
            bulk = 0 < threshold < rows
            listing = BULK_JOB_CREDITS * math.ceil(rows / BULK_PAGE_RECORDS) if bulk else 1 + rows // PER_PAGE
            credits += listing + (0 if plan.calls.get("metadata") else 1)
            due_modules.append(plan.module)
        return due_modules, credits

    def _count(
        self, module: str, changed_since: Optional[datetime], start: Optional[datetime]
    ) -> Tuple[Optional[int], str]:
        """Records of `module` (since `start`) or changed since `changed_since`: a COQL count, else a listing page."""
        if changed_since is not None:
            where = f"Modified_Time > '{changed_since.replace(microsecond=0).isoformat()}'"
        elif start is not None and start > EPOCH:
            where = f"Modified_Time >= '{start.replace(microsecond=0).isoformat()}'"
        else:
            where = "id is not null"
        client = self.context.client
        if not self.context.quirks.endpoint_refused(COQL_PATH):
            started = time.monotonic()
            try:
                body = {"select_query": f"select COUNT(id) from {module} where {where}"}
                answer = client.post_json(f"{client.rest.base_url}/{COQL_PATH}", body, module)
                self.latencies.append(time.monotonic() - started)
                return int(next(iter((answer.get("data") or [{}])[0].values()), 0)), ""
            except ZohoApiError as ex:
                if ex.code in ("OAUTH_SCOPE_MISMATCH", "NO_PERMISSION"):
                    self.context.quirks.refuse_endpoint(COQL_PATH)
                    self._note("COQL is not allowed (ZohoCRM.coql.READ): sizes are counted from one listing page")
            except (KeyError, IndexError, StopIteration, TypeError, ValueError):
                pass
        return self._count_by_listing(module, changed_since or start)

    def _count_by_listing(self, module: str, since: Optional[datetime]) -> Tuple[Optional[int], str]:
        """One listing page: the exact count up to 200, a lower bound past it."""
        params = {"fields": f"id,{CURSOR_FIELD}", "per_page": PER_PAGE, **module_params(self.context, module)}
        started = time.monotonic()
        try:
            pages = self.context.client.paginate(module, module, params, if_modified_since(since))
            page = next(iter(pages), None)
        except ZohoApiError as ex:
            if rejected_optional_param(self.context, ex):  # as the run does: list without it
                return self._count_by_listing(module, since)
            return None, f"not counted: Zoho answered {ex.status_code} {ex.code}"
        self.latencies.append(time.monotonic() - started)
        rows = len(page) if page is not None else 0
        more = page is not None and bool((page.response.json().get("info") or {}).get("more_records"))
        return rows, f"at least {rows} (one listing page; COQL would count them all)" if more else ""

    def _bulk_calls(self, module: str, count: int, threshold: int, ids: int) -> Dict[str, int]:
        """What a first load through Bulk Read calls: the probe's pages and count, the jobs, the CSV's metadata."""
        metadata = self.context.metadata
        with self.lock:
            read = metadata.has_fields(module) or self.field_reads < FIELD_READS
            self.field_reads += 0 if metadata.has_fields(module) else int(read)
        extra = csv_plan_calls(metadata, module) if read else CSV_METADATA  # reading the fields costs 1 credit
        if not read:
            self._note(f"fields not read for {module}: its CSV is assumed readable (as standard modules' are)")
        probe_pages = math.ceil((min(PROBE_COUNT_AFTER, threshold) + 1) / PER_PAGE)
        calls = {
            "list": probe_pages,
            "coql": 1 if threshold > PROBE_COUNT_AFTER else 0,
            "bulk_create": math.ceil(count / BULK_PAGE_RECORDS),
            "metadata": 1 + self._subforms(module, table_name(module)) + (extra or 0),
            "detail": 0 if extra is not None else math.ceil(count / ids),
            "deleted": 1,
        }
        return calls

    def _subforms(self, module: str, table: str) -> int:
        """Subforms whose metadata the run reads with the module's: from the mirror's child tables, else line items."""
        subform_modules = [
            name for name, m in (self.context.metadata.modules() or {}).items() if m.get("generated_type") == "subform"
        ]
        with self.context.destination_lock:  # dlt's pipeline and schema objects are not for concurrent threads
            schema = self.pipeline.default_schema if self.pipeline and self.pipeline.default_schema_name else None
            if schema and table in schema.tables:
                naming = schema.naming
                children = {t for t in schema.tables if t.startswith(f"{table}__")}
                return sum(1 for s in subform_modules if f"{table}__{naming.normalize_identifier(s)}" in children)
        return 1 if module in INVENTORY_MODULES else 0

    def _mirror_rows(self, table: str) -> Optional[int]:
        """The rows of `table` at the destination, None when unknown; every module table's in one query."""
        if self.pipeline is None:
            return None
        with self.context.destination_lock:
            if not mirror_read.loaded(self.pipeline, table):
                return None
            if self.rows is None:
                self.rows = self._read_rows(self.pipeline)
            return self.rows.get(table)

    def _read_rows(self, pipeline: dlt.Pipeline) -> Dict[str, int]:
        try:
            credentials = getattr(pipeline.destination_client().config, "credentials", None)
            database = getattr(credentials, "database", None)
            if isinstance(database, str) and database.endswith(".duckdb") and not os.path.exists(database):
                return {}  # a deleted file: a plan does not create it again
            tables = [table_name(m) for m in self.context.modules]
            return mirror_read.row_counts(pipeline, [t for t in tables if mirror_read.loaded(pipeline, t)])
        except Exception:  # the destination is down or not configured: the plan says what it can
            self._note("the destination did not answer: its row counts are unknown")
            return {}

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)


def _source_config(source: ZohoCrmSource) -> Dict[str, Any]:
    """The source's resolved arguments (its configspec, as the source function received them)."""
    context = source.context
    assert context is not None
    return dict(context.options)


def _seconds(plan: Plan, latencies: List[float], concurrency: int) -> Optional[float]:
    """Calls × the plan's mean latency / the calls in flight, a minute per Bulk Read job, and the local work."""
    if not latencies:
        return None
    calls = sum(n for m in plan.modules for kind, n in m.calls.items() if kind != "bulk_create")
    calls += plan.settings_credits + plan.org_credits
    jobs = sum(m.calls.get("bulk_create", 0) for m in plan.modules)
    records = sum(m.changed or 0 for m in plan.modules)
    local = LOCAL_SECONDS + records * LOCAL_SECONDS_PER_RECORD
    return round(calls * (sum(latencies) / len(latencies)) / max(1, concurrency) + jobs * BULK_JOB_SECONDS + local, 1)


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(pendulum.UTC) if value.tzinfo else value.replace(tzinfo=pendulum.UTC)
    return to_utc(str(value))
