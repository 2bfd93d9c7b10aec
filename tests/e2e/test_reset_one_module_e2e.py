"""Resetting one module (`--full-refresh --modules X`) reloads X and leaves the other modules alone."""

from tests.e2e.helpers import configure_env, query, run_cli


def test_full_refresh_of_one_module_leaves_the_other_modules_alone(emulator, monkeypatch) -> None:
    configure_env(monkeypatch, emulator)
    assert run_cli("--modules", "Leads,Deals")[0] == 0
    logged = query("SELECT count(*) FROM zoho_crm_deleted_records WHERE module = 'Deals'")[0][0]
    emulator.reset_stats()
    assert run_cli("--modules", "Leads", "--full-refresh")[0] == 0
    assert emulator.stats()["calls"]["detail"] >= 1  # Leads fetched again
    tables = {row[0] for row in query("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'zoho_crm_data'")}
    assert "zoho_crm_deals" in tables
    assert query("SELECT count(*) FROM zoho_crm_deals")[0][0] == emulator.count("Deals")
    assert query("SELECT count(*) FROM zoho_crm_leads")[0][0] == emulator.count("Leads")
    assert query("SELECT count(*) FROM zoho_crm_deleted_records WHERE module = 'Deals'")[0][0] == logged
    emulator.reset_stats()
    assert run_cli("--modules", "Leads,Deals")[0] == 0
    detail_calls = [r for r in emulator.requests if r["kind"] == "detail"]
    assert detail_calls == []  # nothing changed in Zoho: nothing to fetch again
