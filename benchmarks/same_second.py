"""Benchmark: N records sharing one Modified_Time (a mass update) load completely, in linear time.

Runs the real pipeline over HTTP against the local emulator, for several N:
  1. a first full load of N Leads,
  2. a mass update that gives all N the same Modified_Time, then an incremental run (the measured one),
  3. a run with no changes (must fetch no details).
Prints seconds, API calls and dlt's boundary-dedup state size per N.

    python benchmarks/same_second.py            # N = 2500, 5000, 10000
    python benchmarks/same_second.py 20000
"""

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dlt

from zoho_crm import RunLedger, zoho_crm_source
from zoho_emulator import EmulatorConfig, ZohoEmulator


def run_once(emu: ZohoEmulator, pipeline: dlt.Pipeline) -> Dict[str, float]:
    """One pipeline run; returns elapsed seconds and API calls by kind."""
    ledger = RunLedger()
    started = time.perf_counter()
    source = zoho_crm_source(
        credentials={
            "client_id": emu.client_id,
            "client_secret": emu.client_secret,
            "refresh_token": emu.refresh_token,
        },
        api_base_url=emu.base_url,
        accounts_url=emu.base_url,
        modules=["Leads"],
        bulk_threshold=0,  # the REST path: this measures the incremental listing's same-second handling
        ledger=ledger,
    )
    pipeline.run(source, loader_file_format="parquet")
    elapsed = time.perf_counter() - started
    calls = ledger.calls_by_kind()
    return {"seconds": elapsed, **{k: float(v) for k, v in calls.items() if v}}


def bench(n: int, workdir: Path) -> List[str]:
    """Measure the three runs for n records."""
    os.environ["DLT_DATA_DIR"] = str(workdir / f"data_{n}")
    lines = []
    with ZohoEmulator(EmulatorConfig(seed=3, default_records=1, records_per_module={"Leads": n})) as emu:
        pipeline = dlt.pipeline(
            f"bench_{n}", destination=dlt.destinations.duckdb(str(workdir / f"b{n}.duckdb")), dataset_name="z"
        )
        first = run_once(emu, pipeline)
        emu.advance(5)
        emu.mass_update("Leads", n=n)
        emu.advance(2)
        same = run_once(emu, pipeline)
        idle = run_once(emu, pipeline)
        state = pipeline.state["sources"]["zoho_crm"]["resources"]["zoho_crm_leads_ids"]["incremental"]
        hashes = len(state["Modified_Time"]["unique_hashes"])
        with pipeline.sql_client() as client:
            rows = client.execute_sql("SELECT count(*) FROM zoho_crm_leads")[0][0]
        assert rows == n, f"expected {n} rows, got {rows}"
    for label, r in (("first load", first), ("same-second", same), ("no change", idle)):
        calls = ", ".join(f"{k} {int(v)}" for k, v in sorted(r.items()) if k != "seconds")
        lines.append(
            f"N={n:>6} {label:<12} {r['seconds']:6.2f} s  {r['seconds'] / n * 1e6:7.1f} us/rec  calls: {calls}"
        )
    lines.append(f"N={n:>6} boundary dedup hashes kept in state: {hashes}")
    return lines


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [2500, 5000, 10000]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
        for size in sizes:
            for line in bench(size, Path(tmp)):
                print(line, flush=True)
