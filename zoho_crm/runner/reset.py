"""Reset named modules only: `--full-refresh --modules X` reloads X and leaves every other module alone."""

from typing import List

import dlt
from dlt.pipeline.helpers import pipeline_drop

from ..tables.modules import table_name
from ..tables.run_log import RUNS_TABLE


def reset_everything(pipeline: dlt.Pipeline, keep_run_log: bool) -> None:
    """Drop every table of the source and its whole state (cursors, the org it mirrors): the next load is a first.

    For another org (the run log goes too: it describes the other org's runs) and for a full refresh without named
    modules (the run log stays). Done before the run rather than with `pipeline.run(refresh="drop_sources")`: the
    run log's source is extracted in the same run and dlt would refresh it too, wiping the cursors just set.
    """
    if not pipeline.default_schema_name:  # never ran: nothing to reset
        return
    resources = [f"re:^(?!{RUNS_TABLE}$)"] if keep_run_log else ["re:.*"]
    pipeline_drop(pipeline, resources=resources, state_paths="*")()


def reset_modules(pipeline: dlt.Pipeline, modules: List[str]) -> None:
    """Drop the tables and cursors of `modules` (their records, listing and deletion cursors, tombstones).

    dlt's `refresh="drop_sources"` would drop every module of the source, and `drop_resources` would also drop
    `zoho_crm_deleted_records`, which every module shares; so the module's own resources are dropped by name.
    The deletion log keeps its rows: the module's deletions are listed again from the start and merged on
    (module, id).
    """
    if not pipeline.default_schema_name:  # never ran: nothing to reset
        return
    patterns = [f"re:^{table_name(m)}(_ids|_deletions|_tombstones|_reconcile)?$" for m in modules]
    pipeline_drop(pipeline, resources=patterns)()
