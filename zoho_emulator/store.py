"""Org state: clock, records (compact states), deletions and every mutation; users and metadata ids via the catalog."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from .catalog import Catalog
from .config import EmulatorConfig
from .data import FIRST, LAST, DataGen, DeletedEntry, ModuleState, RecordState, added_value
from .hashing import mix, salt
from .history import FieldTracker
from .http_types import parse_iso
from .org_settings import CURRENCIES, FORECAST_CATEGORIES, PIPELINES, STAGES, TAG_NAMES, TERRITORIES
from .pagination import sort_key
from .rollups import Rollup
from .schema import ID_BASE, TIME_FORMULA_GENS, FieldDef, ModuleDef, standard_modules
from .wide import WideShape, widen

YEAR = 365 * 86400
DAY = 86400
DERIVED_GENS = ("null", "added", "owner", "stage_probability", "closing_date", "loss_reason", "task_closed",
                "call_start", "check_in")
"""Value generators ``touch`` never picks at random (constant, user-given, or derived from other fields: a closed
deal's Closing_Date from its Stage, a task's Closed_Time from its Status, …)."""
FORMULA_MIN_STEP = 3600
"""``recalculate_formulas`` evaluates Now() at least this long after the previous evaluation, so the value always
changes (Deal_Age_Days/Lead_Age_Days have a resolution of 0.01 day = 864 s) even when the clock stands still."""


class Clock:
    """Emulator clock: real time shifted to ``start``; ``set`` freezes it, ``advance`` moves it."""

    def __init__(self, start: float) -> None:
        self._offset = start - time.time()
        self._frozen: float | None = None
        self._lock = threading.Lock()

    def epoch(self) -> float:
        """Current emulator time as a UNIX timestamp."""
        with self._lock:
            return self._frozen if self._frozen is not None else time.time() + self._offset

    def set(self, epoch: float) -> None:
        """Freeze the clock at ``epoch``."""
        with self._lock:
            self._frozen = epoch

    def advance(self, seconds: float) -> None:
        """Move the clock forward (frozen or not)."""
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
            else:
                self._offset += seconds

    def unfreeze(self) -> None:
        """Let the clock tick again from its current value."""
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - time.time()
                self._frozen = None


def to_epoch(at: datetime | float | int | None, default: float) -> int:
    """Seconds-precision epoch of ``at`` (aware datetime, naive = UTC, or number); ``default`` when None."""
    if at is None:
        return int(default)
    if isinstance(at, datetime):
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        return int(at.timestamp())
    return int(at)


class RowItem:
    """A subform / linking row listed through its own module (keys shared with RecordState)."""

    __slots__ = ("created", "id", "modified", "row")

    def __init__(self, row: dict[str, Any], created: int, modified: int) -> None:
        self.id = int(row["id"])
        self.created = created
        self.modified = modified
        self.row = row


class OrgStore:
    """All mutable state of one emulated org. Thread-safe through ``lock``."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        start = parse_iso(config.start_time).timestamp() if config.start_time else time.time()
        self.start = int(start)
        self.clock = Clock(float(self.start))
        self.catalog = Catalog(config.seed, config.tz_offset, self.start, self.lock)
        self._next_id = ID_BASE + 100_000
        self._rng = random.Random(mix(config.seed, 4242))
        self.modules: dict[str, ModuleState] = {}
        self.trackers: dict[str, FieldTracker] = {}
        self.rollups: dict[str, Rollup] = {}
        self.gen = DataGen(config.seed, self.catalog, self.modules, self.trackers, self.rollups,
                           WideShape(config.wide_every, config.wide_text_chars))
        self.mdefs = {m.api_name: m for m in standard_modules()}
        features = {"multi_currency": config.multi_currency, "territories": config.territories_enabled}
        for m in self.mdefs.values():
            m.fields = [f for f in m.fields if f.feature is None or features[f.feature]]
        widen(self.mdefs, config)
        self.mdefs["DealHistory"].generated_type = config.deal_history_generated_type
        for m in self.mdefs.values():
            self.meta_id(f"module:{m.api_name}")
            self.layout_id(m.api_name)
            for f in m.fields:
                if not f.late_id:
                    self.meta_id(f"field:{m.api_name}:{f.api_name}")
        self.field_times: dict[str, int] = {}
        self.catalog.build_users()
        for m in self.mdefs.values():
            self.modules[m.api_name] = ModuleState(m)
        for m in self.mdefs.values():
            if m.kind == "data":
                self._generate(self.modules[m.api_name])
        # after every data module, so that history rows never shift the record ids of other modules
        for m in self.mdefs.values():
            if m.kind == "tracker":
                self.trackers[m.api_name] = FieldTracker(self.modules[m.api_name], self.modules[m.parent or ""],
                                                         self.gen, self.next_record_id)
        for tracker in self.trackers.values():
            tracker.build()
        for m in self.mdefs.values():
            for f in m.fields:
                if f.rollup is not None:
                    rollup = Rollup(self.modules[m.api_name], self.modules[f.rollup.module], f, self.gen, self.lock)
                    self.rollups[rollup.key] = rollup
        self._settings_ids()
        self._late_ids()  # in a range of their own: the ids above (and any allocated later) do not move

    # --- ids (the catalog's; kept here for the endpoint modules, which read the org through the store) ------------
    def meta_id(self, key: str) -> int:
        """Stable metadata id (module, field, layout, tag, profile…), allocated in a fixed order."""
        return self.catalog.meta_id(key)

    def layout_id(self, module: str) -> int:
        """Id of the module's "Standard" layout."""
        return self.catalog.layout_id(module)

    def tag_id(self, name: str, module: str | None = None) -> int:
        """Id of a tag of a module (each module has its own tags), or of a tax when ``module`` is None."""
        return self.catalog.tag_id(name, module)

    def territory_id(self, name: str) -> int:
        """Id of a territory."""
        return self.catalog.territory_id(name)

    def _settings_ids(self) -> None:
        """Allocate the settings tables' ids in a fixed order (ids never depend on the order of requests)."""
        self.meta_id("org")
        for t in TERRITORIES:
            self.territory_id(t.name)
        for c in CURRENCIES:
            self.meta_id(f"currency:{c.iso_code}")
        for m in self.mdefs.values():
            if m.field("Tag") is not None:
                for name, _ in TAG_NAMES:
                    self.tag_id(name, m.api_name)
        for p in PIPELINES:
            self.meta_id(f"pipeline:{p.name}")
        for name in FORECAST_CATEGORIES:
            self.meta_id(f"forecast:{name}")
        for name in STAGES:
            self.meta_id(f"stage:{name}")

    def _late_ids(self) -> None:
        """Ids of the fields added to the schema later (``FieldDef.late_id``), after every earlier id."""
        for m in self.mdefs.values():
            for f in m.fields:
                if f.late_id:
                    self.catalog.late_meta_id(f"field:{m.api_name}:{f.api_name}")
                if f.rollup is not None:
                    self.catalog.late_meta_id(f"related_list:{m.api_name}:{f.rollup.related_list}")

    def trackers_of(self, module: str) -> list[FieldTracker]:
        """Field trackers whose parent is ``module``."""
        return [t for t in self.trackers.values() if t.parent == module]

    def next_record_id(self) -> int:
        """Next record id; steps of 1–4 so ids look like Zoho's (increasing, not contiguous)."""
        self._next_id += 1 + self._next_id % 4
        return self._next_id

    # --- users ----------------------------------------------------------------------------------------------------
    @property
    def user_rows(self) -> list[dict[str, Any]]:
        """The users (Get Users shape without the datetimes); the first one is the admin."""
        return self.catalog.user_rows

    @property
    def user_times(self) -> list[tuple[int, int]]:
        """(created, modified) epoch seconds of each user."""
        return self.catalog.user_times

    def user_json(self, i: int) -> dict[str, Any]:
        """One user in the Get Users shape."""
        created, modified = self.user_times[i]
        return {**self.user_rows[i], "created_time": self.gen.dt(created), "Modified_Time": self.gen.dt(modified)}

    # --- record generation ----------------------------------------------------------------------------------------
    def count_for(self, mdef: ModuleDef) -> int:
        """Configured number of records of a module."""
        if mdef.api_name in self.config.records_per_module:
            return self.config.records_per_module[mdef.api_name]
        n = self.config.default_records
        return min(n, mdef.max_records) if mdef.max_records is not None else n

    def _generate(self, ms: ModuleState) -> None:
        cfg = self.config
        n = self.count_for(ms.mdef)
        span = 2 * YEAR
        t0 = self.start - span
        ms_salt = salt(ms.mdef.api_name)
        step = max(1, span // max(n, 1))
        prev: RecordState | None = None
        users = self.catalog.active_user_idx
        is_leads = ms.mdef.api_name == "Leads"
        for i in range(n):
            h = mix(cfg.seed, ms_salt, i)
            created = t0 + (i * span) // n + h % step
            if prev is not None and h % 7 == 0:
                created = prev.created  # several records share a second
            r = (h >> 8) % 10
            if r < 3:
                modified = created
            elif r == 9 and prev is not None and prev.modified >= created:
                modified = prev.modified  # mass-update style: same Modified_Time
            else:
                modified = created + (h >> 16) % max(1, self.start - created)
            st = RecordState(i, self.next_record_id(), created, min(modified, self.start - 1), users[(h >> 24) % 3])
            if is_leads and cfg.converted_every and i % cfg.converted_every == 3:
                st.converted = st.modified
            if cfg.unapproved_every and i % cfg.unapproved_every == 7:
                st.approval = "approval_process_pending"
            ms.by_index.append(st)
            ms.by_id[st.id] = st
            prev = st
        ms.initial_count = n
        for k in range(cfg.initial_deleted if n else 0):
            h = mix(cfg.seed, ms_salt, 777, k)
            kind = ("recycle", "permanent", "recycle")[k % 3]
            age = ((5 + h % 20) * DAY, (30 + h % 60) * DAY, (70 + h % 30) * DAY)[k % 3]
            ghost = RecordState(1_000_000 + k, self.next_record_id(), t0, t0, users[h % 3])
            permanent = kind == "permanent"
            ms.deleted.append(DeletedEntry(
                ghost.id, None if permanent else self.gen.display_name(ms.mdef, ghost), kind, self.start - age,
                None if permanent else 0, None if permanent else ghost.creator, None))

    # --- queries --------------------------------------------------------------------------------------------------
    def now(self) -> int:
        """Emulator time in whole seconds."""
        return int(self.clock.epoch())

    def module(self, name: str) -> ModuleState:
        """Module state by API name (KeyError if unknown)."""
        return self.modules[name]

    def live(self, module: str) -> list[RecordState]:
        """Live (not deleted) records of a module in index order."""
        return [st for st in self.modules[module].by_index if not st.deleted]

    def sorted_items(self, module: str, sort_by: str) -> tuple[list[int], list[Any]]:
        """Live items of a module sorted ascending by (sort_by, id), cached per mutation version."""
        ms = self.modules[module]
        mdef = ms.mdef
        # rows embed other records' names (products, contacts, users): any change of the org invalidates them
        version = ms.version if mdef.kind in ("data", "tracker") else self.rows_version()
        with self.lock:
            hit = ms.cache.get(sort_by)
            if hit is not None and hit[0] == version:
                return hit[1], hit[2]
            items = self.row_items(mdef) if mdef.kind in ("subform", "linking") else self.live(module)
            pairs = sorted(((sort_key(it, sort_by), it) for it in items), key=lambda p: p[0])
            keys = [p[0] for p in pairs]
            vals = [p[1] for p in pairs]
            ms.cache[sort_by] = (version, keys, vals)
            return keys, vals

    def rows_version(self) -> int:
        """A number that grows with every mutation of the org (record or user): the version of row listings."""
        return sum(m.version for m in self.modules.values()) + self.catalog.users_version

    def row_items(self, mdef: ModuleDef) -> list[RowItem]:
        """Rows of a subform / linking module, gathered from the live parents."""
        parent = self.mdefs[mdef.parent or ""]
        pfield = parent.field(mdef.parent_field or "")
        out: list[RowItem] = []
        if pfield is None:
            return out
        for st in self.live(parent.api_name):
            if mdef.kind == "linking":
                rows = self.gen.linking_rows(parent, st, pfield)
            elif pfield.gen == "line_items":
                rows = self.gen.line_items(parent, st, pfield)
            else:
                rows = self.gen.subform_rows(parent, st, pfield)
            out.extend(RowItem(r, st.created, st.modified) for r in rows)
        return out

    def retained(self, e: DeletedEntry, now: int) -> bool:
        """The entry is inside its retention window (recycle bin: ``recycle_retention_days``, documented 60; permanent:
        ``permanent_retention_days``, documented 120)."""
        days = self.config.recycle_retention_days if e.type == "recycle" else self.config.permanent_retention_days
        return now - e.deleted_time <= days * DAY

    def visible_deleted(self, module: str) -> list[DeletedEntry]:
        """Deleted entries inside Zoho's retention windows, newest first."""
        now = self.now()
        with self.lock:
            out = [e for e in self.modules[module].deleted if self.retained(e, now)]
        out.sort(key=lambda e: (e.deleted_time, e.id), reverse=True)
        return out

    def deleted_json(self, e: DeletedEntry) -> dict[str, Any]:
        """One deleted entry in the Get Deleted Records shape."""
        def minified(idx: int | None) -> dict[str, str] | None:
            if idx is None:
                return None
            return {"name": self.user_rows[idx]["full_name"], "id": self.user_rows[idx]["id"]}
        return {"deleted_by": minified(e.deleted_by), "id": str(e.id), "display_name": e.display_name,
                "type": e.type, "created_by": minified(e.created_by), "deleted_time": self.gen.dt(e.deleted_time)}

    # --- mutations ------------------------------------------------------------------------------------------------
    def _pick(self, ms: ModuleState, n: int, ids: Iterable[str | int] | None,
              cond: Callable[[RecordState], bool] | None = None) -> list[RecordState]:
        if ids is not None:
            out = []
            for i in ids:
                st = ms.by_id.get(int(i))
                if st is None or st.deleted:
                    raise KeyError(f"{ms.mdef.api_name} has no live record {i}")
                out.append(st)
            return out
        pool = [st for st in ms.by_index if not st.deleted and (cond is None or cond(st))]
        if n > len(pool):
            raise ValueError(f"{ms.mdef.api_name}: asked for {n} records, only {len(pool)} eligible")
        return self._rng.sample(pool, n)

    def _data_module(self, module: str) -> ModuleState:
        ms = self.modules.get(module)
        if ms is None or ms.mdef.kind != "data":
            raise KeyError(f"{module} is not a data module of the emulator")
        return ms

    # --- rollups: every mutation of a child module goes through these two ------------------------------------------
    def _rollups_on(self, child: str) -> list[Rollup]:
        return [r for r in self.rollups.values() if r.child.mdef.api_name == child]

    def _children_will_change(self, module: str) -> None:
        """Before a mutation of ``module``: the rollups over it are exact (so that ``_children_changed`` can diff)."""
        for rollup in self._rollups_on(module):
            rollup.sync()

    def _children_changed(self, module: str, states: Iterable[RecordState], when: int) -> set[int]:
        """After a mutation of ``module`` (its version already bumped): recompute the rollups over the changed
        records; the parents whose value changed get Modified_Time = ``when`` if
        ``rollup_bumps_parent_modified_time``. Returns the ids of those parents."""
        states = list(states)
        changed: set[int] = set()
        for rollup in self._rollups_on(module):
            parents = rollup.update(states)
            changed |= parents
            if parents and self.config.rollup_bumps_parent_modified_time:
                for pid in parents:
                    parent = rollup.parent.by_id.get(pid)
                    if parent is not None and not parent.deleted:
                        parent.modified = when
                rollup.parent.version += 1
        return changed

    # --- edits ------------------------------------------------------------------------------------------------------
    def touch(self, module: str, n: int = 1, ids: Iterable[str | int] | None = None, at: Any = None,
              field: str | None = None) -> list[str]:
        """Update records: new Modified_Time, one changed field value, Modified_By = token user."""
        with self.lock:
            ms = self._data_module(module)
            when = to_epoch(at, self.clock.epoch())
            mutable = [f for f in ms.mdef.fields if (not f.read_only and f.gen not in DERIVED_GENS
                       and f.api_name not in ("Currency",) and not f.system_mandatory) or f.api_name == field]
            self._children_will_change(module)
            out = []
            picked = self._pick(ms, n, ids)
            for st in picked:
                f = ms.mdef.field(field) if field else mutable[self._rng.randrange(len(mutable))]
                if f is None:
                    raise KeyError(f"{module} has no field {field}")
                self._bump_value(ms.mdef, st, f)
                if any(x.gen in ("line_items", "subform") for x in ms.mdef.fields) and (
                        (field is None and self._rng.random() < 0.5) or f.gen in ("line_items", "subform")):
                    st.li_version += 1
                st.modified = when
                st.modifier = 0
                for tracker in self.trackers_of(module):  # a tracked value may also change through another field
                    tracker.changed(st, when)
                out.append(str(st.id))
            ms.version += 1
            self._children_changed(module, picked, when)
            return out

    def _bump_value(self, mdef: ModuleDef, st: RecordState, f: FieldDef) -> None:
        before = self.gen.value(mdef, st, f)
        for _ in range(20):
            st.overrides = st.overrides or {}
            st.overrides[f.api_name] = st.overrides.get(f.api_name, 0) + 1
            if self.gen.value(mdef, st, f) != before:
                return

    def mass_update(self, module: str, n: int, at: Any = None) -> list[str]:
        """Touch n records so that they share exactly one Modified_Time."""
        with self.lock:
            when = to_epoch(at, self.clock.epoch())
            return self.touch(module, n=n, at=when)

    def add(self, module: str, n: int = 1, at: Any = None) -> list[str]:
        """Create n new records (Created_Time = Modified_Time = at or now)."""
        with self.lock:
            ms = self._data_module(module)
            when = to_epoch(at, self.clock.epoch())
            self._children_will_change(module)
            out = []
            added = []
            for _ in range(n):
                st = RecordState(len(ms.by_index), self.next_record_id(), when, when, 0)
                ms.by_index.append(st)
                ms.by_id[st.id] = st
                for tracker in self.trackers_of(module):
                    tracker.changed(st, when)
                out.append(str(st.id))
                added.append(st)
            ms.version += 1
            self._children_changed(module, added, when)
            return out

    def delete(self, module: str, n: int = 1, ids: Iterable[str | int] | None = None, permanent: bool = False,
               at: Any = None) -> list[str]:
        """Delete records (recycle bin or permanent); they appear in /deleted."""
        with self.lock:
            ms = self._data_module(module)
            when = to_epoch(at, self.clock.epoch())
            self._children_will_change(module)
            out = []
            picked = self._pick(ms, n, ids)
            for st in picked:
                name = None if permanent else self.gen.display_name(ms.mdef, st)
                st.deleted = True
                kind = "permanent" if permanent else "recycle"
                ms.deleted.append(DeletedEntry(st.id, name, kind, when, None if permanent else 0,
                                               None if permanent else st.creator, st))
                for tracker in self.trackers_of(module):
                    tracker.deleted(st, kind, when)
                out.append(str(st.id))
            ms.version += 1
            self._children_changed(module, picked, when)
            return out

    def restore(self, module: str, ids: Iterable[str | int]) -> list[str]:
        """Restore recycle-bin records: they are live again and leave /deleted. A deletion older than
        ``recycle_retention_days`` is no longer in the bin (KeyError, like any id not in the bin)."""
        with self.lock:
            ms = self._data_module(module)
            wanted = {int(i) for i in ids}
            now = self.now()
            in_bin = [e for e in ms.deleted if e.id in wanted and e.type == "recycle" and e.state is not None
                      and self.retained(e, now)]
            missing = wanted - {e.id for e in in_bin}
            if missing:
                raise KeyError(f"not in the recycle bin of {module}: {sorted(missing)}")
            self._children_will_change(module)
            out = []
            restored = []
            for e in in_bin:
                st = e.state
                assert st is not None
                st.deleted = False
                bump = now if self.config.restore_bumps_modified_time else None
                if bump is not None:
                    st.modified = bump
                for tracker in self.trackers_of(module):
                    tracker.restored(st, bump)
                out.append(str(e.id))
                restored.append(st)
            gone = {id(e) for e in in_bin}
            ms.deleted = [e for e in ms.deleted if id(e) not in gone]
            ms.version += 1
            self._children_changed(module, restored, now)
            return out

    def empty_recycle_bin(self, module: str, ids: Iterable[str | int] | None = None) -> list[str]:
        """Purge the module's recycle bin (or only ``ids``): the entries leave /deleted at once and leave nothing
        behind (no permanent entry); the records stay deleted and can no longer be restored."""
        with self.lock:
            ms = self._data_module(module)
            now = self.now()
            wanted = None if ids is None else {int(i) for i in ids}
            purged: list[int] = []
            keep = []
            for e in ms.deleted:
                in_bin = e.type == "recycle" and self.retained(e, now)
                if in_bin and (wanted is None or e.id in wanted):
                    purged.append(e.id)
                else:
                    keep.append(e)
            missing = (wanted or set()) - set(purged)
            if missing:
                raise KeyError(f"not in the recycle bin of {module}: {sorted(missing)}")
            ms.deleted = keep
            for tracker in self.trackers_of(module):
                tracker.purged(set(purged))
            return [str(i) for i in purged]

    def convert_leads(self, n: int = 1, ids: Iterable[str | int] | None = None, at: Any = None) -> list[str]:
        """Convert leads: Converted__s=true, Converted_Date_Time and Modified_Time = at or now."""
        with self.lock:
            ms = self._data_module("Leads")
            when = to_epoch(at, self.clock.epoch())
            out = []
            for st in self._pick(ms, n, ids, cond=lambda s: s.converted is None):
                st.converted = when
                st.modified = when
                st.modifier = 0
                out.append(str(st.id))
            ms.version += 1
            return out

    def add_field(self, module: str, api_name: str, data_type: str, values: Any = None, custom_field: bool = True,
                  **attrs: Any) -> list[str]:
        """Add a field; records that get a non-null value have their Modified_Time bumped to now."""
        with self.lock:
            ms = self._data_module(module)
            if ms.mdef.field(api_name) is not None:
                raise ValueError(f"{module}.{api_name} exists")
            picklist = tuple(attrs.pop("pick_list_values", ()) or ())
            f = FieldDef(api_name=api_name, data_type=data_type, gen="added", custom_field=custom_field,
                         source=values, cache={}, values=picklist, **attrs)
            ms.mdef.fields.append(f)
            self.meta_id(f"field:{module}:{api_name}")
            now = self.now()
            self.field_times[f"{module}:{api_name}"] = now
            out = []
            for st in ms.by_index:
                if not st.deleted and added_value(f, st) is not None:
                    st.modified = now
                    out.append(str(st.id))
            ms.version += 1
            return out

    def remove_field(self, module: str, api_name: str) -> list[str]:
        """Remove a field from metadata and records; returns ids of live records that had a value (not bumped)."""
        with self.lock:
            ms = self._data_module(module)
            f = ms.mdef.field(api_name)
            if f is None:
                raise KeyError(f"{module} has no field {api_name}")
            had = [str(st.id) for st in ms.by_index
                   if not st.deleted and self.gen.value(ms.mdef, st, f) not in (None, [], "")]
            ms.mdef.fields.remove(f)
            ms.version += 1
            return had

    # --- drift: changes Zoho does not timestamp on the records that show them --------------------------------------
    def recalculate_formulas(self, module: str, n: int = 1, ids: Iterable[str | int] | None = None) -> list[str]:
        """Re-evaluate the Now()-based formula fields of n records (or ``ids``) at the clock's time (at least
        ``FORMULA_MIN_STEP`` after their last evaluation), as Zoho refreshes them on view or through automation: the
        values change, Modified_Time does not. Returns the ids."""
        with self.lock:
            ms = self._data_module(module)
            if not any(f.data_type == "formula" and f.gen in TIME_FORMULA_GENS for f in ms.mdef.fields):
                raise ValueError(f"{module} has no formula field that recalculates (Now()-based)")
            now = self.now()
            out = []
            for st in self._pick(ms, n, ids):
                st.formula_at = (st.modified, max(now, st.formula_time() + FORMULA_MIN_STEP))
                out.append(str(st.id))
            return out

    def recalculate_rollups(self, module: str, n: int = 1, ids: Iterable[str | int] | None = None) -> list[str]:
        """Change the rollup summary values of n parent records (or ``ids``) of ``module`` the way Zoho does: one
        child of each (the first rollup's child module, e.g. a Deal of an Account) gets a new value of the aggregated
        field (an ordinary edit of the child: its Modified_Time moves); the parent's Modified_Time moves only with
        ``rollup_bumps_parent_modified_time``. Returns the ids of the parents whose value changed."""
        with self.lock:
            ms = self._data_module(module)
            rollups = [r for r in self.rollups.values() if r.parent is ms]
            if not rollups:
                raise ValueError(f"{module} has no rollup summary field")
            rollup = rollups[0]
            children = rollup.children()
            if ids is None:
                parents = self._pick(ms, n, None, cond=lambda s: bool(children.get(s.id)))
            else:
                parents = self._pick(ms, 0, ids)
                lonely = [str(st.id) for st in parents if not children.get(st.id)]
                if lonely:
                    raise ValueError(f"{module} {lonely}: no {rollup.spec.module} record looks them up")
            before = {st.id: self._rollup_values(ms.mdef, st) for st in parents}
            picks = [children[st.id][self._rng.randrange(len(children[st.id]))] for st in parents]
            self.touch(rollup.spec.module, ids=picks, field=rollup.spec.field)
            return [str(st.id) for st in parents if self._rollup_values(ms.mdef, st) != before[st.id]]

    def _rollup_values(self, mdef: ModuleDef, st: RecordState) -> list[Any]:
        return [self.gen.value(mdef, st, f) for f in mdef.fields if f.rollup is not None]

    def rename(self, module: str, n: int = 1, ids: Iterable[str | int] | None = None) -> list[str]:
        """Give n records (or ``ids``) a new display name (the module's ``display_field``; Full_Name through
        Last_Name): an ordinary edit of each (new Modified_Time, Modified_By = token user). Every record that looks
        them up renders the new name; its Modified_Time moves only with ``rename_bumps_lookup_modified_time``.
        Returns the renamed ids."""
        with self.lock:
            ms = self._data_module(module)
            mdef = ms.mdef
            display = mdef.field(mdef.display_field)
            if display is None:
                raise ValueError(f"{module} has no display field")
            target = "Last_Name" if display.gen == "full_name" else display.api_name
            when = to_epoch(None, self.clock.epoch())
            picked = self._pick(ms, n, ids)
            before = {st.id: self.gen.display_name(mdef, st) for st in picked}
            out = self.touch(module, ids=[st.id for st in picked], at=when, field=target)
            same = [str(st.id) for st in picked if self.gen.display_name(mdef, st) == before[st.id]]
            if same:
                raise RuntimeError(f"{module} {same}: the display name did not change")
            if self.config.rename_bumps_lookup_modified_time:
                self._bump_referrers({st.id for st in picked}, when)
            return out

    def referrers(self, ids: set[int]) -> list[tuple[ModuleState, RecordState]]:
        """Live records (any data or tracker module) that look up one of ``ids``: a lookup field, a line item's
        product or price book, a multi-select lookup's linked record (record ids are unique across modules)."""
        out = []
        with self.lock:
            for ms in self.modules.values():
                mdef = ms.mdef
                if mdef.kind not in ("data", "tracker"):
                    continue
                fields = [f for f in mdef.fields if f.data_type == "lookup" or f.gen in ("line_items", "msl")]
                if not fields:
                    continue
                for st in ms.by_index:
                    if not st.deleted and any(ids & self._looked_up(mdef, st, f) for f in fields):
                        out.append((ms, st))
        return out

    def _looked_up(self, mdef: ModuleDef, st: RecordState, f: FieldDef) -> set[int]:
        v = self.gen.value(mdef, st, f)
        refs: list[Any] = [v]
        if f.gen == "line_items":
            refs = [row.get(k) for row in v for k in ("Product_Name", "Price_Book_Name")]
        elif f.gen == "msl":
            refs = [row.get("Contacts") for row in v]
        return {int(r["id"]) for r in refs if isinstance(r, dict) and r.get("id")}

    def _bump_referrers(self, ids: set[int], when: int) -> None:
        """The records that look up ``ids`` get Modified_Time = ``when`` (their lookup names changed)."""
        by_module: dict[str, list[RecordState]] = {}
        for ms, st in self.referrers(ids):
            by_module.setdefault(ms.mdef.api_name, []).append(st)
        for module, states in by_module.items():
            ms = self.modules[module]
            self._children_will_change(module)
            for st in states:
                st.modified = when
            ms.version += 1
            self._children_changed(module, states, when)

    def rename_user(self, user: int | str) -> str:
        """Give a user (index into ``user_rows``, or user id) a new first and last name; its Modified_Time moves.
        Records render the new name in Owner / Created_By / Modified_By / … without a new Modified_Time. Returns the
        user's id."""
        with self.lock:
            rows = self.user_rows
            key = str(user)
            idx = next((i for i, row in enumerate(rows) if row["id"] == key), None)
            if idx is None and isinstance(user, int) and 0 <= user < len(rows):
                idx = user
            if idx is None:
                raise KeyError(f"no user {user}")
            row = rows[idx]
            for k in range(1, 100):
                h = mix(self.config.seed, salt("rename_user"), idx, self.catalog.users_version, k)
                first, last = FIRST[h % len(FIRST)], LAST[(h >> 8) % len(LAST)]
                if f"{first} {last}" != row["full_name"]:
                    break
            self.catalog.rename_user(idx, first, last, self.now())
            return str(row["id"])
