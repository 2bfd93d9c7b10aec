"""Field metadata -> column hints."""

import logging
from typing import Optional

import pytest

from zoho_crm.api.quirks import ZohoQuirks
from zoho_crm.records.schema import column_hints, json_hints_for_scalar_lists


def hint(field: dict, quirks: Optional[ZohoQuirks] = None) -> dict:
    return column_hints([field], quirks=quirks).get(field["api_name"], {})


@pytest.mark.parametrize(
    "data_type,json_type,expected",
    [
        ("datetime", "string", "timestamp"),
        ("date", "string", "date"),
        ("integer", "integer", "bigint"),
        ("bigint", "string", "bigint"),
        ("double", "double", "double"),
        ("percent", "double", "double"),
        ("boolean", "boolean", "bool"),
        ("text", "string", "text"),
        ("textarea", "string", "text"),
        ("email", "string", "text"),
        ("phone", "string", "text"),
        ("website", "string", "text"),
        ("picklist", "string", "text"),
        ("autonumber", "string", "text"),
        ("multiselectpicklist", "jsonarray", "json"),
    ],
)
def test_zoho_data_types_map_to_dlt_types(data_type: str, json_type: str, expected: str) -> None:
    assert hint({"api_name": "F", "data_type": data_type, "json_type": json_type})["data_type"] == expected


def test_currency_is_decimal_with_the_field_precision() -> None:
    column = hint({"api_name": "Amount", "data_type": "currency", "json_type": "double", "currency": {"precision": 3}})
    assert column["data_type"] == "decimal" and column["scale"] == 3 and column["precision"] >= 18


@pytest.mark.parametrize("kind", ["formula", "rollup_summary"])
def test_formula_and_rollup_fields_use_their_return_type(kind: str) -> None:
    field = {"api_name": "F", "data_type": kind, "json_type": "double", kind: {"return_type": "double"}}
    assert hint(field)["data_type"] == "double"
    field[kind] = {"return_type": "boolean"}
    assert hint(field)["data_type"] == "bool"


def test_lookups_hint_their_flattened_id_and_name_as_text() -> None:
    hints = column_hints([{"api_name": "Account_Name", "data_type": "lookup", "json_type": "jsonobject"}])
    assert hints["Account_Name__id"]["data_type"] == "text" and hints["Account_Name__name"]["data_type"] == "text"
    assert "Account_Name" not in hints


def test_arrays_of_objects_are_left_to_child_tables_and_ids_stay_text() -> None:
    hints = column_hints(
        [
            {"api_name": "id", "data_type": "bigint", "json_type": "string"},
            {"api_name": "Tag", "data_type": "text", "json_type": "jsonarray"},
            {"api_name": "Quoted_Items", "data_type": "subform", "json_type": "jsonarray"},
        ]
    )
    assert hints == {"id": {"name": "id", "data_type": "text", "nullable": False}}


def test_unknown_data_type_falls_back_to_json_type_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    run = ZohoQuirks()  # what one run remembers: each run warns once
    with caplog.at_level(logging.WARNING):
        assert hint({"api_name": "A", "data_type": "hologram", "json_type": "integer"}, run)["data_type"] == "bigint"
        assert hint({"api_name": "B", "data_type": "hologram", "json_type": "mystery"}, run) == {}
    assert caplog.text.count("hologram") == 1
    hint({"api_name": "A", "data_type": "hologram", "json_type": "integer"}, ZohoQuirks())  # the next run
    assert caplog.text.count("hologram") == 2


def test_scalar_arrays_missing_from_metadata_become_json() -> None:
    records = [{"Langs": ["en", "de"], "Rows": [{"a": 1}], "Known": ["x"], "Empty": []}]
    assert set(json_hints_for_scalar_lists(records, {"Known": {}})) == {"Langs"}
