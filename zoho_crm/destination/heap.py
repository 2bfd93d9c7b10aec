"""Free memory of extract and normalize given back to the operating system before the load step."""

import ctypes
import gc
import logging
import sys

logger = logging.getLogger(__name__)


def release_free_heap() -> bool:
    """Collect Python's garbage and return the C heap's free pages to the OS; True when glibc trimmed something.

    Extract and normalize free nearly all they allocate, but glibc keeps the freed pages of its arenas (one per
    thread that allocated: dlt's extract workers and the HTTP threads) mapped, so they still count in the process's
    RSS while DuckDB loads. `malloc_trim(0)` unmaps them. A no-op where the C library has no `malloc_trim` (macOS,
    Windows, musl).
    """
    gc.collect()
    if not sys.platform.startswith("linux"):
        return False
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    released = bool(trim(0))
    logger.debug("malloc_trim before the load step: %s", "released memory" if released else "nothing to release")
    return released
