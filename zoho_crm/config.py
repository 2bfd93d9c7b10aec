"""The source's configuration, validated once, and the dlt defaults this source runs best with.

`ZohoCrmSourceConfiguration` is the `spec` of `zoho_crm_source`: dlt resolves every argument the caller leaves out
from `[sources.zoho_crm]` in `.dlt/config.toml`/`secrets.toml` or `SOURCES__ZOHO_CRM__*` variables, then
`on_resolved` checks and normalises the whole set, explicit arguments included, before the source runs a line.

`ZohoCrmDefaults` is a dlt configuration provider registered after every other one: it answers only what nobody
configured, and only for pipelines of this source (no other source in the process is affected).
"""

import logging
from typing import Any, Dict, List, Literal, Optional, Sequence, Tuple, Union

import dlt
import pendulum
from dlt.common.configuration import configspec
from dlt.common.configuration.container import Container
from dlt.common.configuration.providers import ConfigProvider
from dlt.common.configuration.specs import BaseConfiguration
from dlt.common.pipeline import PipelineContext
from dlt.extract.source import SourceInjectableContext

from .api.auth import ZohoCrmCredentials
from .context import ZohoCrmSource
from .errors import ZohoConfigError, ZohoUnknownModuleError
from .settings import (
    DATA_CENTERS,
    DEFAULT_BULK_THRESHOLD,
    DEFAULT_DATA_CENTER,
    DEFAULT_IDS_PER_REQUEST,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RETRY_SECONDS,
    DEFAULT_MODULES,
    DEFAULT_RECONCILE_EVERY_HOURS,
    DEFAULT_START_DATE,
    DELETE_MODES,
    LOADABLE_TYPES,
    MAX_IDS_PER_REQUEST,
    RECONCILE_NEVER,
    TABLE_PREFIX,
    USERS,
)
from .tables.settings_tables import DEFAULT_SETTINGS_REFRESH_HOURS, parse_settings_tables

logger = logging.getLogger(__name__)
TDataCenter = Literal["us", "eu", "in", "au", "jp", "ca", "cn", "sa"]
TDeleteMode = Literal["hard", "keep"]

# Writer settings for wide CRM records (see ZohoCrmDefaults)
WRITER_DEFAULTS: Dict[str, Any] = {"disable_compression": True, "buffer_max_items": 1000, "file_max_items": 100_000}
EXTRA_EXTRACT_WORKERS = 2  # extract threads beyond max_concurrency: they parse answers while calls are in flight


@configspec
class ZohoCrmSourceConfiguration(BaseConfiguration):
    """The arguments of `zoho_crm_source` (documented there), as dlt resolves them from `[sources.zoho_crm]`.

    Values are typed loosely (`str` rather than `TDataCenter`) so that a wrong value gets this project's one-line
    message naming the allowed values, whether it came from the configuration or from a Python argument.
    """

    credentials: ZohoCrmCredentials = None
    data_center: str = DEFAULT_DATA_CENTER
    api_base_url: Optional[str] = None
    accounts_url: Optional[str] = None
    modules: Optional[Union[List[str], str]] = None
    start_date: str = DEFAULT_START_DATE
    ids_per_request: int = DEFAULT_IDS_PER_REQUEST
    delete_mode: str = "hard"
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    max_retry_seconds: float = DEFAULT_MAX_RETRY_SECONDS
    bulk_threshold: int = DEFAULT_BULK_THRESHOLD
    credit_budget: Optional[int] = None
    settings_tables: Optional[Union[List[str], str]] = None
    settings_refresh_hours: float = DEFAULT_SETTINGS_REFRESH_HOURS
    reconcile_every_hours: Any = DEFAULT_RECONCILE_EVERY_HOURS  # a number, or "never" (a string from the env)
    keep_viewer_flags: bool = False

    def on_resolved(self) -> None:
        """Check every value (raising `ZohoConfigError` with the fix) and normalise them: URLs resolved from the
        data centre, numbers as numbers, `modules` as a list (None: the defaults), `settings_tables` as the list of
        tables the user named (None: all tables, skipped when the org cannot answer them)."""
        self.data_center = (self.data_center or DEFAULT_DATA_CENTER).strip().lower()
        self.api_base_url, self.accounts_url = resolve_urls(self.data_center, self.api_base_url, self.accounts_url)
        self.start_date = str(self.start_date).strip()
        parse_start_date(self.start_date)
        self.ids_per_request = int(self.ids_per_request)
        if not 1 <= self.ids_per_request <= MAX_IDS_PER_REQUEST:
            raise ZohoConfigError(
                f"ids_per_request must be between 1 and {MAX_IDS_PER_REQUEST}, got {self.ids_per_request}"
            )
        if self.delete_mode not in DELETE_MODES:
            raise ZohoConfigError(f"delete_mode must be one of {', '.join(DELETE_MODES)}, got {self.delete_mode!r}")
        self.max_concurrency = int(self.max_concurrency)
        if self.max_concurrency < 1:
            raise ZohoConfigError(
                f"max_concurrency must be 1 or more (your edition's limit), got {self.max_concurrency}"
            )
        self.max_retry_seconds = float(self.max_retry_seconds)
        if self.max_retry_seconds < 0:
            raise ZohoConfigError(f"max_retry_seconds must be 0 or more, got {self.max_retry_seconds}")
        self.bulk_threshold = int(self.bulk_threshold)
        if self.bulk_threshold < 0:
            raise ZohoConfigError(f"bulk_threshold must be 0 (no Bulk Read) or more, got {self.bulk_threshold}")
        if self.credit_budget is not None:
            self.credit_budget = int(self.credit_budget)
            if self.credit_budget < 1:
                raise ZohoConfigError(f"credit_budget must be a positive number of credits, got {self.credit_budget}")
        self.modules = parse_modules(self.modules)
        tables, named = parse_settings_tables(self.settings_tables)
        self.settings_tables = tables if named or not tables else None
        self.settings_refresh_hours = float(self.settings_refresh_hours)
        if self.settings_refresh_hours < 0:
            raise ZohoConfigError(f"settings_refresh_hours must be 0 or more, got {self.settings_refresh_hours}")
        self.reconcile_every_hours = parse_reconcile_every(self.reconcile_every_hours)


def parse_reconcile_every(value: Any) -> Optional[float]:
    """Hours between two reconciliations of a module (0: every run), or None for never ("never", "off", a negative
    number, or None)."""
    if value is None or str(value).strip().lower() in RECONCILE_NEVER:
        return None
    try:
        hours = float(value)
    except (TypeError, ValueError):
        raise ZohoConfigError(
            f"reconcile_every_hours must be a number of hours (0: every run) or never, got {value!r}"
        ) from None
    return None if hours < 0 else hours


def resolve_urls(data_center: str, api_base_url: Optional[str], accounts_url: Optional[str]) -> Tuple[str, str]:
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


def named_modules(modules: Optional[Union[Sequence[str], str]]) -> List[str]:
    """The modules a caller named, for a reset of only those: none for the defaults or `all`."""
    names = parse_modules(modules) or []
    return [] if [n.lower() for n in names] == ["all"] else names


def wants_defaults_or_all(names: Optional[List[str]]) -> bool:
    """True when the user named no module (the defaults) or asked for `all`: unreadable modules are skipped."""
    return names is None or [n.lower() for n in names] == ["all"]


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


class ZohoCrmDefaults(ConfigProvider):
    """dlt settings this source runs best with, for what the user left unconfigured.

    dlt asks its providers in order and this one is registered last, so any value from `config.toml`, `secrets.toml`,
    environment variables or Airflow/Vault wins. It answers only while a `zoho_crm_source` is extracted, or while a
    pipeline holding its tables is normalized:

    - `extract.workers`: `max_concurrency` + 2, so dlt's extract pool has a thread for every call the gate lets
      through and two more to parse answers meanwhile (dlt's default of 5 would cap a higher `max_concurrency`);
    - `data_writer.disable_compression`: dlt gzips the files passed from extract to normalize; for this source that
      costs more CPU than the disk it saves (parquet load files compress anyway);
    - `data_writer.buffer_max_items` 1000: dlt buffers 5,000 items per table before writing; 2.5 KB records make
      that the largest share of memory;
    - `data_writer.file_max_items` 100,000: one file per table would make the destination load a whole module in
      one statement (DuckDB: one COPY of a million wide rows); files of 100,000 rows keep each load job's memory
      bounded.
    """

    NAME = "zoho_crm source defaults"

    @property
    def name(self) -> str:
        return self.NAME

    @property
    def supports_secrets(self) -> bool:
        return False

    @property
    def supports_sections(self) -> bool:
        return True

    def get_value(self, key: str, hint: Any, pipeline_name: Optional[str], *sections: str) -> Tuple[Any, str]:
        """The default for `key` in `sections`, or None where this source has no opinion."""
        full_key = ".".join((*sections, key))
        section = sections[-1] if sections else ""
        if section == "extract" and key == "workers":
            context = getattr(_source_being_extracted(), "context", None)
            return (context.max_concurrency + EXTRA_EXTRACT_WORKERS if context else None), full_key
        if section == "data_writer" and key in WRITER_DEFAULTS and _runs_this_source():
            return WRITER_DEFAULTS[key], full_key
        return None, full_key


def register_defaults() -> None:
    """Register `ZohoCrmDefaults` after dlt's providers, once (dlt may reload its providers, e.g. Airflow's
    `PipelineTasksGroup` does: call again before each run)."""
    if ZohoCrmDefaults.NAME not in (provider.name for provider in dlt.config.config_providers):
        dlt.config.register_provider(ZohoCrmDefaults())


def _source_being_extracted() -> Any:
    container = Container()
    return container[SourceInjectableContext].source if SourceInjectableContext in container else None


def _runs_this_source() -> bool:
    """True while a zoho_crm source is extracted, or the active pipeline's schema holds its tables (normalize)."""
    if isinstance(_source_being_extracted(), ZohoCrmSource):
        return True
    pipeline_context = Container()[PipelineContext]
    if not pipeline_context.is_active():
        return False
    pipeline = pipeline_context.pipeline()
    if not pipeline.default_schema_name:
        return False
    return any(name.startswith(TABLE_PREFIX) for name in pipeline.default_schema.tables)
