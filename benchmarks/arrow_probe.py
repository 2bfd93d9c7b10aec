"""Would Arrow tables built by the source halve the CPU per record? A probe, not the pipeline.

    python benchmarks/arrow_probe.py 30000 [batch]

The same N emulator Leads (full detail records, nulls dropped as the source does) go into DuckDB through dlt twice,
in one process each (run as two child processes): as dicts, which dlt writes to JSONL and normalizes row by row,
and as pyarrow tables flattened in Python the way dlt's relational normalizer would (lookups to `a__b` columns,
arrays of objects to child tables, arrays of scalars to JSON), which dlt writes to Parquet at extract and does not
normalize. The Arrow side is a lower bound on the work a real Arrow path needs: it parses no timestamps, types no
column from field metadata and builds no `_dlt_id` linkage between parent and child rows.
"""

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def records(n: int) -> List[Dict[str, Any]]:
    """N Leads as the emulator renders them for `?ids=` calls, nulls dropped."""
    from zoho_crm.records.schema import drop_nulls
    from zoho_emulator import EmulatorConfig, ZohoEmulator

    emu = ZohoEmulator(EmulatorConfig(seed=13, default_records=1, records_per_module={"Leads": n}))
    mdef = emu.store.module("Leads").mdef
    return [drop_nulls(emu.records_api.render(mdef, it, None, False)) for it in emu.store.live("Leads")]


def flatten(rows: List[Dict[str, Any]]) -> Tuple[Dict[str, List[Any]], Dict[str, List[Tuple[int, int, Any]]]]:
    """Columns of `rows` (nested objects as `a__b`) and the rows of their arrays of objects, by field."""
    import orjson

    columns: Dict[str, List[Any]] = {}
    children: Dict[str, List[Tuple[int, int, Any]]] = {}
    for i, row in enumerate(rows):
        for key, value in row.items():
            if type(value) is dict:
                for sub, v in value.items():
                    if type(v) not in (dict, list):
                        columns.setdefault(f"{key}__{sub}".lower(), [None] * len(rows))[i] = v
            elif type(value) is list:
                if value and type(value[0]) is dict:
                    children.setdefault(key.lower(), []).extend((i, j, e) for j, e in enumerate(value))
                else:
                    columns.setdefault(key.lower(), [None] * len(rows))[i] = orjson.dumps(value).decode()
            else:
                columns.setdefault(key.lower(), [None] * len(rows))[i] = value
    return columns, children


def arrow_tables(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The root table and one child table per array-of-objects field, as pyarrow tables."""
    import pyarrow as pa

    columns, children = flatten(rows)
    tables = {"zoho_crm_leads": pa.table({k: pa.array(v) for k, v in columns.items()})}
    for name, items in children.items():
        child_columns, _ = flatten([e for _, _, e in items])
        child_columns["_parent_idx"] = [i for i, _, _ in items]
        child_columns["_dlt_list_idx"] = [j for _, j, _ in items]
        tables[f"zoho_crm_leads__{name}"] = pa.table({k: pa.array(v) for k, v in child_columns.items()})
    return tables


def load(mode: str, n: int, batch: int, work: str) -> None:
    """Child process: load N records as `mode` (dicts or arrow) and print CPU seconds per step."""
    import dlt
    import orjson

    data = records(n)
    os.environ["DATA_WRITER__DISABLE_COMPRESSION"] = "true"
    pipeline = dlt.pipeline("probe", destination=dlt.destinations.duckdb(f"{work}/probe.duckdb"), pipelines_dir=work)

    def items() -> Any:
        for start in range(0, n, batch):
            chunk = orjson.loads(orjson.dumps(data[start : start + batch]))  # a fresh parse, as from an answer
            if mode == "dicts":
                yield chunk
            else:
                for name, table in arrow_tables(chunk).items():
                    yield dlt.mark.with_table_name(table, name)

    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu0, wall0 = usage.ru_utime + usage.ru_stime, time.time()
    pipeline.run(
        dlt.resource(items(), name="zoho_crm_leads", write_disposition="merge", primary_key="id"),
        loader_file_format="parquet",
    )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    steps = ", ".join(
        f"{s.step} {(s.finished_at - s.started_at).total_seconds():.1f}s" for s in pipeline.last_trace.steps
    )
    cpu = usage.ru_utime + usage.ru_stime - cpu0
    print(f"{mode:<6} CPU {cpu:5.2f} s  wall {time.time() - wall0:5.2f} s  [{steps}]")


def main(argv: List[str]) -> None:
    """Run both modes side by side in child processes."""
    if argv and argv[0] == "--child":
        load(argv[1], int(argv[2]), int(argv[3]), argv[4])
        return
    n = int(argv[0]) if argv else 30_000
    batch = int(argv[1]) if len(argv) > 1 else 100
    for mode in ("dicts", "arrow"):
        work = tempfile.mkdtemp()
        try:
            env = {**os.environ, "RUNTIME__LOG_LEVEL": "ERROR"}
            subprocess.run([sys.executable, __file__, "--child", mode, str(n), str(batch), work], check=True, env=env)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
