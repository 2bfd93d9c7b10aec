"""Wide records (``EmulatorConfig.wide_modules``): long multi-line text on a share of records, many custom fields."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

from .conftest import make

WIDE = {"records_per_module": {"Leads": 40}, "wide_modules": ("Leads",), "wide_custom_fields": 4}


def bulk_rows(emu: Any, api: Any, module: str) -> dict[str, dict[str, str]]:
    """Every record of a Bulk Read export of ``module``, by id, as the CSV holds it."""
    job_id = api.post("/crm/bulk/v7/read", {"query": {"module": {"api_name": module}}}).json()["data"][0]["details"]
    emu.advance(5)
    r = api.get(f"/crm/bulk/v7/read/{job_id['id']}/result")
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        text = zf.read(zf.namelist()[0]).decode()
    return {row["id"]: row for row in csv.DictReader(io.StringIO(text))}


def test_every_tenth_lead_has_a_5000_character_multiline_description() -> None:
    leads = make(**WIDE).records("Leads")
    long = [i for i, r in enumerate(leads) if r["Description"] and len(r["Description"]) == 5000]
    assert long == [9, 19, 29, 39]
    assert all("\n" in leads[i]["Description"] for i in long)
    assert all(leads[i]["Description"] == leads[i]["Description"].strip() for i in long)
    assert all(r["Description"] is None or len(r["Description"]) < 500 for i, r in enumerate(leads) if i not in long)


def test_wide_shape_is_configurable() -> None:
    leads = make(**{**WIDE, "wide_every": 4, "wide_text_chars": 12_000}).records("Leads")
    assert [i for i, r in enumerate(leads) if r["Description"] and len(r["Description"]) == 12_000] == list(
        range(3, 40, 4)
    )


def test_other_values_are_those_of_the_narrow_org() -> None:
    wide = make(**WIDE).records("Leads")
    narrow = make(records_per_module={"Leads": 40}).records("Leads")
    for i, (w, n) in enumerate(zip(wide, narrow, strict=True)):
        assert {k: v for k, v in w.items() if not k.startswith("Wide_") and k != "Description"} == {
            k: v for k, v in n.items() if k != "Description"
        }
        if i % 10 != 9:
            assert w["Description"] == n["Description"]


def test_custom_fields_are_in_metadata_and_records(factory: Any) -> None:
    emu, api = factory(**WIDE)
    fields = {f["api_name"]: f for f in api.get("/crm/v7/settings/fields", {"module": "Leads"}).json()["fields"]}
    added = ["Wide_Notes_1", "Wide_Text_2", "Wide_Notes_3", "Wide_Text_4"]
    assert all(fields[name]["custom_field"] for name in added)
    assert [fields[name]["data_type"] for name in added] == ["textarea", "text", "textarea", "text"]
    leads = emu.records("Leads")
    notes = [r["Wide_Notes_1"] for r in leads if r["Wide_Notes_1"]]
    assert notes and all("\n" in n and 100 <= len(n) < 2100 for n in notes)
    texts = [r["Wide_Text_2"] for r in leads if r["Wide_Text_2"]]
    assert texts and all("\n" not in t and len(t) <= 255 for t in texts)


def test_other_modules_and_the_default_org_stay_narrow(factory: Any) -> None:
    emu, api = factory(**WIDE)
    fields = [f["api_name"] for f in api.get("/crm/v7/settings/fields", {"module": "Contacts"}).json()["fields"]]
    assert not [f for f in fields if f.startswith("Wide_")]
    assert all(len(r.get("Description") or "") < 500 for r in emu.records("Contacts"))


def test_rest_detail_list_and_bulk_read_carry_the_same_long_values(factory: Any) -> None:
    emu, api = factory(**WIDE)
    leads = {r["id"]: r for r in emu.records("Leads")}
    ids = sorted(leads)
    detail = {r["id"]: r for r in api.get("/crm/v7/Leads", {"ids": ",".join(ids)}).json()["data"]}
    listed = {r["id"]: r for r in api.list_all("Leads", "Description,Wide_Notes_1,Wide_Text_2")}
    exported = bulk_rows(emu, api, "Leads")
    assert len(detail) > 30 and detail.keys() == listed.keys()  # converted and unapproved leads are left out
    for rid, record in detail.items():
        for name in ("Description", "Wide_Notes_1", "Wide_Text_2"):
            assert record[name] == leads[rid][name]
            assert listed[rid][name] == leads[rid][name]
    for rid, record in leads.items():
        for name in ("Description", "Wide_Notes_1", "Wide_Text_2"):
            assert exported[rid][name] == (record[name] or "")


def test_unknown_wide_module_is_refused() -> None:
    try:
        make(wide_modules=("Nope",))
    except ValueError as exc:
        assert "Nope" in str(exc)
    else:
        raise AssertionError("an unknown wide module was accepted")
