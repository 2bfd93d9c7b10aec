"""The SQL of `zoho_crm_v_deals` and `zoho_crm_v_pipeline_stages` (docs/analyst-views.md documents each column)."""

from typing import List, Optional, Set, Tuple

from .catalog import BIGINT, BOOL, DATE, DOUBLE, MONEY, TEXT, Catalog, Table, in_org_time, is_money, is_timestamp

DEALS = "zoho_crm_deals"
PIPELINES = "zoho_crm_pipelines"
STAGES = "zoho_crm_pipelines__maps"
V_DEALS = "zoho_crm_v_deals"
V_PIPELINE_STAGES = "zoho_crm_v_pipeline_stages"

Column = Tuple[str, str]  # (SQL expression, output name)

# Zoho's forecast types of a pipeline stage
CLOSED_WON, CLOSED_LOST, OPEN = "'Closed Won'", "'Closed Lost'", "'Open'"
# Deal columns shown under analyst names (source column, view column, type); every other column of the table
# follows under its own name
RENAMED = (
    ("id", "id", TEXT),
    ("deal_name", "deal_name", TEXT),
    ("pipeline", "pipeline", TEXT),
    ("stage", "stage", TEXT),
)
PEOPLE = (
    ("owner__id", "owner_id"),
    ("owner__name", "owner_name"),
    ("account_name__id", "account_id"),
    ("account_name__name", "account_name"),
    ("contact_name__id", "contact_id"),
    ("contact_name__name", "contact_name"),
)
MONEY_COLUMNS = ("amount", "expected_revenue")  # always present (typed NULL when absent), with their *_home twins
TIMES = ("created_time", "modified_time")  # always present, with their *_org twins
EXCHANGE_RATE = "exchange_rate"


def selected(columns: List[Column], table: Table) -> str:
    """The SELECT list, `expr AS "name"` one a line (names quoted as `table`'s destination quotes them)."""
    return ",\n       ".join(f"{expr} AS {table.ident(name)}" for expr, name in columns)


def in_home(money: str, rate: str) -> str:
    """A money value in the org's home currency: Zoho's `Exchange_Rate` is units of the record's currency per one
    home-currency unit, so the home amount is the amount divided by it (docs/analyst-views.md cites Zoho)."""
    return f"CAST({money} AS {DOUBLE}) / {rate}"


def forecast_type_by_name(stage: str) -> str:
    """The forecast type a stage's name implies, for a stage no pipeline lists (Zoho's default closed stages are
    "Closed Won", "Closed Lost" and "Closed-Lost to Competition")."""
    return (
        f"CASE WHEN lower({stage}) LIKE 'closed%won%' THEN {CLOSED_WON} "
        f"WHEN lower({stage}) LIKE 'closed%' THEN {CLOSED_LOST} ELSE {OPEN} END"
    )


def stage_ctes(catalog: Catalog) -> Optional[str]:
    """`stage_map` (one row per pipeline and stage) and `stage_any` (per stage name, values only where every
    pipeline agrees), or None without the pipelines tables. Grouped, so that a deal joins at most one row of each
    even when several layouts have a pipeline of the same name."""
    p = catalog.table(PIPELINES, "p", required=("_dlt_id", "actual_value"))
    s = catalog.table(STAGES, "s", required=("_dlt_parent_id", "actual_value"))
    if p is None or s is None:
        return None
    values = (
        ("forecast_type", s.col("forecast_type", TEXT)),
        ("forecast_category", s.col("forecast_category__name", TEXT)),
        ("probability", s.col("probability", BIGINT)),
        ("sequence_number", s.col("sequence_number", BIGINT)),
    )
    per_pipeline = ", ".join(f"min({expr}) AS {name}" for name, expr in values)
    agreed = ", ".join(f"CASE WHEN min({name}) = max({name}) THEN min({name}) END AS {name}" for name, _ in values)
    return (
        f"stage_map AS (SELECT {p.ref('actual_value')} AS pipeline, {s.ref('actual_value')} AS stage, {per_pipeline}"
        f" FROM {p.source()} JOIN {s.source()} ON {s.ref('_dlt_parent_id')} = {p.ref('_dlt_id')} GROUP BY 1, 2),\n"
        f"stage_any AS (SELECT stage, {agreed} FROM stage_map GROUP BY stage)"
    )


def deals_view(catalog: Catalog) -> Optional[str]:
    """SELECT of `zoho_crm_v_deals`, or None when the dataset has no deals table."""
    d = catalog.table(DEALS, "d", required=("id",))
    if d is None:
        return None
    stages = stage_ctes(catalog)
    ctes = [catalog.org_cte()] + ([stages] if stages else [])
    joins = ""
    if stages:
        on_pipeline = f"m.pipeline = {d.ref('pipeline')} AND " if d.has("pipeline") else "FALSE AND "
        joins = (
            f"\nLEFT JOIN stage_map AS m ON {on_pipeline}m.stage = {d.col('stage', TEXT)}"
            f"\nLEFT JOIN stage_any AS a ON a.stage = {d.col('stage', TEXT)}"
        )

    def staged(name: str, sql_type: str) -> str:
        return f"CAST(coalesce(m.{name}, a.{name}) AS {sql_type})" if stages else f"CAST(NULL AS {sql_type})"

    forecast_type = f"coalesce({staged('forecast_type', TEXT)}, {forecast_type_by_name(d.col('stage', TEXT))})"
    rate = f"coalesce(nullif({d.ref(EXCHANGE_RATE)}, 0), 1)" if d.has(EXCHANGE_RATE) else "1"
    columns: List[Column] = [(d.col(src, t), name) for src, name, t in RENAMED]
    columns += [
        (staged("sequence_number", BIGINT), "stage_sequence"),
        (forecast_type, "forecast_type"),
        (staged("forecast_category", TEXT), "forecast_category"),
        (f"{forecast_type} IN ({CLOSED_WON}, {CLOSED_LOST})", "is_closed"),
        (f"{forecast_type} = {CLOSED_WON}", "is_won"),
        (staged("probability", BIGINT), "stage_probability"),
        (d.col("probability", BIGINT), "probability"),
        (d.col("currency", TEXT), "currency"),
        (d.col(EXCHANGE_RATE, DOUBLE), EXCHANGE_RATE),
        ("o.home_currency", "home_currency"),
    ]
    for money in MONEY_COLUMNS:
        columns += [(d.col(money, MONEY), money), (in_home(d.col(money, MONEY), rate), f"{money}_home")]
    columns.append((d.col("closing_date", DATE), "closing_date"))
    columns += [(d.col(src, TEXT), name) for src, name in PEOPLE]
    for time in TIMES:
        columns += [(d.instant(time), time), (in_org_time(d.instant(time)), f"{time}_org")]
    columns += passthrough(d, rate, {name for _, name in columns})
    with_ = ",\n".join(ctes)
    return (
        f"WITH {with_}\nSELECT {selected(columns, d)}\n"
        f"FROM {d.source()}\nCROSS JOIN org AS o{joins}\nWHERE {d.alive()}"
    )


def passthrough(d: Table, rate: str, taken: Set[str]) -> List[Column]:
    """Every other deal column under its own name (custom fields too), money with a `*_home` twin and timestamps
    with a `*_org` twin; dlt's and Zoho's `_` columns and the columns already shown under another name are left
    out, and so is a column whose name a view column already has."""
    consumed = {src for src, _, _ in RENAMED} | {src for src, _ in PEOPLE} | {"probability", "currency"}
    columns: List[Column] = []
    for name, data_type in d.columns.items():
        if name.startswith("_") or name in consumed or name in taken:
            continue
        twins: List[Column] = [(d.ref(name), name)]
        if is_money(data_type) and name != EXCHANGE_RATE:
            twins.append((in_home(d.ref(name), rate), f"{name}_home"))
        elif is_timestamp(data_type):
            twins = [(d.instant(name), name), (in_org_time(d.instant(name)), f"{name}_org")]
        for expr, out in twins:
            if out not in taken:
                columns.append((expr, out))
                taken.add(out)
    return columns


def pipeline_stages_view(catalog: Catalog) -> Optional[str]:
    """SELECT of `zoho_crm_v_pipeline_stages`, or None without the pipelines tables."""
    p = catalog.table(PIPELINES, "p", required=("_dlt_id", "actual_value"))
    s = catalog.table(STAGES, "s", required=("_dlt_parent_id", "actual_value"))
    if p is None or s is None:
        return None
    forecast_type = f"coalesce({s.col('forecast_type', TEXT)}, {forecast_type_by_name(s.ref('actual_value'))})"
    columns: List[Column] = [
        (p.col("id", TEXT), "pipeline_id"),
        (p.ref("actual_value"), "pipeline"),
        (p.col("display_value", TEXT), "pipeline_display"),
        (p.col("default", BOOL), "is_default_pipeline"),
        (p.col("layout__id", TEXT), "layout_id"),
        (p.col("layout__name", TEXT), "layout_name"),
        (s.col("id", TEXT), "stage_id"),
        (s.ref("actual_value"), "stage"),
        (s.col("display_value", TEXT), "stage_display"),
        (s.col("sequence_number", BIGINT), "stage_sequence"),
        (forecast_type, "forecast_type"),
        (s.col("forecast_category__name", TEXT), "forecast_category"),
        (s.col("probability", BIGINT), "probability"),
        (f"{forecast_type} IN ({CLOSED_WON}, {CLOSED_LOST})", "is_closed"),
        (f"{forecast_type} = {CLOSED_WON}", "is_won"),
    ]
    return (
        f"SELECT {selected(columns, p)}\nFROM {p.source()}\n"
        f"JOIN {s.source()} ON {s.ref('_dlt_parent_id')} = {p.ref('_dlt_id')}"
    )
