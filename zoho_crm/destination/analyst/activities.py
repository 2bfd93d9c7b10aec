"""The SQL of `zoho_crm_v_activities` and `zoho_crm_v_deal_stage_durations` (docs/analyst-views.md documents each
column)."""

from typing import Callable, List, Optional, Tuple

from .catalog import BIGINT, BOOL, DOUBLE, LOCAL_TS, TEXT, TS, Catalog, Table, in_org_time

TASKS, CALLS, EVENTS = "zoho_crm_tasks", "zoho_crm_calls", "zoho_crm_events"
DEAL_HISTORY = "zoho_crm_dealhistory"
V_ACTIVITIES = "zoho_crm_v_activities"
V_STAGE_DURATIONS = "zoho_crm_v_deal_stage_durations"

# The columns of zoho_crm_v_activities in order, with their types: every branch of the UNION casts to these
ACTIVITY_COLUMNS: Tuple[Tuple[str, str], ...] = (
    ("activity_type", TEXT),
    ("id", TEXT),
    ("subject", TEXT),
    ("status", TEXT),
    ("owner_id", TEXT),
    ("owner_name", TEXT),
    ("related_module", TEXT),
    ("related_id", TEXT),
    ("related_name", TEXT),
    ("contact_id", TEXT),
    ("contact_name", TEXT),
    ("due_or_start_time", TS),
    ("end_time", TS),
    ("due_or_start_time_org", LOCAL_TS),
    ("end_time_org", LOCAL_TS),
    ("created_time", TS),
    ("modified_time", TS),
    ("created_time_org", LOCAL_TS),
    ("modified_time_org", LOCAL_TS),
)


def shared(t: Table, kind: str, subject: str) -> dict:
    """The columns every activity module has under the same Zoho field names."""
    return {
        "activity_type": f"'{kind}'",
        "id": t.ref("id"),
        "subject": t.col(subject, TEXT),
        "owner_id": t.col("owner__id", TEXT),
        "owner_name": t.col("owner__name", TEXT),
        "related_module": t.col("_se_module", TEXT),  # the module What_Id points to (Zoho's `$se_module`)
        "related_id": t.col("what_id__id", TEXT),
        "related_name": t.col("what_id__name", TEXT),
        "contact_id": t.col("who_id__id", TEXT),
        "contact_name": t.col("who_id__name", TEXT),
        "created_time": t.instant("created_time"),
        "modified_time": t.instant("modified_time"),
        "created_time_org": in_org_time(t.instant("created_time")),
        "modified_time_org": in_org_time(t.instant("modified_time")),
    }


def task(t: Table) -> dict:
    """Tasks: the due date is a date; as a time it is midnight in the org's time zone (UTC when unknown)."""
    due = f"CAST({t.col('due_date', 'DATE')} AS {LOCAL_TS})"
    return {
        **shared(t, "task", "subject"),
        "status": t.col("status", TEXT),
        "due_or_start_time": f"timezone(coalesce(o.time_zone, 'UTC'), {due})",
        "due_or_start_time_org": due,
    }


def call(t: Table) -> dict:
    """Calls: status is Zoho's outgoing call status, else the call type (Inbound, Missed); the end is the start
    plus the call's duration."""
    start = t.instant("call_start_time")
    end = f"CAST(NULL AS {TS})"
    if t.has("call_start_time", "call_duration_in_seconds"):
        end = f"{start} + {t.ref('call_duration_in_seconds')} * INTERVAL '1 second'"
    return {
        **shared(t, "call", "subject"),
        "status": f"coalesce({t.col('outgoing_call_status', TEXT)}, {t.col('call_type', TEXT)})",
        "due_or_start_time": start,
        "end_time": end,
        "due_or_start_time_org": in_org_time(start),
        "end_time_org": in_org_time(end),
    }


def event(t: Table) -> dict:
    """Events (meetings): Zoho has no status, so it is derived when the view is read: Cancelled, Held (ended, or
    started when there is no end) or Planned."""
    start, end = t.instant("start_date_time"), t.instant("end_date_time")
    cancelled = f"{t.ref('_event_cancelled')} IS TRUE" if t.has("_event_cancelled") else "FALSE"
    status = (
        f"CASE WHEN {cancelled} THEN 'Cancelled' WHEN coalesce({end}, {start}) <= current_timestamp THEN 'Held' "
        f"WHEN {start} IS NOT NULL THEN 'Planned' END"
    )
    return {
        **shared(t, "event", "event_title"),
        "status": status,
        "due_or_start_time": start,
        "end_time": end,
        "due_or_start_time_org": in_org_time(start),
        "end_time_org": in_org_time(end),
    }


BRANCHES: Tuple[Tuple[str, str, Callable[[Table], dict]], ...] = (
    (TASKS, "t", task),
    (CALLS, "c", call),
    (EVENTS, "e", event),
)


def activities_view(catalog: Catalog) -> Optional[str]:
    """SELECT of `zoho_crm_v_activities` over whichever of Tasks, Calls and Events the dataset has, or None."""
    branches: List[str] = []
    for name, alias, columns_of in BRANCHES:
        t = catalog.table(name, alias, required=("id",))
        if t is None:
            continue
        exprs = columns_of(t)
        select = ",\n       ".join(
            f"CAST({exprs.get(col, 'NULL')} AS {sql_type}) AS {t.ident(col)}" for col, sql_type in ACTIVITY_COLUMNS
        )
        branches.append(f"SELECT {select}\nFROM {t.source()}\nCROSS JOIN org AS o\nWHERE {t.alive()}")
    if not branches:
        return None
    union = "\nUNION ALL\n".join(branches)
    return f"WITH {catalog.org_cte()}\n{union}"


def stage_durations_view(catalog: Catalog) -> Optional[str]:
    """SELECT of `zoho_crm_v_deal_stage_durations`: one row per stay of a deal in a stage, from the stage history
    (each history row opens a stay; the deal's next row closes it), or None without the history table."""
    h = catalog.table(DEAL_HISTORY, "h", required=("id", "deal_name__id", "stage", "created_time"))
    if h is None:
        return None
    ident = h.ident
    stays = (
        f"stays AS (SELECT {h.ref('id')} AS history_id, {h.ref('deal_name__id')} AS deal_id, "
        f"{h.col('deal_name__name', TEXT)} AS deal_name, {h.ref('stage')} AS stage, "
        f"{h.instant('created_time')} AS entered_at, {h.col('duration', BIGINT)} AS zoho_duration_days "
        f"FROM {h.source()} WHERE {h.alive()})"
    )
    window = "OVER (PARTITION BY deal_id ORDER BY entered_at, history_id)"
    visits = (
        f"visits AS (SELECT stays.*, row_number() {window} AS visit_number, lead(entered_at) {window} AS left_at, "
        f"lead(stage) {window} AS next_stage FROM stays)"
    )
    days = "extract(epoch FROM (coalesce(v.left_at, current_timestamp) - v.entered_at)) / 86400.0"
    columns = (
        ("v.deal_id", "deal_id", TEXT),
        ("v.deal_name", "deal_name", TEXT),
        ("v.visit_number", "visit_number", BIGINT),
        ("v.stage", "stage", TEXT),
        ("v.next_stage", "next_stage", TEXT),
        ("v.entered_at", "entered_at", TS),
        ("v.left_at", "left_at", TS),
        (in_org_time("v.entered_at"), "entered_at_org", LOCAL_TS),
        (in_org_time("v.left_at"), "left_at_org", LOCAL_TS),
        (days, "days_in_stage", DOUBLE),
        ("v.left_at IS NULL", "is_current", BOOL),
        ("v.zoho_duration_days", "zoho_duration_days", BIGINT),
        ("v.history_id", "history_id", TEXT),
    )
    select = ",\n       ".join(f"CAST({expr} AS {sql_type}) AS {ident(name)}" for expr, name, sql_type in columns)
    return f"WITH {catalog.org_cte()},\n{stays},\n{visits}\nSELECT {select}\nFROM visits AS v\nCROSS JOIN org AS o"
