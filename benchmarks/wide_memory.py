"""Issue 23: peak RSS per step on wide records (long Descriptions) against narrow ones, REST and Bulk Read.

    python benchmarks/wide_memory.py memory [100000 200000 1000000]   # peak RSS per step, wide and narrow, both readers
    python benchmarks/wide_memory.py wide|narrow [sizes]             # one shape only (run the two side by side)
    python benchmarks/wide_memory.py speed [200000] [repeats]        # load step wall/CPU: this commit vs the baseline
    python benchmarks/wide_memory.py all

Wide Leads are the emulator's `wide_modules=("Leads",)`: every tenth lead carries a 5,000-character multi-line
Description (`zoho_emulator/wide.py`); narrow Leads are the emulator's defaults. Each run is one `--modules Leads`
first load by the CLI in a child process (`harness.run_cli`), REST with `bulk_threshold = 0`, Bulk Read with the
defaults. `speed` alternates the baseline commit and this one, each against the same emulator, so both see the same
machine load.
"""

import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import REPO, RunResult, baseline_checkout, cli_env, run_cli, start_emulator

BASELINE = "1a9b877"  # main before issue 23
SHAPES: Dict[str, Dict[str, object]] = {"wide": {"wide_modules": ("Leads",)}, "narrow": {}}
READERS: Dict[str, Dict[str, object]] = {"REST": {"bulk_threshold": 0}, "Bulk Read": {}}


def one_run(checkout: Path, leads: int, shape: str, reader: str) -> RunResult:
    """One first load of `leads` Leads of `shape` through `reader`, measured."""
    emu = start_emulator(
        records_per_module={"Leads": leads},
        default_records=0,
        bulk_delay=0.2,
        **SHAPES[shape],  # type: ignore[arg-type]
    )
    try:
        with tempfile.TemporaryDirectory(prefix="wide-memory-") as tmp:
            work = Path(tmp)
            return run_cli(checkout, emu, work, ["--modules", "Leads"], cli_env(emu, work, **READERS[reader]))
    finally:
        emu.stop()


def row(label: str, r: RunResult) -> str:
    """One table row: peak RSS of the run and of each step, with the step's wall and CPU seconds."""
    steps = " | ".join(
        f"{r.step_rss_mb.get(s, 0):.0f} MB ({r.step_seconds.get(s, 0):.1f} s, {r.step_cpu.get(s, 0):.1f} s CPU)"
        for s in ("extract", "normalize", "load")
    )
    return f"| {label} | rc={r.code} | **{r.peak_rss_mb:.0f} MB** | {steps} | {r.wall:.0f} s / {r.cpu:.0f} s CPU |"


def memory(sizes: List[int], shapes: Tuple[str, ...] = tuple(SHAPES)) -> None:
    """Peak RSS per step for every size, shape and reader; wide first."""
    print("| run | exit | peak RSS | extract | normalize | load | whole run wall / CPU |")
    print("|---|---|---|---|---|---|---|")
    peaks: Dict[Tuple[str, str], Dict[int, float]] = {}
    for shape in shapes:
        for reader in READERS:
            for leads in sizes:
                r = one_run(REPO, leads, shape, reader)
                peaks.setdefault((shape, reader), {})[leads] = r.peak_rss_mb
                print(row(f"{shape} {reader} {leads:,}", r), flush=True)
                if r.code:
                    print(r.stderr[-2000:], flush=True)
    for (shape, reader), by_size in peaks.items():
        if len(by_size) > 1:
            small, large = min(by_size), max(by_size)
            print(f"{shape} {reader}: RSS({large:,}) / RSS({small:,}) = {by_size[large] / by_size[small]:.2f}")


def speed(leads: int = 200_000, repeats: int = 2) -> None:
    """Load step wall and CPU for wide REST Leads, the baseline commit and this one alternating; best of each."""
    checkouts = {BASELINE: baseline_checkout(BASELINE), "this commit": REPO}
    best: Dict[str, RunResult] = {}
    for attempt in range(repeats):
        for label, checkout in checkouts.items():
            r = one_run(checkout, leads, "wide", "REST")
            print(row(f"{label} (run {attempt + 1}) wide REST {leads:,}", r), flush=True)
            if label not in best or r.step_cpu.get("load", 0) < best[label].step_cpu.get("load", 0):
                best[label] = r
    base, this = best[BASELINE], best["this commit"]
    for what, b, t in (
        ("wall", base.step_seconds.get("load", 0.0), this.step_seconds.get("load", 0.0)),
        ("CPU", base.step_cpu.get("load", 0.0), this.step_cpu.get("load", 0.0)),
    ):
        print(f"load step {what}: {BASELINE} {b:.1f} s, this commit {t:.1f} s = {t / b if b else float('nan'):.2f}x")
    print(f"peak RSS: {BASELINE} {base.peak_rss_mb:.0f} MB, this commit {this.peak_rss_mb:.0f} MB")


def main(argv: List[str]) -> None:
    """Run the benchmark named in `argv` (see the module docstring)."""
    what = argv[0] if argv else "all"
    numbers = [int(a) for a in argv[1:]]
    if what == "memory":
        memory(numbers or [100_000, 200_000, 1_000_000])
    elif what in SHAPES:
        memory(numbers or [100_000, 200_000, 1_000_000], (what,))
    elif what == "speed":
        speed(*numbers)
    elif what == "all":
        speed()
        memory([100_000, 200_000, 1_000_000])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
