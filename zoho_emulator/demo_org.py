"""The demo's persisted org: one emulated Zoho org that outlives the process, kept in a small JSON file.

The emulator's data is a function of its seed and start time, and its mutations are deterministic (the store's RNG
is seeded), so an org is fully described by (settings, start time, the ordered log of mutations applied to it). A
demo run rebuilds the org from that description, replays the log at the logged times, moves the clock to real now
and listens on the same port as before: to the pipeline it is the same Zoho org, so its second run is incremental.

`DemoOrg.change(n)` edits n records and deletes ``deletions_for(n)`` more, and logs both, so later runs replay them.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .config import EmulatorConfig
from .emulator import ZohoEmulator
from .hashing import mix
from .http_types import parse_iso

FORMAT = 1
"""Version of the file's layout; a file of another version is refused (delete it to start over)."""
DEMO_SEED = 7
DEMO_DEFAULT_RECORDS = 150
DEMO_RECORDS_PER_MODULE: dict[str, int] = {"Deals": 600}
EDITED_MODULES: tuple[str, ...] = ("Deals", "Contacts", "Leads", "Accounts", "Tasks")
"""Modules ``change`` edits, round robin: the records an analyst looks at first."""
DELETED_MODULES: tuple[str, ...] = ("Deals", "Leads", "Tasks")
"""Modules ``change`` deletes from, round robin: records users do delete (lost deals, junk leads, stale tasks), and
that few other records look up (a deleted Account would leave its Deals and Contacts pointing at nothing)."""
def deletions_for(n: int) -> int:
    """Records ``change(n)`` deletes besides the n it edits: a quarter of n, at least one."""
    return max(1, n // 4)


@dataclass(frozen=True)
class OrgChange:
    """One logged mutation: ``kind`` "edit" (``emu.touch``) or "delete" (``emu.delete``, recycle bin) of ``ids`` of
    ``module`` at ``at`` (ISO-8601 UTC, whole seconds)."""

    kind: str
    module: str
    ids: list[str]
    at: str


@dataclass
class DemoOrgState:
    """What the org file holds: the emulator settings, its fixed start time, the port it listens on, the log."""

    start_time: str
    port: int = 0
    seed: int = DEMO_SEED
    default_records: int = DEMO_DEFAULT_RECORDS
    records_per_module: dict[str, int] = field(default_factory=lambda: dict(DEMO_RECORDS_PER_MODULE))
    changes: list[OrgChange] = field(default_factory=list)
    format: int = FORMAT

    def config(self, port: int) -> EmulatorConfig:
        """The emulator settings of this org, listening on ``port`` (0: a free one)."""
        return EmulatorConfig(seed=self.seed, default_records=self.default_records,
                              records_per_module=dict(self.records_per_module), start_time=self.start_time, port=port)


class DemoOrgError(ValueError):
    """The org file cannot be read or does not describe this emulator's org (delete it to start over)."""


@dataclass(frozen=True)
class ChangeReport:
    """What one ``DemoOrg.change`` did: ids edited and deleted per module."""

    edited: dict[str, list[str]]
    deleted: dict[str, list[str]]

    def line(self) -> str:
        """One line for the demo's output."""
        def listed(by_module: dict[str, list[str]]) -> str:
            return ", ".join(f"{m} {len(ids)}" for m, ids in by_module.items())
        edits, deletions = sum(map(len, self.edited.values())), sum(map(len, self.deleted.values()))
        return (f"Changed the demo org: edited {edits} records ({listed(self.edited)}), "
                f"deleted {deletions} ({listed(self.deleted)})")


class DemoOrg:
    """The persisted demo org in ``path``: open it, start its emulator, change it.

    Example:
        >>> with DemoOrg.open(Path("zoho_crm_demo.org.json")) as org:  # doctest: +SKIP
        ...     org.change(40)
        ...     org.emu.base_url
    """

    def __init__(self, path: Path, state: DemoOrgState, is_new: bool) -> None:
        self.path = path
        self.state = state
        self.is_new = is_new
        """No org file existed: this is a new org (the mirror of any earlier one must be reloaded)."""
        self.port_note: str | None = None
        """Set by ``start`` when the logged port was taken and the emulator listens on another one."""
        self.emu: ZohoEmulator | None = None
        """The started emulator (``start``)."""

    @classmethod
    def open(cls, path: Path) -> DemoOrg:
        """The org described by ``path``, or a new one (start time: now) when the file does not exist yet; a new
        org is written to ``path`` by ``start``."""
        if not path.exists():
            now = datetime.now(timezone.utc).replace(microsecond=0)
            return cls(path, DemoOrgState(start_time=now.isoformat()), is_new=True)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("format") != FORMAT:
                raise DemoOrgError(f"format {raw.get('format')!r}, expected {FORMAT}")
            changes = [OrgChange(**c) for c in raw.pop("changes", [])]
            state = DemoOrgState(**raw, changes=changes)
            parse_iso(state.start_time)
        except (OSError, ValueError, TypeError, AttributeError) as ex:
            raise DemoOrgError(f"the demo org file {path} cannot be read ({ex}): delete it to start over") from ex
        return cls(path, state, is_new=False)

    def start(self) -> ZohoEmulator:
        """Build the org's emulator, replay the log, set the clock to real now and listen on the logged port (or
        on a free one when it is taken: ``port_note`` says so). A new org's file is written now, with its port.
        Returns the started emulator."""
        emu = ZohoEmulator(self.state.config(self.state.port))
        self._replay(emu)
        emu.set_now(datetime.now(timezone.utc))
        emu.unfreeze()
        try:
            emu.start()
        except OSError as ex:  # the port is taken (another program, another demo): any free port will do
            emu.config.port = 0
            emu.start()
            self.port_note = (f"port {self.state.port} is taken ({ex.strerror}): the emulator listens on "
                              f"{emu.port} instead, a new API address, so the pipeline reloads everything")
        if self.is_new:
            self.state.port = emu.port
            self.save()
        self.emu = emu
        return emu

    def __enter__(self) -> DemoOrg:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.emu is not None:
            self.emu.stop()

    def lines(self) -> list[str]:
        """What the demo says about its org: the emulator's address, the file, a port that changed."""
        note = [f"Note: {self.port_note}"] if self.port_note else []
        return [f"Zoho emulator running at {self._started().base_url}", self.describe(), *note]

    def source_args(self) -> dict[str, Any]:
        """The pipeline source's settings that point it at this org: credentials and URLs."""
        emu = self._started()
        credentials = {"client_id": emu.client_id, "client_secret": emu.client_secret,
                       "refresh_token": emu.refresh_token}
        return {"credentials": credentials, "api_base_url": emu.base_url, "accounts_url": emu.base_url}

    def _started(self) -> ZohoEmulator:
        if self.emu is None:
            raise RuntimeError("the demo org is not started")
        return self.emu

    def settle_port(self) -> None:
        """The pipeline has loaded from the emulator's port: later demos listen there (a demo that fell back to
        another port but loaded nothing, e.g. one refused by the run lock, leaves the logged port as it was)."""
        port = self._started().port
        if port != self.state.port:
            self.state.port = port
            self.save()

    def _replay(self, emu: ZohoEmulator) -> None:
        """Apply the logged changes in order at their times: the same calls as the first time, so the store's RNG
        draws the same values."""
        for change in self.state.changes:
            at = parse_iso(change.at)
            try:
                if change.kind == "edit":
                    emu.touch(change.module, ids=change.ids, at=at)
                elif change.kind == "delete":
                    emu.delete(change.module, ids=change.ids, at=at)
                else:
                    raise ValueError(f"unknown change kind {change.kind!r}")
            except (KeyError, ValueError) as ex:
                raise DemoOrgError(f"the demo org file {self.path} does not match this emulator ({ex}): "
                                   "delete it and the demo's DuckDB file to start over") from ex

    def change(self, n: int) -> ChangeReport:
        """Edit n records and delete ``deletions_for(n)`` others of the started org, spread round robin over
        ``EDITED_MODULES`` and ``DELETED_MODULES``, one second before the clock's time (so a run started now lists
        them in a finished second); logs them and saves the file.

        Raises:
            ValueError: n < 1.
            DemoOrgError: a module has fewer eligible records left than its share of n (nothing was changed).
        """
        if n < 1:
            raise ValueError(f"the number of changes must be 1 or more, got {n}")
        emu = self._started()
        at = datetime.fromtimestamp(int(emu.now().timestamp()) - 1, tz=timezone.utc)
        rng = random.Random(mix(self.state.seed, len(self.state.changes), n))
        edits, deletions = _spread(n, EDITED_MODULES), _spread(deletions_for(n), DELETED_MODULES)
        # every record picked before the first change: a module short of records changes nothing
        to_edit = {m: _eligible(emu, m, rng, k) for m, k in edits.items()}
        to_delete = {m: _eligible(emu, m, rng, k, set(to_edit.get(m, ()))) for m, k in deletions.items()}
        edited = {m: emu.touch(m, ids=ids, at=at) for m, ids in to_edit.items()}
        deleted = {m: emu.delete(m, ids=ids, at=at) for m, ids in to_delete.items()}
        stamp = at.isoformat()
        self.state.changes += [OrgChange("edit", m, ids, stamp) for m, ids in edited.items()]
        self.state.changes += [OrgChange("delete", m, ids, stamp) for m, ids in deleted.items()]
        self.save()
        return ChangeReport(edited, deleted)

    def save(self) -> None:
        """Write the file atomically (a killed run leaves the old one or the new one)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(self.state), indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)

    def describe(self) -> str:
        """One line: the file, and the org's start and changes so far (or that it is new)."""
        if self.is_new:
            return f"Demo org: {self.path} (new; delete it and the DuckDB file to start over)"
        edits = sum(len(c.ids) for c in self.state.changes if c.kind == "edit")
        deletions = sum(len(c.ids) for c in self.state.changes if c.kind == "delete")
        return (f"Demo org: {self.path} (since {self.state.start_time}, {edits} edits and {deletions} deletions "
                "so far; delete it and the DuckDB file to start over)")


def _spread(n: int, modules: Sequence[str]) -> dict[str, int]:
    """n split round robin over ``modules`` (the first ones get the remainder); modules with none left out."""
    out = {m: n // len(modules) + (1 if i < n % len(modules) else 0) for i, m in enumerate(modules)}
    return {m: k for m, k in out.items() if k}


def _eligible(emu: ZohoEmulator, module: str, rng: random.Random, k: int, spared: set[str] | None = None) -> list[str]:
    """k ids of live records the pipeline lists by default (approved; for Leads, not converted), drawn by ``rng``,
    none of ``spared``."""
    store = emu.store
    with store.lock:
        pool = sorted(str(st.id) for st in store.live(module)
                      if st.approval == "approved" and st.converted is None and str(st.id) not in (spared or set()))
    if len(pool) < k:
        raise DemoOrgError(f"the demo org has {len(pool)} {module} records left to change, not {k}: delete its file "
                           "to start over")
    return rng.sample(pool, k)

