"""page_token chains for Get Records: opaque tokens that carry a keyset position and the bound request."""

from __future__ import annotations

import bisect
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Chain:
    """One pagination chain: the keyset start of every page reached so far."""

    starts: dict[int, int | None] = field(default_factory=dict)
    offsets: dict[int, int] = field(default_factory=dict)


@dataclass
class PageToken:
    """Server-side state behind an opaque page_token."""

    chain: Chain
    page: int
    signature: tuple[tuple[str, str], ...]
    ims: str | None
    user: str
    created: float

    @property
    def after(self) -> int | None:
        """Keyset key of the last record before this page."""
        return self.chain.starts[self.page]

    @property
    def offset(self) -> int:
        """Records returned before this page by the chain."""
        return self.chain.offsets[self.page]


class TokenBook:
    """Issues and resolves page tokens (thread-safe)."""

    def __init__(self) -> None:
        self._tokens: dict[str, PageToken] = {}
        self._lock = threading.Lock()

    def issue(self, chain: Chain, page: int, signature: tuple[tuple[str, str], ...], ims: str | None, user: str,
              now: float) -> str:
        """Create a token pointing at ``page`` of ``chain``."""
        value = secrets.token_hex(20)
        with self._lock:
            self._tokens[value] = PageToken(chain, page, signature, ims, user, now)
        return value

    def get(self, value: str) -> PageToken | None:
        """Token state, or None when unknown."""
        with self._lock:
            return self._tokens.get(value)


def sort_key(item: Any, sort_by: str) -> int:
    """Keyset key: the sort column with the id as tie-breaker, packed in one int."""
    if sort_by == "id":
        return item.id
    t = item.created if sort_by == "Created_Time" else item.modified
    return (t << 63) | item.id


def bisect_after(keys: list[int], key: int | None, descending: bool) -> int:
    """Start index for keyset pagination: first position strictly after ``key`` in the walk direction."""
    if descending:
        return (len(keys) if key is None else bisect.bisect_left(keys, key)) - 1
    return 0 if key is None else bisect.bisect_right(keys, key)


def walk(keys: list[int], items: list[Any], after: int | None, descending: bool, keep: Callable[[Any], bool],
         skip: int, limit: int) -> tuple[list[tuple[int, Any]], bool, int | None]:
    """Collect ``limit`` matching items after keyset ``after`` (skipping ``skip`` matches first).

    Returns:
        (page as (key, item) pairs, whether more matches follow, key of the last skipped match).
    """
    i = bisect_after(keys, after, descending)
    step = -1 if descending else 1
    n = len(items)
    out: list[tuple[int, Any]] = []
    skipped = 0
    last_skipped: int | None = after
    while 0 <= i < n:
        it = items[i]
        if keep(it):
            if skipped < skip:
                skipped += 1
                last_skipped = keys[i]
            elif len(out) < limit:
                out.append((keys[i], it))
            else:
                return out, True, last_skipped
        i += step
    return out, False, last_skipped
