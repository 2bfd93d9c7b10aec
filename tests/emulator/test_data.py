"""The deterministic generator: shape, realism, speed and memory."""

from __future__ import annotations

import time
import tracemalloc
from datetime import datetime, timedelta
from typing import Any

from zoho_emulator import EmulatorConfig, ZohoEmulator
from zoho_emulator.data import RecordState

START = "2025-06-01T12:00:00+00:00"


def test_generator_builds_100k_records_fast_without_rendering_them() -> None:
    t0 = time.perf_counter()
    emu = ZohoEmulator(EmulatorConfig(records_per_module={"Leads": 100_000}, start_time=START))
    elapsed = time.perf_counter() - t0
    assert emu.count("Leads") == 100_000
    assert elapsed < 10, elapsed
    tracemalloc.start()
    ZohoEmulator(EmulatorConfig(records_per_module={"Leads": 100_000}, start_time=START))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 80 * 1024 * 1024, "compact states only; 100k rendered Leads would need several hundred MB"
    ms = emu.store.modules["Leads"]
    assert all(type(st) is RecordState for st in ms.by_index[:10])
    assert not hasattr(ms.by_index[0], "__dict__")


def test_same_seed_same_org_and_other_seed_other_org() -> None:
    a = ZohoEmulator(EmulatorConfig(seed=3, start_time=START))
    b = ZohoEmulator(EmulatorConfig(seed=3, start_time=START))
    c = ZohoEmulator(EmulatorConfig(seed=4, start_time=START))
    for module in ("Leads", "Quotes", "Deals", "Accounts"):
        assert a.records(module) == b.records(module)
    assert a.records("Leads") != c.records("Leads")
    a.touch("Leads", 2, at=datetime.fromisoformat(START))
    b.touch("Leads", 2, at=datetime.fromisoformat(START))
    assert a.records("Leads") == b.records("Leads")


def test_every_record_has_every_metadata_field(emu: Any, api: Any) -> None:
    for module in emu.modules():
        names = {f["api_name"] for f in api.get("/crm/v7/settings/fields", {"module": module}).json()["fields"]}
        for rec in emu.records(module):
            assert names <= set(rec), (module, names - set(rec))
            assert {k for k in rec if not k.startswith("$")} - {"id"} == names, module


def test_ids_timestamps_and_offsets(emu: Any) -> None:
    start = datetime.fromisoformat(START)
    seen_created: list[datetime] = []
    for module in emu.modules():
        for rec in emu.records(module):
            assert rec["id"].isdigit() and len(rec["id"]) == 19
            created = datetime.fromisoformat(rec["Created_Time"])
            modified = datetime.fromisoformat(rec["Modified_Time"])
            assert rec["Created_Time"].endswith("+05:30") and len(rec["Created_Time"]) == 25
            assert created <= modified <= start
            assert created >= start - timedelta(days=2 * 366)
            seen_created.append(created)
    assert len(set(seen_created)) < len(seen_created), "some records share a second"


def test_shapes_of_system_fields_lookups_and_specials(emu: Any) -> None:
    users = {u["id"] for u in emu.users()}
    contacts = emu.records("Contacts")
    accounts = emu.record_ids("Accounts")
    for rec in contacts:
        assert set(rec["Owner"]) == {"name", "id", "email"} and rec["Owner"]["id"] in users
        assert set(rec["Created_By"]) == {"name", "id", "email"}
        assert set(rec["Layout"]) == {"name", "id"}
        assert isinstance(rec["Tag"], list)
        assert rec["Account_Name"] is None or rec["Account_Name"]["id"] in accounts
        assert rec["$approval_state"] in ("approved", "approval_process_pending")
        assert "$currency_symbol" in rec and rec["Record_Status__s"] == "Available" and rec["Locked__s"] is False
    tags = [t for r in contacts + emu.records("Leads") for t in r["Tag"]]
    assert tags and set(tags[0]) == {"name", "id", "color_code"}


def test_special_values(emu: Any) -> None:
    accounts = emu.records("Accounts")
    text = " ".join(r["Description"] for r in accounts)
    assert any(ord(c) > 0x3000 for c in text), "CJK"
    assert any(ord(c) > 0x1F000 for c in text), "emoji"
    assert "é" in text or "ü" in text or "ï" in text
    assert all(r["Legacy_Score"] is None for r in emu.records("Leads"))
    assert min(len(r["Comments"]) for r in emu.records("Solutions")) > 2000
    leads = emu.records("Leads")
    assert any(r["Converted__s"] for r in leads) and not all(r["Converted__s"] for r in leads)
    assert all(isinstance(r["Preferred_Languages"], list) for r in leads)
    assert all(isinstance(r["External_Ref"], str) for r in leads)
    pb = emu.records("Price_Books")[0]["Pricing_Details"]
    assert pb and set(pb[0]) >= {"id", "from_range", "to_range", "discount"}
    po = emu.records("Purchase_Orders")[0]
    assert po["Vendor_Name"]["id"] in emu.record_ids("Vendors")


def test_users_have_zoho_user_shape(emu: Any) -> None:
    users = emu.users()
    assert 5 <= len(users) <= 8
    assert {u["status"] for u in users} >= {"active", "disabled"}
    assert all(u["time_zone"] == "Asia/Kolkata" for u in users)
