"""Credits and time of first loads through Bulk Read against REST (issue 8), side by side in one script.

    python benchmarks/bulk_credits.py leads [N]    # N Leads (default 250,000): Bulk Read (defaults) vs REST
    python benchmarks/bulk_credits.py mixed [N]    # N Quotes (line items) + N Leads + 500 Accounts, tables compared

Credits are what the emulator charged (its accounting of Zoho's costs: list, detail, metadata, deleted 1; Bulk Read
job 50). The mixed org is loaded both ways and every table compared row by row (tests/e2e/compare.py).
"""

import sys
import tempfile
from pathlib import Path
from typing import Dict, List

from harness import REPO, RunResult, cli_env, exact, run_cli, start_emulator

from tests.e2e.compare import table_differences


def first_loads(records: Dict[str, int], modules: List[str], tmp: Path) -> Dict[str, RunResult]:
    """Load the same org through Bulk Read (defaults) and through REST only; report credits and time."""
    emu = start_emulator(seed=21, default_records=1, records_per_module=records, bulk_delay=1.0)
    results: Dict[str, RunResult] = {}
    total = sum(records[m] for m in modules)
    for label, source in (("Bulk Read (defaults)", {}), ("REST (bulk_threshold=0)", {"bulk_threshold": 0})):
        work = tmp / label.split()[0]
        result = run_cli(REPO, emu, work, ["--modules", ",".join(modules)], cli_env(emu, work, **source))
        credits = emu.stats()["credits_total"]
        results[label] = result
        verdict = "exact" if exact(emu, work, modules) else "NOT EXACT"
        print(result.line(label, total), verdict)
        print(f"{'':<34} credits {credits} = {credits / total * 1000:.2f} per 1,000 records")
        result.calls["credits"] = credits
    emu.stop()
    return results


def leads(n: int) -> None:
    """N Leads (no subforms): target <= 1 credit per 1,000 records through Bulk Read."""
    with tempfile.TemporaryDirectory() as tmp:
        results = first_loads({"Leads": n}, ["Leads"], Path(tmp))
    bulk, rest = results["Bulk Read (defaults)"], results["REST (bulk_threshold=0)"]
    print(
        f"Bulk Read: {bulk.calls['credits'] / n * 1000:.2f} credits per 1,000 (target <= 1), "
        f"{bulk.calls['credits'] / rest.calls['credits']:.3f} x REST credits, {rest.wall / bulk.wall:.1f}x faster"
    )


def mixed(n: int) -> None:
    """A large module with line items, a large one without, a small one: target <= 0.45 x REST credits."""
    modules = ["Quotes", "Leads", "Accounts"]
    with tempfile.TemporaryDirectory() as tmp:
        results = first_loads({"Quotes": n, "Leads": n, "Accounts": 500}, modules, Path(tmp))
        bulk_db, rest_db = next((Path(tmp) / "Bulk").glob("*.duckdb")), next((Path(tmp) / "REST").glob("*.duckdb"))
        differences = table_differences(str(rest_db), str(bulk_db))
    bulk, rest = results["Bulk Read (defaults)"], results["REST (bulk_threshold=0)"]
    print(f"credits: Bulk Read {bulk.calls['credits']} vs REST {rest.calls['credits']} = "
          f"{bulk.calls['credits'] / rest.calls['credits']:.3f} (target <= 0.45)")
    print("tables identical (every table, row by row)" if not differences else f"DIFFERENCES: {differences[:3]}")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "leads"
    size = int(sys.argv[2]) if len(sys.argv) > 2 else (250_000 if mode == "leads" else 50_000)
    {"leads": leads, "mixed": mixed}[mode](size)
