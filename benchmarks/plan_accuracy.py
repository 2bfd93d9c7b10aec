"""`--plan` against the run that follows it (issue 21): what the plan costs, and planned credits beside spent ones.

    python benchmarks/plan_accuracy.py [LEADS] [LATENCY_MS]   # default 30,000 Leads, 40 ms a call

The org: the 17 standard modules of 300 records and LEADS Leads (past the bulk threshold of 10,000: Bulk Read).
Steps, each through the real CLI in a child process against one emulator: `--plan --json` (its credits, and that it
created no DuckDB file), the first load; then 2,500 Leads and 300 Deals are edited and 40 Contacts deleted, and
`--plan --json` and the run again. Reported: the plan's own credits, planned and spent credits and their ratio, the
estimated and measured wall time (an emulated Bulk Read job takes seconds, not Zoho's minute), and the CLI's CPU time
and peak RSS for each run.
"""

import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict

from harness import REPO, cli_env, run_cli, start_emulator

from zoho_emulator import ZohoEmulator


def plan_then_run(emu: ZohoEmulator, work: Path, label: str) -> Dict[str, Any]:
    """`--plan --json`, then the run; prints both and returns the figures."""
    env = cli_env(emu, work)
    planned = run_cli(REPO, emu, work, ["--plan", "--json"], env)
    assert planned.code == 0, planned.stderr
    document = json.loads(planned.stdout)
    plan_credits = emu.stats()["credits_total"]
    created = (work / "zoho_crm.duckdb").exists()
    run = run_cli(REPO, emu, work, [], env)
    assert run.code == 0, run.stderr
    spent = emu.stats()["credits_total"]
    ratio = spent / document["credits"]
    print(planned.line(f"{label}: --plan --json"), f"credits {plan_credits}")
    print(run.line(f"{label}: run"), f"credits {spent}")
    print(
        f"{label}: plan cost {plan_credits} credits (DuckDB file {'exists' if created else 'not created'}); planned "
        f"{document['credits']} credits, spent {spent} (spent/planned {ratio:.3f}); estimated {document['seconds']} s, "
        f"took {run.wall:.1f} s"
    )
    for module in document["modules"]:
        if module["changed"]:
            print(f"    {module['module']:<16} {module['reader']:<4} changed {module['changed']:>6} {module['calls']}")
    return {"plan_credits": plan_credits, "planned": document["credits"], "spent": spent, "ratio": ratio}


def main() -> None:
    leads = int(sys.argv[1]) if len(sys.argv) > 1 else 30_000
    latency = float(sys.argv[2]) if len(sys.argv) > 2 else 40.0
    emu = start_emulator(default_records=300, records_per_module={"Leads": leads}, latency_ms=latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            first = plan_then_run(emu, work, "first load")
            emu.advance(60)
            emu.touch("Leads", n=2500)
            emu.touch("Deals", n=300)
            emu.delete("Contacts", n=40)
            emu.advance(5)
            later = plan_then_run(emu, work, "incremental")
    finally:
        emu.stop()
    worst = max(abs(1 - r["ratio"]) for r in (first, later))
    print(f"worst miss {worst:.1%} (target ≤ 10 %); plan cost ≤ {max(first['plan_credits'], later['plan_credits'])}")


if __name__ == "__main__":
    main()
