"""Zoho field metadata -> dlt column hints, so columns are typed (and exist) whatever the data holds."""

import logging
from typing import Any, Dict, Iterable, List, Optional

from dlt.common.schema.typing import TColumnSchema, TTableSchemaColumns
from dlt.common.typing import TDataItem

from ..api.quirks import ZohoQuirks
from ..settings import (
    DATA_DOLLAR_KEYS,
    DEFAULT_CURRENCY_SCALE,
    DETAIL_ONLY_OBJECT_TYPES,
    JSON_TYPE_TO_DLT_TYPE,
    LOOKUP_TYPES,
    SCALAR_ARRAY_TYPES,
    ZOHO_TO_DLT_TYPE,
)

TFieldMeta = Dict[str, Any]
logger = logging.getLogger(__name__)


def column_hints(
    fields: Iterable[TFieldMeta], key: bool = True, quirks: Optional[ZohoQuirks] = None
) -> TTableSchemaColumns:
    """Column hints for a module's fields, keyed by Zoho API name (dlt normalises them like the data).

    Args:
        fields: Field metadata of the module (`/settings/fields`).
        key: False for subform rows, whose `id` is not the table's key.
        quirks: The run's memory, so that an unknown Zoho data type is warned about once per run (each time
            without it).
    """
    hints: TTableSchemaColumns = {}
    for field in fields:
        name = str(field.get("api_name") or "")
        data_type = str(field.get("data_type") or "")
        if not name or field.get("virtual_field") or name == "id":
            continue
        if data_type in LOOKUP_TYPES:
            # lookups flatten to <field>__id / __name; hint them so an always-empty lookup still has columns
            hints[f"{name}__id"] = {"name": f"{name}__id", "data_type": "text", "nullable": True}
            hints[f"{name}__name"] = {"name": f"{name}__name", "data_type": "text", "nullable": True}
            continue
        if data_type in SCALAR_ARRAY_TYPES:
            hints[name] = {"name": name, "data_type": "json", "nullable": True}
            continue
        if data_type in DETAIL_ONLY_OBJECT_TYPES or field.get("json_type") in ("jsonarray", "jsonobject"):
            continue  # arrays of objects become child tables, objects flatten (Tag is "text" but a jsonarray)
        column = _scalar_column(name, data_type, field, quirks)
        if column:
            hints[name] = column
    hints.setdefault("id", {"name": "id", "data_type": "text", "nullable": not key})
    return hints


def subform_module(field: TFieldMeta) -> Optional[str]:
    """The module holding the rows of a subform field (line items included), e.g. Purchased_Items -> Purchase_Items."""
    if field.get("data_type") != "subform":
        return None
    module = (field.get("associated_module") or {}).get("api_name") or (field.get("subform") or {}).get("module")
    return str(module) if module else None


def json_hints_for_scalar_lists(records: List[Dict[str, Any]], known: TTableSchemaColumns) -> TTableSchemaColumns:
    """Arrays of scalars that metadata did not announce are stored as JSON too (one representation everywhere)."""
    extra: TTableSchemaColumns = {}
    for record in records:
        for key, value in record.items():
            if key in known or key in extra or not isinstance(value, list) or not value:
                continue
            if not any(isinstance(v, (dict, list)) for v in value):
                extra[key] = {"name": key, "data_type": "json", "nullable": True}
    return extra


def _scalar_column(
    name: str, data_type: str, field: TFieldMeta, quirks: Optional[ZohoQuirks]
) -> Optional[TColumnSchema]:
    if data_type in ("formula", "rollup_summary"):
        details = field.get("formula") if data_type == "formula" else field.get("rollup_summary")
        data_type = str((details or {}).get("return_type") or "text")
    if data_type == "currency":
        scale = int(
            (field.get("currency") or {}).get("precision") or field.get("decimal_place") or DEFAULT_CURRENCY_SCALE
        )
        precision = min(38, max(int(field.get("length") or 16), 16) + scale)
        return {"name": name, "data_type": "decimal", "precision": precision, "scale": scale, "nullable": True}
    dlt_type = ZOHO_TO_DLT_TYPE.get(data_type)
    if dlt_type is None:
        if quirks is None or quirks.first_warning(f"data_type:{data_type}"):
            logger.warning(
                "Zoho data type %r (field %s) is unknown: typed by its json_type, else inferred", data_type, name
            )
        dlt_type = JSON_TYPE_TO_DLT_TYPE.get(str(field.get("json_type")))
        if dlt_type is None:
            return None
    return {"name": name, "data_type": dlt_type, "nullable": True}


def drop_nulls(record: TDataItem) -> TDataItem:
    """Remove null values, recursively.

    A null carries nothing a missing key does not: dlt drops nulls while normalizing (and would warn about
    untyped all-null columns: null lookups, `$` UI state, empty line-item fields), and typed columns exist through
    their hints anyway. Runs on every record: comprehensions, and no call for scalar values.
    """
    return {
        key: (_without_nulls(value) if type(value) in _CONTAINERS else value)
        for key, value in record.items()
        if value is not None
    }


def drop_nulls_and_viewer_flags(record: TDataItem) -> TDataItem:
    """`drop_nulls`, and Zoho's per-viewer `$` keys left out at every depth (`DATA_DOLLAR_KEYS` stay)."""
    return {
        key: (_without_nulls_and_flags(value) if type(value) in _CONTAINERS else value)
        for key, value in record.items()
        if value is not None and (key[:1] != "$" or key in DATA_DOLLAR_KEYS)
    }


_CONTAINERS = frozenset({dict, list})


def _without_nulls_and_flags(value: Any) -> Any:
    if type(value) is dict:
        return drop_nulls_and_viewer_flags(value)
    return [(_without_nulls_and_flags(v) if type(v) in _CONTAINERS else v) for v in value]


def _without_nulls(value: Any) -> Any:
    if type(value) is dict:
        return {k: (_without_nulls(v) if type(v) in _CONTAINERS else v) for k, v in value.items() if v is not None}
    return [(_without_nulls(v) if type(v) in _CONTAINERS else v) for v in value]
