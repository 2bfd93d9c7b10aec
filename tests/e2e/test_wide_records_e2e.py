"""Wide records (long multi-line Descriptions, many custom text fields) load intact through REST and Bulk Read."""

from typing import Any, Dict

from tests.e2e.compare import table_differences
from tests.e2e.helpers import load, query
from tests.e2e.mirror import assert_table_mirrors
from zoho_crm import table_name

WIDE: Dict[str, Any] = {
    "seed": 7,
    "default_records": 3,
    "records_per_module": {"Leads": 300},
    "wide_modules": ("Leads",),
    "wide_every": 3,
    "wide_custom_fields": 6,
    "bulk_delay": 0.2,
}


def test_wide_leads_give_identical_tables_through_rest_and_bulk_read(make_emulator, monkeypatch, tmp_path) -> None:
    emu = make_emulator(**WIDE)
    load(monkeypatch, emu, "--modules", "Leads", into=tmp_path / "rest", bulk_threshold="0")
    load(monkeypatch, emu, "--modules", "Leads", into=tmp_path / "bulk", bulk_threshold="100")
    assert [job.module for job in emu.bulk_api.jobs.values()] == ["Leads"]
    rest, bulk = str(tmp_path / "rest.duckdb"), str(tmp_path / "bulk.duckdb")
    assert table_differences(rest, bulk) == []
    for db in (rest, bulk):  # every value intact: the 5,000 characters, line breaks, quotes, emoji
        assert_table_mirrors(emu.records("Leads"), table_name("Leads"), False, db)
        lengths = query("SELECT length(description) FROM zoho_crm_leads WHERE length(description) > 1000", db)
        assert sorted(n for (n,) in lengths) == [5000] * 100
