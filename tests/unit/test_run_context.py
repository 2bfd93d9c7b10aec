"""Configuration without process-global state: dlt defaults from a provider scoped to this source, arguments checked
once, and per-run memory that one source never shares with another."""

import inspect
import typing
from typing import Any, List

import dlt
import pytest
import requests_mock
from dlt.common.configuration.container import Container
from dlt.extract.concurrency import FuturesPool
from dlt.extract.source import SourceInjectableContext

from tests.unit.zoho_mock import BASE, CREDS, ZohoMock, make_records
from zoho_crm import ZohoCrmSource, zoho_crm_source
from zoho_crm.config import ZohoCrmDefaults
from zoho_crm.errors import ZohoConfigError


def build(m: requests_mock.Mocker, **kwargs: Any) -> ZohoCrmSource:
    ZohoMock(m, {"Leads": make_records(3)})
    return zoho_crm_source(credentials=CREDS, api_base_url=BASE, accounts_url=BASE, modules=["Leads"], **kwargs)


def test_each_source_sizes_dlts_extract_pool_from_its_own_max_concurrency() -> None:
    with requests_mock.Mocker() as m:
        small, large = build(m, max_concurrency=3), build(m, max_concurrency=20)
    for source, workers in ((small, 5), (large, 22)):
        with Container().injectable_context(SourceInjectableContext(source)):
            assert dlt.config.get("extract.workers") == workers
            assert dlt.config.get("sources.zoho_crm.extract.workers") == workers
    assert dlt.config.get("extract.workers") is None  # no source being extracted: no opinion


def test_configured_extract_workers_and_writer_settings_win(monkeypatch: pytest.MonkeyPatch) -> None:
    with requests_mock.Mocker() as m:
        source = build(m, max_concurrency=3)
    monkeypatch.setenv("SOURCES__ZOHO_CRM__EXTRACT__WORKERS", "11")
    monkeypatch.setenv("DATA_WRITER__FILE_MAX_ITEMS", "500")
    with Container().injectable_context(SourceInjectableContext(source)):
        assert int(dlt.config.get("sources.zoho_crm.extract.workers")) == 11
        assert int(dlt.config.get("data_writer.file_max_items")) == 500
        assert dlt.config.get("data_writer.buffer_max_items") == 1000  # the rest stays this source's default


def test_writer_defaults_apply_to_this_source_only_and_nothing_is_written_into_dlt_config() -> None:
    other = dlt.pipeline("another_source", destination=dlt.destinations.duckdb("other.duckdb"))
    other.extract([{"a": 1}], table_name="things")  # the active pipeline loads another source
    assert dlt.config.get("data_writer.file_max_items") is None
    with requests_mock.Mocker() as m:
        source = build(m)
    with Container().injectable_context(SourceInjectableContext(source)):
        assert dlt.config.get("data_writer.file_max_items") == 100_000
        assert dlt.config.get("data_writer.disable_compression") is True
    other.activate()
    other.extract([{"a": 2}], table_name="things")
    assert dlt.config.get("data_writer.file_max_items") is None  # another source's pipeline: dlt's own defaults
    providers = [p.name for p in dlt.config.config_providers]
    assert providers[-1] == ZohoCrmDefaults.NAME and providers.count(ZohoCrmDefaults.NAME) == 1


def test_the_extract_pool_really_gets_the_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: List[int] = []
    init = FuturesPool.__init__

    def spy(self: FuturesPool, workers: int = 5, *args: Any, **kwargs: Any) -> None:
        sizes.append(workers)
        init(self, workers, *args, **kwargs)

    monkeypatch.setattr(FuturesPool, "__init__", spy)
    with requests_mock.Mocker() as m:
        source = build(m, max_concurrency=7, settings_tables="none")
        pipeline = dlt.pipeline("pool_size", destination=dlt.destinations.duckdb("pool.duckdb"), dataset_name="z")
        pipeline.extract(source)
    pipeline.extract([{"a": 1}], table_name="things")  # a source of another kind in the same process
    assert sizes[0] == 9 and sizes[-1] == 5  # max_concurrency + 2; dlt's own default for the other


def test_per_run_memory_is_the_sources_own() -> None:
    with requests_mock.Mocker() as m:
        first, second = build(m), build(m)
    assert first.context is not None and second.context is not None
    first.context.quirks.refuse_param("approved")
    assert not second.context.quirks.param_refused("approved")
    assert first.context.ledger is not second.context.ledger
    assert first.with_resources("zoho_crm_leads").context is first.context  # dlt's clone keeps it


def test_arguments_are_checked_once_with_the_same_messages_whether_passed_or_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with requests_mock.Mocker() as m:
        ZohoMock(m, {"Leads": make_records(1)})
        with pytest.raises(ZohoConfigError, match=r"delete_mode must be one of hard, keep, got 'soft'"):
            zoho_crm_source(credentials=CREDS, api_base_url=BASE, accounts_url=BASE, delete_mode="soft")
        monkeypatch.setenv("SOURCES__ZOHO_CRM__DELETE_MODE", "soft")
        with pytest.raises(ZohoConfigError, match=r"delete_mode must be one of hard, keep, got 'soft'"):
            zoho_crm_source(credentials=CREDS, api_base_url=BASE, accounts_url=BASE)
        assert not m.request_history  # refused before any call


def test_allowed_values_are_literal_types_in_the_signature() -> None:
    parameters = inspect.signature(zoho_crm_source).parameters
    assert typing.get_args(parameters["delete_mode"].annotation) == ("hard", "keep")
    assert "eu" in typing.get_args(parameters["data_center"].annotation)
