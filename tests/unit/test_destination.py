"""The DuckDB destination stays open through the load step (dlt would reopen the file for every load job)."""

from pathlib import Path
from typing import Any, List

import dlt
import pytest
from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob

from zoho_crm.destination.duckdb import duckdb_held_open_while_loading
from zoho_crm.destination.resolve import duckdb_file


class SpiedClient:
    """A destination client that logs when it is opened and closed."""

    def __init__(self, client: Any, events: List[str]) -> None:
        self.client, self.events = client, events

    def __enter__(self) -> Any:
        self.events.append("open")
        return self.client.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self.events.append("close")
        self.client.__exit__(*exc)


def spied_pipeline(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: List[str]) -> dlt.Pipeline:
    """A DuckDB pipeline whose load jobs and held-open destination clients are logged in `events`."""
    run_job = DuckDbCopyJob.run
    monkeypatch.setattr(DuckDbCopyJob, "run", lambda job: events.append("job") or run_job(job))
    pipeline = dlt.pipeline(
        name, destination=duckdb_file(str(tmp_path / f"{name}.duckdb")), pipelines_dir=str(tmp_path)
    )
    make_client = pipeline.destination_client
    pipeline.destination_client = lambda *a, **k: SpiedClient(make_client(*a, **k), events)  # type: ignore[method-assign]
    return pipeline


def test_every_load_job_runs_while_the_database_is_held_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: List[str] = []
    pipeline = spied_pipeline("held_open", tmp_path, monkeypatch, events)
    rows = {f"t{n}": [{"id": i, "n": n} for i in range(3)] for n in range(4)}

    with duckdb_held_open_while_loading(pipeline):
        for table, data in rows.items():
            pipeline.run(data, table_name=table, loader_file_format="parquet")

    assert events.count("job") == 4
    # one hold per load step, around all of its jobs
    assert events == ["open", "job", "close"] * 4
    with pipeline.sql_client() as client:
        assert client.execute_sql("SELECT count(*) FROM t3")[0][0] == 3
    assert "load" not in vars(pipeline)  # the pipeline's own load() is back


def test_other_destinations_load_as_dlt_does(tmp_path: Path) -> None:
    pipeline = dlt.pipeline(
        "filesystem_load",
        destination=dlt.destinations.filesystem(str(tmp_path / "files")),
        pipelines_dir=str(tmp_path),
    )
    with duckdb_held_open_while_loading(pipeline):
        assert "load" not in vars(pipeline)
        pipeline.run([{"id": 1}], table_name="t")
    assert list((tmp_path / "files").rglob("t/*"))


def test_a_load_larger_than_the_hold_limit_reopens_the_database_per_job_as_dlt_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: List[str] = []
    monkeypatch.setattr("zoho_crm.destination.duckdb.HOLD_OPEN_MAX_BYTES", 100)  # any parquet file is larger
    pipeline = spied_pipeline("too_big_to_hold", tmp_path, monkeypatch, events)

    with duckdb_held_open_while_loading(pipeline):
        pipeline.run([{"id": i} for i in range(3)], table_name="t", loader_file_format="parquet")

    assert events == ["job"]
    with pipeline.sql_client() as client:
        assert client.execute_sql("SELECT count(*) FROM t")[0][0] == 3
