"""Get Records list call: fields, sorting, filters, pagination and If-Modified-Since (zoho-crm-api.md §1)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

FIELDS = "Last_Name,Modified_Time,Created_Time"


def parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts)


def test_list_without_fields_is_rejected_with_required_param_missing(api: Any) -> None:
    r = api.get("/crm/v7/Leads")
    assert r.status_code == 400
    assert r.json() == {
        "code": "REQUIRED_PARAM_MISSING",
        "details": {"param_name": "fields"},
        "message": "One of the expected parameter is missing",
        "status": "error",
    }


def test_more_than_50_fields_is_limit_exceeded(api: Any) -> None:
    names = [f["api_name"] for f in api.get("/crm/v7/settings/fields", {"module": "Leads"}).json()["fields"]]
    assert api.get("/crm/v7/Leads", {"fields": ",".join(names[:50])}).status_code == 200
    r = api.get("/crm/v7/Leads", {"fields": ",".join(names[:51])})
    assert r.status_code == 400
    assert r.json()["code"] == "LIMIT_EXCEEDED" and r.json()["details"] == {"limit": 50, "param_name": "fields"}


def test_list_returns_only_requested_fields_plus_id_and_info(api: Any) -> None:
    r = api.get("/crm/v7/Leads", {"fields": "Last_Name,Email"})
    body = r.json()
    for rec in body["data"]:
        assert set(rec) == {"Last_Name", "Email", "id"}
        assert rec["id"].isdigit() and len(rec["id"]) == 19
    info = body["info"]
    assert set(info) >= {
        "per_page",
        "count",
        "page",
        "sort_by",
        "sort_order",
        "more_records",
        "next_page_token",
        "previous_page_token",
        "page_token_expiry",
        "call",
        "email",
    }
    assert info["per_page"] == 200 and info["page"] == 1 and info["sort_by"] == "id" and info["sort_order"] == "desc"
    assert info["call"] is False and info["email"] is False


def test_list_never_returns_subform_line_item_or_multi_select_lookup_values(api: Any) -> None:
    for module, field in (("Quotes", "Quoted_Items"), ("Accounts", "Subform_1"), ("Deals", "Associated_Contacts")):
        r = api.get(f"/crm/v7/{module}", {"fields": f"{field},Modified_Time"})
        assert r.status_code == 200
        assert all(field not in rec for rec in r.json()["data"])


def test_rich_text_is_cut_to_500_chars_in_list_but_full_in_detail(api: Any) -> None:
    rec = api.get("/crm/v7/Solutions", {"fields": "Answer"}).json()["data"][0]
    assert len(rec["Answer"]) == 500
    full = api.get(f"/crm/v7/Solutions/{rec['id']}").json()["data"][0]
    assert len(full["Answer"]) > 500 and full["Answer"].startswith(rec["Answer"])


def test_default_sort_is_id_desc_and_sort_options_work(api: Any) -> None:
    ids = [int(r["id"]) for r in api.get("/crm/v7/Contacts", {"fields": "Last_Name"}).json()["data"]]
    assert ids == sorted(ids, reverse=True)
    rows = api.get("/crm/v7/Contacts", {"fields": FIELDS, "sort_by": "Modified_Time", "sort_order": "asc"}).json()
    keys = [(parse(r["Modified_Time"]), int(r["id"])) for r in rows["data"]]
    assert keys == sorted(keys), "Modified_Time ascending, ties broken by id"
    rows = api.get("/crm/v7/Contacts", {"fields": FIELDS, "sort_by": "Created_Time", "sort_order": "desc"}).json()
    keys = [(parse(r["Created_Time"]), int(r["id"])) for r in rows["data"]]
    assert keys == sorted(keys, reverse=True)


def test_sort_by_other_field_is_invalid_data(api: Any) -> None:
    r = api.get("/crm/v7/Leads", {"fields": "Last_Name", "sort_by": "Last_Name"})
    assert r.status_code == 400 and r.json()["code"] == "INVALID_DATA"


def test_per_page_above_200_is_rejected(api: Any) -> None:
    assert api.get("/crm/v7/Leads", {"fields": "Last_Name", "per_page": 201}).status_code == 400


def test_page_beyond_2000_records_is_discrete_pagination_limit_exceeded(factory: Any) -> None:
    _emu, api = factory(records_per_module={"Leads": 2100})
    assert api.get("/crm/v7/Leads", {"fields": "Last_Name", "page": 10}).status_code == 200
    r = api.get("/crm/v7/Leads", {"fields": "Last_Name", "page": 11})
    assert r.status_code == 400
    assert r.json()["code"] == "DISCRETE_PAGINATION_LIMIT_EXCEEDED" and r.json()["details"] == {"limit": 2000}


def test_page_and_page_token_together_is_ambiguity(api: Any) -> None:
    r = api.get("/crm/v7/Leads", {"fields": "Last_Name", "page": 1, "page_token": "x"})
    assert r.status_code == 400 and r.json()["code"] == "AMBIGUITY_DURING_PROCESSING"
    assert r.json()["details"]["ambiguity_due_to"]


def test_page_token_chain_reaches_records_past_2000(factory: Any) -> None:
    emu, api = factory(records_per_module={"Leads": 2500}, converted_every=0, unapproved_every=0)
    got = api.list_all("Leads", "Last_Name")
    assert len(got) == 2500
    assert {r["id"] for r in got} == emu.record_ids("Leads")
    first = api.get("/crm/v7/Leads", {"fields": "Last_Name"}).json()["info"]
    assert first["next_page_token"] and first["page_token_expiry"]


def test_page_token_from_page_10_continues_at_record_2001(factory: Any) -> None:
    emu, api = factory(records_per_module={"Leads": 2300}, converted_every=0, unapproved_every=0)
    p10 = api.get("/crm/v7/Leads", {"fields": "Last_Name", "page": 10}).json()
    p11 = api.get("/crm/v7/Leads", {"fields": "Last_Name", "page_token": p10["info"]["next_page_token"]}).json()
    ordered = sorted(emu.record_ids("Leads"), key=int, reverse=True)
    assert [r["id"] for r in p11["data"]] == ordered[2000:2200]
    assert p11["info"]["page"] == 11 and p11["info"]["previous_page_token"]


def test_token_bound_to_params(api: Any) -> None:
    tok = api.get("/crm/v7/Leads", {"fields": "Last_Name", "per_page": 5}).json()["info"]["next_page_token"]
    assert api.get("/crm/v7/Leads", {"fields": "Last_Name", "per_page": 5, "page_token": tok}).status_code == 200
    for changed in (
        {"fields": "Email", "per_page": 5},
        {"fields": "Last_Name", "per_page": 6},
        {"fields": "Last_Name", "per_page": 5, "sort_order": "asc"},
        {"fields": "Last_Name"},
    ):
        r = api.get("/crm/v7/Leads", {**changed, "page_token": tok})
        assert r.status_code == 400
        assert r.json()["code"] == "TOKEN_BOUND_DATA_MISMATCH" and r.json()["details"] == {"param_name": "page_token"}


def test_token_bound_to_if_modified_since_header(api: Any) -> None:
    ims = {"If-Modified-Since": "2020-01-01T00:00:00+00:00"}
    tok = api.get("/crm/v7/Leads", {"fields": "Last_Name", "per_page": 5}, headers=ims).json()["info"]
    q = {"fields": "Last_Name", "per_page": 5, "page_token": tok["next_page_token"]}
    assert api.get("/crm/v7/Leads", q).json()["code"] == "TOKEN_BOUND_DATA_MISMATCH"
    assert api.get("/crm/v7/Leads", q, headers=ims).status_code == 200
    api.emu.config.token_binds_ims_header = False
    assert api.get("/crm/v7/Leads", q).status_code == 200


def test_unknown_page_token_is_invalid_data(api: Any) -> None:
    r = api.get("/crm/v7/Leads", {"fields": "Last_Name", "page_token": "nope"})
    assert r.status_code == 400 and r.json()["code"] == "INVALID_DATA"


def test_page_token_expires_after_24_hours(api: Any) -> None:
    tok = api.get("/crm/v7/Leads", {"fields": "Last_Name", "per_page": 5}).json()["info"]["next_page_token"]
    api.emu.advance(86_401)
    api._token = None  # the access token expired too
    r = api.get("/crm/v7/Leads", {"fields": "Last_Name", "per_page": 5, "page_token": tok})
    assert r.status_code == 400
    assert r.json()["code"] == "EXPIRED_VALUE"
    assert r.json()["details"] == {"api_name": "page_token", "json_path": "$.query.page_token"}


def test_page_token_chain_is_capped(factory: Any) -> None:
    _emu, api = factory(records_per_module={"Leads": 700}, token_record_cap=500, converted_every=0, unapproved_every=0)
    q: dict[str, Any] = {"fields": "Last_Name"}
    seen = 0
    while True:
        r = api.get("/crm/v7/Leads", q)
        if r.status_code != 200:
            break
        seen += r.json()["info"]["count"]
        q = {"fields": "Last_Name", "page_token": r.json()["info"]["next_page_token"]}
    assert seen == 500
    assert r.status_code == 400 and r.json()["code"] == "PAGINATION_LIMIT_EXCEEDED"
    assert r.json()["details"] == {"param_name": "page_token"}


def test_next_page_token_mode_after_discrete_limit(factory: Any) -> None:
    _emu, api = factory(records_per_module={"Leads": 2300}, next_page_token_mode="after_discrete_limit")
    p1 = api.get("/crm/v7/Leads", {"fields": "Last_Name"}).json()["info"]
    assert p1["more_records"] is True and p1["next_page_token"] is None
    p10 = api.get("/crm/v7/Leads", {"fields": "Last_Name", "page": 10}).json()["info"]
    assert p10["next_page_token"]


def test_keyset_token_is_stable_under_concurrent_deletes_and_inserts(factory: Any) -> None:
    emu, api = factory(records_per_module={"Accounts": 30}, unapproved_every=0)
    p1 = api.get("/crm/v7/Accounts", {"fields": "Account_Name", "per_page": 10, "sort_order": "asc"}).json()
    ordered = sorted(emu.record_ids("Accounts"), key=int)
    emu.delete("Accounts", ids=[r["id"] for r in p1["data"][:5]])
    emu.add("Accounts", 3)
    q = {"fields": "Account_Name", "per_page": 10, "sort_order": "asc", "page_token": p1["info"]["next_page_token"]}
    p2 = api.get("/crm/v7/Accounts", q).json()
    assert [r["id"] for r in p2["data"]] == ordered[10:20]


def test_converted_leads_hidden_by_default(factory: Any) -> None:
    emu, api = factory(unapproved_every=0)
    converted = {r["id"] for r in emu.records("Leads") if r["Converted__s"]}
    assert converted, "the generator converts a few leads"
    default = {r["id"] for r in api.list_all("Leads", "Last_Name")}
    both = {r["id"] for r in api.list_all("Leads", "Last_Name", converted="both")}
    only = {r["id"] for r in api.list_all("Leads", "Last_Name", converted="true")}
    assert not default & converted
    assert both == emu.record_ids("Leads")
    assert only == converted


def test_unapproved_records_hidden_by_default(factory: Any) -> None:
    emu, api = factory(converted_every=0)
    pending = {r["id"] for r in emu.records("Contacts") if r["$approval_state"] != "approved"}
    assert pending
    default = {r["id"] for r in api.list_all("Contacts", "Last_Name")}
    assert not default & pending
    assert {r["id"] for r in api.list_all("Contacts", "Last_Name", approved="both")} == emu.record_ids("Contacts")
    assert {r["id"] for r in api.list_all("Contacts", "Last_Name", approved="false")} == pending
    emu.config.hide_unapproved = False
    assert {r["id"] for r in api.list_all("Contacts", "Last_Name")} == emu.record_ids("Contacts")


def test_if_modified_since_is_strictly_after_by_default(factory: Any) -> None:
    emu, api = factory(unapproved_every=0)
    [rid] = emu.touch("Accounts", 1, at=datetime(2025, 6, 1, 13, 0, 0, tzinfo=timezone.utc))
    boundary = {"If-Modified-Since": "2025-06-01T18:30:00+05:30"}  # the same instant in IST
    r = api.get("/crm/v7/Accounts", {"fields": "Account_Name"}, headers=boundary)
    assert r.status_code == 304 and r.content == b""
    before = {"If-Modified-Since": "2025-06-01T12:59:59Z"}
    assert [
        x["id"] for x in api.get("/crm/v7/Accounts", {"fields": "Account_Name"}, headers=before).json()["data"]
    ] == [rid]
    emu.config.ims_inclusive = True
    r = api.get("/crm/v7/Accounts", {"fields": "Account_Name"}, headers=boundary)
    assert [x["id"] for x in r.json()["data"]] == [rid]


def test_if_modified_since_nothing_status_variant(api: Any) -> None:
    api.emu.config.ims_nothing_status = 204
    r = api.get("/crm/v7/Leads", {"fields": "Last_Name"}, headers={"If-Modified-Since": "2030-01-01T00:00:00Z"})
    assert r.status_code == 204


def test_malformed_if_modified_since_is_invalid_data(api: Any) -> None:
    for bad in ("yesterday", "2024-05-21 10:00", "Wed, 21 Oct 2015 07:28:00 GMT"):
        r = api.get("/crm/v7/Leads", {"fields": "Last_Name"}, headers={"If-Modified-Since": bad})
        assert r.status_code == 400 and r.json()["code"] == "INVALID_DATA", bad
    api.emu.config.ims_accept_rfc1123 = True
    rfc = {"If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"}
    r = api.get("/crm/v7/Leads", {"fields": "Last_Name"}, headers=rfc)
    assert r.status_code == 200


def test_empty_module_gives_204_without_body(factory: Any) -> None:
    _emu, api = factory(records_per_module={"Campaigns": 0})
    r = api.get("/crm/v7/Campaigns", {"fields": "Campaign_Name"})
    assert r.status_code == 204 and r.content == b""


def test_datetimes_use_the_configured_offset_and_date_header_follows_the_clock(factory: Any) -> None:
    emu, api = factory(tz_offset="-11:00")
    emu.set_now(datetime(2025, 7, 4, 10, 0, 0, tzinfo=timezone.utc))
    r = api.get("/crm/v7/Leads", {"fields": "Modified_Time"})
    assert all(rec["Modified_Time"].endswith("-11:00") for rec in r.json()["data"])
    assert parsedate_to_datetime(r.headers["Date"]) == datetime(2025, 7, 4, 10, 0, 0, tzinfo=timezone.utc)
    emu.advance(90)
    assert emu.now() == datetime(2025, 7, 4, 10, 1, 30, tzinfo=timezone.utc)
    emu.unfreeze()
    assert emu.now() - datetime(2025, 7, 4, 10, 1, 30, tzinfo=timezone.utc) < timedelta(seconds=5)


def test_unknown_module_and_non_api_module_are_invalid_module(api: Any) -> None:
    for module in ("Nope", "Home", "Reports"):
        r = api.get(f"/crm/v7/{module}", {"fields": "Name"})
        assert r.status_code == 400 and r.json()["details"] == {"resource_path_index": 0}


def test_unknown_path_is_invalid_url_pattern(api: Any) -> None:
    r = api.get("/crm/v7/Leads/1/2/3")
    assert r.status_code == 404 and r.json()["code"] == "INVALID_URL_PATTERN"


def test_unknown_field_modes(api: Any) -> None:
    r = api.get("/crm/v7/Leads", {"fields": "Last_Name,Not_A_Field"})
    assert r.status_code == 200 and all("Not_A_Field" not in x for x in r.json()["data"])
    api.emu.config.unknown_field_mode = "error"
    assert api.get("/crm/v7/Leads", {"fields": "Last_Name,Not_A_Field"}).json()["code"] == "INVALID_DATA"


def test_notes_need_admin(api: Any) -> None:
    assert api.get("/crm/v7/Notes", {"fields": "Note_Title"}).status_code == 200
    api.emu.config.is_admin = False
    r = api.get("/crm/v7/Notes", {"fields": "Note_Title"})
    assert r.status_code == 403 and r.json()["code"] == "NOT_SUPPORTED"


def test_subform_module_lists_rows_with_parent_id(api: Any) -> None:
    r = api.get("/crm/v7/Quoted_Items", {"fields": "Product_Name,Parent_Id,Net_Total"})
    rows = r.json()["data"]
    quotes = api.emu.record_ids("Quotes")
    assert rows and all(row["Parent_Id"]["id"] in quotes for row in rows)
    assert api.get("/crm/v7/Quoted_Items").json()["code"] == "REQUIRED_PARAM_MISSING"


def test_activities_carry_se_module_with_what_id(api: Any) -> None:
    recs = api.get("/crm/v7/Tasks", {"fields": "What_Id,Subject"}).json()["data"]
    linked = [r for r in recs if r["What_Id"] is not None]
    assert linked and all(r["$se_module"] in ("Accounts", "Deals", "Leads") for r in linked)
    for r in linked:
        assert r["What_Id"]["id"] in api.emu.record_ids(r["$se_module"])
