"""Crash soak: SIGKILL the CLI at random moments of extract, normalize and load, rerun it, check every table.

    python benchmarks/soak.py                       # 24 trials, seed 1
    python benchmarks/soak.py --trials 60 --seed 7 --records 400

One long-lived pipeline (one working directory, one DuckDB file) against a local emulator. Each trial changes
the org (updates, new records, deletions to the recycle bin and permanent ones), starts the CLI as a scheduler
would (its own process), kills it with SIGKILL at a seeded random moment of a seeded target step (extract, normalize
or load, recognised from dlt's package folders), sometimes changes the org again and kills the first rerun too,
then reruns the CLI until it exits 0 and compares every table with the emulator: module tables value by value,
child tables per parent, the deletion log and users. Prints one line per trial and a summary; exits 1 if any
trial ended inexact.
"""

import argparse
import itertools
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.soak_mirror import mirror_differences  # noqa: E402
from zoho_emulator import EmulatorConfig, ZohoEmulator  # noqa: E402

MODULES = ["Leads", "Deals", "Quotes", "Accounts"]
STEPS = ("extract", "normalize", "load")
POLL = 0.003
MAX_RERUNS = 5


class Run:
    """One CLI process and the dlt step it is in, read from the pipeline's package folders."""

    def __init__(self, workdir: Path, env: Dict[str, str], emu: ZohoEmulator) -> None:
        self.root = workdir / "dlt" / "pipelines" / "zoho_crm"
        self.loaded_before = self._ids("load/loaded")
        self.calls_before = len(emu.requests)
        self.emu = emu
        self.started = time.monotonic()
        command = [sys.executable, str(REPO / "zoho_crm_pipeline.py"), "--modules", ",".join([*MODULES, "Users"])]
        self.proc = subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.entered: Dict[str, float] = {}

    def step(self) -> str:
        """start, extract, normalize, load or after_load (the package is loaded, the process not yet gone)."""
        if self._ids("load/loaded") - self.loaded_before:
            name = "after_load"
        elif self._ids("load/normalized"):
            name = "load"
        elif self._ids("load/new") or self._ids("normalize/extracted"):
            name = "normalize"
        elif len(self.emu.requests) > self.calls_before:
            name = "extract"
        else:
            name = "start"
        self.entered.setdefault(name, time.monotonic() - self.started)
        return name

    def kill_in(self, target: str, fraction: float, expected: Dict[str, float]) -> Tuple[str, float]:
        """SIGKILL `fraction` of the expected duration into step `target` (at once if the step ends sooner).

        Returns the step the process was in when killed ("exited" if it ended first) and the offset into it."""
        entered: Optional[float] = None
        while self.proc.poll() is None:
            step = self.step()
            if step == target and entered is None:
                entered = time.monotonic()
            past = STEPS.index(target) < (STEPS.index(step) if step in STEPS else 3 if step == "after_load" else -1)
            if entered is not None and (time.monotonic() - entered >= fraction * expected[target] or step != target):
                break
            if past:  # the target step was too short to be seen: kill where the run is
                break
            time.sleep(POLL)
        if self.proc.poll() is not None:
            return "exited", 0.0
        step = self.step()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        return step, time.monotonic() - (entered or time.monotonic())

    def finish(self) -> Tuple[int, str]:
        """Wait for the run to end, noting when it entered each step."""
        while self.proc.poll() is None:
            self.step()
            time.sleep(POLL)
        _, err = self.proc.communicate()
        return self.proc.returncode, err.decode()

    def durations(self) -> Dict[str, float]:
        marks = sorted(self.entered.items(), key=lambda kv: kv[1])
        return {a: tb - ta for (a, ta), (_, tb) in itertools.pairwise(marks) if a in STEPS}

    def _ids(self, sub: str) -> Set[str]:
        try:
            return set(os.listdir(self.root / sub))
        except FileNotFoundError:
            return set()


def change_org(emu: ZohoEmulator, rng: random.Random, scale: int) -> str:
    """Updates, new records and deletions across modules; returns a short description."""
    done: Counter = Counter()
    for module in MODULES:
        live = sorted(emu.record_ids(module))
        touched = rng.sample(live, min(len(live), rng.randint(0, scale)))
        if touched:
            emu.touch(module, ids=touched)
            done["updated"] += len(touched)
        added = rng.randint(0, max(1, scale // 4))
        if added:
            emu.add(module, n=added)
            done["added"] += added
        doomed = rng.sample(sorted(set(live) - set(touched)), min(len(live) - len(touched), rng.randint(0, 3)))
        if doomed:
            emu.delete(module, ids=doomed, permanent=rng.random() < 0.3)
            done["deleted"] += len(doomed)
    emu.advance(1)
    return ", ".join(f"{n} {k}" for k, n in sorted(done.items())) or "nothing"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--records", type=int, default=300, help="records per module at the start")
    parser.add_argument("--changes", type=int, default=60, help="at most this many updates per module and change")
    parser.add_argument(
        "--double-kill-rate", type=float, default=0.3, help="share of trials whose first rerun is killed too"
    )
    opts = parser.parse_args()
    rng = random.Random(opts.seed)
    workdir = Path(tempfile.mkdtemp(prefix="zoho_soak_"))
    # many runs within 10 minutes: lift the 10-refreshes-per-10-minutes throttle the emulator enforces
    config = EmulatorConfig(seed=opts.seed, default_records=opts.records, latency_ms=(2, 12), refresh_limit=100_000)
    emu = ZohoEmulator(config).start()
    # a CLI killed mid-request resets its connection: keep socketserver from printing a traceback per kill
    emu._server.handle_error = lambda request, client_address: None  # type: ignore[union-attr]
    emu.advance(2)
    env = dict(
        os.environ,
        DLT_DATA_DIR=str(workdir / "dlt"),
        RUNTIME__DLTHUB_TELEMETRY="false",
        SOURCES__ZOHO_CRM__CREDENTIALS__CLIENT_ID=emu.client_id,
        SOURCES__ZOHO_CRM__CREDENTIALS__CLIENT_SECRET=emu.client_secret,
        SOURCES__ZOHO_CRM__CREDENTIALS__REFRESH_TOKEN=emu.refresh_token,
        SOURCES__ZOHO_CRM__API_BASE_URL=emu.base_url,
        SOURCES__ZOHO_CRM__ACCOUNTS_URL=emu.base_url,
    )
    os.chdir(workdir)  # the mirror helpers read ./zoho_crm.duckdb
    first = Run(workdir, env, emu)
    code, err = first.finish()
    assert code == 0, err
    print(f"first load: {time.monotonic() - first.started:.1f} s, steps {_fmt(first.durations())}; work dir {workdir}")
    change_org(emu, rng, opts.changes)  # an incremental run like the trials' sets the expected step durations
    calibration = Run(workdir, env, emu)
    code, err = calibration.finish()
    assert code == 0, err
    expected = {step: max(calibration.durations().get(step, 0.05), 0.02) for step in STEPS}
    print(f"incremental run: steps {_fmt(calibration.durations())}")
    kills: Counter = Counter()
    exact = 0
    for trial in range(1, opts.trials + 1):
        changes = change_org(emu, rng, opts.changes)
        target, fraction = STEPS[(trial - 1) % 3], rng.random()
        killed_in, offset = Run(workdir, env, emu).kill_in(target, fraction, expected)
        kills[killed_in] += 1
        notes = [f"changes: {changes}", f"killed in {killed_in} +{offset:.2f} s (aimed at {target} {fraction:.0%})"]
        if rng.random() < 0.5:
            notes.append(f"then changes: {change_org(emu, rng, opts.changes)}")
        if rng.random() < opts.double_kill_rate:
            step, offset = Run(workdir, env, emu).kill_in(rng.choice(STEPS), rng.random(), expected)
            kills[f"rerun {step}"] += 1
            notes.append(f"rerun killed in {step} +{offset:.2f} s")
        codes: List[int] = []
        for _ in range(MAX_RERUNS):
            rerun = Run(workdir, env, emu)
            code, err = rerun.finish()
            codes.append(code)
            if code == 0:
                expected.update({k: max(v, 0.02) for k, v in rerun.durations().items()})
                break
            notes.append(f"rerun failed: {err.strip().splitlines()[-1] if err.strip() else code}")
        problems = mirror_differences(emu, MODULES) if codes[-1] == 0 else ["no successful rerun"]
        exact += not problems
        verdict = "exact" if not problems else "NOT EXACT: " + " | ".join(problems)[:2000]
        print(f"trial {trial:>3}: {'; '.join(notes)}; reruns {codes}; {verdict}", flush=True)
    emu.stop()
    steps = ", ".join(f"{k} {n}" for k, n in sorted(kills.items()))
    print(f"\ntrials {opts.trials}, exact {exact}; kills by step: {steps}")
    if exact < opts.trials:
        print(f"work dir kept for inspection: {workdir}")
        return 1
    os.chdir(REPO)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _fmt(durations: Dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f} s" for k, v in durations.items())


if __name__ == "__main__":
    sys.exit(main())
