"""After a CLI run, Python users reach the data with dlt's own tools: `dlt.attach(...).dataset()` and `dlt pipeline`."""

import subprocess
import sys
from pathlib import Path

import dlt
import pytest

from tests.e2e.helpers import configure_env, run_cli


@pytest.fixture
def loaded(emulator, monkeypatch: pytest.MonkeyPatch):
    configure_env(monkeypatch, emulator)
    code, _, err = run_cli("--modules", "Leads,Quotes")
    assert code == 0, err
    return emulator


def test_attached_dataset_reads_a_table_as_arrow(loaded) -> None:
    dataset = dlt.attach("zoho_crm").dataset()
    table = dataset.zoho_crm_leads.arrow()
    assert table.num_rows == loaded.count("Leads")
    assert set(table.column("id").to_pylist()) == loaded.record_ids("Leads")
    items = dataset.zoho_crm_quotes__quoted_items.select("id", "quantity").arrow()
    assert items.num_rows == sum(len(r.get("Quoted_Items") or []) for r in loaded.records("Quotes"))


def test_attached_dataset_reads_a_table_as_pandas_after_the_readme_install(loaded) -> None:
    # the README installs requirements.txt only: `.df()` needs pandas (and numpy) from it, not from the dev file
    runtime = (Path(__file__).parents[2] / "requirements.txt").read_text()
    assert any(line.startswith("pandas") for line in runtime.splitlines())
    frame = dlt.attach("zoho_crm").dataset().zoho_crm_leads.df()
    assert len(frame) == loaded.count("Leads")
    assert frame["id"].is_unique


def test_attached_dataset_runs_sql(loaded) -> None:
    rows = dlt.attach("zoho_crm").dataset()("SELECT count(*) FROM zoho_crm_quotes").fetchall()
    assert rows == [(loaded.count("Quotes"),)]


def test_dlt_pipeline_info_shows_the_pipeline_and_its_dataset(loaded, isolated_dlt: Path) -> None:
    dlt_command = Path(sys.executable).with_name("dlt")
    result = subprocess.run(
        [str(dlt_command), "pipeline", "zoho_crm", "info"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "dataset_name: zoho_crm_data" in result.stdout
    assert "zoho_crm_leads with" in result.stdout and "zoho_crm_quotes with" in result.stdout
