"""Repo-wide test helpers (plain functions and constants; the fixtures live in conftest.py and use these)."""

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def isolate_dlt(monkeypatch: pytest.MonkeyPatch, workdir: Path) -> None:
    """Give a run its own dlt data dir and working dir (`workdir`), quick retries, no telemetry, no Zoho secrets
    from the environment. Every change goes through `monkeypatch`, so it is undone with it."""
    for key in list(os.environ):
        if key.startswith("SOURCES__ZOHO_CRM"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DLT_DATA_DIR", str(workdir / "dlt_data"))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("RUNTIME__REQUEST_BACKOFF_FACTOR", "0.01")
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_RETRY_DELAY", "0.2")
    monkeypatch.chdir(workdir)
