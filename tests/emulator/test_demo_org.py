"""The demo's persisted org (`zoho_emulator.demo_org`): the same org, the same changes, across processes."""

import json
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from zoho_emulator import EmulatorConfig, ZohoEmulator
from zoho_emulator.demo_org import DELETED_MODULES, EDITED_MODULES, DemoOrg, DemoOrgError

START = "2025-03-01T08:00:00+00:00"
WATCHED = ("Deals", "Contacts", "Leads", "Accounts", "Tasks", "DealHistory")


def snapshot(emu: ZohoEmulator) -> Dict[str, Any]:
    """Every record and deletion of the modules the demo changes (and the stage history they move)."""
    return {m: (emu.records(m), emu.deleted(m)) for m in WATCHED}


def test_replaying_the_same_mutations_from_the_same_seed_gives_the_same_records() -> None:
    def org() -> Tuple[ZohoEmulator, List[List[str]]]:
        emu = ZohoEmulator(EmulatorConfig(seed=7, default_records=40, start_time=START))
        at = datetime.fromisoformat(START) + timedelta(days=3)
        ids = [emu.touch("Deals", n=5, at=at), emu.touch("Tasks", n=3, at=at), emu.delete("Leads", n=2, at=at)]
        return emu, ids

    (a, a_ids), (b, b_ids) = org(), org()
    assert a_ids == b_ids  # the store's RNG drew the same records
    assert snapshot(a) == snapshot(b)  # and the same new values


def test_a_reopened_org_is_the_org_its_file_describes(tmp_path: Path) -> None:
    path = tmp_path / "org.json"
    org = DemoOrg.open(path)
    assert org.is_new
    with org as started:
        started.change(20)
        started.change(6)
        before, port = snapshot(org.emu), org.emu.port
    again = DemoOrg.open(path)
    assert not again.is_new
    with again, again.emu as emu:
        assert snapshot(emu) == before
        assert emu.port == port and again.port_note is None
        assert abs(emu.now() - datetime.now(timezone.utc)) < timedelta(seconds=5)  # real now, not the start time


def test_changes_edit_n_records_and_delete_a_quarter_spread_over_modules(tmp_path: Path) -> None:
    org = DemoOrg.open(tmp_path / "org.json")
    with org, org.emu as emu:
        before = {m: {r["id"]: r for r in emu.records(m)} for m in EDITED_MODULES}
        report = org.change(40)
        after = {m: {r["id"]: r for r in emu.records(m)} for m in EDITED_MODULES}
        assert {m: len(ids) for m, ids in report.edited.items()} == {m: 8 for m in EDITED_MODULES}
        assert {m: len(ids) for m, ids in report.deleted.items()} == {"Deals": 4, "Leads": 3, "Tasks": 3}
        assert set(report.deleted) <= set(DELETED_MODULES)
        at = datetime.fromisoformat(org.state.changes[0].at)
        assert emu.now() - at >= timedelta(seconds=1)  # in a finished second: a run started now lists them
        for module, ids in report.edited.items():
            for rid in ids:
                assert datetime.fromisoformat(after[module][rid]["Modified_Time"]) == at
                assert after[module][rid] != before[module][rid]
        for module, ids in report.deleted.items():
            assert not set(ids) & set(after[module])
            assert set(ids) <= {e["id"] for e in emu.deleted(module)}
        assert "edited 40 records" in report.line() and "deleted 10" in report.line()
    logged: List[Dict[str, Any]] = json.loads((tmp_path / "org.json").read_text())["changes"]
    assert [(c["kind"], c["module"], c["ids"]) for c in logged] == [
        *(("edit", m, ids) for m, ids in report.edited.items()),
        *(("delete", m, ids) for m, ids in report.deleted.items()),
    ]


def test_a_taken_port_falls_back_to_a_free_one_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "org.json"
    org = DemoOrg.open(path)
    with org:
        port = org.emu.port
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        again = DemoOrg.open(path)
        with again:
            new_port = again.emu.port
            assert new_port != port
            assert again.port_note and f"port {port} is taken" in again.port_note
            assert f"Note: {again.port_note}" in again.lines()
            assert json.loads(path.read_text())["port"] == port  # nothing loaded from the new address yet
            again.settle_port()
    assert json.loads(path.read_text())["port"] == new_port  # the pipeline loaded from it: the next demo keeps it


@pytest.mark.parametrize(
    "content", ["{not json", '{"format": 99, "start_time": "2025-03-01T08:00:00+00:00"}', '{"format": 1}']
)
def test_an_unreadable_org_file_is_refused_with_how_to_start_over(tmp_path: Path, content: str) -> None:
    path = tmp_path / "org.json"
    path.write_text(content)
    with pytest.raises(DemoOrgError, match="delete it to start over"):
        DemoOrg.open(path)


def test_a_log_naming_records_the_org_lacks_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "org.json"
    org = DemoOrg.open(path)
    with org:
        org.change(4)
    state = json.loads(path.read_text())
    state["changes"][0]["ids"] = ["1"]
    path.write_text(json.dumps(state))
    with pytest.raises(DemoOrgError, match="does not match this emulator"):
        DemoOrg.open(path).start()


def test_changes_need_at_least_one_record_and_refuse_more_than_the_org_has(tmp_path: Path) -> None:
    org = DemoOrg.open(tmp_path / "org.json")
    with org:
        with pytest.raises(ValueError, match="1 or more"):
            org.change(0)
        before = snapshot(org.emu)
        with pytest.raises(DemoOrgError, match="records left to change"):
            org.change(1000)  # 200 Contacts to edit: the org has 150
        assert snapshot(org.emu) == before and org.state.changes == []  # nothing changed, nothing logged
