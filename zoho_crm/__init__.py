"""Zoho CRM source for dlt: every module incrementally, with full records, merged on `id`.

How it reads Zoho (API v7, https://www.zoho.com/crm/developer/docs/api/v7/):
- `GET /crm/v7/{module}?fields=id,Modified_Time&sort_by=Modified_Time&sort_order=asc` with the
  `If-Modified-Since` header lists the ids changed since the last successful load, paging with `page_token`
  past 2,000 records (https://www.zoho.com/crm/developer/docs/api/v7/get-records.html);
- `GET /crm/v7/{module}?ids=a,b,…` fetches those records in batches of up to 100, in parallel, with their
  subforms and inventory line items (which the listing never returns);
- `GET /crm/v7/settings/modules` checks the configured modules once per run; field-tracker modules it lists
  (`DealHistory`, the stage history of Deals) are loaded with the module they track (`history.py`);
- the org's settings (org, roles, profiles, territories, currencies, layouts, pipelines) are replaced at most once
  per `settings_refresh_hours` (`settings_tables.py`).

Credentials: create a Self Client in the Zoho API console of your data centre (https://api-console.zoho.com),
generate a grant code with the scopes `ZohoCRM.modules.READ,ZohoCRM.settings.modules.READ,
ZohoCRM.settings.fields.READ,ZohoCRM.users.READ` (and, for the settings tables, `ZohoCRM.org.READ` and
`ZohoCRM.settings.{roles,profiles,territories,currencies,layouts,pipeline}.READ`), exchange it for a refresh token
(https://www.zoho.com/crm/developer/docs/api/v7/access-refresh.html) and put client_id, client_secret and
refresh_token in `.dlt/secrets.toml` under `[sources.zoho_crm.credentials]`. The README walks through it.
"""

import logging
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

import dlt
import pendulum
from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.specs import RuntimeConfiguration
from dlt.sources import DltResource

from .auth import ZohoCrmCredentials, ZohoOAuth
from .client import ZohoClient
from .deleted import LOG_COLUMNS, deleted_records, deletion_log, tombstones
from .errors import ZohoConfigError, ZohoUnknownModuleError
from .gate import ZohoGate
from .history import history_modules, remember
from .ledger import RunLedger
from .listing import modified_record_ids
from .metadata import OrgMetadata
from .rest_reader import records_by_ids
from .settings import (
    CURSOR_FIELD,
    DATA_CENTERS,
    DEFAULT_BULK_THRESHOLD,
    DEFAULT_DATA_CENTER,
    DEFAULT_IDS_PER_REQUEST,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RETRY_SECONDS,
    DEFAULT_MODULES,
    DEFAULT_START_DATE,
    DELETE_MODES,
    DELETED_CURSOR,
    DELETED_FLAG,
    DELETED_TABLE,
    LOADABLE_TYPES,
    MAX_IDS_PER_REQUEST,
    TABLE_PREFIX,
    USERS,
)
from .settings_tables import (
    DEFAULT_SETTINGS_REFRESH_HOURS,
    SettingsReader,
    parse_settings_tables,
    settings_resources,
)
from .users import users

logger = logging.getLogger(__name__)
__all__ = ["RunLedger", "ZohoCrmCredentials", "resolve_urls", "table_name", "zoho_crm_source"]
EXTRACT_WORKERS_KEY = "sources.zoho_crm.extract.workers"
_workers_set_by_source: Optional[int] = None


@dlt.source(name="zoho_crm", max_table_nesting=2)
def zoho_crm_source(
    credentials: ZohoCrmCredentials = dlt.secrets.value,
    data_center: str = DEFAULT_DATA_CENTER,
    api_base_url: Optional[str] = None,
    accounts_url: Optional[str] = None,
    modules: Optional[Union[List[str], str]] = None,
    start_date: str = DEFAULT_START_DATE,
    ids_per_request: int = DEFAULT_IDS_PER_REQUEST,
    delete_mode: str = "hard",
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    max_retry_seconds: float = DEFAULT_MAX_RETRY_SECONDS,
    bulk_threshold: int = DEFAULT_BULK_THRESHOLD,
    credit_budget: Optional[int] = None,
    settings_tables: Optional[Union[List[str], str]] = None,
    settings_refresh_hours: float = DEFAULT_SETTINGS_REFRESH_HOURS,
    ledger: Optional[RunLedger] = None,
) -> Iterator[DltResource]:
    """Load Zoho CRM modules into `zoho_crm_<module>` tables, incrementally on `Modified_Time`, merged on `id`.

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
        ledger: Collects calls, credits, retries and deletions of the run (the CLI prints them); optional.

    Yields:
        Per module (and per history module of a loaded module) a merge resource fed by a hidden id listing, and
        the deletion resources; the Users resource; one resource per settings table.
    """
    api_base_url, accounts_url = resolve_urls(data_center, api_base_url, accounts_url)
    start = parse_start_date(start_date)
    if not 1 <= int(ids_per_request) <= MAX_IDS_PER_REQUEST:
        raise ZohoConfigError(f"ids_per_request must be between 1 and {MAX_IDS_PER_REQUEST}, got {ids_per_request}")
    if delete_mode not in DELETE_MODES:
        raise ZohoConfigError(f"delete_mode must be one of {', '.join(DELETE_MODES)}, got {delete_mode!r}")
    if int(max_concurrency) < 1:
        raise ZohoConfigError(f"max_concurrency must be 1 or more (your edition's limit), got {max_concurrency}")
    if float(max_retry_seconds) < 0:
        raise ZohoConfigError(f"max_retry_seconds must be 0 or more, got {max_retry_seconds}")
    if int(bulk_threshold) < 0:
        raise ZohoConfigError(f"bulk_threshold must be 0 (no Bulk Read) or more, got {bulk_threshold}")
    if credit_budget is not None and int(credit_budget) < 1:
        raise ZohoConfigError(f"credit_budget must be a positive number of credits, got {credit_budget}")
    ledger = ledger if ledger is not None else RunLedger()
    ledger.credit_budget = int(credit_budget) if credit_budget is not None else None
    names = parse_modules(modules)
    tables, tables_named = parse_settings_tables(settings_tables)
    if float(settings_refresh_hours) < 0:
        raise ZohoConfigError(f"settings_refresh_hours must be 0 or more, got {settings_refresh_hours}")
    size_extract_pool(int(max_concurrency))

    runtime = resolve_configuration(RuntimeConfiguration())
    gate = ZohoGate(
        int(max_concurrency),
        float(max_retry_seconds),
        ledger,
        backoff_base=float(runtime.request_backoff_factor),
        backoff_cap=float(runtime.request_max_retry_delay),
    )
    auth = ZohoOAuth(
        access_token_url=f"{accounts_url}/oauth/v2/token",
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        refresh_token=credentials.refresh_token,
    )
    metadata = OrgMetadata(ZohoClient(api_base_url, auth, gate, timeout=float(runtime.request_timeout)))
    wanted = resolve_modules(names, metadata.modules())
    if names is None or [n.lower() for n in names] == ["all"]:
        metadata.client.optional_modules.update(wanted)  # not named by the user: skipped if unreadable

    history, history_cache = history_modules(metadata, wanted)

    for module in wanted:
        if module == USERS:
            yield dlt.resource(users, name=table_name(USERS), write_disposition="merge", primary_key="id")(
                metadata.client,
                dlt.sources.incremental(CURSOR_FIELD, initial_value=start, on_cursor_value_missing="include"),
            )
            continue
        yield from module_resources(metadata, module, start, int(ids_per_request), delete_mode, int(bulk_threshold))
        for tracker in history.get(module, []):
            if tracker not in wanted:  # not named by the user: skipped if unreadable, like the defaults
                metadata.client.optional_modules.add(tracker)
                yield from module_resources(
                    metadata, tracker, start, int(ids_per_request), delete_mode, int(bulk_threshold)
                )
    if history_cache is not None:
        yield remember(history_cache)
    reader = SettingsReader(metadata.client, metadata, [m for m in wanted if m != USERS])
    yield from settings_resources(reader, tables, tables_named, float(settings_refresh_hours))


def size_extract_pool(max_concurrency: int) -> None:
    """Give dlt's extract pool a thread per call the gate lets through, and two more to parse answers meanwhile,
    unless `[sources.zoho_crm.extract] workers` is configured explicitly."""
    global _workers_set_by_source
    configured = dlt.config.get(EXTRACT_WORKERS_KEY)
    if configured is None or configured == _workers_set_by_source:
        _workers_set_by_source = max_concurrency + 2
        dlt.config[EXTRACT_WORKERS_KEY] = _workers_set_by_source


def module_resources(
    metadata: OrgMetadata,
    module: str,
    start: pendulum.DateTime,
    ids_per_request: int,
    delete_mode: str,
    bulk_threshold: int,
) -> Iterator[DltResource]:
    """The records resource of one module, and its deletion log (plus tombstones in hard mode)."""
    table = table_name(module)
    # both resources that write the module table carry the hard_delete hint: dlt computes a table's schema from
    # whichever resource reaches it first in a run
    tombstone_column = {DELETED_FLAG: {"data_type": "bool", "hard_delete": True, "nullable": True}}
    columns = {CURSOR_FIELD: {"dedup_sort": "desc"}, **(tombstone_column if delete_mode == "hard" else {})}
    ids = dlt.resource(modified_record_ids, name=f"{table}_ids", selected=False, primary_key="id")(
        metadata,
        module,
        ids_per_request,
        bulk_threshold,
        # rows of the still-running second come without a cursor value: loaded, but not moving the cursor
        dlt.sources.incremental(CURSOR_FIELD, initial_value=start, on_cursor_value_missing="include"),
    )
    records = ids | dlt.transformer(
        records_by_ids,
        name=table,
        write_disposition="merge",
        primary_key="id",
        parallelized=True,
        columns=columns,
    )(metadata, module)
    metadata.client.gate.ledger.track_metrics(module, records.custom_metrics)  # calls and credits in the trace
    yield records

    deletions = dlt.resource(deleted_records, name=f"{table}_deletions", selected=False, primary_key="id")(
        metadata.client, module, dlt.sources.incremental(DELETED_CURSOR, initial_value=start)
    )
    yield deletions | dlt.transformer(
        deletion_log,
        name=f"{table}_deleted_log",
        table_name=DELETED_TABLE,
        write_disposition="merge",
        primary_key=("module", "id"),
        columns=LOG_COLUMNS,
    )
    if delete_mode == "hard":
        yield deletions | dlt.transformer(
            tombstones,
            name=f"{table}_tombstones",
            table_name=table,
            write_disposition="merge",
            primary_key="id",
            columns=tombstone_column,
        )(table, metadata.client.gate.ledger)


def table_name(module: str) -> str:
    """`zoho_crm_<module api name in lower case>` (Price_Books -> zoho_crm_price_books, as in the seed)."""
    return TABLE_PREFIX + module.lower()


def resolve_urls(data_center: str, api_base_url: Optional[str], accounts_url: Optional[str]) -> "tuple[str, str]":
    """Return (API domain, accounts server) from the data centre and the optional overrides."""
    dc = (data_center or DEFAULT_DATA_CENTER).strip().lower()
    if dc not in DATA_CENTERS:
        raise ZohoConfigError(
            f"unknown data_center {data_center!r}: use one of {', '.join(DATA_CENTERS)} "
            "(or set api_base_url and accounts_url)"
        )
    default_api, default_accounts = DATA_CENTERS[dc]
    return _check_url("api_base_url", api_base_url or default_api), _check_url(
        "accounts_url", accounts_url or default_accounts
    )


def _check_url(key: str, url: str) -> str:
    url = url.strip().rstrip("/")
    scheme, _, rest = url.partition("://")
    if scheme not in ("http", "https") or not rest or "/" in rest:
        raise ZohoConfigError(f"{key} must look like https://host[:port] (no path), got {url!r}")
    return url


def parse_start_date(start_date: str) -> pendulum.DateTime:
    """`YYYY-MM-DD` -> that day at 00:00 UTC (the seed's `inc_date`)."""
    try:
        return pendulum.from_format(str(start_date).strip(), "YYYY-MM-DD", tz="UTC")
    except ValueError:
        raise ZohoConfigError(f"start_date must be YYYY-MM-DD (e.g. 2024-01-31), got {start_date!r}") from None


def parse_modules(modules: Optional[Union[Sequence[str], str]]) -> Optional[List[str]]:
    """Module names from a list or a comma-separated string; None means the defaults."""
    if modules is None:
        return None
    names = [m.strip().strip("[]\"' ") for m in modules.split(",")] if isinstance(modules, str) else list(modules)
    names = list(dict.fromkeys(n for n in (str(n).strip() for n in names) if n))
    if not names:
        raise ZohoConfigError("modules is empty: give module API names such as Leads,Deals (or all)")
    return names


def resolve_modules(names: Optional[List[str]], available: Optional[Dict[str, Dict[str, Any]]]) -> List[str]:
    """The modules to load: the defaults, "all" (every standard and custom module of the org), or the names.

    Unknown names fail with the list of the org's modules. Without the module list (no settings scope) names are
    taken as given and Zoho itself rejects unknown ones.
    """
    if names is None:
        missing = [m for m in DEFAULT_MODULES if available is not None and m not in available]
        if missing:
            logger.warning("Not in this org (edition or profile), skipped: %s", ", ".join(missing))
        return [*(m for m in DEFAULT_MODULES if m not in missing), USERS]
    wants_all = [n.lower() for n in names] == ["all"]
    if available is None:
        if wants_all:
            raise ZohoConfigError(
                "modules = all needs the ZohoCRM.settings.modules.READ scope to list the org's modules"
            )
        return names
    loadable = sorted(n for n, m in available.items() if m.get("generated_type", "default") in LOADABLE_TYPES)
    if wants_all:
        return [*loadable, USERS]
    unknown = [n for n in names if n not in available and n != USERS]
    if unknown:
        by_lower = {name.lower(): name for name in [*available, USERS]}
        hints = [f"{m} (did you mean {by_lower[m.lower()]}?)" if m.lower() in by_lower else m for m in unknown]
        raise ZohoUnknownModuleError(
            f"unknown module(s): {', '.join(hints)}; modules of this org: {', '.join([*loadable, USERS])} (or all)"
        )
    return names
