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
from zoho_crm.destination.resolve import DEFAULT_DATASET, TABLE_FORMATS, resolve_dataset, resolve_destination
from zoho_crm.errors import ZohoConfigError
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
    parser.add_argument(
        "--changes",
        type=int,
        metavar="N",
        help="with --demo: edit N records and delete N/4 (at least 1) of the demo org first, so the run loads them",
    )
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
    """Start the demo's emulator org in-process (the same org as the last demo: `zoho_crm_demo.org.json`), change
    it first with `--changes N`, run the real pipeline against it over HTTP, print sample queries.

    The first demo (no org file, or no DuckDB file) loads everything; later ones load what changed since.
    """
    from zoho_crm.demo import (
        DEMO_QUERIES,
        demo_duckdb_path,
        demo_org_path,
        demo_pipeline,
        demo_reload_reason,
        demo_target_line,
    )
    from zoho_crm.demo.queries import print_queries
    from zoho_emulator.demo_org import DemoOrg, DemoOrgError

    pipeline = demo_pipeline(args.destination, args.dataset, args.progress)
    duckdb = demo_duckdb_path(pipeline)
    try:
        org = DemoOrg.open(demo_org_path(duckdb))
        emu = org.start()
    except DemoOrgError as ex:
        raise ZohoConfigError(str(ex)) from ex
    with emu:
        print(f"Zoho emulator running at {emu.base_url}")
        print(org.describe())
        if org.port_note:
            print(f"Note: {org.port_note}")
        print(demo_target_line(pipeline, duckdb))
        reload = demo_reload_reason(org.is_new, duckdb, args.full_refresh)
        args.full_refresh = reload is not None
        if args.changes:
            try:
                print(org.change(emu, args.changes).line())
            except DemoOrgError as ex:
                raise ZohoConfigError(str(ex)) from ex
        what = args.modules if args.modules and reload == "--full-refresh" else "everything"
        print(f"Loading {what} ({reload})" if reload else "Incremental: loading what changed since the last demo")
        creds = {"client_id": emu.client_id, "client_secret": emu.client_secret, "refresh_token": emu.refresh_token}
        run(args, pipeline, {"credentials": creds, "api_base_url": emu.base_url, "accounts_url": emu.base_url})
        org.settle_port(emu.port)
    where = pipeline.destination.destination_name
    print(f"\nQueries to try (from {where}, dataset {pipeline.dataset_name}; more in the README: Query your CRM):")
    print_queries(pipeline, DEMO_QUERIES)
    print(f'\nFrom Python: dlt.attach("{pipeline.pipeline_name}").dataset() (README: Query your CRM)')


def check_demo_flags(args: argparse.Namespace) -> None:
    """`--changes N` changes the demo org, so it needs `--demo` and a sensible N (a configuration error else)."""
    if args.changes is None:
        return
    if not args.demo:
        raise ZohoConfigError("--changes N edits and deletes records of the demo org: use it with --demo")
    from zoho_emulator.demo_org import MAX_CHANGES  # only demo runs import the emulator

    if not 1 <= args.changes <= MAX_CHANGES:
        raise ZohoConfigError(f"--changes takes a number of records from 1 to {MAX_CHANGES}, got {args.changes}")


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point: 0 done, 1 failed, 2 fix your configuration, 3 stopped early with nothing lost (run again).

    Every failure prints one line on stderr naming its cause (`--verbose` adds the full exception chain before
    it). One run per pipeline at a time: a second run exits at once with code 3, before any Zoho call.
    """
    args = parse_args(argv)
    verbose = args.verbose or log_level_is_verbose()
    configure_logging(verbose)
    try:
        check_demo_flags(args)
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
