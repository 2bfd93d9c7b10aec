"""Compare every table of the DuckDB mirror (in the current directory) with the emulator's data.

Module tables value by value (`tests/e2e/mirror.py`), their child tables (subforms, line items, tags, line taxes)
row counts per parent record, the deletion log and the users table by ids. Returns the differences found.
"""

from collections import Counter
from typing import Any, Dict, List

from dlt.common.normalizers.naming.snake_case import NamingConvention

from tests.e2e.helpers import query
from tests.e2e.mirror import assert_table_mirrors
from zoho_crm import table_name
from zoho_emulator import ZohoEmulator

NAMING = NamingConvention()


def mirror_differences(emu: ZohoEmulator, modules: List[str]) -> List[str]:
    """Every difference between the emulator and the mirror (empty when the mirror is exact)."""
    problems: List[str] = []
    for module in modules:
        records = emu.records(module)
        try:
            assert_table_mirrors(records, table_name(module))
        except AssertionError as ex:
            problems.append(str(ex).splitlines()[0])
        problems.extend(_child_differences(table_name(module), records))
    expected_log = {(m, str(e["id"])) for m in modules for e in emu.deleted(m)}
    logged = {(m, str(i)) for m, i in query("SELECT module, id FROM zoho_crm_deleted_records")}
    if logged != expected_log:
        problems.append(f"deletion log: missing {expected_log - logged}, unexpected {logged - expected_log}")
    users = {str(u["id"]) for u in emu.users() if u.get("status") != "deleted"}  # what type=AllUsers lists
    loaded_users = {str(r[0]) for r in query("SELECT id FROM zoho_crm_users")}
    if users != loaded_users:
        problems.append(f"users: missing {users - loaded_users}, unexpected {loaded_users - users}")
    return problems


def _child_differences(table: str, records: List[Dict[str, Any]]) -> List[str]:
    """Child rows per parent id, and grandchild rows in all, for each list of objects in the records."""
    problems: List[str] = []
    tables = {row[0] for row in query("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'zoho_crm_data'")}
    fields = {key for record in records for key, value in record.items() if _objects(value)}
    for field in sorted(fields):
        child = f"{table}__{NAMING.normalize_identifier(field)}"
        expected = Counter({r["id"]: len(r[field]) for r in records if _objects(r.get(field))})
        if child not in tables:
            problems.append(f"{child}: table missing, expected {sum(expected.values())} rows")
            continue
        rows = query(
            f"SELECT p.id, count(*) FROM {child} c JOIN {table} p ON c._dlt_parent_id = p._dlt_id GROUP BY p.id"
        )
        loaded = Counter({str(parent): n for parent, n in rows})
        orphans = query(f"SELECT count(*) FROM {child} c LEFT JOIN {table} p ON c._dlt_parent_id = p._dlt_id "
                        "WHERE p._dlt_id IS NULL")[0][0]
        if loaded != expected or orphans:
            diff = {k: (expected.get(k, 0), loaded.get(k, 0)) for k in set(expected) | set(loaded)
                    if expected.get(k, 0) != loaded.get(k, 0)}
            problems.append(f"{child}: rows per parent (expected, loaded) differ for {diff}, orphans {orphans}")
        sub_fields = {k for r in records for item in (r.get(field) or []) for k, v in item.items() if _objects(v)}
        for sub in sorted(sub_fields):
            grandchild = f"{child}__{NAMING.normalize_identifier(sub)}"
            want = sum(len(i.get(sub) or []) for r in records for i in (r.get(field) or []) if isinstance(i, dict))
            got = query(f"SELECT count(*) FROM {grandchild}")[0][0] if grandchild in tables else 0
            if want != got:
                problems.append(f"{grandchild}: {got} rows, expected {want}")
    return problems


def _objects(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
