"""Compare the DuckDB mirror with the emulator's records, value by value."""

import datetime
import math
from typing import Any, Dict, List

import pendulum
from dlt.common.normalizers.naming.snake_case import NamingConvention

from tests.e2e.helpers import query
from zoho_crm.settings import DATA_DOLLAR_KEYS

NAMING = NamingConvention()


def _same(expected: Any, actual: Any) -> bool:
    if expected is None:
        return actual is None
    if isinstance(actual, datetime.datetime):
        return pendulum.parse(str(expected)) == actual
    if isinstance(actual, datetime.date):
        return str(expected) == actual.isoformat()
    if isinstance(expected, float) or isinstance(actual, float):
        return math.isclose(float(expected), float(actual), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, (int, bool)) and not isinstance(actual, str):
        return expected == actual
    return str(expected) == str(actual)


def scalar_columns(record: Dict[str, Any]) -> Dict[str, Any]:
    """Top-level scalar values and flattened lookups (`Owner.id` -> owner__id) of a Zoho record, as the mirror
    holds them: without Zoho's per-viewer `$` keys (`$editable`, …), which are not loaded."""
    out: Dict[str, Any] = {}
    for key, value in record.items():
        if key.startswith("$") and key not in DATA_DOLLAR_KEYS:
            continue
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                if not isinstance(subvalue, (dict, list)):
                    out[NAMING.normalize_path(NAMING.make_path(key, sub))] = subvalue
        elif not isinstance(value, list):
            out[NAMING.normalize_path(key)] = value
    return out


def assert_table_mirrors(
    records: List[Dict[str, Any]], table: str, system_keys: bool = True, db: str = "zoho_crm.duckdb"
) -> None:
    """Every emulator record is a row of `table` with equal values; no other rows exist.

    `system_keys=False` skips Zoho's `$` keys (absent when records are read field by field or through Bulk Read).
    """
    columns = [
        row[0]
        for row in query(
            f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}'"
            " AND table_schema = 'zoho_crm_data'",
            db,
        )
    ]
    quoted = ", ".join(f'"{c}"' for c in columns)
    rows = query(f"SELECT {quoted} FROM {table}", db)
    by_id = {row[columns.index("id")]: dict(zip(columns, row, strict=True)) for row in rows}
    expected_ids = {r["id"] for r in records}
    missing = {r["id"]: r.get("Modified_Time") for r in records if r["id"] not in by_id}
    assert set(by_id) == expected_ids, f"{table}: missing {missing}, unexpected {set(by_id) - expected_ids}"
    assert len(rows) == len(by_id), f"{table}: duplicate ids"
    for record in records:
        row = by_id[record["id"]]
        for column, expected in scalar_columns(record).items():
            if not system_keys and column.startswith("_"):
                continue
            if column not in row:
                assert expected is None, f"{table}.{column} missing but {record['id']} has {expected!r}"
                continue
            assert _same(expected, row[column]), f"{table}.{column} of {record['id']}: {expected!r} != {row[column]!r}"
