"""Another process holding the DuckDB file open for writing, as a notebook, DBeaver or the duckdb CLI would."""

import subprocess
import sys
from pathlib import Path

HOLD = "import duckdb, sys; c = duckdb.connect('zoho_crm.duckdb'); print('open', flush=True); sys.stdin.read()"


def hold_duckdb(cwd: Path) -> subprocess.Popen:
    """Start a process that opened `cwd/zoho_crm.duckdb` and keeps it until killed."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"open"
    return holder


def release(holder: subprocess.Popen) -> None:
    """Kill the holder and reap it."""
    holder.kill()
    holder.wait()
