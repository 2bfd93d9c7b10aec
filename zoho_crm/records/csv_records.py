"""Bulk Read CSV rows in the shape of the REST API's records, so both readers load identical tables.

A Bulk Read CSV carries every field as text: lookups as their id, booleans as `true`/`false`, arrays `;`-joined,
nulls empty. What it lacks is completed once per module and run, at no cost per record:

- names (and emails) of lookups: dotted columns the export asks for (`Account_Name.Account_Name`, the target
  module's display field; `Owner.full_name`, `Owner.email` for users);
- layout names: `/settings/layouts?module=X` (1 credit);
- tag ids and colours: `/settings/tags?module=X` (1 credit);
- value types: each field's `json_type` from field metadata.

A module whose records hold what a CSV cannot carry (subforms and line items, multi-select lookups, territories,
price-book pricing, polymorphic lookups such as `What_Id` with `$se_module`) is not converted: its export only
lists ids and the REST reader fetches those records (`?ids=`, 100 per credit).

Zoho's `$` keys that describe the API user's view of a record (`$editable`, `$approval`, …) are not in the CSV;
they stay empty for bulk-loaded rows until the record's next REST read.
"""

from typing import Any, Callable, Dict, List, Optional

from dlt.common.typing import TDataItem

from ..api.client import ZohoClient
from ..errors import ZohoApiError
from .metadata import OrgMetadata
from .schema import TFieldMeta

TRow = List[str]
TConvert = Callable[[TRow], Any]
TFactory = Callable[[Dict[str, int]], TConvert]  # CSV header positions -> converter of a row
USER_NAME, USER_EMAIL = "full_name", "email"  # user fields addressed with dot notation (`Owner.email`)
CSV_OBJECT_TYPES = frozenset({"lookup", "ownerlookup", "userlookup", "layout"})
CSV_ARRAY_TYPES = frozenset({"multiselectpicklist"})
TAG_FIELD = "Tag"


class CsvPlan:
    """How to read one module's records from Bulk Read CSV: the columns to export and how to turn a row into the
    record the REST API would return."""

    def __init__(self, columns: List[str], factories: Dict[str, TFactory]) -> None:
        self.columns = columns
        self._factories = factories

    def reader(self, header: TRow) -> Callable[[TRow], TDataItem]:
        """A function from a CSV row (a list, in `header` order) to its REST-shaped record."""
        index = {name: i for i, name in enumerate(header)}
        converters = [(name, factory(index)) for name, factory in self._factories.items()]
        return lambda row: {name: convert(row) for name, convert in converters}


def csv_plan(client: ZohoClient, metadata: OrgMetadata, module: str) -> Optional[CsvPlan]:
    """The plan for `module`, or None when its records hold values a CSV cannot carry (read by ids instead).

    Args:
        client: The run's Zoho client (tags and layouts of the module cost one call each).
        metadata: The run's metadata cache (the module's fields, lookup targets' display fields).
        module: The module's API name.
    """
    fields = [f for f in metadata.fields(module) if not f.get("virtual_field")]
    if not fields or any(not _csv_representable(metadata, f) for f in fields):
        return None
    columns: List[str] = []
    factories: Dict[str, TFactory] = {}
    for field in fields:
        name = str(field["api_name"])
        columns.append(name)
        factories[name] = _factory(client, metadata, module, field, columns)
    factories.setdefault("id", _text("id"))
    return CsvPlan(list(dict.fromkeys(["id", *columns])), factories)


def csv_plan_calls(metadata: OrgMetadata, module: str) -> Optional[int]:
    """The metadata calls `csv_plan` would make for `module` beyond its own fields (its tags and layouts, the fields
    of lookup targets whose display field the module list does not name), or None when its records cannot be read
    from a CSV (then they are fetched by ids). Reads the module's fields, nothing else: for `--plan`."""
    fields = [f for f in metadata.fields(module) if not f.get("virtual_field")]
    if not fields:
        return None
    targets = set()
    for field in fields:
        data_type, json_type = field.get("data_type"), field.get("json_type")
        if json_type in ("jsonobject", "jsonarray") and data_type == "lookup":
            target = _lookup_target(field)
            described = ((metadata.modules() or {}).get(target) or {}).get("display_field") or {}
            if not described.get("api_name") and not metadata.has_fields(target):
                targets.add(target)
        elif json_type in ("jsonobject", "jsonarray") and not (
            data_type in CSV_OBJECT_TYPES or data_type in CSV_ARRAY_TYPES or field.get("api_name") == TAG_FIELD
        ):
            return None
    tags = any(f.get("api_name") == TAG_FIELD and f.get("json_type") == "jsonarray" for f in fields)
    layouts = any(f.get("data_type") == "layout" for f in fields)
    return int(tags) + int(layouts) + len(targets)


def _csv_representable(metadata: OrgMetadata, field: TFieldMeta) -> bool:
    data_type, json_type = field.get("data_type"), field.get("json_type")
    if json_type not in ("jsonobject", "jsonarray"):
        return True
    if data_type == "lookup":
        return bool(_lookup_target(field)) and bool(_display_field(metadata, _lookup_target(field)))
    return data_type in CSV_OBJECT_TYPES or data_type in CSV_ARRAY_TYPES or field.get("api_name") == TAG_FIELD


def _factory(
    client: ZohoClient, metadata: OrgMetadata, module: str, field: TFieldMeta, columns: List[str]
) -> TFactory:
    name, data_type, json_type = str(field["api_name"]), field.get("data_type"), field.get("json_type")
    if name == TAG_FIELD and json_type == "jsonarray":
        return _tags(name, tag_catalog(client, module))
    if data_type in CSV_ARRAY_TYPES:
        return _split(name)
    if data_type == "layout":
        return _layout(name, layout_names(client, module))
    if data_type in ("ownerlookup", "userlookup"):
        columns += [f"{name}.{USER_NAME}", *([f"{name}.{USER_EMAIL}"] if data_type == "ownerlookup" else [])]
        return _user(name, with_email=data_type == "ownerlookup")
    if data_type == "lookup":
        display = f"{name}.{_display_field(metadata, _lookup_target(field))}"
        columns.append(display)
        return _lookup(name, display)
    return {"integer": _integer, "double": _double, "boolean": _boolean}.get(str(json_type), _text)(name)


def name_column(metadata: OrgMetadata, field: TFieldMeta) -> Optional[str]:
    """The dot-notation column that carries the name of what a lookup field points to (`Account_Name.Account_Name`,
    `Owner.full_name`), or None when it cannot be known."""
    name, data_type = str(field["api_name"]), field.get("data_type")
    if data_type in ("ownerlookup", "userlookup"):
        return f"{name}.{USER_NAME}"
    display = _display_field(metadata, _lookup_target(field)) if data_type == "lookup" else None
    return f"{name}.{display}" if display else None


def _lookup_target(field: TFieldMeta) -> str:
    return str(((field.get("lookup") or {}).get("module") or {}).get("api_name") or "")


def _display_field(metadata: OrgMetadata, module: str) -> Optional[str]:
    """The field whose value Zoho shows as a lookup's `name` (module metadata, else the field flagged so)."""
    described = ((metadata.modules() or {}).get(module) or {}).get("display_field") or {}
    if described.get("api_name"):
        return str(described["api_name"])
    return next((str(f["api_name"]) for f in metadata.fields(module) if f.get("display_field") is True), None)


def tag_catalog(client: ZohoClient, module: str) -> Dict[str, Dict[str, Any]]:
    """Tags of a module by name: `{"name", "id", "color_code"}` as records carry them (1 credit)."""
    rows = client.get_data("settings/tags", module=module, params={"module": module}, data_selector="tags")
    return {str(t["name"]): {"name": t["name"], "id": str(t["id"]), "color_code": t.get("color_code")} for t in rows}


def layout_names(client: ZohoClient, module: str) -> Dict[str, str]:
    """Layout names of a module by id (1 credit)."""
    try:
        rows = client.get_data("settings/layouts", module=module, params={"module": module}, data_selector="layouts")
    except ZohoApiError:
        return {}
    return {str(layout["id"]): str(layout["name"]) for layout in rows}


def _cell(index: Dict[str, int], name: str) -> Callable[[TRow], str]:
    """A getter of one column's text ("" when Zoho left the column out)."""
    position = index.get(name)
    if position is None:
        return lambda row: ""
    return lambda row: row[position]


def _text(name: str) -> TFactory:
    def factory(index: Dict[str, int]) -> TConvert:
        cell = _cell(index, name)
        return lambda row: cell(row) or None

    return factory


def _integer(name: str) -> TFactory:
    def factory(index: Dict[str, int]) -> TConvert:
        cell = _cell(index, name)
        return lambda row: int(value) if (value := cell(row)) else None

    return factory


def _double(name: str) -> TFactory:
    def factory(index: Dict[str, int]) -> TConvert:
        cell = _cell(index, name)
        return lambda row: float(value) if (value := cell(row)) else None

    return factory


def _boolean(name: str) -> TFactory:
    def factory(index: Dict[str, int]) -> TConvert:
        cell = _cell(index, name)
        return lambda row: value.lower() == "true" if (value := cell(row)) else None

    return factory


def _split(name: str) -> TFactory:
    def factory(index: Dict[str, int]) -> TConvert:
        cell = _cell(index, name)
        return lambda row: value.split(";") if (value := cell(row)) else []

    return factory


def _tags(name: str, catalog: Dict[str, Dict[str, Any]]) -> TFactory:
    def factory(index: Dict[str, int]) -> TConvert:
        cell = _cell(index, name)
        return lambda row: [dict(catalog.get(tag) or {"name": tag}) for tag in cell(row).split(";") if tag]

    return factory


def _layout(name: str, names: Dict[str, str]) -> TFactory:
    def factory(index: Dict[str, int]) -> TConvert:
        cell = _cell(index, name)
        return lambda row: {"name": names.get(value), "id": value} if (value := cell(row)) else None

    return factory


def _user(name: str, with_email: bool) -> TFactory:
    def factory(index: Dict[str, int]) -> TConvert:
        user_id, full_name, email = _cell(index, name), _cell(index, f"{name}.{USER_NAME}"), _cell(
            index, f"{name}.{USER_EMAIL}"
        )

        def convert(row: TRow) -> Optional[Dict[str, Any]]:
            value = user_id(row)
            if not value:
                return None
            user = {"name": full_name(row) or None, "id": value}
            if with_email:
                user["email"] = email(row) or None
            return user

        return convert

    return factory


def _lookup(name: str, display: str) -> TFactory:
    def factory(index: Dict[str, int]) -> TConvert:
        record_id, shown = _cell(index, name), _cell(index, display)
        return lambda row: {"name": shown(row) or None, "id": value} if (value := record_id(row)) else None

    return factory
