"""The summary the CLI prints after a run: rows per table, deletions, API calls and credits, retries, time."""

from typing import List

import dlt

from .mirror import MirrorResult


def summary_lines(pipeline: dlt.Pipeline, result: MirrorResult) -> List[str]:
    """Rows loaded (and records deleted) per table, API calls and credits by kind, retries, elapsed time."""
    where = f"{pipeline.dataset_name} ({pipeline.destination.destination_name})"
    lines = [f"Loaded {sum(result.rows.values())} rows into {where}"]
    for table, rows in result.rows.items():
        deleted = f"  ({result.deleted[table]} deleted)" if result.deleted.get(table) else ""
        lines.append(f"  {table:<48} {rows:>9}{deleted}")
    calls = result.calls_by_kind()
    lines.append(f"API calls: {sum(calls.values())} ({_listed(calls) or 'none'})")
    credits = _listed({k: n for k, n in result.credits_by_kind().items() if n}) or "none"
    remaining = f", {result.credits_remaining} left today" if result.credits_remaining is not None else ""
    lines.append(f"API credits: {result.credits_total} ({credits}{remaining})")
    by_module = sorted(((m or "org", n) for m, n in result.credits_by_module().items() if n), key=lambda x: -x[1])
    if by_module:
        lines.append(f"  by module: {', '.join(f'{m} {n}' for m, n in by_module)}")
    for module, found in result.reconciled.items():
        lines.append(
            f"Reconciled {module}: {found['checked']} checked, {found['refreshed']} refreshed, {found['added']} added, "
            f"{found['removed']} removed ({found['credits']} credits, {found['reader']})"
        )
    if result.retries:
        lines.append(f"Retried: {_listed(result.retries)}")
    lines.append(f"Elapsed: {result.elapsed:.1f} s")
    return lines


def _listed(counts: "dict[str, int]") -> str:
    return ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
