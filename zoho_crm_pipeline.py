"""Load a Zoho CRM org into DuckDB (or any dlt destination): `python zoho_crm_pipeline.py --help`.

No Zoho account at hand? `python zoho_crm_pipeline.py --demo` runs the real pipeline against a local Zoho
emulator into `zoho_crm_demo.duckdb`. The mirror itself is `zoho_crm.mirror`; this script is its flags, log lines,
summary and exit codes.
"""

import argparse
import sys
from typing import Any, Dict, List, Optional

import dlt

from zoho_crm import MirrorResult, RunStop, ZohoCrmMirror, ZohoCrmStoppedEarly
from zoho_crm.demo.target import check_demo_flags
from zoho_crm.destination.resolve import DEFAULT_DATASET, TABLE_FORMATS, resolve_dataset, resolve_destination
from zoho_crm.runner import EXIT_CONFIGURATION, EXIT_DONE, describe_failure, failure_report
from zoho_crm.runner.grant import client_credentials, exchange_grant_code
from zoho_crm.runner.logs import configure_logging, log_level_is_verbose, release_skipped
from zoho_crm.runner.plan import existing_pipeline, plan_text
from zoho_crm.runner.signals import stopping_on_signals
from zoho_crm.runner.summary import summary_lines

PIPELINE_NAME = "zoho_crm"  # `dlt deploy` reads the literal in build_pipeline(); keep both the same
DUCKDB_FILE = "zoho_crm.duckdb"


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
    parser.add_argument("--changes", type=int, metavar="N", help="with --demo: first edit N records, delete N/4")
    parser.add_argument("--plan", action="store_true", help="say what the next run would read and cost; load nothing")
    parser.add_argument("--json", action="store_true", help="with --plan: the plan as JSON, alone on stdout")
    parser.add_argument("--grant-code", help="turn a Self Client grant code into .dlt/secrets.toml")
    parser.add_argument("--client-id", help="the Self Client's id, for --grant-code (default: .dlt/secrets.toml)")
    parser.add_argument("--client-secret", help="the Self Client's secret, for --grant-code (or asked for)")
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


def run(args: argparse.Namespace, pipeline: dlt.Pipeline, source_args: Optional[Dict[str, Any]] = None) -> None:
    """Mirror the org into `pipeline` with the flags' options, then print the summary (also when a credit budget
    stopped the run: what was fetched is loaded)."""
    source_args = {**(source_args or {}), **({"modules": args.modules} if args.modules else {})}
    stop = RunStop()  # SIGTERM and SIGINT ask the run to stop (exit 3, nothing lost)
    mirror = ZohoCrmMirror(full_refresh=args.full_refresh, table_format=args.table_format, stop=stop, **source_args)
    try:
        with stopping_on_signals(stop):
            result: MirrorResult = mirror.run(pipeline)  # `dlt deploy` looks for this `.run(` call
    except ZohoCrmStoppedEarly as stop:
        if stop.result is not None:
            print("\n".join(summary_lines(pipeline, stop.result)))
        raise
    print("\n".join(summary_lines(pipeline, result)))


def run_demo(args: argparse.Namespace) -> None:
    """Run the real pipeline against the demo's emulator org, the same org every time (its file beside the DuckDB
    file): the first demo loads everything, later ones what changed, after `--changes N` edits and deletions."""
    from zoho_crm.demo import DEMO_QUERIES, demo_pipeline
    from zoho_crm.demo.target import DemoTarget, as_config_errors, print_demo_queries
    from zoho_emulator.demo_org import DemoOrg, DemoOrgError

    pipeline = demo_pipeline(args.destination, args.dataset, args.progress)
    target = DemoTarget.of(pipeline)
    with as_config_errors(DemoOrgError), DemoOrg.open(target.org_file) as org:
        reload = target.reload_reason(org.is_new, args.full_refresh)
        args.full_refresh = reload is not None
        changed = [org.change(args.changes).line()] if args.changes else []
        print("\n".join([*org.lines(), *changed, *target.lines(reload)]))
        run(args, pipeline, org.source_args())
        org.settle_port()
    print_demo_queries(pipeline, DEMO_QUERIES)


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point: 0 done, 1 failed, 2 fix your configuration, 3 stopped early with nothing lost (run again).

    Every failure prints one line on stderr naming its cause (`--verbose` adds the full exception chain before
    it). One run per pipeline at a time: a second run exits at once with code 3, before any Zoho call.
    """
    args = parse_args(argv)
    verbose = args.verbose or log_level_is_verbose()
    configure_logging(verbose)
    try:
        check_demo_flags(args.demo, args.changes)
        if args.grant_code:
            client = client_credentials(args.client_id, args.client_secret)
            print("\n".join(exchange_grant_code(args.grant_code, *client).lines()))
        elif args.plan:
            destination = resolve_destination(PIPELINE_NAME, args.destination, DUCKDB_FILE)
            pipeline = existing_pipeline(PIPELINE_NAME, destination, resolve_dataset(PIPELINE_NAME, args.dataset))
            modules = {"modules": args.modules} if args.modules else {}
            print(plan_text(pipeline, args.json, args.full_refresh, **modules))
        else:
            run_demo(args) if args.demo else run(args, build_pipeline(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        failure = describe_failure(exc)
        if verbose:
            print(failure_report(exc), file=sys.stderr)
        release_skipped(failure.exit_code != EXIT_CONFIGURATION)
        print(failure.line, file=sys.stderr)
        return failure.exit_code
    release_skipped(True)
    return EXIT_DONE


if __name__ == "__main__":
    sys.exit(main())
