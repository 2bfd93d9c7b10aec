"""Rollup summary fields: a parent's value aggregated over the child records that look it up (reference §4.2).

``Accounts.Total_Deal_Amount`` is the SUM of the ``Amount`` of the live Deals whose ``Account_Name`` is the account.
Zoho recomputes a rollup when a child changes (every edition since 2023); whether the parent's Modified_Time moves
then is undocumented (``rollup_bumps_parent_modified_time``, default False: the value changes silently).

Currency (GUESS, undocumented): each child's amount is converted to the home currency with the child's exchange
rate, the sum is expressed in the parent's record currency (every currency value of a record is in its currency).
A parent without children shows 0.0 (a sum over nothing; GUESS: Zoho may show null).

Aggregates are kept per parent and updated incrementally by the store's mutations of the child module: before a
mutation ``sync`` makes them exact, after it ``update`` re-reads only the changed children. Contributions are integers
(1/10,000 of the home currency unit), so a total never depends on the order of updates. Anything else that moved the
child module's version (a field removed, …) is caught by a full pass on the next read, so a render never costs more
than a dict lookup unless the children changed behind the rollup's back.

A rollup works on two module states (the parent's and the child's) and renders child values through the
``DataGen``: it never sees the store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from .data import DataGen, ModuleState, RecordState
from .org_settings import CURRENCY_BY_CODE, HOME_CURRENCY
from .schema import FieldDef, RollupSpec

SCALE = 10_000
"""Contributions are kept in integer 1/SCALE units of the home currency."""


class Rollup:
    """The aggregates of one rollup summary field.

    Args:
        parent: the module state holding the field (Accounts).
        child: the module state whose records are aggregated (Deals).
        field: the rollup summary field (its ``rollup`` spec names the lookup and the aggregated field).
        gen: renders the children's lookup, amount and currency and the parent's currency.
        lock: the store's lock (a full pass runs under it, so it never interleaves with a mutation).
    """

    def __init__(self, parent: ModuleState, child: ModuleState, field: FieldDef, gen: DataGen,
                 lock: threading.RLock) -> None:
        if field.rollup is None or field.rollup.function != "SUM":
            raise ValueError(f"{field.api_name}: only SUM rollups are modelled")
        self.parent = parent
        self.child = child
        self.field = field
        self.spec: RollupSpec = field.rollup
        self.gen = gen
        self.lock = lock
        self._contrib: dict[int, tuple[int, int]] = {}
        """Child id → (parent id, contribution in 1/SCALE home-currency units)."""
        self._totals: dict[int, int] = {}
        self._version: int | None = None
        """The child module's version the aggregates are exact for (None: never built)."""

    @property
    def key(self) -> str:
        """``"Module.Field"``: how ``DataGen`` finds the rollup."""
        return f"{self.parent.mdef.api_name}.{self.field.api_name}"

    # --- reads -----------------------------------------------------------------------------------------------------
    def value(self, parent: RecordState) -> float:
        """The field's value on a parent record, in the parent's currency."""
        if self._version != self.child.version:
            self.sync()
        total = self._totals.get(parent.id, 0)
        pdef = self.parent.mdef
        code = self.gen.dep(pdef, parent, "Currency") if pdef.field("Currency") is not None else None
        return round(total * CURRENCY_BY_CODE[code or HOME_CURRENCY].rate / SCALE, 2)

    def children(self) -> dict[int, list[int]]:
        """Parent id → ids of its live children (ascending)."""
        with self.lock:
            self.sync()
            out: dict[int, list[int]] = {}
            for cid, (pid, _) in self._contrib.items():
                out.setdefault(pid, []).append(cid)
            for ids in out.values():
                ids.sort()
            return out

    def _contribution(self, st: RecordState) -> tuple[int, int] | None:
        if st.deleted:
            return None
        cdef = self.child.mdef
        ref = self.gen.dep(cdef, st, self.spec.lookup_field)
        amount = self.gen.dep(cdef, st, self.spec.field)
        if not isinstance(ref, dict) or not isinstance(amount, (int, float)):
            return None
        code = self.gen.dep(cdef, st, "Currency") if cdef.field("Currency") is not None else None
        rate = CURRENCY_BY_CODE[code or HOME_CURRENCY].rate
        return int(ref["id"]), round(amount / rate * SCALE)

    # --- writes ----------------------------------------------------------------------------------------------------
    def sync(self) -> set[int]:
        """Make the aggregates exact for the child module's current version (a full pass when they are not).

        Returns:
            Ids of the parents whose total changed (none on the first build).
        """
        with self.lock:
            if self._version == self.child.version:
                return set()
            first = self._version is None
            contrib: dict[int, tuple[int, int]] = {}
            totals: dict[int, int] = {}
            for st in self.child.by_index:
                c = self._contribution(st)
                if c is not None:
                    contrib[st.id] = c
                    totals[c[0]] = totals.get(c[0], 0) + c[1]
            old = self._totals
            self._contrib, self._totals, self._version = contrib, totals, self.child.version
            if first:
                return set()
            return {p for p in old.keys() | totals.keys() if old.get(p, 0) != totals.get(p, 0)}

    def update(self, states: Iterable[RecordState]) -> set[int]:
        """Re-read the contributions of children that just changed (the store calls ``sync`` before the mutation
        and this after it, once the child module's version has moved).

        Returns:
            Ids of the parents whose total changed.
        """
        with self.lock:
            if self._version is None:
                self.sync()
                return set()
            touched: dict[int, int] = {}
            for st in states:
                old = self._contrib.pop(st.id, None)
                new = self._contribution(st)
                for c in (old, new):
                    if c is not None and c[0] not in touched:
                        touched[c[0]] = self._totals.get(c[0], 0)
                if old is not None:
                    self._totals[old[0]] = self._totals.get(old[0], 0) - old[1]
                if new is not None:
                    self._contrib[st.id] = new
                    self._totals[new[0]] = self._totals.get(new[0], 0) + new[1]
            self._version = self.child.version
            return {p for p, before in touched.items() if self._totals.get(p, 0) != before}
