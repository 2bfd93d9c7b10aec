"""The run log: one `zoho_crm_runs` row per mirror run, loaded in the same load package as the run's data.

The row is made by a second source extracted right after the Zoho CRM source in the same `pipeline.run`: dlt puts
sources of one schema in one load package, so the row is committed with the data it describes (a failed or killed
run leaves neither) and it can count everything the first source extracted and every credit it spent.

Child tables: `zoho_crm_runs__tables` (rows loaded and deleted per table) and `zoho_crm_runs__modules` (reader,
calls, credits and Zoho's clock at the start of each module's reading). Join them on `_dlt_parent_id = _dlt_id`;
`_dlt_load_id` joins `_dlt_loads`.
"""

from collections import Counter
from typing import Any, ClassVar, Dict, Iterator, List, Optional

import dlt
import pendulum
from dlt.common.normalizers.json.relational import DataItemNormalizer as RelationalNormalizer
from dlt.common.schema import Schema
from dlt.common.typing import TDataItem, TDataItems
from dlt.extract import DltSource
from dlt.extract.items_transform import BaseItemTransform, ItemTransform

from ..api.ledger import RunLedger
from ..context import ZohoCrmSource
from ..settings import TABLE_PREFIX, USERS
from .dictionary import FIELDS_COLUMNS, FIELDS_KEY, FIELDS_TABLE, field_dictionary

RUNS_TABLE = TABLE_PREFIX + "runs"
BOOKKEEPING = frozenset({RUNS_TABLE, FIELDS_TABLE})  # tables about the mirror, not the org's data
BULK_KINDS = ("bulk_create", "bulk_status", "bulk_download")
RUN_COLUMNS: Dict[str, Any] = {
    "started_at": {"data_type": "timestamp"},
    "extracted_at": {"data_type": "timestamp"},
    "data_current_to": {"data_type": "timestamp", "nullable": True},
    "credits_by_kind": {"data_type": "json"},
    "calls_by_kind": {"data_type": "json"},
    "retries": {"data_type": "json", "nullable": True},
    "credits_remaining": {"data_type": "bigint", "nullable": True},
}


class RowCounter(ItemTransform[None, Any]):
    """A step at the end of a resource's pipe that counts the rows it hands to dlt, by table, per batch."""

    placement_affinity: ClassVar[float] = 1.5  # after the incremental and limit steps: counts what is loaded

    def __init__(self, table: str, counts: "Counter[str]") -> None:
        BaseItemTransform.__init__(self)
        self.table, self.counts = table, counts

    def __call__(self, item: TDataItems, meta: Any = None) -> Optional[TDataItems]:
        """Count `item` (a list of rows, an Arrow table or one row) and pass it on unchanged."""
        self.counts[self.table] += len(item) if isinstance(item, list) else getattr(item, "num_rows", 1)
        return item


def count_rows(source: ZohoCrmSource) -> "Counter[str]":
    """Rows each selected resource of `source` hands to dlt, by table (filled while the source is extracted)."""
    counts: Counter[str] = Counter()
    for resource in source.resources.selected.values():
        table = resource.table_name if isinstance(resource.table_name, str) else resource.name
        resource.add_step(RowCounter(table, counts))
    return counts


def run_log_source(
    source: ZohoCrmSource, counts: "Counter[str]", started_at: pendulum.DateTime, full_refresh: bool
) -> DltSource:
    """A source extracted after `source`, in the same load package: `zoho_crm_runs` (one row, made when it is
    extracted) and the data dictionary `zoho_crm_fields` (`tables/dictionary.py`), which needs the columns `source`
    brought.

    Args:
        source: The run's Zoho CRM source (its ledger holds the calls and credits, its context the modules).
        counts: Rows per table `count_rows` counted in `source`.
        started_at: When the run started (UTC).
        full_refresh: Whether the run reloads from scratch.
    """

    def run_row() -> Iterator[TDataItem]:
        yield _row(source, counts, started_at, full_refresh)

    assert source.context is not None
    resources = [
        dlt.resource(run_row, name=RUNS_TABLE, write_disposition="append", columns=RUN_COLUMNS),
        dlt.resource(
            field_dictionary,
            name=FIELDS_TABLE,
            write_disposition="merge",
            primary_key=FIELDS_KEY,
            columns=FIELDS_COLUMNS,
        )(source.context),
    ]
    # dlt merges this source's schema into the package's: it must carry the Zoho source's normalizer settings
    # (`max_table_nesting`, the Delta runs' propagation of `_dlt_load_id`), or its defaults would replace them
    schema = Schema(source.name)
    RelationalNormalizer.update_normalizer_config(schema, RelationalNormalizer.get_normalizer_config(source.schema))
    return DltSource(schema, source.section, resources)


def _row(
    source: ZohoCrmSource, counts: "Counter[str]", started_at: pendulum.DateTime, full_refresh: bool
) -> TDataItem:
    context = source.context
    assert context is not None
    ledger = context.ledger
    tombstones = dict(ledger.tombstones)
    tables = [
        {"table_name": t, "rows": n - tombstones.get(t, 0), "deleted": tombstones.get(t, 0)}
        for t, n in sorted(counts.items())
    ]
    modules = _modules(context.modules, ledger)
    current_to = [m["current_to"] for m in modules if m.get("current_to")]
    return {
        "started_at": started_at,
        "extracted_at": pendulum.now("UTC"),
        "api_base_url": context.api_base_url,
        "status": "stopped: credit budget" if ledger.budget_stops else "complete",
        "full_refresh": full_refresh,
        "data_current_to": min(current_to) if current_to else None,
        "rows": sum(t["rows"] for t in tables),
        "deleted": sum(t["deleted"] for t in tables),
        "calls": sum(ledger.calls.values()),
        "credits": ledger.credits_total(),
        "credits_remaining": ledger.credits_remaining,
        "calls_by_kind": ledger.calls_by_kind(),
        "credits_by_kind": ledger.credits_by_kind(),
        "retries": dict(ledger.retries) or None,
        "tables": tables,
        "modules": modules,
    }


def _modules(modules: List[str], ledger: RunLedger) -> List[TDataItem]:
    """Per module: the reader that loaded it, its calls and credits, and Zoho's clock when its reading started."""
    out = []
    credits = ledger.credits_by_module()
    for module in modules:
        calls = {kind: n for kind, n in ledger.calls_of(module).items() if n}
        reader = "users" if module == USERS else "bulk" if any(k in calls for k in BULK_KINDS) else "rest"
        out.append(
            {
                "module": module,
                "reader": reader,
                "calls": sum(calls.values()),
                "credits": credits.get(module, 0),
                "current_to": ledger.reads_started.get(module),
                "reconciled": module in ledger.reconciliations,
            }
        )
    return out
