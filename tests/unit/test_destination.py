"""The DuckDB destination stays open through the load step (dlt would reopen the file for every load job)."""

from pathlib import Path
from typing import Any, List

import dlt
import pytest
from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob

from zoho_crm.destination import duckdb_file, duckdb_held_open_while_loading


def spy_on_destination_client(pipeline: dlt.Pipeline, events: List[str]) -> None:
    make_client = pipeline.destination_client

    def destination_client(*args: Any, **kwargs: Any) -> Any:
        client = make_client(*args, **kwargs)
        enter, leave = client.__enter__, client.__exit__
        client.__enter__ = lambda: events.append("open") or enter()  # type: ignore[method-assign]
        client.__exit__ = lambda *exc: events.append("close") or leave(*exc)  # type: ignore[method-assign]
        return client

    pipeline.destination_client = destination_client  # type: ignore[method-assign]


def test_every_load_job_runs_while_the_database_is_held_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: List[str] = []
    run_job = DuckDbCopyJob.run
    monkeypatch.setattr(DuckDbCopyJob, "run", lambda job: events.append("job") or run_job(job))
    pipeline = dlt.pipeline(
        "held_open", destination=duckdb_file(str(tmp_path / "held.duckdb")), pipelines_dir=str(tmp_path)
    )
    spy_on_destination_client(pipeline, events)
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
    run_job = DuckDbCopyJob.run
    monkeypatch.setattr(DuckDbCopyJob, "run", lambda job: events.append("job") or run_job(job))
    monkeypatch.setattr("zoho_crm.destination.HOLD_OPEN_MAX_BYTES", 100)  # any parquet file is larger
    pipeline = dlt.pipeline(
        "too_big_to_hold", destination=duckdb_file(str(tmp_path / "big.duckdb")), pipelines_dir=str(tmp_path)
    )
    spy_on_destination_client(pipeline, events)

    with duckdb_held_open_while_loading(pipeline):
        pipeline.run([{"id": i} for i in range(3)], table_name="t", loader_file_format="parquet")

    assert events == ["job"]
    with pipeline.sql_client() as client:
        assert client.execute_sql("SELECT count(*) FROM t")[0][0] == 3
