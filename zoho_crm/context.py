"""What the parts of one run share, passed to them explicitly: the Zoho client and its gate, the credit ledger, the
org's metadata, what this Zoho refused (`ZohoQuirks`) and the org guard.

Each `zoho_crm_source(...)` call builds its own `RunContext`; nothing is process-global, so two sources in one
process (two orgs, two Airflow tasks in one worker) never see each other's state. The source object carries its
context (`ZohoCrmSource.context`), which is how `zoho_crm.mirror` reads the run's ledger and API domain, and how
the configuration defaults (`config.ZohoCrmDefaults`) size dlt's extract pool for the source being extracted.
"""

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional

import dlt
from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.specs import RuntimeConfiguration
from dlt.common.exceptions import PipelineStateNotAvailable
from dlt.common.schema import Schema
from dlt.extract import DltSource

from .api.auth import ZohoCrmCredentials, ZohoOAuth
from .api.client import ZohoClient
from .api.gate import ZohoGate
from .api.ledger import RunLedger
from .api.quirks import ZohoQuirks
from .api.stop import RunStop
from .errors import ZohoOrgChangedError
from .records.metadata import OrgMetadata

ORG_STATE_KEY = "api_base_url"  # source state: the Zoho API domain whose org the pipeline's tables mirror
LEGACY_ORG_STATE_KEY = "zoho_crm_api_base_url"  # local pipeline state key of runs before the source kept it


def mirrored_org(pipeline_state: Mapping[str, Any], source_name: str) -> Optional[str]:
    """The Zoho API domain a pipeline's state says its tables mirror, or None for a pipeline that loaded none."""
    source_state = (pipeline_state.get("sources") or {}).get(source_name) or {}
    return source_state.get(ORG_STATE_KEY) or (pipeline_state.get("_local") or {}).get(LEGACY_ORG_STATE_KEY)


class OrgGuard:
    """Keeps one pipeline to one org: the first extract records the source's Zoho API domain in the source state
    (committed with the load, like the cursors); an extract whose source reads another domain is refused.

    Each resource of the source checks before its first Zoho call (`readers.streams.in_extract_pool`), in dlt's
    main extract thread, so a refused run makes no record call and loads nothing. `refresh="drop_sources"` (which
    `zoho_crm.mirror` uses when the org changed) empties the source state first, so such a run is not refused.
    """

    def __init__(self, api_base_url: str) -> None:
        self.api_base_url = api_base_url
        self._lock = threading.Lock()

    def check(self) -> None:
        """Raise `ZohoOrgChangedError` when the pipeline being extracted mirrors another org; else record this one.

        Outside an extract (the source iterated on its own) there is no pipeline state to guard.
        """
        try:
            state = dlt.current.source_state()
        except PipelineStateNotAvailable:
            return
        with self._lock:
            previous = state.get(ORG_STATE_KEY) or _legacy_org()
            if previous and previous != self.api_base_url:
                raise ZohoOrgChangedError(_pipeline_name(), previous, self.api_base_url)
            state[ORG_STATE_KEY] = self.api_base_url


class ListingStarts:
    """The cursor each module's incremental listing started from in this run (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._starts: Dict[str, datetime] = {}

    def note(self, module: str, since: datetime) -> None:
        """`module`'s listing lists records modified since `since`."""
        with self._lock:
            self._starts[module] = since

    def get(self, module: str) -> Optional[datetime]:
        """Where `module`'s listing started, once it has."""
        with self._lock:
            return self._starts.get(module)


@dataclass(frozen=True)
class RunContext:
    """What the resources of one source share (see the module docstring)."""

    client: ZohoClient
    gate: ZohoGate
    ledger: RunLedger
    metadata: OrgMetadata
    quirks: ZohoQuirks
    org: OrgGuard
    max_concurrency: int
    listing_starts: ListingStarts = field(default_factory=ListingStarts)
    modules: List[str] = field(default_factory=list)  # what the source loads (history modules included), in order
    options: Dict[str, Any] = field(default_factory=dict)  # the source's resolved arguments (`--plan` reads them)
    destination_lock: threading.Lock = field(default_factory=threading.Lock)  # one reader of the destination at a time

    @property
    def keep_viewer_flags(self) -> bool:
        """Load Zoho's per-viewer `$` keys too (`settings.DATA_DOLLAR_KEYS` are loaded always)."""
        return bool(self.options.get("keep_viewer_flags"))

    @property
    def api_base_url(self) -> str:
        """The Zoho API domain this run reads (`scheme://host[:port]`)."""
        return self.client.api_base_url


def run_context(
    credentials: ZohoCrmCredentials,
    api_base_url: str,
    accounts_url: str,
    max_concurrency: int,
    max_retry_seconds: float,
    ledger: RunLedger,
    stop: Optional[RunStop] = None,
) -> RunContext:
    """Wire one run: gate (with dlt's `[runtime] request_*` backoff and timeout) → OAuth → client → metadata.

    Args:
        credentials: The Self Client's id, secret and refresh token.
        api_base_url: The Zoho API domain, resolved (`config.resolve_urls`).
        accounts_url: The accounts server, resolved.
        max_concurrency: Calls in flight at once, for the whole run.
        max_retry_seconds: Time one call may spend retrying.
        ledger: Counts the run's calls and credits (its `credit_budget` set).
        stop: Where the run is asked to stop (a signal, a failure); default: a request of its own.
    """
    runtime = resolve_configuration(RuntimeConfiguration())
    gate = ZohoGate(
        max_concurrency,
        max_retry_seconds,
        ledger,
        backoff_base=float(runtime.request_backoff_factor),
        backoff_cap=float(runtime.request_max_retry_delay),
        stop=stop,
    )
    auth = ZohoOAuth(
        access_token_url=f"{accounts_url}/oauth/v2/token",
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        refresh_token=credentials.refresh_token,
    )
    client = ZohoClient(api_base_url, auth, gate, timeout=float(runtime.request_timeout))
    quirks = ZohoQuirks()
    return RunContext(
        client, gate, ledger, OrgMetadata(client, quirks), quirks, OrgGuard(client.api_base_url), max_concurrency
    )


class ZohoCrmSource(DltSource):
    """dlt's `DltSource`, carrying the `RunContext` its resources share (`context`; None only for a source built
    some other way than by `zoho_crm_source`)."""

    context: Optional[RunContext] = None

    @classmethod
    def from_data(cls, schema: Schema, section: str, data: Any) -> "ZohoCrmSource":
        """The source of the items `zoho_crm_source` yields: its `RunContext`, then its resources."""
        items: List[Any] = list(data) if isinstance(data, (list, tuple)) else [data]
        contexts = [item for item in items if isinstance(item, RunContext)]
        source = super().from_data(schema, section, [item for item in items if not isinstance(item, RunContext)])
        source.context = contexts[0] if contexts else None
        return source

    def clone(self, with_name: Optional[str] = None) -> "ZohoCrmSource":
        """A deep copy (dlt's `clone`, used by `with_resources`) that keeps the run context."""
        source = ZohoCrmSource(
            self.schema.clone(with_name=with_name), self.section, list(self._resources.values())
        )
        source.context = self.context
        return source


def _legacy_org() -> Optional[str]:
    try:
        local: Dict[str, Any] = dlt.current.pipeline().state.get("_local") or {}
    except Exception:  # no active pipeline: the source iterated on its own
        return None
    return local.get(LEGACY_ORG_STATE_KEY)


def _pipeline_name() -> str:
    try:
        return str(dlt.current.pipeline().pipeline_name)
    except Exception:
        return "<pipeline>"
