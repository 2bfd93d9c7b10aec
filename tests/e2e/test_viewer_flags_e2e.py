"""Zoho's per-viewer `$` keys (what the API user may click) stay out of the mirror; the `$` keys with data stay in."""

import pytest

from tests.e2e.helpers import column_types, load, query
from zoho_emulator import ZohoEmulator

VIEWER_COLUMNS = {"_editable", "_locked_for_me", "_sharing_permission", "_zia_owner_assignment", "_approval__reject"}


def test_per_viewer_flags_are_not_loaded_and_data_keys_are(
    monkeypatch: pytest.MonkeyPatch, emulator: ZohoEmulator
) -> None:
    load(monkeypatch, emulator, "--modules", "Leads,Tasks,Quotes", SETTINGS_TABLES="none")

    leads, tasks = column_types("zoho_crm_leads"), column_types("zoho_crm_tasks")
    for table in ("zoho_crm_leads", "zoho_crm_tasks", "zoho_crm_quotes"):
        assert not VIEWER_COLUMNS & set(column_types(table)), table
    assert not {"_in_merge", "_field_states"} & set(column_types("zoho_crm_quotes__quoted_items"))
    assert "_se_module" in tasks  # the module a task's what_id points to
    assert {"_converted_detail__convert_date", "_approval_state", "_currency_symbol"} <= set(leads)
    related = query("SELECT count(*) FROM zoho_crm_tasks WHERE what_id__id IS NOT NULL AND _se_module IS NULL")
    assert related == [(0,)]


def test_keep_viewer_flags_loads_them_and_turning_it_off_keeps_the_columns_null_from_then_on(
    monkeypatch: pytest.MonkeyPatch, emulator: ZohoEmulator
) -> None:
    load(monkeypatch, emulator, "--modules", "Leads", SETTINGS_TABLES="none", KEEP_VIEWER_FLAGS="true")
    assert set(column_types("zoho_crm_leads")) >= VIEWER_COLUMNS
    assert query("SELECT count(*) FROM zoho_crm_leads WHERE _editable IS NULL") == [(0,)]

    edited = set(emulator.touch("Leads", n=3))
    emulator.advance(2)
    load(monkeypatch, emulator, "--modules", "Leads", SETTINGS_TABLES="none", KEEP_VIEWER_FLAGS=None)

    assert set(column_types("zoho_crm_leads")) >= VIEWER_COLUMNS  # an existing table keeps its columns
    nulls = {r[0] for r in query("SELECT id FROM zoho_crm_leads WHERE _editable IS NULL")}
    assert nulls == edited
