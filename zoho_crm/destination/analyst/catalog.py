"""What the dataset holds, read once before the views are built: tables, their columns and types.

The views are built from the columns the destination really has (a `--modules` subset, a Bulk Read load, a field
that was never filled): a column a view wants that a table lacks becomes a typed NULL, and a view whose key
columns are missing is skipped. The SQL written here runs unchanged on DuckDB and Postgres.
"""

from dataclasses import dataclass
from typing import Callable, Dict, Iterable, Mapping, Optional

# Portable SQL types of the view columns (DuckDB and Postgres spell them alike)
TEXT = "VARCHAR"
BIGINT = "BIGINT"
DOUBLE = "DOUBLE PRECISION"
BOOL = "BOOLEAN"
DATE = "DATE"
LOCAL_TS = "TIMESTAMP"  # wall-clock time in the org's time zone
TS = "TIMESTAMP WITH TIME ZONE"
MONEY = "DECIMAL(38, 9)"  # only for a typed NULL: a money column that exists keeps its own type

ORG_TABLE = "zoho_crm_org"
CURRENCIES_TABLE = "zoho_crm_currencies"
DELETED_FLAG = "_zoho_deleted"  # tombstone flag (true only on rows about to be deleted, or Delta tables)
NOT_DELETED = f'"{DELETED_FLAG}" IS NOT TRUE'


def is_timestamp(data_type: str) -> bool:
    """True for a timestamp column, with or without time zone (information_schema spelling of either database)."""
    return data_type.lower().startswith("timestamp")


def is_naive_timestamp(data_type: str) -> bool:
    """True for a timestamp without time zone: dlt writes those in UTC."""
    return is_timestamp(data_type) and "with time zone" not in data_type.lower().replace("without", "")


def is_money(data_type: str) -> bool:
    """True for a decimal column: the source types Zoho `currency` fields (and currency formulas and rollups) as
    decimal and every other number as bigint or double, so a decimal column of a module table is money."""
    return data_type.lower().startswith(("decimal", "numeric"))


@dataclass(frozen=True)
class Table:
    """One table of the dataset as a view reads it: its qualified name, the alias it has in the view's FROM, and
    its columns (name -> information_schema data type)."""

    name: str
    qualified: str
    alias: str
    columns: Mapping[str, str]
    ident: Callable[[str], str]

    def has(self, *columns: str) -> bool:
        """True when the table has every one of `columns`."""
        return all(c in self.columns for c in columns)

    def ref(self, column: str) -> str:
        """The column, qualified with the table's alias (it must exist)."""
        return f"{self.alias}.{self.ident(column)}"

    def col(self, column: str, sql_type: str) -> str:
        """The column, or a NULL of `sql_type` when the table lacks it."""
        return self.ref(column) if column in self.columns else f"CAST(NULL AS {sql_type})"

    def instant(self, column: str) -> str:
        """A timestamp column as a timestamp with time zone (a NULL one when absent; a naive one read as UTC)."""
        if column not in self.columns:
            return f"CAST(NULL AS {TS})"
        if is_naive_timestamp(self.columns[column]):
            return f"timezone('UTC', {self.ref(column)})"
        return self.ref(column)

    def source(self) -> str:
        """The FROM item: qualified name and alias."""
        return f"{self.qualified} AS {self.alias}"

    def alive(self) -> str:
        """A WHERE condition that leaves out deletion tombstones (TRUE when the table has no such flag)."""
        return f"{self.alias}.{NOT_DELETED}" if DELETED_FLAG in self.columns else "TRUE"


class Catalog:
    """The dataset's tables and columns, with the naming rules of its destination."""

    def __init__(
        self,
        columns: Mapping[str, Mapping[str, str]],
        qualify: Callable[[str], str],
        ident: Callable[[str], str],
    ) -> None:
        """Args:
        columns: table name -> {column name -> data type}, as information_schema lists them.
        qualify: table name -> name qualified with the dataset.
        ident: column name -> quoted identifier.
        """
        self.columns: Dict[str, Dict[str, str]] = {t: dict(cols) for t, cols in columns.items()}
        self.qualify = qualify
        self.ident = ident

    def table(self, name: str, alias: str, required: Iterable[str] = ()) -> Optional[Table]:
        """The table under `alias`, or None when the dataset lacks it or any of the `required` columns."""
        cols = self.columns.get(name)
        if cols is None or any(c not in cols for c in required):
            return None
        return Table(name, self.qualify(name), alias, cols, self.ident)

    def org_cte(self) -> str:
        """`org AS (...)`: one row with the org's `time_zone` and `home_currency` (NULL when the settings tables
        lack them). The home currency is the base currency of `zoho_crm_currencies`, else the org's `iso_code`
        (single-currency orgs have no currencies table)."""
        org = self.table(ORG_TABLE, "org_t")
        cur = self.table(CURRENCIES_TABLE, "cur_t", required=("iso_code", "is_base"))
        time_zone = f"CAST(NULL AS {TEXT})"
        if org is not None and org.has("time_zone"):
            time_zone = f"(SELECT max({org.ref('time_zone')}) FROM {org.source()})"
        homes = []
        if cur is not None:
            homes.append(f"(SELECT max({cur.ref('iso_code')}) FROM {cur.source()} WHERE {cur.ref('is_base')})")
        if org is not None and org.has("iso_code"):
            homes.append(f"(SELECT max({org.ref('iso_code')}) FROM {org.source()})")
        home = f"coalesce({', '.join([*homes, f'CAST(NULL AS {TEXT})'])})"
        return f"org AS (SELECT CAST({time_zone} AS {TEXT}) AS time_zone, CAST({home} AS {TEXT}) AS home_currency)"


def in_org_time(instant: str) -> str:
    """A timestamp with time zone as wall-clock time in the org's time zone (`org` alias `o`; NULL when the time
    zone is unknown). `timezone(zone, timestamptz)` is the same function in DuckDB and Postgres."""
    return f"timezone(o.time_zone, {instant})"
