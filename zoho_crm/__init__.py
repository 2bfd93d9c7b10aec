"""Zoho CRM source for dlt: every module incrementally, with full records, merged on `id`.

How it reads Zoho (API v7, https://www.zoho.com/crm/developer/docs/api/v7/):
- `GET /crm/v7/{module}?fields=id,Modified_Time&sort_by=Modified_Time&sort_order=asc` with the
  `If-Modified-Since` header lists the ids changed since the last successful load, paging with `page_token`
  past 2,000 records (https://www.zoho.com/crm/developer/docs/api/v7/get-records.html);
- `GET /crm/v7/{module}?ids=a,b,…` fetches those records in batches of up to 100, in parallel, with their
  subforms and inventory line items (which the listing never returns);
- `GET /crm/v7/settings/modules` checks the configured modules once per run; field-tracker modules it lists
  (`DealHistory`, the stage history of Deals) are loaded with the module they track (`tables/history.py`);
- the org's settings (org, roles, profiles, territories, currencies, layouts, pipelines) are replaced at most once
  per `settings_refresh_hours` (`tables/settings_tables.py`);
- once per `reconcile_every_hours` each module is reconciled with Zoho: formula, rollup and lookup-name values that
  change without `Modified_Time`, deletions no `/deleted` call reports, restored records (`readers/reconcile.py`).

Credentials: create a Self Client in the Zoho API console of your data centre (https://api-console.zoho.com),
generate a grant code with the scopes `ZohoCRM.modules.READ,ZohoCRM.settings.modules.READ,
ZohoCRM.settings.fields.READ,ZohoCRM.users.READ` (and, for the settings tables, `ZohoCRM.org.READ` and
`ZohoCRM.settings.{roles,profiles,territories,currencies,layouts,pipeline}.READ`), exchange it for a refresh token
(https://www.zoho.com/crm/developer/docs/api/v7/access-refresh.html) and put client_id, client_secret and
refresh_token in `.dlt/secrets.toml` under `[sources.zoho_crm.credentials]`. The README walks through it.

Running it: `zoho_crm.mirror(pipeline, **source_args)` gives any dlt pipeline (a notebook's, an Airflow task's, the
CLI's) the guarantees of a mirror: one run at a time, a killed run's package finished first, the org guard, resets
of single modules, Delta deletions, the credit-budget stop. Plain `pipeline.run(zoho_crm_source())` works too; the
source itself refuses a pipeline that mirrors another org.
"""

from typing import Any, Iterator, List, Optional, Union

import dlt
from dlt.sources import DltResource

from .api.auth import ZohoCrmCredentials
from .api.ledger import RunLedger
from .api.stop import RunStop
from .config import (
    TDataCenter,
    TDeleteMode,
    ZohoCrmSourceConfiguration,
    parse_start_date,
    register_defaults,
    resolve_modules,
    resolve_urls,
    wants_defaults_or_all,
)
from .context import RunContext, ZohoCrmSource, run_context
from .errors import ZohoCrmStoppedEarly, ZohoCrmUserError, ZohoRunStopped
from .readers.org_settings import SettingsReader
from .readers.users import users
from .runner.mirror import MirrorResult, run_mirror
from .settings import (
    CURSOR_FIELD,
    DEFAULT_BULK_THRESHOLD,
    DEFAULT_DATA_CENTER,
    DEFAULT_IDS_PER_REQUEST,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RETRY_SECONDS,
    DEFAULT_RECONCILE_EVERY_HOURS,
    DEFAULT_START_DATE,
    USERS,
)
from .tables.history import history_modules, remember
from .tables.modules import module_resources, table_name
from .tables.settings_tables import DEFAULT_SETTINGS_REFRESH_HOURS, SETTINGS_TABLES, settings_resources

__all__ = [
    "MirrorResult",
    "RunLedger",
    "RunStop",
    "ZohoCrmCredentials",
    "ZohoCrmMirror",
    "ZohoCrmSource",
    "ZohoCrmStoppedEarly",
    "ZohoCrmUserError",
    "ZohoRunStopped",
    "mirror",
    "resolve_urls",
    "table_name",
    "zoho_crm_source",
]


@dlt.source(
    name="zoho_crm", max_table_nesting=2, spec=ZohoCrmSourceConfiguration, _impl_cls=ZohoCrmSource
)
def zoho_crm_source(
    credentials: ZohoCrmCredentials = dlt.secrets.value,
    data_center: TDataCenter = DEFAULT_DATA_CENTER,
    api_base_url: Optional[str] = None,
    accounts_url: Optional[str] = None,
    modules: Optional[Union[List[str], str]] = None,
    start_date: str = DEFAULT_START_DATE,
    ids_per_request: int = DEFAULT_IDS_PER_REQUEST,
    delete_mode: TDeleteMode = "hard",
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    max_retry_seconds: float = DEFAULT_MAX_RETRY_SECONDS,
    bulk_threshold: int = DEFAULT_BULK_THRESHOLD,
    credit_budget: Optional[int] = None,
    settings_tables: Optional[Union[List[str], str]] = None,
    settings_refresh_hours: float = DEFAULT_SETTINGS_REFRESH_HOURS,
    reconcile_every_hours: Union[float, str, None] = DEFAULT_RECONCILE_EVERY_HOURS,
    keep_viewer_flags: bool = False,
    ledger: Optional[RunLedger] = None,
    stop: Optional[RunStop] = None,
) -> Iterator[Union[RunContext, DltResource]]:
    """Load Zoho CRM modules into `zoho_crm_<module>` tables, incrementally on `Modified_Time`, merged on `id`.

    Every argument left out is read from dlt's configuration (`[sources.zoho_crm]`); all of them are checked once,
    together, before any call to Zoho (`config.ZohoCrmSourceConfiguration`).

    Args:
        credentials: OAuth client id/secret and refresh token of a Zoho Self Client.
        data_center: Zoho data centre: us, eu, in, au, jp, ca, cn or sa. Picks the API domain and accounts server.
        api_base_url: Overrides the API domain (`scheme://host[:port]`), e.g. a sandbox or a local emulator.
        accounts_url: Overrides the accounts server; the token endpoint is `{accounts_url}/oauth/v2/token`.
        modules: Module API names (list, or a comma-separated string), or "all" for every standard and custom
            module of the org; default: the 17 standard modules and Users.
        start_date: `YYYY-MM-DD`; the first run loads records modified since that day (00:00 UTC).
        ids_per_request: Record ids per detail call, 1..100.
        delete_mode: "hard" removes records deleted in Zoho (and their child rows) from the module tables;
            "keep" leaves them. Either way `zoho_crm_deleted_records` logs every deletion.
        max_concurrency: Calls to the Zoho CRM API in flight at once, for the whole run (all modules, listings,
            details, metadata, deletions, users): the org's edition limit (Free 5, Standard 10, Professional 15,
            Enterprise 20, Ultimate 25) minus what other integrations use.
        max_retry_seconds: Time one call may spend retrying 429s, server errors and dropped answers; then the run
            stops (429: exit 3, others: a failure).
        bulk_threshold: A module's first load uses Bulk Read when it has more records than this (0: never).
        credit_budget: Credits this run may spend; it stops before a call that would exceed them, with what it
            fetched loaded (the next run continues). None: no budget.
        settings_tables: Settings tables to load (`zoho_crm_org`, `zoho_crm_roles`, `zoho_crm_profiles`,
            `zoho_crm_territories`, `zoho_crm_currencies`, `zoho_crm_layouts`, `zoho_crm_pipelines`), as a list or
            a comma-separated string, or "none"; default all. Tables named here fail the run when Zoho cannot
            answer them; tables loaded by default are skipped with a warning.
        settings_refresh_hours: Hours between two refreshes of the settings tables; a run inside the interval
            makes no settings call. 0 refreshes them on every run.
        reconcile_every_hours: Hours between two reconciliations of a module with Zoho (values that change without
            `Modified_Time`, deletions no `/deleted` call reports, restored records; `readers/reconcile.py`); 0
            reconciles on every run, "never" (or a negative number) turns it off. A module's first load counts as
            one.
        keep_viewer_flags: Also load Zoho's per-viewer `$` keys (`_editable`, `_approval__*`, `_locked_for_me`,
            `_sharing_permission`, …: what the API user may click in Zoho's UI). The `$` keys that carry data
            (`_se_module`, `_converted_detail__*`, `_currency_symbol`, `_approval_state`, …:
            `settings.DATA_DOLLAR_KEYS`) are loaded always.
        ledger: Collects calls, credits, retries and deletions of the run (`zoho_crm.mirror` reports them); by
            default the source makes its own (`source.context.ledger`).
        stop: Asks the run's calls to stop (`RunStop.request`: a signal, a failure elsewhere); `zoho_crm.mirror`
            passes its own.

    Yields:
        The run's `RunContext` (kept by the source object as `context`), then per module (and per history module
        of a loaded module) a merge resource fed by a hidden id listing, and the deletion resources; the Users
        resource; one resource per settings table.
    """
    register_defaults()  # dlt may have reloaded its providers since the import (Airflow does)
    ledger = ledger if ledger is not None else RunLedger()
    ledger.credit_budget = credit_budget
    context = run_context(
        credentials, str(api_base_url), str(accounts_url), max_concurrency, max_retry_seconds, ledger, stop
    )
    context.options.update(
        start_date=start_date,
        ids_per_request=ids_per_request,
        delete_mode=delete_mode,
        bulk_threshold=bulk_threshold,
        settings_tables=settings_tables,
        settings_refresh_hours=settings_refresh_hours,
        reconcile_every_hours=reconcile_every_hours,
        keep_viewer_flags=keep_viewer_flags,
    )
    yield context
    start = parse_start_date(start_date)
    wanted = resolve_modules(modules, context.metadata.modules())
    if wants_defaults_or_all(modules):
        context.quirks.make_optional(*wanted)  # not named by the user: skipped if unreadable
    history, history_cache = history_modules(context.metadata, wanted)
    context.modules.extend(dict.fromkeys([*wanted, *(t for m in wanted for t in history.get(m, []))]))

    for module in wanted:
        if module == USERS:
            yield dlt.resource(users, name=table_name(USERS), write_disposition="merge", primary_key="id")(
                context,
                dlt.sources.incremental(CURSOR_FIELD, initial_value=start, on_cursor_value_missing="include"),
            )
            continue
        options = (start, ids_per_request, delete_mode, bulk_threshold, reconcile_every_hours)
        yield from module_resources(context, module, *options)
        for tracker in history.get(module, []):
            if tracker not in wanted:  # not named by the user: skipped if unreadable, like the defaults
                context.quirks.make_optional(tracker)
                yield from module_resources(context, tracker, *options)
    if history_cache is not None:
        yield remember(history_cache)
    reader = SettingsReader(context, [m for m in wanted if m != USERS])
    named = settings_tables is not None
    tables = settings_tables if isinstance(settings_tables, list) else list(SETTINGS_TABLES)
    yield from settings_resources(reader, tables, named, settings_refresh_hours)


class ZohoCrmMirror:
    """A mirror of one Zoho CRM org, run on any dlt pipeline: `ZohoCrmMirror(modules=["Leads"]).run(pipeline)`.

    The same as `mirror(pipeline, ...)`, as an object a scheduler can configure once and run on every schedule.

    Args:
        full_refresh: Reload from scratch: the modules named in `modules` (with their stage history), or every
            module and settings table when none is named (or `all`).
        table_format: "delta" for merged Delta tables on the filesystem destination (default: the pipeline's
            `[pipelines.<name>] table_format`, else none).
        stop: Lets the caller stop the run promptly: `stop.request(ZohoRunStopped("SIGTERM"))` (the CLI does so on
            SIGTERM and SIGINT); the run then raises `ZohoRunStopped` with nothing lost.
        **source_args: Arguments of `zoho_crm_source` (the rest comes from dlt's configuration).
    """

    def __init__(
        self,
        *,
        full_refresh: bool = False,
        table_format: Optional[str] = None,
        stop: Optional[RunStop] = None,
        **source_args: Any,
    ) -> None:
        self.full_refresh = full_refresh
        self.table_format = table_format
        self.stop = stop
        self.source_args = source_args

    def run(self, pipeline: dlt.Pipeline) -> MirrorResult:
        """Mirror the org into `pipeline` (see `mirror`)."""
        options = {"full_refresh": self.full_refresh, "table_format": self.table_format, "stop": self.stop}
        return run_mirror(pipeline, zoho_crm_source, **options, **self.source_args)


def mirror(
    pipeline: dlt.Pipeline,
    *,
    full_refresh: bool = False,
    table_format: Optional[str] = None,
    stop: Optional[RunStop] = None,
    **source_args: Any,
) -> MirrorResult:
    """Bring `pipeline`'s tables up to date with the Zoho CRM org, with every guarantee of the CLI.

    In order: takes the pipeline's run lock (another run in progress: `RunInProgress`, before any Zoho call);
    checks the destination (its package, configuration, connection: `destination/preflight.py`); finishes the load
    packages a killed or failed run left (after repairing what a kill leaves between dlt's
    steps); builds the source; replaces the tables and cursors of another org the pipeline mirrored before (its
    state is synced from the destination first); resets the named modules on `full_refresh`; loads (parquet where
    the destination takes it, DuckDB held open through the load step); applies deletions to Delta tables. Prints
    nothing: warnings go to the `zoho_crm` logger.

    Args:
        pipeline: Any dlt pipeline, destination set.
        full_refresh: See `ZohoCrmMirror`.
        table_format: See `ZohoCrmMirror`.
        stop: See `ZohoCrmMirror`.
        **source_args: Arguments of `zoho_crm_source`, e.g. `modules=["Leads", "Deals"]`, `credit_budget=500`.

    Returns:
        The load info and the run's figures: calls and credits by module and kind, retries, deletions.

    Raises:
        ZohoCrmStoppedEarly: The run stopped with nothing lost (credit budget: what was fetched is loaded, the
            exception's `result` says what; Zoho's daily limit; throttled; another run in progress). Run again.
        ZohoCrmUserError: Something to fix in the configuration, credentials or scopes (the message says what).
    """
    return ZohoCrmMirror(full_refresh=full_refresh, table_format=table_format, stop=stop, **source_args).run(pipeline)


register_defaults()
