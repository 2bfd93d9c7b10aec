"""Every setting of the emulator in one dataclass.

Defaults model the strictest *documented* Zoho CRM v7 behaviour (see ``shared/reference/zoho-crm-api.md``).
Behaviour the reference marks UNCONFIRMED is a setting, so tests can run against each plausible variant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_SCOPES: tuple[str, ...] = (
    "ZohoCRM.modules.READ",
    "ZohoCRM.settings.modules.READ",
    "ZohoCRM.settings.fields.READ",
    "ZohoCRM.users.READ",
    "ZohoCRM.bulk.READ",
    "ZohoCRM.coql.READ",
    "ZohoCRM.org.READ",
    "ZohoCRM.settings.roles.READ",
    "ZohoCRM.settings.profiles.READ",
    "ZohoCRM.settings.territories.READ",
    "ZohoCRM.settings.currencies.READ",
    "ZohoCRM.settings.layouts.READ",
    "ZohoCRM.settings.pipeline.READ",
    "ZohoCRM.settings.tags.READ",
)

# Credits per call kind. "deleted" is 1 here although Zoho's Vertical Solutions table says 2 (UNCONFIRMED for CRM).
DEFAULT_CREDITS: dict[str, int] = {
    "token": 0,
    "list": 1,
    "detail": 1,
    "record": 1,
    "deleted": 1,
    "users": 1,
    "modules_meta": 1,
    "fields_meta": 1,
    "coql": 1,  # LIMIT 1-200 band (a COUNT answers one row)
    "bulk_create": 50,
    "bulk_status": 0,
    "bulk_download": 0,
    "org_meta": 1,
    "roles_meta": 1,
    "profiles_meta": 1,
    "territories_meta": 1,
    "currencies_meta": 1,
    "layouts_meta": 1,
    "pipeline_meta": 1,
    "tags_meta": 1,
}
CREDITS_HEADER_MODES = ("off", "half_used", "always")


@dataclass
class EmulatorConfig:
    """Settings of one emulated Zoho CRM org (data, limits, variants of unconfirmed behaviour, faults).

    Tests may change attributes of ``emu.config`` between requests; the server reads them on every call.
    """

    # --- data -------------------------------------------------------------------------------------------
    seed: int = 1
    """Seed of the deterministic data generator (same seed + same start_time = same org)."""
    port: int = 0
    """TCP port on 127.0.0.1; 0 picks a free port."""
    default_records: int = 20
    """Records per data module unless ``records_per_module`` says otherwise (Vehicles/Notes: at most 7/10)."""
    records_per_module: dict[str, int] = field(default_factory=dict)
    """Per-module record counts, e.g. ``{"Leads": 2500}``."""
    start_time: str | None = None
    """ISO-8601 start of the emulator clock (e.g. ``2025-01-01T00:00:00+00:00``); None = real now."""
    tz_offset: str = "+05:30"
    """Offset of the token user's time zone; every record datetime is rendered in it (documented)."""
    converted_every: int = 10
    """Every N-th lead is converted (Converted__s=true); 0 disables."""
    unapproved_every: int = 40
    """Every N-th record of each module has ``$approval_state`` "approval_process_pending"; 0 disables."""
    initial_deleted: int = 3
    """Pre-existing deletions per data module (recycle, permanent, and one recycle entry past 60 days)."""
    is_admin: bool = True
    """The token user is an administrator (only admins may list Notes: 403 NOT_SUPPORTED otherwise)."""

    wide_modules: tuple[str, ...] = ()
    """Data modules whose records are wide (``wide.py``): long multi-line Descriptions on a share of the records and
    ``wide_custom_fields`` custom text fields. Empty: every module has its usual records."""
    wide_every: int = 10
    """In a wide module, every N-th record (index N-1, 2N-1, …) has a Description of ``wide_text_chars`` characters."""
    wide_text_chars: int = 5_000
    """Length of the long Descriptions, in characters (Zoho allows up to 32,000 in a large textarea)."""
    wide_custom_fields: int = 0
    """Custom fields appended to each wide module: odd ones multi-line textareas ``Wide_Notes_N`` (100–2,000
    characters on half of the records), even ones text fields ``Wide_Text_N`` (up to 255 characters)."""

    # --- org features and settings endpoints ------------------------------------------------------------
    territories_enabled: bool = True
    """Territory management is on: /settings/territories answers, Accounts/Contacts carry ``Territories`` and Deals
    ``Territory``. Off: those fields are absent and /settings/territories answers ``territories_disabled_error``."""
    territories_disabled_error: tuple[int, str] = (400, "FEATURE_NOT_ENABLED")
    """(HTTP status, code) of /settings/territories when territory management is off (v8 OAS example of zoho/crm-oas;
    UNCONFIRMED for v7). Status 204 = empty answer instead of an error."""
    multi_currency: bool = True
    """Multi-currency org: /org/currencies lists INR (home), USD, EUR (+ inactive GBP); records carry ``Currency`` and
    ``Exchange_Rate``. Off: those fields are absent, every amount is in INR, /org/currencies answers
    ``currencies_disabled_error``."""
    currencies_disabled_error: tuple[int, str] = (403, "CURRENCIES_NOT_ENABLED")
    """(HTTP status, code) of /org/currencies in a single-currency org (v8 OAS example of zoho/crm-oas, message "Multi
    currency is not enabled"; UNCONFIRMED for v7). Status 204 = empty answer instead of an error."""
    deal_history_generated_type: str = "field_tracker"
    """``generated_type`` of the DealHistory module in /settings/modules (UNCONFIRMED; the v7 modules sample shows
    ``field_tracker``)."""
    pipeline_maps_probability: bool = False
    """Pipeline ``maps`` (stages) also carry ``probability``. The documented sample and the v8 OAS/SDK have none there:
    a stage's probability is documented on the Deals ``Stage`` field's pick_list_values (UNCONFIRMED variant)."""

    # --- OAuth ------------------------------------------------------------------------------------------
    client_id: str | None = None
    """Valid client id; None derives one from the seed."""
    client_secret: str | None = None
    """Valid client secret; None derives one from the seed."""
    refresh_token: str | None = None
    """Valid refresh token; None derives one from the seed."""
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    token_reports_scope: bool = True
    """Token answers carry ``scope`` (the granted scopes, space-separated): several Zoho samples show it, the
    authorization-code sample does not (UNCONFIRMED)."""
    """Scopes granted to new access tokens (missing module scope → 401 OAUTH_SCOPE_MISMATCH)."""
    no_permission_modules: set[str] = field(default_factory=set)
    """Modules the user's profile cannot read → 403 NO_PERMISSION."""
    token_lifetime: int = 3600
    """Access-token lifetime in seconds (``expires_in``; documented 1 hour)."""
    refresh_limit: int = 10
    """Refreshes allowed per refresh token per ``refresh_window`` (documented 10 per 10 minutes)."""
    refresh_window: int = 600
    """Window of the refresh throttle, seconds."""
    throttle_http_status: int = 200
    """HTTP status of the throttled-refresh body (Kaizen #43 says 200; 400 observed by third parties)."""
    max_active_tokens: int = 15
    """Active access tokens per refresh token; the next one evicts the oldest (documented 15)."""
    accept_bearer: bool = False
    """Accept ``Authorization: Bearer`` besides ``Zoho-oauthtoken`` (UNCONFIRMED)."""

    # --- Get Records --------------------------------------------------------------------------------------
    max_fields: int = 50
    """Maximum field names in ``fields`` (documented 50 → LIMIT_EXCEEDED)."""
    max_per_page: int = 200
    """Maximum and default ``per_page`` (documented 200)."""
    discrete_limit: int = 2000
    """Records reachable with ``page`` (documented 2,000 → DISCRETE_PAGINATION_LIMIT_EXCEEDED)."""
    token_record_cap: int = 100_000
    """Records reachable through a page_token chain (documented 100,000 → PAGINATION_LIMIT_EXCEEDED)."""
    page_token_ttl: int = 86_400
    """page_token validity in seconds (documented 24 h → EXPIRED_VALUE)."""
    next_page_token_mode: str = "always"
    """"always": every page with more records carries next_page_token (v7 sample); "after_discrete_limit": only the
    page whose successor lies past ``discrete_limit`` (and token pages) carry it (UNCONFIRMED variant)."""
    token_binds_ims_header: bool = True
    """The If-Modified-Since header is part of the page_token binding (UNCONFIRMED)."""
    unknown_field_mode: str = "ignore"
    """Unknown names in ``fields``: "ignore" (left out of records) or "error" (400 INVALID_DATA) (UNCONFIRMED)."""
    max_ids: int = 100
    """Maximum ids in ``?ids=`` (UNCONFIRMED for GET; 100 elsewhere → LIMIT_EXCEEDED)."""
    ids_require_fields: bool = False
    """``fields`` is mandatory (and ≤ max_fields) with ``ids`` too (UNCONFIRMED)."""
    ids_full_records: bool = True
    """``?ids=`` returns full detail records incl. subforms/line items/multi-select lookups (UNCONFIRMED);
    False = list shape."""
    ids_unknown: str = "omit"
    """An id in ``?ids=`` that names no live record (deleted, purged): "omit" (left out; 204 when none is left) or
    "invalid_data" (400 INVALID_DATA naming the id) (UNCONFIRMED)."""
    coql_counts_converted: bool = False
    """COQL ``COUNT`` on Leads counts converted leads too (UNCONFIRMED; Get Records hides them by default)."""
    ids_apply_converted_filter: bool = True
    """Converted leads are left out of ``?ids=`` unless converted=true|both (UNCONFIRMED)."""
    ids_apply_approval_filter: bool = True
    """Unapproved records are left out of ``?ids=`` unless approved=false|both (UNCONFIRMED)."""
    ims_inclusive: bool = False
    """If-Modified-Since keeps Modified_Time >= header (True) or > header (False, default) (UNCONFIRMED)."""
    ims_accept_rfc1123: bool = False
    """Accept RFC 1123 dates (``Wed, 21 Oct 2015 07:28:00 GMT``) in If-Modified-Since (UNCONFIRMED; Zoho shows
    only ISO-8601). False → 400 INVALID_DATA."""
    ims_nothing_status: int = 304
    """Status when If-Modified-Since matches nothing on list/users (documented 304; 204 variant)."""
    deleted_ims_nothing_status: int = 204
    """Status when /deleted with If-Modified-Since matches nothing (204 documented for empty; 304 variant)."""
    deleted_page_limit: int | None = None
    """Cap on records reachable with page on /deleted (None; 2000 variant → DISCRETE_PAGINATION_LIMIT_EXCEEDED)."""
    restore_bumps_modified_time: bool = True
    """Restoring from the recycle bin sets a new Modified_Time (UNCONFIRMED)."""
    recycle_retention_days: int = 60
    """Days a recycle-bin deletion stays in the recycle bin and in /deleted (documented 60): older entries leave
    /deleted and can no longer be restored."""
    permanent_retention_days: int = 120
    """Days a permanent deletion stays listed in /deleted (documented 120)."""
    rename_bumps_lookup_modified_time: bool = False
    """Renaming a record (``emu.rename``) also sets a new Modified_Time on every record that looks it up and so
    renders its new name (UNCONFIRMED: Zoho documents nothing; default: their Modified_Time does not move)."""
    rollup_bumps_parent_modified_time: bool = False
    """A child change that recomputes a rollup summary field (Accounts.Total_Deal_Amount) also sets a new
    Modified_Time on the parent (UNCONFIRMED: undocumented; default: the parent's Modified_Time does not move)."""
    hide_unapproved: bool = True
    """``approved`` defaults to true and hides records not yet approved (v2.1 doc)."""
    rich_text_list_limit: int = 500
    """Rich-text fields are cut to this many characters in list responses (documented 500)."""

    # --- credits, limits, faults ------------------------------------------------------------------------
    credits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CREDITS))
    """Credits charged per successful call kind (deleted=1 is a guess; the VS table says 2)."""
    daily_credit_budget: int | None = None
    """Rolling-24 h credit budget; once spent every /crm call → 429 TOO_MANY_REQUESTS. None = unlimited."""
    daily_credit_limit: int | None = None
    """The org's daily credit limit excluding add-ons, used by ``X-API-CREDITS-REMAINING`` (threshold and reported
    value); None = ``daily_credit_budget``."""
    credits_remaining_header: str = "half_used"
    """``X-API-CREDITS-REMAINING`` (limit − credits used in the rolling 24 h) on /crm answers: "half_used" once ≥ 50 %
    of the limit is used (secondary source, reference §8.4), "always", or "off". Needs a limit."""
    fault_seed: int = 0
    """Seed of the fault injector (same seed + same request order = same faults)."""
    latency_ms: float | tuple[float, float] = 0
    """Added latency per /crm request: a constant or a (min, max) range in milliseconds."""
    concurrency_limit: int | None = None
    """More than N /crm requests in flight → 429 TOO_MANY_REQUESTS (edition limits 5–25). None = unlimited."""
    rate_429: float = 0.0
    """Fraction of /crm requests answered 429 TOO_MANY_REQUESTS."""
    retry_after: int | None = None
    """Seconds to send as Retry-After on injected 429s (Zoho documents none → None)."""
    rate_500: float = 0.0
    """Fraction of /crm requests answered 500 INTERNAL_ERROR."""
    rate_drop: float = 0.0
    """Fraction of /crm requests whose connection is closed without a response."""
    rate_truncate: float = 0.0
    """Fraction of /crm requests answered with a full Content-Length but only half the body, then closed."""
    rate_502_html: float = 0.0
    """Fraction of /crm requests answered by a proxy's HTML ``502 Bad Gateway`` page instead of Zoho."""
    rate_invalid_json: float = 0.0
    """Fraction of /crm requests answered HTTP 200 with a body that is not valid JSON."""
    fault_kinds: set[str] | None = None
    """Call kinds (list, detail, deleted, …) the injected faults apply to; None = every /crm call."""
    throttle_messages: str = "specific"
    """Messages of 429 TOO_MANY_REQUESTS: "specific" names only the cause (concurrency limit, 24-hour credit
    limit, or an ambiguous "Too many requests" for injected 429s); "documented" answers every 429 with Zoho's
    documented message naming both causes (the exact per-cause wording is UNCONFIRMED, reference §8.4)."""

    # --- Bulk Read ----------------------------------------------------------------------------------------
    bulk_delay: float = 1.0
    """Seconds from ADDED → IN PROGRESS → COMPLETED (half each)."""
    bulk_page_size: int = 200_000
    """Records per Bulk Read result page (documented 200,000)."""
    bulk_download_per_minute: int = 10
    """Result downloads allowed per minute (documented 10 → 429)."""
    bulk_failure_modules: set[str] = field(default_factory=set)
    """Bulk Read jobs of these modules end in state FAILURE instead of COMPLETED (documented state, §7.2)."""
