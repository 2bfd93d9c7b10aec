"""Throughput benchmarks of issue 7, side by side in one script (the real CLI against the emulator over HTTP).

    python benchmarks/throughput.py modules     # 17 modules x 1,000 records at 100 ms: this commit vs 298d440
    python benchmarks/throughput.py seed        # 10,000 Leads at 50 ms: seed config (10 ids, 1 call) vs defaults
    python benchmarks/throughput.py cpu         # 30,000 Leads at 0 ms: CPU per record, this commit vs 298d440
    python benchmarks/throughput.py memory      # peak RSS per step at 100k and 1M Leads
    python benchmarks/throughput.py faults      # 10 seeded runs under 30% 429 / 10% 500 / 5% dropped
    python benchmarks/throughput.py load        # 17 modules at 0 ms: DuckDB held open while loading vs d0239bb
    python benchmarks/throughput.py all

The baseline is checked out with `git worktree` (see harness.py). Each mode prints one line per run (wall, CPU,
peak RSS per step, calls, peak calls in flight) and the ratios the issue asks for.
"""

import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List

from harness import REPO, RunResult, baseline_checkout, cli_env, exact, run_cli, start_emulator

from zoho_crm.settings import DEFAULT_MODULES


def modules() -> None:
    """17 modules x 1,000 records at 100 ms per call."""
    emu = start_emulator(seed=11, default_records=1000, latency_ms=100)
    results: Dict[str, RunResult] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, checkout in (("298d440", baseline_checkout()), ("this commit", REPO)):
            work = Path(tmp) / label.replace(" ", "_")
            results[label] = run_cli(checkout, emu, work, [], cli_env(emu, work))
            print(results[label].line(label, 17_000))
    base, now = results["298d440"], results["this commit"]
    calls = sum(v for k, v in now.calls.items() if k != "token")
    chain = max(n for n in [5])  # the longest listing chain: 1,000 records = 5 pages of 200
    bound = max(calls * 0.1 / 5, (chain + 2) * 0.1, now.cpu)
    print(f"speed-up: {base.wall / now.wall:.2f}x (target >= 2.5x)")
    print(
        f"bound: max({calls} calls x 0.1 s / 5 = {calls * 0.1 / 5:.1f} s, longest chain {(chain + 2) * 0.1:.1f} s, "
        f"CPU {now.cpu:.1f} s) = {bound:.1f} s; measured {now.wall:.1f} s = {now.wall / bound:.2f}x the bound"
    )
    emu.stop()


def seed() -> None:
    """10,000 Leads at 50 ms: the seed's one call at a time with 10 ids per call, against the defaults."""
    emu = start_emulator(seed=12, default_records=10, records_per_module={"Leads": 10_000}, latency_ms=50)
    results: Dict[str, RunResult] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, source in (
            ("seed (10 ids, max_concurrency 1)", {"ids_per_request": 10, "max_concurrency": 1}),
            ("defaults", {}),
        ):
            work = Path(tmp) / label.split()[0]
            results[label] = run_cli(REPO, emu, work, ["--modules", "Leads"], cli_env(emu, work, **source))
            print(results[label].line(label, 10_000))
    slow, fast = results["seed (10 ids, max_concurrency 1)"], results["defaults"]
    print(f"defaults are {slow.wall / fast.wall:.1f}x faster than the seed configuration (target >= 15x)")
    emu.stop()


def cpu() -> None:
    """30,000 Leads at zero latency: CPU per record, this commit (REST path and defaults) against 298d440."""
    emu = start_emulator(seed=13, default_records=10, records_per_module={"Leads": 30_000}, bulk_delay=0.2)
    runs = (
        ("298d440", baseline_checkout(), {}),
        ("this commit, REST (bulk_threshold=0)", REPO, {"bulk_threshold": 0}),
        ("this commit, defaults (Bulk Read)", REPO, {}),
    )
    results: Dict[str, RunResult] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(2):
            for label, checkout, source in runs:
                work = Path(tmp) / f"{repeat}-{label.split()[0]}-{len(source)}"
                result = run_cli(checkout, emu, work, ["--modules", "Leads"], cli_env(emu, work, **source))
                print(result.line(label, 30_000))
                if label not in results or result.cpu < results[label].cpu:
                    results[label] = result
    base = results["298d440"].cpu
    for label, result in results.items():
        print(f"{label:<40} best CPU {result.cpu:6.1f} s = {result.cpu / base:.2f} x 298d440 (target <= 0.5)")
    emu.stop()


def memory(sizes: List[int]) -> None:
    """Peak RSS per step for growing Leads counts, through the default path (Bulk Read) and REST."""
    results: Dict[str, RunResult] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            emu = start_emulator(seed=14, default_records=1, records_per_module={"Leads": n}, bulk_delay=0.2)
            for label, source in (("defaults", {}), ("REST", {"bulk_threshold": 0})):
                work = Path(tmp) / f"{n}-{label}"
                result = run_cli(REPO, emu, work, ["--modules", "Leads"], cli_env(emu, work, **source))
                results[f"{n} {label}"] = result
                verdict = "exact" if exact(emu, work, ["Leads"]) else "NOT EXACT"
                print(result.line(f"{n:>9,} Leads, {label}", n), verdict)
            emu.stop()
    for label in ("defaults", "REST"):
        small, large = results[f"{sizes[0]} {label}"], results[f"{sizes[-1]} {label}"]
        print(
            f"{label}: RSS({sizes[-1]:,}) / RSS({sizes[0]:,}) = {large.peak_rss_mb / small.peak_rss_mb:.2f} "
            f"(target <= 1.5), largest {large.peak_rss_mb:.0f} MB (target < 1024)"
        )


def faults(runs: int = 10) -> None:
    """Seeded runs under 30% 429, 10% 500 and 5% dropped connections: how many end exact in one run."""
    with tempfile.TemporaryDirectory() as tmp:
        for label, checkout in (("298d440", baseline_checkout()), ("this commit", REPO)):
            ok = 0
            for seed in range(1, runs + 1):
                emu = start_emulator(
                    seed=seed, default_records=100, rate_429=0.3, rate_500=0.1, rate_drop=0.05, fault_seed=seed
                )
                work = Path(tmp) / f"{label.split()[0]}-{seed}"
                result = run_cli(checkout, emu, work, [], cli_env(emu, work))
                good = result.code == 0 and exact(emu, work, list(DEFAULT_MODULES))
                ok += good
                print(result.line(f"{label} seed {seed}"), "exact" if good else result.stderr.strip()[-160:])
                emu.stop()
            print(f"{label}: {ok}/{runs} runs ended exact in one run")


def load(repeats: int = 2) -> None:
    """17 modules x 1,000 records at 0 ms: the load step with DuckDB held open against d0239bb (reopened per job)."""
    emu = start_emulator(seed=11, default_records=1000)
    results: Dict[str, RunResult] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(repeats):
            for label, checkout in (("d0239bb", baseline_checkout("d0239bb")), ("this commit", REPO)):
                work = Path(tmp) / f"{repeat}-{label.split()[0]}"
                result = run_cli(checkout, emu, work, [], cli_env(emu, work))
                print(result.line(label, 17_000))
                if label not in results or result.cpu < results[label].cpu:
                    results[label] = result
    base, now = results["d0239bb"], results["this commit"]
    print(
        f"best of {repeats}: load step {base.step_seconds['load']:.1f} s -> {now.step_seconds['load']:.1f} s "
        f"({now.step_seconds['load'] / base.step_seconds['load']:.2f}x), CPU {base.cpu:.1f} s -> {now.cpu:.1f} s "
        f"({now.cpu / base.cpu:.2f}x), peak RSS {base.peak_rss_mb:.0f} MB -> {now.peak_rss_mb:.0f} MB"
    )
    emu.stop()


def main(argv: List[str]) -> None:
    """Run the named benchmarks."""
    modes: Dict[str, Any] = {
        "modules": modules,
        "seed": seed,
        "cpu": cpu,
        "memory": lambda: memory([100_000, 1_000_000]),
        "faults": faults,
        "load": load,
    }
    for mode in (list(modes) if argv[:1] == ["all"] else argv) or ["modules"]:
        print(f"== {mode}")
        modes[mode]()


if __name__ == "__main__":
    main(sys.argv[1:])
