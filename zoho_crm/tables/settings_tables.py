"""The org's settings as tables — org, roles, profiles, territories, currencies, layouts, pipelines — each fully
replaced at most once per `settings_refresh_hours`.

Each table is a resource whose state holds when it was last refreshed; a run inside the interval makes no call
for it and leaves the table as it is. dlt commits that state with the load, so a failed run refreshes again.

Why the resources are not declared `replace`: dlt truncates the table of a `replace` resource that yields
nothing and clears its resource state at the start of every run, which would lose both the rows and the refresh
time on every run inside the interval. So each refresh yields its rows in one batch that carries
`write_disposition="replace"` (an empty batch too: the table is then emptied), and a run inside the interval
yields nothing, which leaves the table alone.

Gaps: a table loaded by default that the org cannot answer (a feature that is off, a missing scope or
permission) is skipped with one warning and counted as refreshed, so it is asked again only after the interval;
a table named in `settings_tables` fails the run with one line instead.

Credit budget: a refresh reserves the credits of its calls before it starts; one the budget cannot pay is left to
a later run (the table keeps its rows, the run ends with exit 3 naming it).
"""

import logging
from typing import Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

import dlt
import pendulum
from dlt.common.schema.typing import TTableSchemaColumns
from dlt.common.typing import TDataItem
from dlt.sources import DltResource

from ..errors import ZohoApiError, ZohoConfigError, ZohoInvalidResponseError, ZohoSettingsTableError
from ..readers.org_settings import BudgetSpent, SettingsReader
from ..readers.streams import in_extract_pool
from ..settings import SKIPPED

logger = logging.getLogger(__name__)
DEFAULT_SETTINGS_REFRESH_HOURS = 24.0
REFRESHED_AT = "refreshed_at"  # resource state: when the table was last refreshed (or skipped), ISO-8601 UTC
ALL, NONE = "all", "none"
SCOPE_ERRORS = frozenset({"OAUTH_SCOPE_MISMATCH"})
LAYOUTS_SCOPE = "ZohoCRM.settings.layouts.READ"  # pipelines are read per Deals layout, so they need it too
RUN_ERRORS = frozenset({"INVALID_TOKEN", "AUTHENTICATION_FAILURE"})  # the token, not the table: fail the run


class SettingsTable(NamedTuple):
    """A settings table: its name, the scope it needs, how it is read, its column hints and the calls a refresh
    makes at least (the credit budget must cover them before it starts)."""

    name: str
    scope: str
    read: Callable[[SettingsReader], List[TDataItem]]
    columns: Optional[TTableSchemaColumns] = None
    calls: Callable[[SettingsReader], int] = lambda reader: 1


SETTINGS_TABLES: Dict[str, SettingsTable] = {
    t.name: t
    for t in (
        SettingsTable("zoho_crm_org", "ZohoCRM.org.READ", SettingsReader.org),
        SettingsTable("zoho_crm_roles", "ZohoCRM.settings.roles.READ", SettingsReader.roles),
        SettingsTable("zoho_crm_profiles", "ZohoCRM.settings.profiles.READ", SettingsReader.profiles),
        SettingsTable("zoho_crm_territories", "ZohoCRM.settings.territories.READ", SettingsReader.territories),
        SettingsTable(
            "zoho_crm_currencies",
            "ZohoCRM.settings.currencies.READ",
            SettingsReader.currencies,
            # Zoho sends the rate as a string of 9 decimals ("0.012000000")
            {"exchange_rate": {"name": "exchange_rate", "data_type": "decimal", "precision": 38, "scale": 9}},
        ),
        SettingsTable(
            "zoho_crm_layouts",
            "ZohoCRM.settings.layouts.READ",
            SettingsReader.layouts,
            calls=lambda reader: max(1, len(reader.layout_modules)),
        ),
        SettingsTable(
            "zoho_crm_pipelines",
            "ZohoCRM.settings.pipeline.READ",
            SettingsReader.pipelines,
            calls=lambda reader: 2,  # the Deals layouts and one pipeline call (usually one Deals layout)
        ),
    )
}


def parse_settings_tables(value: Optional[Union[Sequence[str], str]]) -> Tuple[List[str], bool]:
    """The settings tables to load and whether the user named them (named tables fail instead of being skipped).

    Args:
        value: None or "all" (every table), "none" (no table), or table names as a list or a comma-separated
            string (a JSON list from an env var arrives as a string). `zoho_crm_roles` and `roles` are both accepted.

    Returns:
        (table names in the documented order, True when the user picked them).
    """
    if value is None:
        return list(SETTINGS_TABLES), False
    raw = value.split(",") if isinstance(value, str) else list(value)
    names = [n for n in (str(n).strip().strip("[]\"' ").lower() for n in raw) if n]
    if names == [ALL]:
        return list(SETTINGS_TABLES), False
    if not names or names == [NONE]:
        return [], False
    tables = {name if name.startswith("zoho_crm_") else f"zoho_crm_{name}" for name in names}
    unknown = sorted(tables - set(SETTINGS_TABLES))
    if unknown:
        raise ZohoConfigError(
            f"unknown settings table(s) {', '.join(unknown)} in settings_tables: use {', '.join(SETTINGS_TABLES)} "
            f"(or {ALL}, {NONE})"
        )
    return [name for name in SETTINGS_TABLES if name in tables], True


def settings_resources(
    reader: SettingsReader, tables: Sequence[str], named: bool, refresh_hours: float
) -> Iterator[DltResource]:
    """One resource per settings table (see the module docstring for their write disposition).

    Args:
        reader: The run's settings reads.
        tables: Table names from `parse_settings_tables`.
        named: The user named the tables: a table that cannot be read fails the run instead of being skipped.
        refresh_hours: Minimum hours between two refreshes of a table; 0 refreshes on every run.
    """
    for name in tables:
        table = SETTINGS_TABLES[name]
        yield dlt.resource(
            settings_table, name=name, primary_key="id", columns=table.columns, write_disposition="append"
        )(table, reader, named, refresh_hours)


def settings_table(
    table: SettingsTable, reader: SettingsReader, named: bool, refresh_hours: float
) -> Iterator[TDataItem]:
    """Yield the table's rows once per `refresh_hours` (read in dlt's extract pool), as a replacing batch."""
    state = dlt.current.resource_state()
    if not refresh_due(state.get(REFRESHED_AT), refresh_hours):
        return
    started = pendulum.now("UTC")
    done: List[bool] = []
    yield from in_extract_pool(reader.context, _replacing_rows(table, reader, named, done))
    if done:  # refreshed, or skipped as a gap; not when the credit budget stopped it (then next run)
        state[REFRESHED_AT] = started.isoformat()  # committed with the load package, like the cursors


def refresh_due(refreshed_at: Optional[str], refresh_hours: float, now: Optional[pendulum.DateTime] = None) -> bool:
    """True when a table refreshed at `refreshed_at` (ISO-8601, or None: never) is due again."""
    if not refreshed_at or refresh_hours <= 0:
        return True
    age = (now or pendulum.now("UTC")) - pendulum.parse(refreshed_at)
    return age.total_seconds() >= refresh_hours * 3600


def _replacing_rows(table: SettingsTable, reader: SettingsReader, named: bool, done: List[bool]) -> Iterator[TDataItem]:
    calls = table.calls(reader)
    if not reader.context.ledger.reserve(calls, table.name):
        return  # the credit budget cannot pay this refresh: the ledger notes it, the run ends with exit 3
    try:
        with reader.reading(table.name, prepaid=calls):
            rows = table.read(reader)
    except BudgetSpent:
        return
    except ZohoApiError as ex:
        if not org_cannot_answer(ex):
            raise
        if named:
            raise ZohoSettingsTableError(_failure(table, ex)) from None
        logger.warning("Skipped %s: %s", table.name, _reason(table, ex), extra=SKIPPED)
        done.append(True)
        return
    done.append(True)
    yield dlt.mark.with_hints(rows, dlt.mark.make_hints(write_disposition="replace"))


def org_cannot_answer(ex: ZohoApiError) -> bool:
    """An answer about this org or token (feature off, scope, permission), not throttling, outages, broken answers
    or a bad token: such a table can be skipped."""
    if isinstance(ex, ZohoInvalidResponseError):
        return False
    return ex.status_code != 429 and ex.status_code < 500 and ex.code not in RUN_ERRORS


def _scope(table: SettingsTable, ex: ZohoApiError) -> str:
    """The scope the refused call needed (the pipelines table reads layouts first)."""
    return LAYOUTS_SCOPE if ex.endpoint.endswith("/settings/layouts") else table.scope


def _reason(table: SettingsTable, ex: ZohoApiError) -> str:
    if ex.code in SCOPE_ERRORS:
        return f"the Zoho token lacks the scope {_scope(table, ex)} ({ex.code}); add it to the Self Client grant"
    return f"Zoho answered {ex.status_code} {ex.code} ({ex.zoho_message})"


def _failure(table: SettingsTable, ex: ZohoApiError) -> str:
    if ex.code in SCOPE_ERRORS:
        return (
            f"settings table {table.name} needs the OAuth scope {_scope(table, ex)}: create a refresh token with it "
            f"(README: Get a refresh token), or remove {table.name} from settings_tables"
        )
    return (
        f"settings table {table.name} cannot be loaded: Zoho answered {ex.status_code} {ex.code} "
        f"({ex.zoho_message}); remove it from settings_tables if the org does not use it"
    )
