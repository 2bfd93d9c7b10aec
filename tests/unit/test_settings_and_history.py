"""Settings tables (choice, refresh interval, pipeline stages) and the discovery of stage-history modules."""

from typing import Any, Dict, List, Optional

import pendulum
import pytest

from zoho_crm.errors import ZohoConfigError
from zoho_crm.readers.org_settings import complete_stage, stage_values
from zoho_crm.tables.history import find_history_modules, tracker_modules
from zoho_crm.tables.settings_tables import SETTINGS_TABLES, parse_settings_tables, refresh_due

ALL_TABLES = list(SETTINGS_TABLES)


@pytest.mark.parametrize(
    "value,expected",
    [
        (None, (ALL_TABLES, False)),
        ("all", (ALL_TABLES, False)),
        ("none", ([], False)),
        ("None", ([], False)),
        ([], ([], False)),
        ("zoho_crm_pipelines, zoho_crm_org", (["zoho_crm_org", "zoho_crm_pipelines"], True)),
        ('["roles", "Layouts"]', (["zoho_crm_roles", "zoho_crm_layouts"], True)),
        (["zoho_crm_currencies"], (["zoho_crm_currencies"], True)),
    ],
)
def test_settings_tables_accepts_names_lists_all_and_none(value: Any, expected: Any) -> None:
    assert parse_settings_tables(value) == expected


def test_an_unknown_settings_table_names_the_valid_ones() -> None:
    with pytest.raises(ZohoConfigError) as err:
        parse_settings_tables("org,stages")
    assert "unknown settings table(s) zoho_crm_stages in settings_tables: use zoho_crm_org, zoho_crm_roles" in str(
        err.value
    )


def test_a_table_is_due_once_the_interval_has_passed() -> None:
    now = pendulum.datetime(2026, 1, 2, 12, tz="UTC")
    assert refresh_due(None, 24, now)
    assert not refresh_due("2026-01-01T12:00:01+00:00", 24, now)
    assert refresh_due("2026-01-01T12:00:00+00:00", 24, now)
    assert refresh_due("2026-01-02T11:59:59+00:00", 0, now)  # 0: every run
    assert not refresh_due("2026-01-02T11:30:00+00:00", 1, now)


STAGE_FIELD = {
    "api_name": "Stage",
    "pick_list_values": [
        {"id": "1", "actual_value": "Qualification", "probability": 10, "forecast_type": "Open",
         "forecast_category": {"name": "Pipeline", "id": "9"}},
        {"id": "2", "actual_value": "Closed Won", "probability": 100, "forecast_type": "Closed Won",
         "forecast_category": {"name": "Closed", "id": "8"}},
    ],
}


def test_pipeline_stages_take_probability_and_forecast_from_the_stage_picklist() -> None:
    stages = stage_values([{"api_name": "Amount"}, STAGE_FIELD])
    by_id = complete_stage({"id": "1", "actual_value": "Qualification", "sequence_number": 1}, stages)
    assert by_id == {"id": "1", "actual_value": "Qualification", "sequence_number": 1, "probability": 10,
                     "forecast_type": "Open", "forecast_category": {"name": "Pipeline", "id": "9"}}
    by_value = complete_stage({"id": "77", "actual_value": "Closed Won"}, stages)
    assert by_value["probability"] == 100 and by_value["forecast_type"] == "Closed Won"


def test_pipeline_stages_keep_what_zoho_put_in_the_pipeline() -> None:
    stages = stage_values([STAGE_FIELD])
    stage = complete_stage({"id": "1", "probability": 15, "forecast_type": "Open"}, stages)
    assert stage["probability"] == 15 and stage["forecast_category"]["name"] == "Pipeline"
    assert complete_stage({"id": "5", "actual_value": "Custom"}, stages) == {"id": "5", "actual_value": "Custom"}
    without_metadata = complete_stage({"id": "1", "actual_value": "Qualification"}, {})
    assert without_metadata == {"id": "1", "actual_value": "Qualification"}


class FakeMetadata:
    """Field metadata per module; records which modules were read."""

    def __init__(self, fields: Dict[str, List[Dict[str, Any]]]) -> None:
        self._fields = fields
        self.read: List[str] = []

    def fields(self, module: str) -> List[Dict[str, Any]]:
        self.read.append(module)
        return self._fields.get(module, [])


def tracked(module: str) -> Dict[str, Any]:
    return {"api_name": "Stage", "history_tracking": {"module": {"api_name": module}}}


ORG = {
    "Leads": [{"api_name": "Lead_Status"}],
    "Deals": [{"api_name": "Amount"}, tracked("DealHistory")],
    "Quotes": [tracked("Quote_Stage_History")],
}
TRACKERS = ["DealHistory", "Quote_Stage_History"]


def find(metadata: FakeMetadata, loaded: List[str], cache: Optional[Dict[str, Any]] = None) -> Any:
    return find_history_modules(metadata, loaded, TRACKERS, cache)  # type: ignore[arg-type]


def test_tracker_modules_are_the_field_tracker_modules_of_the_org() -> None:
    modules = {"Deals": {"generated_type": "default"}, "DealHistory": {"generated_type": "field_tracker"},
               "Quoted_Items": {"generated_type": "subform"}}
    assert tracker_modules(modules) == ["DealHistory"]
    assert tracker_modules(None) == []


def test_history_modules_are_found_through_history_tracking_most_likely_module_first() -> None:
    metadata = FakeMetadata(ORG)
    links, cache = find(metadata, ["Leads", "Deals", "Quotes", "Users"])
    assert links == {"Deals": ["DealHistory"], "Quotes": ["Quote_Stage_History"]}
    assert metadata.read == ["Quotes", "Deals"]  # by likeness to the trackers' names; Leads never needed
    assert cache == {"trackers": TRACKERS, "checked": {"Quotes": ["Quote_Stage_History"], "Deals": ["DealHistory"]}}


def test_a_remembered_answer_reads_no_metadata() -> None:
    _, cache = find(FakeMetadata(ORG), ["Leads", "Deals", "Quotes"])
    metadata = FakeMetadata(ORG)
    links, again = find(metadata, ["Deals", "Leads"], cache)
    assert links == {"Deals": ["DealHistory"]} and metadata.read == [] and again == cache


def test_a_tracker_of_a_module_not_loaded_is_looked_for_once_then_remembered() -> None:
    metadata = FakeMetadata(ORG)
    links, cache = find(metadata, ["Leads", "Deals"])
    assert links == {"Deals": ["DealHistory"]} and sorted(metadata.read) == ["Deals", "Leads"]
    metadata.read.clear()
    assert find(metadata, ["Leads", "Deals"], cache) == (links, cache) and metadata.read == []
    links, _ = find(metadata, ["Leads", "Deals", "Quotes"], cache)  # a module joins the run
    assert links["Quotes"] == ["Quote_Stage_History"] and metadata.read == ["Quotes"]


def test_a_new_tracker_module_in_the_org_looks_again() -> None:
    _, cache = find_history_modules(FakeMetadata(ORG), ["Deals"], ["DealHistory"], None)  # type: ignore[arg-type]
    metadata = FakeMetadata(ORG)
    links, _ = find(metadata, ["Deals", "Quotes"], cache)
    assert links == {"Deals": ["DealHistory"], "Quotes": ["Quote_Stage_History"]} and "Quotes" in metadata.read


def test_unavailable_field_metadata_is_not_remembered() -> None:
    metadata = FakeMetadata({})  # no fields scope: every module answers []
    links, cache = find(metadata, ["Deals"])
    assert links == {} and cache["checked"] == {}
