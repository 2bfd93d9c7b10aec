"""dlt config decides where the CLI loads: destination, its options, the DuckDB file and the dataset."""

from pathlib import Path

import dlt
import duckdb
import pytest

from tests.e2e.helpers import configure_env, run_cli


def leads_in(db: Path, dataset: str = "zoho_crm_data") -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return int(con.execute(f"SELECT count(*) FROM {dataset}.zoho_crm_leads").fetchone()[0])


@pytest.fixture
def org(emulator, monkeypatch: pytest.MonkeyPatch):
    configure_env(monkeypatch, emulator)
    return emulator


def test_duckdb_file_comes_from_destination_duckdb_credentials(org, monkeypatch, tmp_path: Path) -> None:
    db = tmp_path / "data" / "crm.duckdb"
    db.parent.mkdir()
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(db))
    code, _, err = run_cli("--modules", "Leads")
    assert code == 0, err
    assert leads_in(db) == org.count("Leads")
    assert not (tmp_path / "zoho_crm.duckdb").exists()


def test_relative_duckdb_credentials_are_taken_from_the_working_directory(org, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", "crm.duckdb")
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        monkeypatch.chdir(folder)
        code, _, err = run_cli("--modules", "Leads")
        assert code == 0, err
    # dlt alone would keep using the folder of the pipeline's first run
    assert leads_in(second / "crm.duckdb") == org.count("Leads")


def test_default_duckdb_file_is_zoho_crm_duckdb_in_the_working_directory(org, tmp_path: Path) -> None:
    code, _, err = run_cli("--modules", "Leads")
    assert code == 0, err
    assert leads_in(tmp_path / "zoho_crm.duckdb") == org.count("Leads")
    assert dlt.attach("zoho_crm").destination.destination_type.endswith("duckdb")


def test_destination_and_dataset_come_from_dlt_config(org, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PIPELINES__ZOHO_CRM__DESTINATION_TYPE", "filesystem")
    monkeypatch.setenv("PIPELINES__ZOHO_CRM__DATASET_NAME", "crm_mirror")
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", str(tmp_path / "lake"))
    code, out, err = run_cli("--modules", "Leads")
    assert code == 0, err
    assert "into crm_mirror (filesystem)" in out
    assert list((tmp_path / "lake" / "crm_mirror" / "zoho_crm_leads").iterdir())
    assert not (tmp_path / "zoho_crm.duckdb").exists()


def test_flags_override_dlt_config(org, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DESTINATION_TYPE", "filesystem")
    monkeypatch.setenv("DATASET_NAME", "from_config")
    code, _, err = run_cli("--modules", "Leads", "--destination", "duckdb", "--dataset", "from_flag")
    assert code == 0, err
    assert leads_in(tmp_path / "zoho_crm.duckdb", "from_flag") == org.count("Leads")


def test_table_format_on_a_destination_without_it_is_a_one_line_config_error(org) -> None:
    code, out, err = run_cli("--modules", "Leads", "--table-format", "delta")
    assert code == 2
    assert err.count("\n") == 1 and "cannot store delta tables" in err and "--destination filesystem" in err
    assert "Traceback" not in err and "Loaded" not in out


def test_unknown_table_format_in_config_is_a_one_line_config_error(org, monkeypatch) -> None:
    monkeypatch.setenv("PIPELINES__ZOHO_CRM__TABLE_FORMAT", "hudi")
    monkeypatch.setenv("PIPELINES__ZOHO_CRM__DESTINATION_TYPE", "filesystem")
    monkeypatch.setenv("DESTINATION__FILESYSTEM__BUCKET_URL", "lake")
    code, _, err = run_cli("--modules", "Leads")
    assert code == 2 and "unknown table format 'hudi'" in err and err.count("\n") == 1
