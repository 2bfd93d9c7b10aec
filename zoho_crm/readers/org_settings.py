"""Reads of the org's settings endpoints, one function per table, each returning the rows to load.

Root keys and paths follow Zoho's v8 OAS under `/crm/v7` (the emulator serves the same): `GET /org` → `org`,
`/settings/roles` → `roles`, `/settings/profiles` → `profiles`, `/settings/territories` → `territories` (paged),
`/org/currencies` → `currencies`, `/settings/layouts?module=X` → `layouts`, `/settings/pipeline?layout_id=L` →
`pipeline`. Each call costs one credit. Zoho's errors surface as `ZohoApiError`; `settings_tables` decides
whether an error skips the table or fails the run.

Credit budget: a table's refresh reserves the credits of its calls in the run's ledger before it starts (as the
module readers reserve a page's calls) and gives back what it did not use; a call beyond that reserves its own,
and when the budget cannot pay it `BudgetSpent` ends the table's read. So settings calls never push a run past
`credit_budget`, and a refresh the budget cannot pay does not start (it is done on a later run).
"""

import contextlib
import logging
import threading
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

from dlt.common.typing import TDataItem

from ..context import RunContext
from ..errors import ZohoApiError, ZohoBudgetError
from ..records.metadata import OnceEach
from ..records.schema import TFieldMeta, drop_nulls
from ..settings import PER_PAGE

logger = logging.getLogger(__name__)
DEALS = "Deals"
# what a pipeline stage (`maps` item) should carry; Zoho documents them on the Deals Stage picklist values, and
# its pipeline sample, OAS and SDK have no probability in `maps`
STAGE_KEYS = ("probability", "forecast_type", "forecast_category")
# per-module layout answers that mean "no layouts of this module", not "the table cannot be read" (a scope)
MODULE_LAYOUTS_UNREADABLE = frozenset({"INVALID_MODULE", "NOT_SUPPORTED", "FEATURE_NOT_SUPPORTED", "NO_PERMISSION"})


class BudgetSpent(Exception):
    """The run's credit budget cannot pay the next settings call (the ledger notes it; the run ends with exit 3)."""


class SettingsReader:
    """The settings reads of one run; a module's layouts are read once and shared (layouts and pipelines).

    Each table is read in one thread of dlt's extract pool (`reading` names it for the credit ledger).

    Args:
        context: The run's context: its client (every call passes the run's gate), its ledger, and its metadata
            cache (Deals field metadata completes the pipeline stages).
        layout_modules: Modules whose layouts `zoho_crm_layouts` holds (the run's modules).
    """

    def __init__(self, context: RunContext, layout_modules: Sequence[str]) -> None:
        self.context = context
        self.layout_modules = list(layout_modules)
        self._layouts = OnceEach()
        self._table = threading.local()

    @contextlib.contextmanager
    def reading(self, table: str, prepaid: int) -> Iterator[None]:
        """Read `table` in this thread with `prepaid` credits reserved for its calls; what the read does not use
        is given back to the ledger when it ends."""
        self._table.name, self._table.prepaid = table, prepaid
        try:
            yield
        finally:
            self.context.ledger.release(self._table.prepaid)
            self._table.name, self._table.prepaid = "", 0

    def org(self) -> List[TDataItem]:
        """`GET /org`: the organization (one row)."""
        return self._rows("org", "org")

    def roles(self) -> List[TDataItem]:
        """`GET /settings/roles`: roles with the role each reports to."""
        return self._rows("settings/roles", "roles")

    def profiles(self) -> List[TDataItem]:
        """`GET /settings/profiles`: permission profiles."""
        return self._rows("settings/profiles", "profiles")

    def territories(self) -> List[TDataItem]:
        """`GET /settings/territories`, page by page until a short page: territories with their parent and rules."""
        rows: List[TDataItem] = []
        page = 1
        while True:
            params = {"page": page, "per_page": PER_PAGE}
            chunk = self._get("settings/territories", "territories", params=params)
            rows.extend(drop_nulls(row) for row in chunk)
            if len(chunk) < PER_PAGE:
                return rows
            page += 1

    def currencies(self) -> List[TDataItem]:
        """`GET /org/currencies`: the org's currencies with their exchange rate to the home currency."""
        return self._rows("org/currencies", "currencies")

    def layouts(self) -> List[TDataItem]:
        """`GET /settings/layouts?module=X` for each module of the run: one row per layout, with `module`.

        A module Zoho has no layouts for is left out with a warning; a missing scope fails the table.
        """
        rows: List[TDataItem] = []
        for module in self.layout_modules:
            try:
                layouts = self.module_layouts(module)
            except ZohoApiError as ex:
                if ex.code not in MODULE_LAYOUTS_UNREADABLE:
                    raise
                logger.warning("No layouts of %s in zoho_crm_layouts: Zoho answered %s", module, ex.code)
                continue
            rows.extend({**drop_nulls(layout), "module": module} for layout in layouts)
        return rows

    def pipelines(self) -> List[TDataItem]:
        """`GET /settings/pipeline?layout_id=L` for each Deals layout: pipelines with their stages (`maps`).

        Stages lacking probability, forecast type or category get them from the Deals `Stage` picklist values.
        """
        rows: List[TDataItem] = []
        for layout in self.module_layouts(DEALS):
            params = {"layout_id": layout["id"]}
            for pipeline in map(drop_nulls, self._get("settings/pipeline", "pipeline", params=params)):
                layout_ref = {"id": layout["id"], "name": layout.get("name")}
                rows.append({**pipeline, "layout": layout_ref, "maps": pipeline.get("maps") or []})
        if any(stage.get(key) is None for row in rows for stage in row["maps"] for key in STAGE_KEYS):
            stages = stage_values(self._deals_fields())
            for row in rows:
                row["maps"] = [complete_stage(stage, stages) for stage in row["maps"]]
        return rows

    def module_layouts(self, module: str) -> List[Dict[str, Any]]:
        """The layouts of one module, read once per run."""
        return self._layouts.get(
            module, lambda: self._get("settings/layouts", "layouts", module=module, params={"module": module})
        )

    def _rows(self, path: str, root: str) -> List[TDataItem]:
        return [drop_nulls(row) for row in self._get(path, root)]

    def _get(
        self, path: str, root: str, module: Optional[str] = None, params: Optional[Dict[str, Any]] = None
    ) -> List[Dict[str, Any]]:
        """One settings call paid from the table's reservation (or a new one); the answer's charge consumes it,
        and an error answer, which Zoho does not charge, gives it back."""
        self._reserve_one(path)
        ledger = self.context.ledger
        try:
            return self.context.client.get_data(path, module=module, params=params, data_selector=root)
        except ZohoBudgetError:
            # the gate refused the call: a call nobody reserved took the credit; leave the table to a later run,
            # noted for the run's exit code (this reservation cannot fit either)
            ledger.release(1)
            if ledger.reserve(1, getattr(self._table, "name", "")):
                ledger.release(1)
            raise BudgetSpent(path) from None
        except BaseException:
            ledger.release(1)
            raise

    def _deals_fields(self) -> List[TFieldMeta]:
        """Deals field metadata through the run's cache: free when the Deals records already needed it."""
        if not self.context.metadata.has_fields(DEALS):
            self._reserve_one("settings/fields")
        return self.context.metadata.fields(DEALS)

    def _reserve_one(self, path: str) -> None:
        prepaid = getattr(self._table, "prepaid", 0)
        if prepaid > 0:
            self._table.prepaid = prepaid - 1
        elif not self.context.ledger.reserve(1, getattr(self._table, "name", "")):
            raise BudgetSpent(path)


def stage_values(deals_fields: Sequence[TFieldMeta]) -> Dict[str, Mapping[str, Any]]:
    """The Deals `Stage` picklist values by id and by actual value (empty without field metadata)."""
    stage = next((f for f in deals_fields if f.get("api_name") == "Stage"), None)
    values: Dict[str, Mapping[str, Any]] = {}
    for value in (stage or {}).get("pick_list_values") or []:
        for key in ("id", "actual_value"):
            if value.get(key):
                values.setdefault(str(value[key]), value)
    return values


def complete_stage(stage: Mapping[str, Any], stages: Mapping[str, Mapping[str, Any]]) -> TDataItem:
    """A pipeline stage with probability, forecast type and category, from the Stage picklist value it maps
    (same id, else same actual value) where the pipeline answer lacks them."""
    picklist: Optional[Mapping[str, Any]] = stages.get(str(stage.get("id"))) or stages.get(
        str(stage.get("actual_value"))
    )
    row = drop_nulls(dict(stage))
    for key in STAGE_KEYS:
        if row.get(key) is None and picklist and picklist.get(key) is not None:
            row[key] = picklist[key]
    return row
