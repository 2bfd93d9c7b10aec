"""Shared test settings: isolated dlt working dirs, fast HTTP retries, no telemetry."""

from pathlib import Path
from typing import Iterator

import pytest

from tests.helpers import isolate_dlt


@pytest.fixture(autouse=True)
def isolated_dlt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own dlt data dir and working dir; retries are quick; no secrets leak via env."""
    isolate_dlt(monkeypatch, tmp_path)
    yield tmp_path
