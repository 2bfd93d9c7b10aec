"""Constants for the Zoho CRM source: API version, data centres, modules, page and batch sizes."""

from typing import Dict, Tuple

API_VERSION = "v7"

# data centre -> (API domain, accounts server); zoho-crm-api.md §10
DATA_CENTERS: Dict[str, Tuple[str, str]] = {
    "us": ("https://www.zohoapis.com", "https://accounts.zoho.com"),
    "eu": ("https://www.zohoapis.eu", "https://accounts.zoho.eu"),
    "in": ("https://www.zohoapis.in", "https://accounts.zoho.in"),
    "au": ("https://www.zohoapis.com.au", "https://accounts.zoho.com.au"),
    "jp": ("https://www.zohoapis.jp", "https://accounts.zoho.jp"),
    "ca": ("https://www.zohoapis.ca", "https://accounts.zohocloud.ca"),
    "cn": ("https://www.zohoapis.com.cn", "https://accounts.zoho.com.cn"),
    "sa": ("https://www.zohoapis.sa", "https://accounts.zoho.sa"),
}
DEFAULT_DATA_CENTER = "us"

# The 17 modules of the Panoply recipe; each loads into zoho_crm_<api name in lower case>.
DEFAULT_MODULES: Tuple[str, ...] = (
    "Accounts",
    "Calls",
    "Campaigns",
    "Cases",
    "Contacts",
    "Deals",
    "Events",
    "Invoices",
    "Leads",
    "Price_Books",
    "Products",
    "Purchase_Orders",
    "Quotes",
    "Sales_Orders",
    "Solutions",
    "Tasks",
    "Vendors",
)
TABLE_PREFIX = "zoho_crm_"

DEFAULT_START_DATE = "1970-01-01"

PER_PAGE = 200  # max and default page size of Get Records; one credit per call whatever the size
MAX_IDS_PER_REQUEST = 100  # Zoho's usual cap on `ids`
DEFAULT_IDS_PER_REQUEST = 100
LIST_FIELDS = "id,Modified_Time"
MAX_FIELDS_PER_CALL = 50  # `fields` holds at most 50 API names
CURSOR_FIELD = "Modified_Time"

# Zoho does not document whether If-Modified-Since is inclusive: ask from this many seconds before the cursor
# and let the boundary dedup (and merge on id) drop what was already loaded.
IMS_OVERLAP_SECONDS = 1

# Refresh the access token this long before Zoho says it expires (clock skew, slow requests).
TOKEN_EXPIRY_MARGIN_SECONDS = 300

# Get Records hides unapproved records unless asked (`approved`, documented for v2.1 and v8 only: dropped if refused)
COMMON_LIST_PARAMS: Dict[str, str] = {"approved": "both"}
# Modules whose Get Records hides rows unless asked: Leads hide converted leads by default.
EXTRA_LIST_PARAMS: Dict[str, Dict[str, str]] = {"Leads": {"converted": "both"}}

# Error codes that mean "the page_token chain cannot continue": restart the listing from the last cursor.
RESTART_LISTING_CODES = (
    "PAGINATION_LIMIT_EXCEEDED",
    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
    "EXPIRED_VALUE",
    "TOKEN_BOUND_DATA_MISMATCH",
)

# Zoho field `data_type` -> dlt column type (zoho-crm-api.md §4.3). Formula and rollup fields map by `return_type`;
# `currency` becomes decimal with the field's precision; ids and numeric-looking text stay text.
ZOHO_TO_DLT_TYPE: Dict[str, str] = {
    "datetime": "timestamp",
    "date": "date",
    "integer": "bigint",
    "bigint": "bigint",
    "long": "bigint",
    "double": "double",
    "percent": "double",
    "decimal": "double",
    "boolean": "bool",
    "text": "text",
    "textarea": "text",
    "email": "text",
    "phone": "text",
    "website": "text",
    "picklist": "text",
    "autonumber": "text",
    "profileimage": "text",
    "string": "text",
    "event_reminder": "text",
}
# fallback for data types not in the map above
JSON_TYPE_TO_DLT_TYPE: Dict[str, str] = {"string": "text", "integer": "bigint", "double": "double", "boolean": "bool"}
DEFAULT_CURRENCY_SCALE = 2
# object-valued fields flattened by dlt into <field>__id, <field>__name (and __email for owners)
# Zoho's `$` keys that carry data about the record, loaded always: the module a polymorphic lookup points to
# (`$se_module` beside `What_Id`), a converted lead's conversion (`$converted`, `$converted_detail`), the currency
# symbol, the approval state, a draft's state, a cancelled meeting, a truncated multi-select lookup (`$has_more`) and
# who assigned a territory. Every other `$` key (`$editable`, `$approval`, `$locked_for_me`, `$sharing_permission`,
# `$zia_owner_assignment`, `$field_states`, `$in_merge`, …) says what the API user may click in Zoho's UI, not what
# the record holds: left out unless `keep_viewer_flags` is set.
DATA_DOLLAR_KEYS = frozenset(
    {
        "$se_module",
        "$converted",
        "$converted_detail",
        "$currency_symbol",
        "$approval_state",
        "$state",
        "$event_cancelled",
        "$has_more",
        "$assigned",
        "$assigned_by",
        "$assigned_time",
    }
)
LOOKUP_TYPES = frozenset({"lookup", "ownerlookup", "userlookup", "layout"})
# arrays of scalars: one JSON column each, everywhere
SCALAR_ARRAY_TYPES = frozenset({"multiselectpicklist"})
# arrays of objects: child tables (subforms, line items, multi-select lookups, files, territories, tags)
DETAIL_ONLY_OBJECT_TYPES = frozenset(
    {"subform", "multiselectlookup", "multiuserlookup", "fileupload", "imageupload", "territories", "RRULE", "ALARM"}
)

DELETED_CURSOR = "deleted_time"
DELETED_FLAG = "_zoho_deleted"  # hard_delete column on module tables; true only on tombstones
DELETED_TABLE = "zoho_crm_deleted_records"
DELETED_RETENTION_DAYS = 60  # recycle-bin deletions are listed for 60 days, permanent ones for 120
DELETE_MODES = ("hard", "keep")
USERS = "Users"  # not a module of /settings/modules: its own endpoint, loaded by default
LOADABLE_TYPES = ("default", "custom")  # generated_type of modules that `modules = "all"` loads
# Answers that mean "this org, edition or token cannot read the module": a default or `all` module is skipped
UNREADABLE_CODES = frozenset(
    {"NO_PERMISSION", "NOT_SUPPORTED", "OAUTH_SCOPE_MISMATCH", "INVALID_MODULE", "FEATURE_NOT_SUPPORTED"}
)
# `extra` of the warning for a skipped module or table: the CLI prints these after the run, and not at all when
# the run fails on configuration (its one error line names what to fix)
SKIPPED = {"zoho_skipped": True}
# Fields Zoho documents as returned only when fetching specific records
DETAIL_ONLY_TYPES = frozenset({"subform", "multiselectlookup", "multiuserlookup"})

# Credits per call kind (zoho-crm-api.md §8.2): Get Records 1 whatever the page size; metadata, users 1 each;
# deleted records 1 (the Vertical Solutions table says 2: UNCONFIRMED for CRM); Bulk Read job 50, its status
# polls and downloads are not documented to cost anything.
CREDIT_COSTS: Dict[str, int] = {
    "list": 1,
    "detail": 1,
    "record": 1,
    "deleted": 1,
    "users": 1,
    "metadata": 1,
    "coql": 1,  # a COUNT query answers one row: the LIMIT 1-200 band
    "bulk_create": 50,
    "bulk_status": 0,
    "bulk_download": 0,
}

# Concurrency: calls in flight per org and app (§8.3): Free 5, Standard 10, Professional 15, Enterprise 20,
# Ultimate 25. The default suits every edition.
DEFAULT_MAX_CONCURRENCY = 5
# Seconds one call may spend retrying (429, 5xx, dropped or truncated answers) before the run gives up.
DEFAULT_MAX_RETRY_SECONDS = 600
# Longest single wait between two attempts; backoff starts at [runtime] request_backoff_factor seconds.
MAX_RETRY_WAIT_SECONDS = 30
# Connection failures before any call of the run got through: a wrong URL or no network, not a blip.
UNREACHABLE_ATTEMPTS = 3
# Attempts of a call whose 2xx body is not JSON: a proxy's page or a broken answer four times running is no blip
# (with the default backoff the call fails after 4 to 7 s instead of max_retry_seconds).
INVALID_JSON_ATTEMPTS = 4
# Zoho answers both limits with 429 TOO_MANY_REQUESTS; its documented message names both causes and the
# per-cause wording is unconfirmed (§8.4). A message naming only the 24-hour limit stops the run at once.
DAILY_LIMIT_WORDS = ("24 hour", "24-hour", "per day", "daily")
CONCURRENCY_WORDS = ("concurren",)

# Bulk Read (zoho-crm-api.md §7): a job exports up to 200,000 records for 50 credits; first loads of modules
# larger than `bulk_threshold` records use it (REST costs 15 credits per 1,000 records).
DEFAULT_BULK_THRESHOLD = 10_000
BULK_API_PATH = "/crm/bulk/v7/read"
BULK_JOB_CREDITS = 50
# A first load's probe lists this many records, then asks COQL for the module's size (1 credit, scope
# ZohoCRM.coql.READ) instead of listing on to the threshold; smaller modules cost exactly what REST costs.
PROBE_COUNT_AFTER = 1_000
COQL_PATH = "coql"
BULK_POLL_MAX_SECONDS = 30  # a job is polled with backoff from [runtime] request_backoff_factor up to this
# Credits a module's first listing page sets aside for its field metadata (the module and up to two subforms).
METADATA_RESERVE = 3

# Users `type`: Zoho's v7 Get Users documents `AllUsers` (active and inactive users; zoho-crm-api.md §12). The official
# Python SDK for v7 refuses it on the client side (its enum is the v8 OAS's six values): a restriction of the SDK,
# not of the API (evidence in zoho_emulator/README.md). The pipeline follows the documentation.
ALL_USERS = "AllUsers"

# Reconciliation (readers/reconcile.py): what changes in Zoho without moving Modified_Time is compared with the
# mirror once per `reconcile_every_hours` per module, and repaired.
DEFAULT_RECONCILE_EVERY_HOURS = 24.0
RECONCILE_NEVER = ("never", "off", "none", "false", "no")  # reconcile_every_hours values that turn it off
RECONCILIATIONS_TABLE = "zoho_crm_reconciliations"
RECONCILED_DELETION = "reconciliation"  # `type` in zoho_crm_deleted_records of deletions only a reconciliation saw
VOLATILE_TYPES = frozenset({"formula", "rollup_summary"})  # values Zoho recomputes without moving Modified_Time
NAMED_LOOKUP_TYPES = frozenset({"lookup", "ownerlookup", "userlookup"})  # {id, name}: the name follows a rename
