"""What one run learned about the org and its API, shared by the run's parallel threads.

Zoho's documentation leaves some behaviour open (whether `approved` is accepted on v7, whether `?ids=` answers carry
subforms, whether the token may run COQL). The readers find out on the first call and remember it here for the rest
of the run, so each question costs at most one refused call. Nothing is kept across runs: an org can change its
edition, scopes or settings between two runs.
"""

import threading
from typing import Iterable, Set


class ZohoQuirks:
    """Per-run, thread-safe memory of refused parameters and endpoints, modules read one record at a time, modules
    the user did not name (skipped when unreadable) and warnings already given."""

    def __init__(self, optional_modules: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._refused_params: Set[str] = set()
        self._refused_endpoints: Set[str] = set()
        self._one_by_one: Set[str] = set()
        self._optional: Set[str] = set(optional_modules)
        self._warned: Set[str] = set()

    def refuse_param(self, name: str) -> bool:
        """Remember that Zoho refused the optional query parameter `name`; True the first time (retry without it)."""
        return self._add(self._refused_params, name)

    def param_refused(self, name: str) -> bool:
        """True when Zoho refused the optional query parameter `name` earlier in the run."""
        with self._lock:
            return name in self._refused_params

    def refuse_endpoint(self, path: str) -> None:
        """Remember that Zoho refused an optional endpoint (COQL without its scope): not asked again this run."""
        self._add(self._refused_endpoints, path)

    def endpoint_refused(self, path: str) -> bool:
        """True when Zoho refused the optional endpoint `path` earlier in the run."""
        with self._lock:
            return path in self._refused_endpoints

    def read_one_by_one(self, module: str) -> bool:
        """Remember that `?ids=` answers of `module` lack its subforms; True the first time (warn once)."""
        return self._add(self._one_by_one, module)

    def reads_one_by_one(self, module: str) -> bool:
        """True when the records of `module` are fetched one by one this run."""
        with self._lock:
            return module in self._one_by_one

    def make_optional(self, *modules: str) -> None:
        """Modules the user did not name (the defaults, `all`, history modules): skipped when unreadable."""
        with self._lock:
            self._optional.update(modules)

    def is_optional(self, module: str) -> bool:
        """True when `module` may be skipped with a warning rather than fail the run."""
        with self._lock:
            return module in self._optional

    def first_warning(self, key: str) -> bool:
        """True the first time `key` is warned about in this run."""
        return self._add(self._warned, key)

    def _add(self, values: Set[str], value: str) -> bool:
        with self._lock:
            if value in values:
                return False
            values.add(value)
            return True
