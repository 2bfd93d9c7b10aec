"""What a reconciliation costs (issue 20), side by side with a plain incremental run of the same mirror and org.

    python benchmarks/reconcile.py org          # Deals 400, Accounts 150, Leads 600, Contacts 200 and their drift
    python benchmarks/reconcile.py leads [N]    # N Leads (default 250,000), first loaded through Bulk Read, whose
                                                # deletion entries aged out: the reconciliation reads one Bulk Read job

After the first load and the drift, the working directory (dlt state and DuckDB file) is copied, and the real CLI
runs once plainly (`reconcile_every_hours` 24: the first load counts as a reconciliation) and once reconciling
(`reconcile_every_hours = 0`) on the two copies, against the same emulator. Reported per run: credits the emulator
charged, wall time, CPU time and peak RSS of the CLI process (and per dlt step), and whether every table equals
Zoho's, value by value.
"""

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Callable, Dict, List

from harness import REPO, cli_env, run_cli, start_emulator

from tests.e2e.mirror import assert_table_mirrors
from zoho_crm import table_name
from zoho_emulator import ZohoEmulator


def equal(emu: ZohoEmulator, work: Path, modules: List[str]) -> List[str]:
    """Modules whose table differs from Zoho's records (value by value; `$` keys aside)."""
    wrong = []
    for module in modules:
        try:
            assert_table_mirrors(emu.records(module), table_name(module), False, str(work / "zoho_crm.duckdb"))
        except AssertionError:
            wrong.append(module)
    return wrong


def side_by_side(
    emu: ZohoEmulator, modules: List[str], tmp: Path, drift: Callable[[ZohoEmulator], None], **source: object
) -> Dict[str, int]:
    """First load, drift, then a plain and a reconciling run from copies of the same state; credits by run."""
    args = ["--modules", ",".join(modules)]
    base = tmp / "base"
    first = run_cli(REPO, emu, base, args, cli_env(emu, base, **source))
    print(first.line("first load"), f"credits {emu.stats()['credits_total']}")
    drift(emu)
    credits: Dict[str, int] = {}
    for label, every in (("plain incremental run", "24"), ("reconciling run", "0")):
        work = tmp / label.split()[0]
        shutil.copytree(base, work)
        result = run_cli(REPO, emu, work, args, cli_env(emu, work, reconcile_every_hours=every, **source))
        credits[label] = emu.stats()["credits_total"]
        wrong = equal(emu, work, modules)
        print(result.line(label), f"credits {credits[label]}", "exact" if not wrong else f"NOT EXACT: {wrong}")
        for line in result.stdout.splitlines():
            if line.startswith("Reconciled"):
                print(f"{'':<34} {line}")
    print(f"reconciliation: +{credits['reconciling run'] - credits['plain incremental run']} credits")
    return credits


def org_drift(restored: List[str]) -> Callable[[ZohoEmulator], None]:
    """The issue's drift: 60 formula and 30 rollup recalculations, 5 renamed accounts, 12 ghosts, 6 restores."""

    def drift(emu: ZohoEmulator) -> None:
        emu.recalculate_formulas("Leads", 30)
        emu.recalculate_formulas("Deals", 30)
        emu.recalculate_rollups("Accounts", 30)
        emu.rename("Accounts", 5)
        ghosts = emu.delete("Leads", 12)
        emu.empty_recycle_bin("Leads", ghosts)
        emu.restore("Contacts", restored)
        emu.advance(2)

    return drift


def org() -> None:
    sizes = {"Deals": 400, "Accounts": 150, "Leads": 600, "Contacts": 200}
    emu = start_emulator(seed=11, default_records=5, records_per_module=sizes, restore_bumps_modified_time=False)
    in_bin = emu.delete("Contacts", 6)  # in the recycle bin at the first load; restored later, with their old times
    emu.advance(2)
    with tempfile.TemporaryDirectory() as tmp:
        side_by_side(emu, list(sizes), Path(tmp), org_drift(in_bin))
    emu.stop()


def leads(n: int) -> None:
    emu = start_emulator(seed=5, default_records=1, records_per_module={"Leads": n}, bulk_delay=1.0)

    def ghosts(emu: ZohoEmulator) -> None:
        emu.delete("Leads", n // 200, permanent=True)
        emu.advance(125 * 86400)  # past the 120 days /deleted lists permanent deletions

    with tempfile.TemporaryDirectory() as tmp:
        side_by_side(emu, ["Leads"], Path(tmp), ghosts)
    emu.stop()


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "org"
    if what == "org":
        org()
    else:
        leads(int(sys.argv[2]) if len(sys.argv) > 2 else 250_000)
