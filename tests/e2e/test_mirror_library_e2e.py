"""The mirror as a library: `zoho_crm.mirror` gives a plain Python script every guarantee of the CLI, and the source
alone refuses to mix two orgs in one pipeline."""

import os
import shutil
from pathlib import Path
from typing import Any, Callable, Dict

import dlt
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

import zoho_crm
from tests.e2e.helpers import query, table_count
from tests.e2e.mirror import assert_table_mirrors
from zoho_crm import table_name, zoho_crm_source
from zoho_crm.errors import ZohoOrgChangedError
from zoho_crm.runner import PipelineRunLock, RunInProgress
from zoho_emulator import ZohoEmulator

LEADS = table_name("Leads")


def org(emu: ZohoEmulator) -> Dict[str, Any]:
    """Source arguments pointing at an emulated org."""
    creds = {"client_id": emu.client_id, "client_secret": emu.client_secret, "refresh_token": emu.refresh_token}
    return {"credentials": creds, "api_base_url": emu.base_url, "accounts_url": emu.base_url}


def duckdb_pipeline(name: str = "crm_notebook") -> dlt.Pipeline:
    """A pipeline as a notebook would make it, into zoho_crm.duckdb in the working directory."""
    destination = dlt.destinations.duckdb(os.path.abspath("zoho_crm.duckdb"))
    return dlt.pipeline(pipeline_name=name, destination=destination, dataset_name="zoho_crm_data")


def record_calls(emu: ZohoEmulator) -> int:
    return sum(1 for r in emu.requests if r["kind"] in ("list", "detail", "record", "bulk_create"))


@pytest.fixture
def two_orgs(make_emulator: Callable[..., ZohoEmulator]) -> "tuple[ZohoEmulator, ZohoEmulator]":
    first = make_emulator(seed=1, default_records=5, records_per_module={"Leads": 400})
    second = make_emulator(seed=2, default_records=5, records_per_module={"Leads": 250})
    return first, second


def test_mirror_from_a_script_loads_exactly_prints_nothing_and_reports_calls_and_credits(
    two_orgs, capfd: pytest.CaptureFixture
) -> None:
    first, _ = two_orgs
    result = zoho_crm.mirror(duckdb_pipeline(), modules=["Leads"], **org(first))

    assert_table_mirrors(first.records("Leads"), LEADS)
    out, err = capfd.readouterr()
    assert out == "" and "zoho" not in err.lower()
    assert result.rows[LEADS] == 400
    assert result.load_info.loads_ids
    # 400 ids listed in 2 pages, fetched 100 at a time; credits by module and kind, as Zoho bills them
    assert result.calls["Leads"]["list"] == 2 and result.calls["Leads"]["detail"] == 4
    assert result.credits["Leads"]["detail"] == 4
    assert result.credits_total == first.stats()["credits_total"]
    assert result.calls_by_kind()["list"] >= 2 and result.credits_by_module()["Leads"] >= 6


def test_mirror_pointed_at_another_org_replaces_the_first_orgs_rows(two_orgs, caplog) -> None:
    first, second = two_orgs
    pipeline = duckdb_pipeline()
    zoho_crm.mirror(pipeline, modules=["Leads"], **org(first))
    assert table_count(LEADS) == 400

    zoho_crm.mirror(pipeline, modules=["Leads"], **org(second))

    assert_table_mirrors(second.records("Leads"), LEADS)
    assert f"last loaded {first.base_url}, now {second.base_url}" in caplog.text


def test_mirror_with_a_tiny_credit_budget_stops_early_with_nothing_lost_then_converges(two_orgs) -> None:
    first, _ = two_orgs
    pipeline = duckdb_pipeline()
    # REST listing: each page of 200 ids reserves its list call and two detail calls
    budgeted = {"modules": ["Leads"], "credit_budget": 9, "bulk_threshold": 0, "settings_tables": "none", **org(first)}
    with pytest.raises(zoho_crm.ZohoCrmStoppedEarly) as stopped:
        zoho_crm.mirror(pipeline, **budgeted)

    assert "credit budget of 9 credits is reached" in str(stopped.value)
    partial = stopped.value.result
    assert partial is not None and 0 < partial.credits_total <= 9
    loaded = table_count(LEADS)
    assert 0 < loaded < 400 and loaded == partial.rows[LEADS]  # what was fetched is loaded
    for _ in range(10):  # later runs converge to the exact mirror
        try:
            zoho_crm.mirror(pipeline, **budgeted)
            break
        except zoho_crm.ZohoCrmStoppedEarly:
            continue
    assert_table_mirrors(first.records("Leads"), LEADS)


def test_plain_pipeline_run_against_another_org_fails_on_the_org_and_changes_nothing(
    two_orgs, make_emulator: Callable[..., ZohoEmulator]
) -> None:
    first, second = two_orgs
    pipeline = duckdb_pipeline()
    pipeline.run(zoho_crm_source(modules=["Leads"], **org(first)))
    assert_table_mirrors(first.records("Leads"), LEADS)
    state_before = pipeline.state["_state_version"]
    second.reset_stats()

    with pytest.raises(PipelineStepFailed) as failed:
        pipeline.run(zoho_crm_source(modules=["Leads"], **org(second)))

    assert isinstance(_in_chain(failed.value, ZohoOrgChangedError), ZohoOrgChangedError), failed.value
    line = str(_in_chain(failed.value, ZohoOrgChangedError))
    assert first.base_url in line and second.base_url in line
    assert "zoho_crm.mirror" in line and 'refresh="drop_sources"' in line and "\n" not in line
    assert record_calls(second) == 0  # refused before any record was read
    assert_table_mirrors(first.records("Leads"), LEADS)  # nothing changed
    assert pipeline.state["_state_version"] == state_before


def test_the_fix_the_org_line_names_works_refresh_drop_sources_replaces_the_org(two_orgs) -> None:
    first, second = two_orgs
    pipeline = duckdb_pipeline()
    pipeline.run(zoho_crm_source(modules=["Leads"], settings_tables="none", **org(first)))

    pipeline.run(zoho_crm_source(modules=["Leads"], settings_tables="none", **org(second)), refresh="drop_sources")

    assert_table_mirrors(second.records("Leads"), LEADS)


def test_a_source_built_before_its_pipeline_is_refused_at_extract_too(two_orgs) -> None:
    first, second = two_orgs
    duckdb_pipeline().run(zoho_crm_source(modules=["Leads"], settings_tables="none", **org(first)))
    source = zoho_crm_source(modules=["Leads"], settings_tables="none", **org(second))
    pipeline = duckdb_pipeline()  # attached after the source was built: nothing to check at build time
    with pytest.raises(PipelineStepFailed) as failed:
        pipeline.run(source)
    assert _in_chain(failed.value, ZohoOrgChangedError) is not None
    assert table_count(LEADS) == 400


def test_mirror_on_a_new_working_directory_replaces_the_org_kept_at_the_destination(
    two_orgs, isolated_dlt: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_orgs
    zoho_crm.mirror(duckdb_pipeline(), modules=["Leads"], settings_tables="none", **org(first))
    shutil.rmtree(isolated_dlt / "dlt_data")  # a CI runner: the state lives only at the destination

    zoho_crm.mirror(duckdb_pipeline(), modules=["Leads"], settings_tables="none", **org(second))

    assert_table_mirrors(second.records("Leads"), LEADS)


def test_mirror_while_another_run_holds_the_pipeline_stops_before_any_zoho_call(two_orgs) -> None:
    first, _ = two_orgs
    pipeline = duckdb_pipeline()
    first.reset_stats()
    with PipelineRunLock(pipeline.pipeline_name, pipeline.pipelines_dir), pytest.raises(RunInProgress) as stopped:
        zoho_crm.mirror(pipeline, modules=["Leads"], **org(first))
    assert isinstance(stopped.value, zoho_crm.ZohoCrmStoppedEarly)
    assert first.requests == []


def test_mirror_resets_only_the_named_module_on_full_refresh(two_orgs) -> None:
    first, _ = two_orgs
    pipeline = duckdb_pipeline()
    zoho_crm.mirror(pipeline, modules=["Leads", "Contacts"], settings_tables="none", **org(first))
    first.reset_stats()

    result = zoho_crm.mirror(pipeline, modules=["Leads"], full_refresh=True, settings_tables="none", **org(first))

    assert result.rows[LEADS] == 400  # reloaded from scratch
    assert table_count(table_name("Contacts")) == 5  # kept
    assert query(f"SELECT count(DISTINCT id) FROM {LEADS}")[0][0] == 400


def test_the_object_form_runs_the_same_mirror(two_orgs) -> None:
    first, _ = two_orgs
    result = zoho_crm.ZohoCrmMirror(modules="Leads", settings_tables="none", **org(first)).run(duckdb_pipeline())
    assert result.rows[LEADS] == 400
    assert_table_mirrors(first.records("Leads"), LEADS)


def _in_chain(exc: BaseException, kind: type) -> Any:
    from zoho_crm.runner.failures.chain import exception_chain, first

    return first(exception_chain(exc), kind)
