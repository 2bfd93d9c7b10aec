"""Bulk Read (zoho-crm-api.md §7)."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any


def create(api: Any, query: dict[str, Any]) -> Any:
    return api.post("/crm/bulk/v7/read", {"query": query})


def wait_completed(api: Any, job_id: str) -> dict[str, Any]:
    api.emu.advance(5)
    r = api.get(f"/crm/bulk/v7/read/{job_id}")
    job = r.json()["data"][0]
    assert job["state"] == "COMPLETED"
    return job


def rows(api: Any, job: dict[str, Any]) -> list[dict[str, str]]:
    r = api.get(job["result"]["download_url"])
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert zf.namelist() == [f"{job['id']}.csv"]
        text = zf.read(zf.namelist()[0]).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_create_job_shape_and_credits(api: Any) -> None:
    r = create(api, {"module": {"api_name": "Contacts"}})
    assert r.status_code == 201
    item = r.json()["data"][0]
    assert (item["status"], item["code"], item["message"]) == ("success", "ADDED_SUCCESSFULLY", "Added successfully.")
    d = item["details"]
    assert d["operation"] == "read" and d["state"] == "ADDED" and set(d["created_by"]) == {"id", "name"}
    assert api.emu.stats()["credits"]["bulk_create"] == 50


def test_create_without_json_content_type_is_415(api: Any) -> None:
    r = api.post("/crm/bulk/v7/read", data=b'{"query": {"module": {"api_name": "Leads"}}}')
    assert r.status_code == 415 and r.json()["code"] == "MEDIA_TYPE_NOT_SUPPORTED"


def test_job_states_progress_to_completed(factory: Any) -> None:
    emu, api = factory(bulk_delay=10)
    job_id = create(api, {"module": {"api_name": "Deals"}}).json()["data"][0]["details"]["id"]
    assert api.get(f"/crm/bulk/v7/read/{job_id}").json()["data"][0]["state"] == "ADDED"
    emu.advance(6)
    assert api.get(f"/crm/bulk/v7/read/{job_id}").json()["data"][0]["state"] == "IN PROGRESS"
    emu.advance(5)
    job = api.get(f"/crm/bulk/v7/read/{job_id}").json()["data"][0]
    assert job["state"] == "COMPLETED"
    res = job["result"]
    assert res["download_url"] == f"/crm/bulk/v7/read/{job_id}/result"
    assert res["count"] == emu.count("Deals") and res["more_records"] is False and res["per_page"] == 200000
    assert job["query"]["module"]["api_name"] == "Deals"


def test_unknown_job_is_resource_not_found(api: Any) -> None:
    r = api.get("/crm/bulk/v7/read/4876876000000000001")
    assert r.status_code == 404 and r.json()["code"] == "RESOURCE_NOT_FOUND"


def test_download_csv_has_id_column_all_fields_and_iso_datetimes(api: Any) -> None:
    job_id = create(api, {"module": {"api_name": "Leads"}}).json()["data"][0]["details"]["id"]
    data = rows(api, wait_completed(api, job_id))
    assert {r["id"] for r in data} == api.emu.record_ids("Leads")
    header = list(data[0])
    assert header[0] == "id" and "Last_Name" in header and "Modified_Time" in header
    assert data[0]["Modified_Time"].endswith("+05:30")
    assert data[0]["Owner"].isdigit()


def test_fields_and_modified_time_criteria(api: Any) -> None:
    recs = sorted(api.emu.records("Accounts"), key=lambda r: r["Modified_Time"])
    pivot = recs[len(recs) // 2]["Modified_Time"]
    expected = {r["id"] for r in recs if r["Modified_Time"] > pivot}
    q = {"module": {"api_name": "Accounts"}, "fields": ["Account_Name", "Modified_Time", "Owner.last_name"],
         "criteria": {"group_operator": "and", "group": [
             {"field": {"api_name": "Modified_Time"}, "comparator": "greater_than", "value": pivot}]}}
    job_id = create(api, q).json()["data"][0]["details"]["id"]
    data = rows(api, wait_completed(api, job_id))
    assert list(data[0]) == ["id", "Account_Name", "Modified_Time", "Owner.last_name"]
    assert {r["id"] for r in data} == expected


def test_bulk_page_token_beyond_page_size(factory: Any) -> None:
    emu, api = factory(bulk_page_size=8, records_per_module={"Cases": 20})
    job = wait_completed(api, create(api, {"module": {"api_name": "Cases"}}).json()["data"][0]["details"]["id"])
    assert job["result"]["more_records"] is True and job["result"]["next_page_token"]
    seen = [r["id"] for r in rows(api, job)]
    while job["result"]["more_records"]:
        nxt = create(api, {"page_token": job["result"]["next_page_token"]}).json()["data"][0]["details"]["id"]
        job = wait_completed(api, nxt)
        seen += [r["id"] for r in rows(api, job)]
    assert len(seen) == 20 and set(seen) == emu.record_ids("Cases")


def test_download_limit_per_minute(factory: Any) -> None:
    emu, api = factory(bulk_download_per_minute=2)
    job = wait_completed(api, create(api, {"module": {"api_name": "Vendors"}}).json()["data"][0]["details"]["id"])
    url = job["result"]["download_url"]
    assert [api.get(url).status_code for _ in range(3)] == [200, 200, 429]
    emu.advance(61)
    assert api.get(url).status_code == 200


def test_bulk_rejects_unknown_module_and_bad_criteria(api: Any) -> None:
    assert create(api, {"module": {"api_name": "Nope"}}).status_code == 400
    bad = {"module": {"api_name": "Leads"}, "criteria": {"field": {"api_name": "Modified_Time"},
                                                         "comparator": "contains", "value": "x"}}
    assert create(api, bad).json()["code"] == "FIELD_COMPARATOR_IN_CRITERIA_NOT_SUPPORTED"


def test_jobs_of_a_failing_module_end_in_failure_and_cannot_be_downloaded(factory: Any) -> None:
    _, api = factory(bulk_delay=0, bulk_failure_modules={"Leads"})
    created = api.post("/crm/bulk/v7/read", {"query": {"module": {"api_name": "Leads"}}})
    job_id = created.json()["data"][0]["details"]["id"]
    status = api.get(f"/crm/bulk/v7/read/{job_id}").json()["data"][0]
    assert status["state"] == "FAILURE" and "result" not in status
    assert api.get(f"/crm/bulk/v7/read/{job_id}/result").status_code == 400
