"""Field trackers: the DealHistory module, one history row per stage a deal entered (Kaizen #107, reference §4.1).

Rows are ordinary record states of the tracker module, so Get Records, ``?ids=``, ``/{id}``, ``/deleted`` and Bulk
Read serve them like any module. They stay consistent with their deals: every deal has at least one row, the last
row's Stage is the deal's current Stage, and a Stage change appends a row (and closes the previous one) with a new
Modified_Time, so an incremental load on Modified_Time sees both.

Row values (UNCONFIRMED field set): Stage, the deal's Amount / Probability / Expected_Revenue / Closing_Date when it
entered the stage, ``Moved_To`` (the next stage) and ``Duration`` (whole days spent in the stage), both null while
the deal is still in the stage. Rows built with the org copy the deal's initial values lazily (on read), so a large
org builds fast; rows written later copy the values when written.

A tracker works on two module states (its own rows and the parent's records), renders parent values through the
``DataGen`` and takes new record ids from a callable: it never sees the store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .data import DataGen, DeletedEntry, ModuleState, RecordState
from .hashing import mix, salt
from .org_settings import STAGE_BY_NAME, stage_path

DAY = 86400
SNAPSHOT = ("Amount", "Closing_Date")
"""Deal fields a history row copies when it is written."""


class FieldTracker:
    """History rows of one tracked picklist (``mdef.parent``.``mdef.parent_field``).

    Args:
        state: the tracker module's record states (its history rows).
        parent_state: the records of the parent module (``state.mdef.parent``).
        gen: renders the parent's values (the tracked field, the copied snapshot, display names).
        next_id: allocates the id of a new history row (the org's record id sequence).
    """

    def __init__(self, state: ModuleState, parent_state: ModuleState, gen: DataGen,
                 next_id: Callable[[], int]) -> None:
        self.state = state
        self.parent_state = parent_state
        self.gen = gen
        self.next_id = next_id
        self.mdef = state.mdef
        self.parent = self.mdef.parent or ""
        self.field = self.mdef.parent_field or ""
        self.values: dict[int, dict[str, Any]] = {}
        self.rows: dict[int, list[RecordState]] = {}
        """Parent record id → its history rows, oldest first."""

    # --- reads -----------------------------------------------------------------------------------------------------
    def value(self, row: RecordState, name: str) -> Any:
        """Value of a history field (Probability and Expected_Revenue follow from Stage and Amount)."""
        values = self.values[row.id]
        if name in values:
            return values[name]
        if name == "Probability":
            meta = STAGE_BY_NAME.get(values["Stage"])
            return meta.probability if meta else None
        if name == "Expected_Revenue":
            amount, probability = self.value(row, "Amount"), self.value(row, "Probability")
            return round(amount * probability / 100, 2) if amount is not None and probability is not None else None
        if name in SNAPSHOT:
            return self._snapshot(values["parent"], values.get("initial", False))[name]
        return None

    def _snapshot(self, parent_id: int, initial: bool) -> dict[str, Any]:
        """The parent's copied values: now, or as they were when the org was built (its values at version 0)."""
        pdef = self.parent_state.mdef
        st = self.parent_state.by_id[parent_id]
        if initial:
            st = RecordState(st.index, st.id, st.created, st.modified, st.creator)
        return {name: self.gen.dep(pdef, st, name) for name in SNAPSHOT}

    def parent_ref(self, row: RecordState) -> dict[str, Any] | None:
        """The lookup to the row's deal ``{name, id}``."""
        pid = self.values[row.id]["parent"]
        ms = self.parent_state
        st = ms.by_id.get(pid)
        return {"name": self.gen.display_name(ms.mdef, st) if st else None, "id": str(pid)}

    def entered(self, parent: RecordState) -> int | None:
        """When the parent entered its current value: the Created_Time of its last row, if that row holds the value
        (None while a change is being written, before its row exists)."""
        rows = self.rows.get(parent.id)
        if not rows:
            return None
        last = rows[-1]
        return last.created if self.values[last.id]["Stage"] == self.current(parent) else None

    def current(self, parent: RecordState) -> Any:
        """The parent's current value of the tracked field."""
        pdef = self.parent_state.mdef
        f = pdef.field(self.field)
        return self.gen.value(pdef, parent, f) if f is not None else None

    # --- writes ----------------------------------------------------------------------------------------------------
    def build(self) -> None:
        """History of the initial parents: a short stage path from Created_Time to the last stage change."""
        seed = self.gen.seed
        for parent in self.parent_state.by_index:
            stage = self.current(parent)
            stages = self.gen.pipeline(self.parent_state.mdef, parent).stages
            draw = mix(seed, salt("hist"), parent.index)
            path = [stage] if parent.modified == parent.created else stage_path(stage, draw, stages)
            span = parent.modified - parent.created
            last = len(path) - 1
            for i, name in enumerate(path):
                when = parent.created + (span * i // last if last else 0)
                user = parent.creator if i == 0 or parent.modifier is None else parent.modifier
                self._append(parent, name, when, user, initial=True)
        self.state.initial_count = len(self.state.by_index)

    def changed(self, parent: RecordState, when: int) -> None:
        """The parent's tracked field may have changed: append a row when its value differs from the last row's."""
        rows = self.rows.get(parent.id)
        stage = self.current(parent)
        if not rows or self.values[rows[-1].id]["Stage"] != stage:
            self._append(parent, stage, when, 0)

    def deleted(self, parent: RecordState, kind: str, when: int) -> None:
        """The parent was deleted: its rows go to the tracker's /deleted with the same type and time (UNCONFIRMED)."""
        ms = self.state
        for row in self.rows.get(parent.id, []):
            if row.deleted:
                continue
            row.deleted = True
            permanent = kind == "permanent"
            name = None if permanent else self.gen.display_name(self.mdef, row)
            ms.deleted.append(DeletedEntry(row.id, name, kind, when, None if permanent else 0,
                                           None if permanent else row.creator, row))
        ms.version += 1

    def restored(self, parent: RecordState, when: int | None) -> None:
        """The parent left the recycle bin: so do its rows (Modified_Time bumped when ``when`` is given)."""
        ms = self.state
        ids = {row.id for row in self.rows.get(parent.id, [])}
        keep = []
        for e in ms.deleted:
            if e.id in ids and e.type == "recycle" and e.state is not None:
                e.state.deleted = False
                if when is not None:
                    e.state.modified = when
            else:
                keep.append(e)
        ms.deleted = keep
        ms.version += 1

    def purged(self, parent_ids: set[int]) -> None:
        """The parents' recycle-bin entries were purged (recycle bin emptied): so are their rows' entries."""
        ms = self.state
        ids = {row.id for pid in parent_ids for row in self.rows.get(pid, [])}
        ms.deleted = [e for e in ms.deleted if not (e.id in ids and e.type == "recycle")]

    def _append(self, parent: RecordState, stage: Any, when: int, user: int, initial: bool = False) -> None:
        ms = self.state
        rows = self.rows.setdefault(parent.id, [])
        if rows:  # the deal moves on: close the previous row
            prev = rows[-1]
            self.values[prev.id].update(Moved_To=stage, Duration=max(0, when - prev.created) // DAY)
            prev.modified = when
            prev.modifier = user
        row = RecordState(len(ms.by_index), self.next_id(), when, when, user)
        values: dict[str, Any] = {"parent": parent.id, "Stage": stage, "Moved_To": None, "Duration": None}
        if initial:
            values["initial"] = True
        else:
            values.update(self._snapshot(parent.id, False))
        self.values[row.id] = values
        ms.by_index.append(row)
        ms.by_id[row.id] = row
        rows.append(row)
        ms.version += 1
