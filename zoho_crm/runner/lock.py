"""One run at a time per pipeline: an exclusive lock file beside the pipeline's dlt working directory.

The lock is an OS file lock (`flock` on POSIX, `msvcrt.locking` on Windows) on
`{pipelines_dir}/{pipeline_name}.run.lock`, taken before the first Zoho call and held until the run ends. The
kernel drops it when its process dies, however it dies (SIGKILL, OOM killer, power loss), so a lock left by a
killed run is taken over by the next run without anyone deleting files; a lock held by a live process is never
broken. The file records who holds it (pid, host, start time) for the message the second run prints. It lives
beside the working directory, not in it, because dlt may wipe the working directory during a run.
"""

import json
import os
import socket
import sys
import time
from types import TracebackType
from typing import IO, Any, Dict, Optional, Type

from ..errors import ZohoCrmStoppedEarly

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(handle: IO[str]) -> bool:
        handle.seek(0)
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: IO[str]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


HOLDER_READ_ATTEMPTS = 20  # the holder writes its record just after locking: wait up to ~1 s to read it


class RunInProgress(ZohoCrmStoppedEarly):
    """Another run of the same pipeline holds the lock; this run stopped before any Zoho call."""

    def __init__(self, pipeline_name: str, holder: Dict[str, Any], lock_path: str) -> None:
        self.pipeline_name = pipeline_name
        self.holder = holder
        self.lock_path = lock_path
        since = holder.get("started") or "an unknown time"
        pid = holder.get("pid") or "unknown"
        host = holder.get("host")
        on_host = f" on {host}" if host and host != socket.gethostname() else ""
        super().__init__(
            f"another run of pipeline {pipeline_name} is in progress since {since}, pid {pid}{on_host}: this run "
            "stopped before any Zoho call, nothing lost (if that run is stuck, stop that process and run again)"
        )


class PipelineRunLock:
    """Exclusive, non-blocking lock of one pipeline (name + pipelines directory) for the length of a run.

    Example:
        >>> with PipelineRunLock("zoho_crm", get_dlt_pipelines_dir()):  # doctest: +SKIP
        ...     pipeline.run(zoho_crm_source())

    Raises:
        RunInProgress: on entry, when a live process holds the lock.
    """

    def __init__(self, pipeline_name: str, pipelines_dir: str) -> None:
        self.pipeline_name = pipeline_name
        self.path = os.path.join(pipelines_dir, f"{pipeline_name}.run.lock")
        self.previous: Optional[Dict[str, Any]] = None  # record left by a run that did not end (killed)
        self._handle: Optional[IO[str]] = None

    def __enter__(self) -> "PipelineRunLock":
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # held open for the whole run
        if not _try_lock(handle):
            holder = _read_holder(handle)
            handle.close()
            raise RunInProgress(self.pipeline_name, holder, self.path)
        self.previous = _parse(_read(handle)) or None  # a clean exit empties the file: a record means a kill
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(_holder_record()))
        handle.flush()
        self._handle = handle
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if self._handle is None:
            return
        self._handle.seek(0)
        self._handle.truncate()  # an empty file tells the next run that this one ended
        self._handle.flush()
        _unlock(self._handle)
        self._handle.close()
        self._handle = None


def _holder_record() -> Dict[str, Any]:
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    return {"pid": os.getpid(), "host": socket.gethostname(), "started": started}


def _read(handle: IO[str]) -> str:
    handle.seek(0)
    return handle.read()


def _parse(text: str) -> Dict[str, Any]:
    try:
        record = json.loads(text)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def _read_holder(handle: IO[str]) -> Dict[str, Any]:
    """The holder's record; it may not be written yet when the holder locked a moment ago."""
    for _ in range(HOLDER_READ_ATTEMPTS):
        record = _parse(_read(handle))
        if record:
            return record
        time.sleep(0.05)
    return {}
