"""Questions analysts ask of a CRM mirror, as SQL over the `zoho_crm_*` tables and views (README: "Query your CRM").

Money is added in the org's home currency only (`amount / exchange_rate`). The queries read tables, not the
`zoho_crm_v_*` views: dlt's dataset checks a query's columns against its schema, which has no views, and the
filesystem destination has none.

Each query is plain SQL that dlt's `pipeline.dataset()` runs on any SQL destination (dlt qualifies the table
names with the dataset and translates the dialect). The README shows them verbatim and the tests run every one
against the demo data.
"""

from typing import Dict, Iterable, Optional

import dlt

QUERIES: Dict[str, str] = {
    "Open pipeline by stage": """
SELECT stage,
       count(*) AS deals,
       round(sum(amount / exchange_rate), 2) AS amount_home,
       round(sum(amount / exchange_rate * probability / 100.0), 2) AS weighted_amount_home
FROM zoho_crm_deals
WHERE stage NOT LIKE 'Closed%'
GROUP BY stage
ORDER BY amount_home DESC""",
    "Won revenue by month": """
SELECT CAST(date_trunc('month', closing_date) AS DATE) AS month,
       count(*) AS deals_won,
       round(sum(amount / exchange_rate), 2) AS revenue_home
FROM zoho_crm_deals
WHERE stage = 'Closed Won'
GROUP BY 1
ORDER BY 1 DESC""",
    "Lead sources and conversion": """
SELECT coalesce(lead_source, '(none)') AS lead_source,
       count(*) AS leads,
       sum(CASE WHEN converted__s THEN 1 ELSE 0 END) AS converted,
       round(100.0 * sum(CASE WHEN converted__s THEN 1 ELSE 0 END) / count(*), 1) AS conversion_pct
FROM zoho_crm_leads
GROUP BY 1
ORDER BY leads DESC""",
    "Activities per owner": """
SELECT owner,
       sum(CASE WHEN kind = 'call' THEN 1 ELSE 0 END) AS calls,
       sum(CASE WHEN kind = 'task' THEN 1 ELSE 0 END) AS tasks,
       sum(CASE WHEN kind = 'event' THEN 1 ELSE 0 END) AS events,
       count(*) AS activities
FROM (
    SELECT owner__name AS owner, 'call' AS kind FROM zoho_crm_calls
    UNION ALL SELECT owner__name, 'task' FROM zoho_crm_tasks
    UNION ALL SELECT owner__name, 'event' FROM zoho_crm_events
) AS a
GROUP BY owner
ORDER BY activities DESC""",
    "Quoted products": """
SELECT i.product_name__name AS product,
       count(DISTINCT q.id) AS quotes,
       sum(i.quantity) AS quantity,
       round(sum(i.net_total / q.exchange_rate), 2) AS net_total_home
FROM zoho_crm_quotes__quoted_items AS i
JOIN zoho_crm_quotes AS q ON i._dlt_parent_id = q._dlt_id
GROUP BY 1
ORDER BY net_total_home DESC
LIMIT 10""",
    "Time in stage per deal": """
SELECT h.deal_name__id AS deal_id,
       h.deal_name__name AS deal,
       h.stage,
       count(*) AS times_in_stage,
       round(sum(extract(epoch FROM coalesce(h.left_at, current_timestamp) - h.created_time)) / 86400.0, 1)
           AS days_in_stage,
       max(CASE WHEN h.left_at IS NULL THEN 1 ELSE 0 END) = 1 AS current_stage
FROM (
    SELECT deal_name__id, deal_name__name, stage, created_time,
           lead(created_time) OVER (PARTITION BY deal_name__id ORDER BY created_time, id) AS left_at
    FROM zoho_crm_dealhistory
) AS h
GROUP BY 1, 2, 3
ORDER BY 1, min(h.created_time)""",
    "Pipeline value weighted by stage probability": """
SELECT p.display_value AS pipeline,
       s.sequence_number AS seq,
       s.display_value AS stage,
       s.probability,
       count(d.id) AS deals,
       CAST(sum(d.amount / d.exchange_rate) AS DECIMAL(18, 2)) AS amount_home,
       CAST(sum(d.amount / d.exchange_rate * s.probability / 100.0) AS DECIMAL(18, 2)) AS weighted_amount_home
FROM zoho_crm_pipelines AS p
JOIN zoho_crm_pipelines__maps AS s ON s._dlt_parent_id = p._dlt_id
LEFT JOIN zoho_crm_deals AS d ON d.pipeline = p.actual_value AND d.stage = s.actual_value
WHERE s.forecast_type = 'Open'
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2""",
    "Deals per owner's role": """
SELECT r.name AS role,
       coalesce(r.reporting_to__name, '-') AS reports_to,
       count(DISTINCT u.id) AS users,
       count(d.id) AS deals,
       sum(CASE WHEN d.stage NOT LIKE 'Closed%' THEN 1 ELSE 0 END) AS open_deals,
       sum(CASE WHEN d.stage = 'Closed Won' THEN 1 ELSE 0 END) AS won_deals
FROM zoho_crm_roles AS r
LEFT JOIN zoho_crm_users AS u ON u.role__id = r.id
LEFT JOIN zoho_crm_deals AS d ON d.owner__id = u.id
GROUP BY 1, 2
ORDER BY deals DESC, role""",
    "Deletions over time": """
SELECT CAST(date_trunc('month', deleted_time) AS DATE) AS month,
       module,
       count(*) AS deleted
FROM zoho_crm_deleted_records
GROUP BY 1, 2
ORDER BY 1 DESC, 3 DESC, 2""",
}


def print_queries(pipeline: dlt.Pipeline, titles: Optional[Iterable[str]] = None, rows: int = 5) -> None:
    """Print each query and its first rows, read from the destination the pipeline loaded.

    Args:
        pipeline: A pipeline that has loaded the `zoho_crm_*` tables.
        titles: Keys of `QUERIES` to run; all by default.
        rows: How many result rows to print per query.
    """
    dataset = pipeline.dataset()
    for title in titles or QUERIES:
        sql = QUERIES[title].strip()
        print(f"\n-- {title}\n{sql};")
        try:
            result = dataset(sql).fetchmany(rows)
        except Exception as exc:  # a sample query must not fail a run whose data is loaded
            print(f"    (not run: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")
            continue
        for row in result:
            print("   ", " | ".join(str(v) for v in row))
