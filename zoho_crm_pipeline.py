"""Load a Zoho CRM org into DuckDB (or any dlt destination): `python zoho_crm_pipeline.py --help`.

No Zoho account at hand? `python zoho_crm_pipeline.py --demo` runs the real pipeline against a local Zoho
emulator into `zoho_crm_demo.duckdb`.
"""

import argparse
import logging
import sys
import time
from typing import Any, Dict, List, Optional

import dlt
from dlt.common.pipeline import LoadInfo, get_dlt_pipelines_dir

from zoho_crm import RunLedger, lakehouse, resolve_urls, zoho_crm_source
from zoho_crm.demo import DEMO_PIPELINE_NAME
from zoho_crm.destination import (
    DEFAULT_DATASET,
    TABLE_FORMATS,
    duckdb_held_open_while_loading,
    resolve_dataset,
    resolve_destination,
    resolve_table_format,
)
from zoho_crm.errors import ZohoCreditBudgetReached
from zoho_crm.history import with_history_modules
from zoho_crm.runner import EXIT_CONFIGURATION, EXIT_DONE, PipelineRunLock, describe_failure, failure_report
from zoho_crm.runner.pending import finish_pending_loads
from zoho_crm.runner.reset import reset_modules
from zoho_crm.settings import DEFAULT_DATA_CENTER, TABLE_PREFIX

PIPELINE_NAME = "zoho_crm"  # `dlt deploy` reads the literal in build_pipeline(); keep both the same
ORG_STATE_KEY = "zoho_crm_api_base_url"  # local pipeline state: which Zoho API the tables mirror
DUCKDB_FILE = "zoho_crm.duckdb"
WRITER_DEFAULTS = {
    "data_writer.disable_compression": True,
    "data_writer.buffer_max_items": 1000,
    "data_writer.file_max_items": 100_000,
}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line flags."""
    parser = argparse.ArgumentParser(description="Load Zoho CRM into DuckDB or any dlt destination.")
    parser.add_argument(
        "--modules",
        help="comma-separated module API names, or all (default: config, else the 17 standard modules and Users)",
    )
    parser.add_argument(
        "--destination",
        help=f"dlt destination name (default: dlt config destination_type, else the duckdb file {DUCKDB_FILE})",
    )
    parser.add_argument(
        "--dataset", help=f"dataset/schema name (default: dlt config dataset_name, else {DEFAULT_DATASET})"
    )
    parser.add_argument(
        "--table-format",
        choices=TABLE_FORMATS,
        help="open table format for --destination filesystem: merged tables with deletions applied",
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="drop the tables and cursors of the --modules named (else of every module) and reload them",
    )
    parser.add_argument("--progress", choices=["log", "tqdm", "enlighten", "alive_progress"], help="progress display")
    parser.add_argument("--demo", action="store_true", help="run against a local Zoho emulator (no account needed)")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="on failure, print the full exception chain too (as RUNTIME__LOG_LEVEL=INFO does)",
    )
    return parser.parse_args(argv)


def build_pipeline(args: argparse.Namespace) -> dlt.Pipeline:
    """The `zoho_crm` pipeline: destination and dataset from the flags, else dlt config, else the defaults."""
    return dlt.pipeline(
        pipeline_name="zoho_crm",  # a literal: `dlt deploy` reads this call from the script's source
        destination=resolve_destination(PIPELINE_NAME, args.destination, DUCKDB_FILE),
        dataset_name=resolve_dataset(PIPELINE_NAME, args.dataset),
        progress=args.progress,
    )


def run(
    args: argparse.Namespace, source_kwargs: Optional[Dict[str, Any]] = None, pipeline: Optional[dlt.Pipeline] = None
) -> LoadInfo:
    """Build the source (and the pipeline unless given) from the flags, run it and print the summary."""
    writer_defaults()
    kwargs = dict(source_kwargs or {})
    if args.modules:
        kwargs["modules"] = args.modules
    started, ledger = time.monotonic(), RunLedger()
    pipeline = pipeline or build_pipeline(args)
    table_format = resolve_table_format(pipeline, args.table_format)
    source = zoho_crm_source(**kwargs, ledger=ledger)
    if table_format:
        lakehouse.prepare_source(source)
    api_base_url = configured_api_base_url(kwargs)
    refresh = org_changed(pipeline, api_base_url) or (args.full_refresh and not named_modules(args.modules))
    with duckdb_held_open_while_loading(pipeline):
        finish_pending_loads(pipeline)  # what a killed or failed run left goes first; then this run fetches anew
        if args.full_refresh and not refresh:
            # only the named modules (and their stage history): the others stay as they are
            reset_modules(pipeline, with_history_modules(pipeline, named_modules(args.modules)))
        formats = pipeline.destination.capabilities().supported_loader_file_formats
        info = pipeline.run(
            source,
            loader_file_format="parquet" if "parquet" in formats else None,
            table_format=table_format,
            refresh="drop_sources" if refresh else None,
        )
        info.raise_on_failed_jobs()
        if table_format:
            lakehouse.apply_deletions(pipeline, info.loads_ids, table_format)
        pipeline.set_local_state_val(ORG_STATE_KEY, api_base_url)
        print_summary(pipeline, ledger, time.monotonic() - started)
    if ledger.budget_stops:
        raise ZohoCreditBudgetReached(ledger.credit_budget or 0, ledger.credits_total(), list(ledger.budget_stops))
    return info


def named_modules(modules: Optional[str]) -> List[str]:
    """Module names given with --modules (none for the defaults or `all`)."""
    names = [m.strip() for m in (modules or "").split(",") if m.strip()]
    return [] if [n.lower() for n in names] == ["all"] else names


def writer_defaults() -> None:
    """Writer defaults for wide CRM records, unless configured explicitly (`[data_writer]`):

    - dlt gzips the files passed from extract to normalize; for this source that costs more CPU than the disk it
      saves (parquet load files compress anyway);
    - dlt buffers 5,000 items per table before writing; 2.5 KB records make that the largest share of memory;
    - one file per table would make the destination load a whole module in one statement (DuckDB: one COPY of a
      million wide rows); files of 100,000 rows keep each load job's memory bounded.
    """
    for key, value in WRITER_DEFAULTS.items():
        if dlt.config.get(key) is None:
            dlt.config[key] = value


def configured_api_base_url(kwargs: Dict[str, Any]) -> str:
    """The Zoho API domain the source uses, from the explicit arguments or dlt config."""
    data_center = kwargs.get("data_center") or dlt.config.get("sources.zoho_crm.data_center") or DEFAULT_DATA_CENTER
    override = kwargs.get("api_base_url") or dlt.config.get("sources.zoho_crm.api_base_url")
    return resolve_urls(str(data_center), override, None)[0]


def org_changed(pipeline: dlt.Pipeline, api_base_url: str) -> bool:
    """True when this pipeline last loaded another Zoho API domain: its tables and cursors belong to another org."""
    try:
        previous = pipeline.get_local_state_val(ORG_STATE_KEY)
    except KeyError:
        return False
    if previous == api_base_url:
        return False
    print(
        f"warning: pipeline {pipeline.pipeline_name} last loaded {previous}, now {api_base_url}: "
        "dropping its tables and cursors and loading everything",
        file=sys.stderr,
    )
    return True


def print_summary(pipeline: dlt.Pipeline, ledger: RunLedger, elapsed: float) -> None:
    """Rows loaded (and records deleted) per table, API calls and credits by kind, retries, elapsed time."""
    trace = pipeline.last_trace
    counts = trace.last_normalize_info.row_counts if trace and trace.last_normalize_info else {}
    deletions = ledger.tombstones
    tables = {t: n - deletions.get(t, 0) for t, n in sorted(counts.items()) if t.startswith(TABLE_PREFIX)}
    print(f"Loaded {sum(tables.values())} rows into {pipeline.dataset_name} ({pipeline.destination.destination_name})")
    for table, rows in tables.items():
        deleted = f"  ({deletions[table]} deleted)" if deletions.get(table) else ""
        print(f"  {table:<48} {rows:>9}{deleted}")
    calls = ledger.calls_by_kind()
    print(f"API calls: {sum(calls.values())} ({', '.join(f'{k} {n}' for k, n in sorted(calls.items())) or 'none'})")
    credits = ", ".join(f"{k} {n}" for k, n in sorted(ledger.credits_by_kind().items()) if n) or "none"
    remaining = f", {ledger.credits_remaining} left today" if ledger.credits_remaining is not None else ""
    print(f"API credits: {ledger.credits_total()} ({credits}{remaining})")
    by_module = sorted(((m or "org", n) for m, n in ledger.credits_by_module().items() if n), key=lambda x: -x[1])
    if by_module:
        print(f"  by module: {', '.join(f'{m} {n}' for m, n in by_module)}")
    if ledger.retries:
        print(f"Retried: {', '.join(f'{k} {n}' for k, n in sorted(ledger.retries.items()))}")
    print(f"Elapsed: {elapsed:.1f} s")


def run_demo(args: argparse.Namespace) -> None:
    """Start the emulator in-process, run the real pipeline against it over HTTP, print sample queries."""
    from zoho_crm.demo import DEMO_QUERIES, demo_pipeline
    from zoho_crm.queries import print_queries
    from zoho_emulator import EmulatorConfig, ZohoEmulator

    pipeline = demo_pipeline(args.destination, args.dataset, args.progress)
    with ZohoEmulator(EmulatorConfig(seed=7, default_records=150, records_per_module={"Deals": 600})) as emu:
        print(f"Zoho emulator running at {emu.base_url}")
        creds = {"client_id": emu.client_id, "client_secret": emu.client_secret, "refresh_token": emu.refresh_token}
        args.full_refresh = True
        run(args, {"credentials": creds, "api_base_url": emu.base_url, "accounts_url": emu.base_url}, pipeline)
    where = pipeline.destination.destination_name
    print(f"\nQueries to try (from {where}, dataset {pipeline.dataset_name}; more in the README: Query your CRM):")
    print_queries(pipeline, DEMO_QUERIES)


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point: 0 done, 1 failed, 2 fix your configuration, 3 stopped early with nothing lost (run again).

    Every failure prints one line on stderr naming its cause (`--verbose` adds the full exception chain before
    it). One run per pipeline at a time: a second run exits at once with code 3, before any Zoho call.
    """
    args = parse_args(argv)
    verbose = args.verbose or _log_level_is_verbose()
    _configure_logging(verbose)
    name = DEMO_PIPELINE_NAME if args.demo else PIPELINE_NAME
    try:
        with PipelineRunLock(name, get_dlt_pipelines_dir()) as lock:
            if lock.previous:
                print(
                    f"warning: the previous run of pipeline {name} (pid {lock.previous.get('pid')}, started "
                    f"{lock.previous.get('started')}) did not finish: this run takes over",
                    file=sys.stderr,
                )
            run_demo(args) if args.demo else run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        failure = describe_failure(exc)
        if verbose:
            print(failure_report(exc), file=sys.stderr)
        _print_skipped(failure.exit_code != EXIT_CONFIGURATION)
        print(failure.line, file=sys.stderr)
        return failure.exit_code
    _print_skipped(True)
    return EXIT_DONE


def _log_level_is_verbose() -> bool:
    level = dlt.config.get("runtime.log_level", str)
    return str(level or "").upper() in ("INFO", "DEBUG")


def _configure_logging(verbose: bool) -> None:
    """Source and runner messages on stderr as `warning: …` lines (`info: …` too with --verbose)."""
    source_logger = logging.getLogger("zoho_crm")
    if not source_logger.handlers:
        handler = _StderrHandler()
        handler.setFormatter(_LowerLevelFormatter("%(levelname)s: %(message)s"))
        source_logger.addHandler(handler)
    source_logger.setLevel(logging.INFO if verbose else logging.WARNING)


def _print_skipped(show: bool) -> None:
    """Print the warnings about skipped modules and tables held during the run (or drop them)."""
    for handler in logging.getLogger("zoho_crm").handlers:
        if isinstance(handler, _StderrHandler):
            handler.release_skipped(show)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (callers and tests may redirect it between runs).

    Warnings about skipped modules and tables are held until the run ends: a run that then fails on its
    configuration (a missing scope, say) prints only its one error line.
    """

    def __init__(self) -> None:
        super().__init__()
        self.skipped: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "zoho_skipped", False):
            self.skipped.append(record)
        else:
            super().emit(record)

    def release_skipped(self, show: bool) -> None:
        """Print (or drop) the held warnings."""
        held, self.skipped = self.skipped, []
        for record in held if show else ():
            super().emit(record)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


class _LowerLevelFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace(record.levelname, record.levelname.lower(), 1)


if __name__ == "__main__":
    sys.exit(main())
