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
from .data import DataGen, DeletedEntry, ModuleState, RecordState, added_value
from .hashing import mix, salt
from .history import FieldTracker
from .http_types import parse_iso
from .org_settings import CURRENCIES, FORECAST_CATEGORIES, PIPELINES, STAGES, TAG_NAMES, TERRITORIES
from .pagination import sort_key
from .schema import ID_BASE, FieldDef, ModuleDef, standard_modules

YEAR = 365 * 86400
DAY = 86400
DERIVED_GENS = ("null", "added", "owner", "stage_probability")
"""Value generators ``touch`` never picks at random (constant, user-given, or derived from another field)."""
RECYCLE_RETENTION = 60 * DAY
PERMANENT_RETENTION = 120 * DAY


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
        self.gen = DataGen(config.seed, self.catalog, self.modules, self.trackers)
        self.mdefs = {m.api_name: m for m in standard_modules()}
        features = {"multi_currency": config.multi_currency, "territories": config.territories_enabled}
        for m in self.mdefs.values():
            m.fields = [f for f in m.fields if f.feature is None or features[f.feature]]
        self.mdefs["DealHistory"].generated_type = config.deal_history_generated_type
        for m in self.mdefs.values():
            self.meta_id(f"module:{m.api_name}")
            self.layout_id(m.api_name)
            for f in m.fields:
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
        self._settings_ids()

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
        version = ms.version if mdef.kind in ("data", "tracker") else self.modules[mdef.parent or ""].version
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

    def visible_deleted(self, module: str) -> list[DeletedEntry]:
        """Deleted entries inside Zoho's retention (recycle 60 days, permanent 120 days), newest first."""
        now = self.now()
        with self.lock:
            out = [e for e in self.modules[module].deleted
                   if now - e.deleted_time <= (RECYCLE_RETENTION if e.type == "recycle" else PERMANENT_RETENTION)]
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

    def touch(self, module: str, n: int = 1, ids: Iterable[str | int] | None = None, at: Any = None,
              field: str | None = None) -> list[str]:
        """Update records: new Modified_Time, one changed field value, Modified_By = token user."""
        with self.lock:
            ms = self._data_module(module)
            when = to_epoch(at, self.clock.epoch())
            mutable = [f for f in ms.mdef.fields if (not f.read_only and f.gen not in DERIVED_GENS
                       and f.api_name not in ("Currency",) and not f.system_mandatory) or f.api_name == field]
            out = []
            for st in self._pick(ms, n, ids):
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
            out = []
            for _ in range(n):
                st = RecordState(len(ms.by_index), self.next_record_id(), when, when, 0)
                ms.by_index.append(st)
                ms.by_id[st.id] = st
                for tracker in self.trackers_of(module):
                    tracker.changed(st, when)
                out.append(str(st.id))
            ms.version += 1
            return out

    def delete(self, module: str, n: int = 1, ids: Iterable[str | int] | None = None, permanent: bool = False,
               at: Any = None) -> list[str]:
        """Delete records (recycle bin or permanent); they appear in /deleted."""
        with self.lock:
            ms = self._data_module(module)
            when = to_epoch(at, self.clock.epoch())
            out = []
            for st in self._pick(ms, n, ids):
                name = None if permanent else self.gen.display_name(ms.mdef, st)
                st.deleted = True
                kind = "permanent" if permanent else "recycle"
                ms.deleted.append(DeletedEntry(st.id, name, kind, when, None if permanent else 0,
                                               None if permanent else st.creator, st))
                for tracker in self.trackers_of(module):
                    tracker.deleted(st, kind, when)
                out.append(str(st.id))
            ms.version += 1
            return out

    def restore(self, module: str, ids: Iterable[str | int]) -> list[str]:
        """Restore recycle-bin records: they are live again and leave /deleted."""
        with self.lock:
            ms = self._data_module(module)
            wanted = {int(i) for i in ids}
            out = []
            keep = []
            for e in ms.deleted:
                if e.id in wanted and e.type == "recycle" and e.state is not None:
                    e.state.deleted = False
                    bump = self.now() if self.config.restore_bumps_modified_time else None
                    if bump is not None:
                        e.state.modified = bump
                    for tracker in self.trackers_of(module):
                        tracker.restored(e.state, bump)
                    out.append(str(e.id))
                else:
                    keep.append(e)
            missing = wanted - {int(i) for i in out}
            if missing:
                raise KeyError(f"not in the recycle bin of {module}: {sorted(missing)}")
            ms.deleted = keep
            ms.version += 1
            return out

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
