"""The data dictionary: `zoho_crm_fields`, one row per column of each module table and of its child tables.

Each row names the Zoho field behind the column (API name, label, data type, lookup target, picklist values,
custom or not). It is made from the field metadata the run reads anyway (no call of its own) and from the columns
dlt's schema knows once the module's records are extracted, so it is extracted after the Zoho CRM source (by the
run log's source, `runner/run_log.py`). Only tables whose rows changed are loaded (merged on table and column): a
quiet run loads none. Columns dlt adds while normalizing a first load (an owner's email, a tag's colour) join
the dictionary on the next run.
"""

import hashlib
import json
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Tuple

import dlt
from dlt.common.schema import Schema
from dlt.common.typing import TDataItem

from ..context import RunContext
from ..records.metadata import OrgMetadata
from ..records.schema import TFieldMeta, subform_module
from ..settings import DATA_DOLLAR_KEYS, USERS
from .modules import table_name

FIELDS_TABLE = "zoho_crm_fields"
FIELDS_KEY = ("table_name", "column_name")
FIELDS_COLUMNS: Dict[str, Any] = {
    "picklist_values": {"data_type": "json", "nullable": True},
    "lookup_module": {"data_type": "text", "nullable": True},
    "api_name": {"data_type": "text", "nullable": True},
    "field_label": {"data_type": "text", "nullable": True},
    "data_type": {"data_type": "text", "nullable": True},
    "parent_table": {"data_type": "text", "nullable": True},
}
USER_LOOKUPS = frozenset({"ownerlookup", "userlookup"})
# fields every record carries that the field metadata may not list
SYSTEM_FIELDS = {
    "id": "Record Id",
    "Record_Status__s": "Record Status",
    "Locked__s": "Locked",
    "Last_Enriched_Time__s": "Last Enriched Time",
    "Enrich_Status__s": "Enrich Status",
    "Parent_Id": "Parent Record",
}
# what the columns dlt adds and Zoho's `$` keys with data hold (they have no field metadata)
SYSTEM_LABELS = {
    "_dlt_id": "dlt: row key (unique in the table)",
    "_dlt_load_id": "dlt: load that wrote the row (joins _dlt_loads)",
    "_dlt_parent_id": "dlt: _dlt_id of the parent row",
    "_dlt_root_id": "dlt: _dlt_id of the module record",
    "_dlt_list_idx": "dlt: position in the parent's list",
    "_zoho_deleted": "Deleted in Zoho (delete marker)",
    "$se_module": "Module of the related record (What_Id)",
    "$converted": "Converted",
    "$converted_detail": "Conversion",
    "$currency_symbol": "Currency symbol",
    "$approval_state": "Approval state",
    "$state": "Record state (save or draft)",
    "$event_cancelled": "Meeting cancelled",
    "$has_more": "More values than returned",
    "$assigned": "Assigned",
    "$assigned_by": "Assigned by",
    "$assigned_time": "Assigned at",
}


class TableDescription(NamedTuple):
    """What describes the columns of one table: the module whose fields they are, the module table it belongs to,
    the fields, and for a list inside a record (tags, territories…) the one field all its columns are parts of."""

    module: str
    root: str
    fields: List[TFieldMeta]
    whole: Optional[TFieldMeta] = None

    def rows(self, schema: Schema, table: str) -> List[TDataItem]:
        """One row per column `schema` knows in `table`."""
        names = _field_names(schema.naming, self.fields)
        rows = []
        for column, spec in (schema.tables.get(table) or {}).get("columns", {}).items():
            field, part = (self.whole, column) if self.whole else _field_of(names, column)
            row: Dict[str, Any] = {
                "table_name": table,
                "column_name": column,
                "module": self.module,
                "parent_table": self.root if table != self.root else None,
                "column_type": spec.get("data_type"),
                "is_custom": False,
            }
            if field is not None:
                row.update(_described(field, part))
            elif column in SYSTEM_LABELS:
                row["field_label"] = SYSTEM_LABELS[column]
            rows.append(row)
        return rows

    def saved(self) -> Dict[str, Any]:
        """The description as the resource state keeps it (picklists left out: only columns a table gains are
        described from it, and such a column is a part of a field, never a picklist)."""
        whole = _compact(self.whole) if self.whole else None
        return {"module": self.module, "root": self.root, "fields": [_compact(f) for f in self.fields], "whole": whole}

    @classmethod
    def from_saved(cls, saved: Dict[str, Any]) -> "TableDescription":
        """The description a previous run saved."""
        return cls(saved["module"], saved["root"], saved["fields"], saved.get("whole"))


def field_dictionary(context: RunContext) -> Iterator[List[TDataItem]]:
    """Dictionary rows of the module tables (and their child tables) that changed since the last load.

    Runs inside an extract, after the Zoho CRM source, and reads the schema being extracted. A module whose field
    metadata this run read is described anew (and loaded when its rows differ); any other table gets rows for the
    columns it gained since it was last described, from the description its resource state keeps.
    """
    schema = dlt.current.source_schema()
    saved: Dict[str, Dict[str, Any]] = dlt.current.resource_state().setdefault("tables", {})
    for module in context.modules:
        table = table_name(module)
        if module == USERS or table not in schema.tables:
            continue
        fresh = context.metadata.has_fields(module)
        if fresh:
            described = describe_module(schema, context.metadata, module)
        else:
            described = {t: TableDescription.from_saved(d) for t, d in saved.items() if _of(t, table)}
        for t, description in described.items():
            rows = description.rows(schema, t)
            before = saved.get(t) or {}
            digest = _digest(rows) if fresh else before.get("digest")
            if fresh and before.get("digest") != digest:
                changed = rows
            else:
                known = set(before.get("columns") or [])
                changed = [row for row in rows if row["column_name"] not in known]
            saved[t] = {**description.saved(), "digest": digest, "columns": sorted(r["column_name"] for r in rows)}
            if changed:
                yield changed


def describe_module(schema: Schema, metadata: OrgMetadata, module: str) -> Dict[str, TableDescription]:
    """How to describe `module`'s table and each of its child tables `schema` knows."""
    table = table_name(module)
    fields = metadata.fields(module)
    out = {table: TableDescription(module, table, fields)}
    names = _field_names(schema.naming, fields)
    for child in sorted(t for t in schema.tables if _of(t, table) and t != table):
        field, rest = _field_of(names, child[len(table) + 2 :])
        sub = subform_module(field) if field else None
        if field and sub and not rest and metadata.has_fields(sub):  # subform rows: the subform module's fields
            out[child] = TableDescription(sub, table, metadata.fields(sub))
        else:  # a list inside the record (tags, territories…): columns are parts of one field
            out[child] = TableDescription(module, table, fields, field)
    return out


def _of(table: str, root: str) -> bool:
    return table == root or table.startswith(f"{root}__")


def _digest(rows: List[TDataItem]) -> str:
    return hashlib.sha1(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()


def _compact(field: TFieldMeta) -> TFieldMeta:
    return {
        "api_name": field.get("api_name"),
        "field_label": field.get("field_label"),
        "data_type": field.get("data_type"),
        "custom_field": bool(field.get("custom_field")),
        "lookup_module": _lookup_module(field),
    }


TNames = List[Tuple[str, TFieldMeta]]


def _field_names(naming: Any, fields: List[TFieldMeta]) -> TNames:
    """(column name, field) of the fields, of the system fields and of Zoho's `$` keys with data, longest first."""
    listed = {str(f.get("api_name")) for f in fields}
    system = {**SYSTEM_FIELDS, **{key: SYSTEM_LABELS[key] for key in DATA_DOLLAR_KEYS}}
    named = [*fields, *({"api_name": k, "field_label": v} for k, v in sorted(system.items()) if k not in listed)]
    pairs = [(naming.normalize_identifier(str(f.get("api_name") or "")), f) for f in named]
    return sorted(((n, f) for n, f in pairs if n), key=lambda pair: -len(pair[0]))


def _field_of(names: TNames, column: str) -> Tuple[Optional[TFieldMeta], str]:
    """The field `column` holds, and the part of it the column is (`id` of a lookup), or "" for all of it."""
    for name, field in names:
        if column == name or column.startswith(f"{name}__"):
            return field, column[len(name) + 2 :]
    return None, ""


def _described(field: TFieldMeta, part: str) -> Dict[str, Any]:
    """The field's description; `part` is the key inside it a column holds (`id` of a lookup)."""
    api_name, label = str(field.get("api_name")), str(field.get("field_label") or field.get("api_name"))
    data_type = field.get("data_type")
    picklist = [v.get("actual_value") for v in field.get("pick_list_values") or [] if v.get("actual_value")]
    return {
        "api_name": f"{api_name}.{part}" if part else api_name,
        "field_label": f"{label} ({part.replace('__', '.')})" if part else label,
        "data_type": data_type,
        "lookup_module": _lookup_module(field),
        "picklist_values": [v for v in picklist if v != "-None-"] or None,
        "is_custom": bool(field.get("custom_field")),
    }


def _lookup_module(field: TFieldMeta) -> Optional[str]:
    if "lookup_module" in field:  # a description an earlier run saved
        return field["lookup_module"]  # type: ignore[no-any-return]
    if field.get("data_type") in USER_LOOKUPS:
        return USERS
    for key in ("lookup", "multiselectlookup"):
        target = (field.get(key) or {}).get("module") or (field.get(key) or {}).get("connected_module")
        if target and target.get("api_name"):
            return str(target["api_name"])
    modules = (field.get("multi_module_lookup") or {}).get("modules") or []
    return ",".join(str(m.get("api_name")) for m in modules if m.get("api_name")) or None
