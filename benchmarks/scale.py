"""Benchmark: one module past Zoho's 100,000-records-per-page-token-chain cap, loaded exactly once.

    python benchmarks/scale.py            # 120,000 Leads
    python benchmarks/scale.py 250000

The emulator keeps Zoho's documented caps (2,000 records by page number, 100,000 per page_token chain), so the
pipeline must restart its listing from the last Modified_Time to get past 100,000. Prints time, API calls,
peak RSS, and checks that the table holds exactly the emulator's ids.
"""

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dlt

from zoho_crm import RunLedger, zoho_crm_source
from zoho_emulator import EmulatorConfig, ZohoEmulator


def main(n: int) -> None:
    """Load n Leads and report."""
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DLT_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
        with ZohoEmulator(EmulatorConfig(seed=5, default_records=1, records_per_module={"Leads": n})) as emu:
            emu.advance(2)
            creds = {"client_id": emu.client_id, "client_secret": emu.client_secret, "refresh_token": emu.refresh_token}
            ledger = RunLedger()
            source = zoho_crm_source(
                credentials=creds,
                api_base_url=emu.base_url,
                accounts_url=emu.base_url,
                modules=["Leads"],
                bulk_threshold=0,  # the REST path past the 100,000-record page-token cap
                ledger=ledger,
            )
            pipeline = dlt.pipeline("scale", destination=dlt.destinations.duckdb(f"{tmp}/s.duckdb"), dataset_name="z")
            started = time.perf_counter()
            pipeline.run(source, loader_file_format="parquet")
            elapsed = time.perf_counter() - started
            with pipeline.sql_client() as client:
                ids = {row[0] for row in client.execute_sql("SELECT id FROM zoho_crm_leads")}
            assert ids == emu.record_ids("Leads"), f"{len(ids)} rows vs {emu.count('Leads')} records"
            errors = [r for r in emu.requests if r["status"] >= 400]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    calls = ", ".join(f"{k} {v}" for k, v in sorted(ledger.calls_by_kind().items()))
    print(f"N={n}: {elapsed:.1f} s ({elapsed / n * 1e6:.0f} us/record), exact ids, calls: {calls}")
    print(f"chain restarts (400 answers from Zoho): {len(errors)}, peak RSS (pipeline + emulator): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 120_000)
