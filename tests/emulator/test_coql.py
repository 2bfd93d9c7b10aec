"""COQL record counts (zoho-crm-api.md §6): the query the pipeline sizes a module with."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

COUNT_LEADS = "select COUNT(id) from Leads where id is not null"


def test_count_query_answers_the_number_of_live_records_for_one_credit(factory: Any) -> None:
    emu, api = factory(records_per_module={"Contacts": 37})
    r = api.post("/crm/v7/coql", {"select_query": "select COUNT(id) from Contacts where id is not null"})
    assert r.status_code == 200
    assert r.json() == {"data": [{"COUNT(id)": 37}], "info": {"count": 1, "more_records": False}}
    deleted = emu.delete("Contacts", 2)
    r = api.post("/crm/v7/coql", {"select_query": "SELECT count(id) AS total FROM Contacts WHERE id IS NOT NULL"})
    assert r.json()["data"] == [{"total": 35}] and len(deleted) == 2
    assert emu.stats()["credits"]["coql"] == 2


def test_converted_leads_are_counted_only_when_configured(factory: Any) -> None:
    _, api = factory(records_per_module={"Leads": 30}, converted_every=10)
    assert api.post("/crm/v7/coql", {"select_query": COUNT_LEADS}).json()["data"] == [{"COUNT(id)": 27}]
    _, api = factory(records_per_module={"Leads": 30}, converted_every=10, coql_counts_converted=True)
    assert api.post("/crm/v7/coql", {"select_query": COUNT_LEADS}).json()["data"] == [{"COUNT(id)": 30}]


def test_coql_needs_its_scope_a_where_clause_and_a_known_module(factory: Any) -> None:
    _, api = factory(scopes=("ZohoCRM.modules.READ",))
    r = api.post("/crm/v7/coql", {"select_query": COUNT_LEADS})
    assert r.status_code == 401 and r.json()["code"] == "OAUTH_SCOPE_MISMATCH"
    _, api = factory()
    r = api.post("/crm/v7/coql", {"select_query": "select COUNT(id) from Leads"})
    assert r.status_code == 400 and r.json()["code"] == "SYNTAX_ERROR"
    r = api.post("/crm/v7/coql", {"select_query": "select COUNT(id) from Nope where id is not null"})
    assert r.status_code == 400 and r.json()["code"] == "INVALID_QUERY"
    r = api.post("/crm/v7/coql", {"select_query": "select Last_Name from Leads where id is not null"})
    assert r.status_code == 400 and r.json()["code"] == "INVALID_QUERY"
    assert api.get("/crm/v7/coql").json()["code"] == "INVALID_REQUEST_METHOD"


def test_a_count_with_a_modified_time_condition_counts_what_changed_since(factory: Any) -> None:
    emu, api = factory(records_per_module={"Deals": 30})
    emu.advance(60)
    since = emu.now().replace(microsecond=0)
    emu.advance(1)
    emu.touch("Deals", n=4)

    def count(op: str, at: str) -> Any:
        query = f"select COUNT(id) from Deals where Modified_Time {op} '{at}'"
        return api.post("/crm/v7/coql", {"select_query": query})

    assert count(">", since.isoformat()).json()["data"] == [{"COUNT(id)": 4}]
    assert count(">", since.astimezone(timezone(timedelta(hours=5, minutes=30))).isoformat()).json()["data"] == [
        {"COUNT(id)": 4}
    ]
    touched_at = max(r["Modified_Time"] for r in emu.records("Deals"))
    assert count(">=", touched_at).json()["data"] == [{"COUNT(id)": 4}]
    assert count(">", touched_at).json()["data"] == [{"COUNT(id)": 0}]
    assert count(">", "yesterday").json()["code"] == "INVALID_QUERY"
    assert count(">", "2026-01-01T00:00:00").status_code == 400  # Zoho's datetimes carry their offset
