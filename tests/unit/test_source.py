"""The source against a mocked Zoho: id batching, incremental header, chain restarts, config validation."""

from typing import Any, Dict, List

import dlt
import pendulum
import pytest
import requests_mock

from tests.unit.zoho_mock import BASE, CREDS, ZohoMock, make_records
from zoho_crm import zoho_crm_source
from zoho_crm.errors import ZohoConfigError, ZohoUnknownModuleError


def run(
    modules: Dict[str, List[Dict[str, Any]]], m: requests_mock.Mocker, name: str = "unit_zoho", **kwargs: Any
) -> ZohoMock:
    zoho = ZohoMock(m, modules)
    source = zoho_crm_source(credentials=CREDS, api_base_url=BASE, accounts_url=BASE, modules=list(modules), **kwargs)
    pipeline = dlt.pipeline(name, destination=dlt.destinations.duckdb(f"{name}.duckdb"), dataset_name="z")
    pipeline.run(source)
    return zoho


def load_deals(name: str) -> dlt.Pipeline:
    """Run the source for Deals against whatever the Mocker serves."""
    source = zoho_crm_source(credentials=CREDS, api_base_url=BASE, accounts_url=BASE, modules=["Deals"])
    pipeline = dlt.pipeline(name, destination=dlt.destinations.duckdb(f"{name}.duckdb"), dataset_name="z")
    pipeline.run(source)
    return pipeline


def detail_sizes(zoho: ZohoMock) -> List[int]:
    return sorted((len(r.qs["ids"][0].split(",")) for r in zoho.calls("detail")), reverse=True)


def test_ids_are_fetched_in_batches_of_ids_per_request() -> None:
    with requests_mock.Mocker() as m:
        zoho = run({"Quotes": make_records(250)}, m)
        assert detail_sizes(zoho) == [100, 100, 50]
    with requests_mock.Mocker() as m:
        zoho = run({"Quotes": make_records(250)}, m, name="small_batches", ids_per_request=10)
        assert detail_sizes(zoho) == [10] * 25


def test_listing_asks_for_ids_sorted_by_modified_time_and_leads_include_converted() -> None:
    with requests_mock.Mocker() as m:
        zoho = run({"Leads": make_records(5)}, m)
        first = zoho.calls("list")[0].qs
        assert first["fields"] == ["id,modified_time"]  # requests-mock lower-cases query values
        assert first["per_page"] == ["200"] and first["sort_by"] == ["modified_time"] and first["sort_order"] == ["asc"]
        assert first["converted"] == ["both"]
        assert zoho.calls("detail")[0].qs["converted"] == ["both"]
        assert "If-Modified-Since" not in zoho.calls("list")[0].headers  # default start_date: list everything


def test_start_date_becomes_if_modified_since_one_second_earlier() -> None:
    with requests_mock.Mocker() as m:
        zoho = run({"Deals": make_records(3)}, m, start_date="2024-02-01")
        assert zoho.calls("list")[0].headers["If-Modified-Since"] == "2024-01-31T23:59:59+00:00"


def test_second_run_asks_from_just_before_the_cursor_and_fetches_nothing_known() -> None:
    records = make_records(5)
    with requests_mock.Mocker() as m:
        run({"Deals": records}, m)
    with requests_mock.Mocker() as m:
        zoho = run({"Deals": records}, m)
        last = pendulum.parse(records[-1]["Modified_Time"]).in_tz("UTC").subtract(seconds=1)
        assert zoho.calls("list")[0].headers["If-Modified-Since"] == last.isoformat()
        assert zoho.calls("detail") == []


def test_page_token_chain_cut_by_zoho_restarts_from_last_modified_time() -> None:
    records = make_records(700)
    with requests_mock.Mocker() as m:
        zoho = ZohoMock(m, {"Deals": records})
        original = zoho._module("Deals")
        cap = {"code": "PAGINATION_LIMIT_EXCEEDED", "details": {"param_name": "page_token"}, "status": "error"}

        def capped(request: Any, context: Any) -> Any:
            # a 400-record cap per parameter set, like Zoho's 100,000
            if "page_token" in request.qs and int(request.qs["page_token"][0][3:]) >= 400:
                context.status_code = 400
                return cap
            ims = request.headers.get("If-Modified-Since")
            if ims and "ids" not in request.qs:
                since = pendulum.parse(ims)
                newer = [r for r in records if pendulum.parse(r["Modified_Time"]) > since]
                saved, zoho.records["Deals"] = zoho.records["Deals"], newer
                try:
                    return original(request, context)
                finally:
                    zoho.records["Deals"] = saved
            return original(request, context)

        m.get(f"{BASE}/crm/v7/Deals", json=capped)
        pipeline = load_deals("capped")
        with pipeline.sql_client() as client:
            count, distinct = client.execute_sql("SELECT count(*), count(DISTINCT id) FROM zoho_crm_deals")[0]
        assert count == distinct == 700
        assert any("If-Modified-Since" in r.headers for r in zoho.calls("list")[1:])


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"data_center": "mars"}, "unknown data_center 'mars': use one of us, eu, in, au, jp, ca, cn, sa"),
        ({"start_date": "2024/01/01"}, "start_date must be YYYY-MM-DD"),
        ({"ids_per_request": 101}, "ids_per_request must be between 1 and 100"),
        ({"api_base_url": "zoho.com"}, "api_base_url must look like https://host"),
        ({"modules": ""}, "modules is empty"),
    ],
)
def test_bad_configuration_is_rejected_before_any_call(kwargs: Dict[str, Any], message: str) -> None:
    with requests_mock.Mocker() as m:
        with pytest.raises(ZohoConfigError, match=message):
            zoho_crm_source(**{"credentials": CREDS, "accounts_url": BASE, **kwargs})
        assert m.call_count == 0


def test_unknown_module_lists_the_org_modules_and_suggests_case() -> None:
    with requests_mock.Mocker() as m:
        ZohoMock(m, {"Leads": [], "Deals": []})
        with pytest.raises(ZohoUnknownModuleError) as err:
            zoho_crm_source(credentials=CREDS, api_base_url=BASE, accounts_url=BASE, modules=["leads", "Widgets"])
        assert "leads (did you mean Leads?)" in str(err.value)
        assert "Widgets" in str(err.value) and "modules of this org: Deals, Leads, Users (or all)" in str(err.value)


def test_module_table_merges_on_id_and_keeps_the_newest_duplicate() -> None:
    with requests_mock.Mocker() as m:
        ZohoMock(m, {"Deals": make_records(3)})
        source = zoho_crm_source(credentials=CREDS, api_base_url=BASE, accounts_url=BASE, modules=["Deals"])
        pipeline = dlt.pipeline("hints", destination=dlt.destinations.duckdb("hints.duckdb"), dataset_name="z")
        pipeline.run(source)
    table = pipeline.default_schema.tables["zoho_crm_deals"]
    assert table["write_disposition"] == "merge"
    columns = table["columns"]
    assert columns["id"]["primary_key"] is True and columns["id"]["data_type"] == "text"
    assert columns["modified_time"]["dedup_sort"] == "desc"
    assert columns["modified_time"]["data_type"] == "timestamp"


def test_optional_approved_param_is_dropped_when_zoho_refuses_it() -> None:
    with requests_mock.Mocker() as m:
        zoho = ZohoMock(m, {"Deals": make_records(30)})
        handler = zoho._module("Deals")
        refused = {"code": "INVALID_DATA", "details": {"param_name": "approved"}, "message": "x", "status": "error"}

        def strict(request: Any, context: Any) -> Any:
            if "approved" in request.qs:
                context.status_code = 400
                return refused
            return handler(request, context)

        m.get(f"{BASE}/crm/v7/Deals", json=strict)
        pipeline = load_deals("strict")
        with pipeline.sql_client() as client:
            assert client.execute_sql("SELECT count(*) FROM zoho_crm_deals")[0][0] == 30
        refusals = [r for r in zoho.calls("list") + zoho.calls("detail") if "approved" in r.qs]
        assert len(refusals) == 1  # asked once, then remembered


@pytest.mark.parametrize("value", ["Leads,Deals", '["Leads","Deals"]', "Leads, Deals"])
def test_modules_env_var_accepts_a_json_list_or_names(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SOURCES__ZOHO_CRM__MODULES", value)
    with requests_mock.Mocker() as m:
        ZohoMock(m, {"Leads": [], "Deals": []})
        source = zoho_crm_source(credentials=CREDS, api_base_url=BASE, accounts_url=BASE)
        assert {"zoho_crm_deals", "zoho_crm_leads"} <= set(source.selected_resources)
