"""Shared benchmark harness: an emulator in this process, the real CLI in a child process, measured from outside.

For each CLI run: wall time, CPU time (user + system of the CLI process and its children, from `wait4`), peak RSS
(`ru_maxrss`), peak RSS per dlt step (RSS sampled every 50 ms, split by the step times of the pipeline's trace),
API calls by kind and the peak number of calls in flight seen by the emulator.
"""

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import dlt  # noqa: E402

from zoho_emulator import EmulatorConfig, ZohoEmulator  # noqa: E402

BASELINE_COMMIT = "298d440"


@dataclass
class RunResult:
    """What one CLI run cost."""

    code: int
    wall: float
    cpu: float
    peak_rss_mb: float
    calls: Dict[str, int]
    peak_concurrency: int
    emulator_cpu: float = 0.0
    step_rss_mb: Dict[str, float] = field(default_factory=dict)
    step_seconds: Dict[str, float] = field(default_factory=dict)
    step_cpu: Dict[str, float] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""

    def line(self, label: str, records: Optional[int] = None) -> str:
        """One line of the report."""
        per = f", {self.cpu / records * 1e6:.0f} us CPU/record" if records else ""
        steps = " ".join(f"{k} {self.step_seconds.get(k, 0):.1f}s/{v:.0f}MB" for k, v in self.step_rss_mb.items())
        calls = ", ".join(f"{k} {v}" for k, v in sorted(self.calls.items()) if k != "token")
        return (
            f"{label:<34} rc={self.code} wall {self.wall:6.1f} s  cpu {self.cpu:6.1f} s{per}  peak RSS "
            f"{self.peak_rss_mb:5.0f} MB [{steps}]  in flight max {self.peak_concurrency}  emulator cpu "
            f"{self.emulator_cpu:.1f} s  calls: {calls}"
        )


def baseline_checkout(commit: str = BASELINE_COMMIT) -> Path:
    """A `git worktree` of the baseline commit (created once, reused)."""
    path = Path(tempfile.gettempdir()) / f"zoho-crm-dlt-baseline-{commit}"
    if not (path / "zoho_crm_pipeline.py").exists():
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(path), commit], check=True)
    return path


def start_emulator(**settings: Any) -> ZohoEmulator:
    """An emulator in this process (its CPU is not the pipeline's)."""
    emu = ZohoEmulator(EmulatorConfig(**settings)).start()
    emu.advance(2)
    return emu


def cli_env(emu: ZohoEmulator, work: Path, **source: Any) -> Dict[str, str]:
    """Environment of a CLI run against `emu` (the documented config contract)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__", "DATA_WRITER__"))}
    env.update(
        {
            "SOURCES__ZOHO_CRM__CREDENTIALS__CLIENT_ID": emu.client_id,
            "SOURCES__ZOHO_CRM__CREDENTIALS__CLIENT_SECRET": emu.client_secret,
            "SOURCES__ZOHO_CRM__CREDENTIALS__REFRESH_TOKEN": emu.refresh_token,
            "SOURCES__ZOHO_CRM__API_BASE_URL": emu.base_url,
            "SOURCES__ZOHO_CRM__ACCOUNTS_URL": emu.base_url,
            "DLT_DATA_DIR": str(work / "dlt"),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
        }
    )
    env.update({f"SOURCES__ZOHO_CRM__{k.upper()}": str(v) for k, v in source.items()})
    return env


def run_cli(checkout: Path, emu: ZohoEmulator, work: Path, args: List[str], env: Dict[str, str]) -> RunResult:
    """Run `checkout`'s CLI in `work` and measure it."""
    work.mkdir(parents=True, exist_ok=True)
    emu.reset_stats()
    samples: List[Tuple[float, float]] = []
    cpu_samples: List[Tuple[float, float]] = []  # (time, CPU seconds of the CLI so far): CPU per step
    high_water = 0.0  # the CLI's VmHWM: its own peak since exec (ru_maxrss would count the benchmark's pages too)
    started, own_cpu = time.time(), time.process_time()
    proc = subprocess.Popen(
        [sys.executable, str(checkout / "zoho_crm_pipeline.py"), *args],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    output: Dict[str, List[str]] = {"out": [], "err": []}
    readers = [
        threading.Thread(target=lambda: output["out"].append(proc.stdout.read())),  # type: ignore[union-attr]
        threading.Thread(target=lambda: output["err"].append(proc.stderr.read())),  # type: ignore[union-attr]
    ]
    for reader in readers:
        reader.start()
    while True:  # wait4 gives the child's own CPU time and peak RSS
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        rss = _rss_mb(proc.pid)
        if rss:
            samples.append((time.time(), rss))
        cpu_so_far = _cpu_seconds(proc.pid)
        if cpu_so_far:
            cpu_samples.append((time.time(), cpu_so_far))
        high_water = max(high_water, _status_mb(proc.pid, "VmHWM"))
        time.sleep(0.05)
    for reader in readers:
        reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.time() - started
    steps = _step_times(Path(env["DLT_DATA_DIR"]))
    step_rss = {
        name: max((rss for t, rss in samples if begin <= t <= end), default=0.0) for name, (begin, end) in steps.items()
    }
    step_cpu = {name: _cpu_between(cpu_samples, begin, end) for name, (begin, end) in steps.items()}
    stats = emu.stats()
    return RunResult(
        proc.returncode,
        wall,
        usage.ru_utime + usage.ru_stime,
        max(high_water, max((rss for _, rss in samples), default=0.0)) or usage.ru_maxrss / 1024,
        dict(stats["calls"]),
        int(stats["peak_concurrency"]),
        time.process_time() - own_cpu,
        step_rss,
        {name: end - begin for name, (begin, end) in steps.items()},
        step_cpu,
        "".join(output["out"]),
        "".join(output["err"]),
    )


def _rss_mb(pid: int) -> float:
    """RSS of a process and its descendants (dlt may normalize in subprocesses), in MB."""
    return sum(_status_mb(p, "VmRSS") for p in [pid, *_descendants(pid)])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _cpu_between(samples: List[Tuple[float, float]], begin: float, end: float) -> float:
    """CPU seconds spent between two instants, from (time, CPU so far) samples taken every 50 ms."""
    inside = [cpu for t, cpu in samples if t <= end]
    before = [cpu for t, cpu in samples if t <= begin]
    if not inside:
        return 0.0
    after = next((cpu for t, cpu in samples if t > end), inside[-1])  # the step ended between two samples
    return max(0.0, after - (before[-1] if before else 0.0))


def _status_mb(pid: int, key: str) -> float:
    """A `/proc/<pid>/status` memory figure in MB (0 once the process is gone).

    `ru_maxrss` of `wait4` is not used for the CLI's peak: a child forked from a large benchmark process (one that
    rendered 250,000 records to compare them) counts the parent's pages until it execs.
    """
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _descendants(pid: int) -> List[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        return []
    return children + [d for c in children for d in _descendants(c)]


def _step_times(dlt_dir: Path) -> Dict[str, Tuple[float, float]]:
    """(start, end) epoch seconds of extract, normalize and load from the pipeline's last trace."""
    try:
        pipeline = dlt.attach("zoho_crm", pipelines_dir=str(dlt_dir / "pipelines"))
        trace = pipeline.last_trace
    except Exception:
        return {}
    out: Dict[str, Tuple[float, float]] = {}
    for step in trace.steps if trace else []:
        if step.step in ("extract", "normalize", "load") and step.finished_at:
            out[step.step] = (step.started_at.timestamp(), step.finished_at.timestamp())
    return out


def exact(emu: ZohoEmulator, work: Path, modules: List[str]) -> bool:
    """True when every module table holds exactly the emulator's records (ids and Modified_Time)."""
    import duckdb

    db = next(work.glob("*.duckdb"))
    with duckdb.connect(str(db), read_only=True) as con:
        for module in modules:
            rows = con.execute(f"SELECT id, modified_time FROM zoho_crm_data.zoho_crm_{module.lower()}").fetchall()
            got = {r[0]: r[1].timestamp() for r in rows}
            want = {r["id"]: _epoch(r["Modified_Time"]) for r in emu.records(module)}
            if got != want or len(rows) != len(got):
                return False
    return True


def _epoch(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value).timestamp()
