"""Compare two loads of the same org table by table, row by row (dlt's own ids and Zoho's `$` view keys aside)."""

from collections import Counter
from typing import Any, Dict, List, Tuple

import duckdb

DATASET = "zoho_crm_data"
SKIPPED = ("zoho_crm_runs", "zoho_crm_v_")


def _tables(con: duckdb.DuckDBPyConnection) -> Dict[str, Dict[str, str]]:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        f"WHERE table_schema = '{DATASET}' AND table_name LIKE 'zoho_crm_%'"
    ).fetchall()
    tables: Dict[str, Dict[str, str]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, {})[column] = data_type
    return tables


def _compared(columns: Dict[str, str]) -> List[str]:
    """Data columns: not dlt's row ids, not Zoho's `$` keys (they describe the API user's view of a record)."""
    return sorted(c for c in columns if not c.startswith("_"))


def _rows(con: duckdb.DuckDBPyConnection, table: str, columns: List[str], rooted: bool = True) -> Counter:
    root = table.split("__")[0]
    select = ", ".join(f't."{c}"' for c in columns)
    if table == root:
        sql = f"SELECT {select} FROM {DATASET}.{table} t"
    elif not rooted:  # child rows of a replaced table (settings): no `_dlt_root_id`, compared by content
        sql = f"SELECT t._dlt_list_idx, {select} FROM {DATASET}.{table} t"
    else:  # a child row is identified by its record's id and its position
        sql = (
            f"SELECT r.id, t._dlt_list_idx, {select} FROM {DATASET}.{table} t "
            f"JOIN {DATASET}.{root} r ON t._dlt_root_id = r._dlt_id"
        )
    return Counter(tuple(str(v) for v in row) for row in con.execute(sql).fetchall())


def table_differences(expected_db: str, actual_db: str) -> List[Tuple[str, Any]]:
    """Every difference between two DuckDB mirrors: tables, column types, rows. Empty when identical."""
    out: List[Tuple[str, Any]] = []
    with duckdb.connect(expected_db, read_only=True) as left, duckdb.connect(actual_db, read_only=True) as right:
        # the run log describes each run (its credits, its readers), not the org; views read the compared tables
        expected, actual = (
            {t: c for t, c in _tables(con).items() if not t.startswith(SKIPPED)} for con in (left, right)
        )
        if set(expected) != set(actual):
            out.append(("tables", sorted(set(expected) ^ set(actual))))
        for table in sorted(set(expected) & set(actual)):
            want, got = _compared(expected[table]), _compared(actual[table])
            if want != got:
                out.append((f"{table} columns", sorted(set(want) ^ set(got))))
            common = [c for c in want if c in got]
            types = {c: (expected[table][c], actual[table][c]) for c in common}
            types = {c: pair for c, pair in types.items() if pair[0] != pair[1]}
            if types:
                out.append((f"{table} types", types))
            rooted = "_dlt_root_id" in expected[table]
            left_rows, right_rows = _rows(left, table, common, rooted), _rows(right, table, common, rooted)
            if left_rows != right_rows:
                missing, extra = left_rows - right_rows, right_rows - left_rows
                out.append((f"{table} rows", {"missing": list(missing)[:2], "extra": list(extra)[:2]}))
    return out
