"""The demo shows increments: one emulator org across `--demo` runs (its file beside the DuckDB file), so a second
demo loads only what changed, and `--demo --changes N` edits and deletes records first."""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from tests.e2e.helpers import CliRun, query, run_cli
from tests.helpers import isolate_dlt
from zoho_crm import table_name
from zoho_crm.demo import DEMO_DUCKDB_FILE, DEMO_ORG_FILE, DEMO_PIPELINE_NAME

pytestmark = pytest.mark.slow
WATCHED_TABLES = ("zoho_crm_deals", "zoho_crm_leads", "zoho_crm_tasks")


@dataclass(frozen=True)
class DemoRuns:
    """Five demos in one directory: the first, a second, one with `--changes 40`, a third, and one after the DuckDB
    file was deleted."""

    root: Path
    first: CliRun
    second: CliRun
    changes: CliRun
    third: CliRun
    without_duckdb: CliRun
    log_after_second: List[Dict[str, Any]]  # the org file's change log before --changes
    rows_after_third: Dict[str, int]  # rows of WATCHED_TABLES before the DuckDB file was deleted

    @property
    def duckdb(self) -> str:
        """The demo's DuckDB file."""
        return str(self.root / DEMO_DUCKDB_FILE)

    def log(self) -> List[Dict[str, Any]]:
        """The org file's change log now."""
        return json.loads((self.root / DEMO_ORG_FILE).read_text())["changes"]


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> DemoRuns:
    """The five demo runs, in a working directory of their own."""
    root = tmp_path_factory.mktemp("demo_increments")
    with pytest.MonkeyPatch.context() as mp:
        isolate_dlt(mp, root)
        first, second = run_cli("--demo"), run_cli("--demo")
        log = json.loads((root / DEMO_ORG_FILE).read_text())["changes"]
        changes, third = run_cli("--demo", "--changes", "40"), run_cli("--demo")
        duckdb_rows = {t: n for (t, n) in table_rows(root / DEMO_DUCKDB_FILE)}
        (root / DEMO_DUCKDB_FILE).unlink()
        without_duckdb = run_cli("--demo")
    for run in (first, second, changes, third, without_duckdb):
        assert run.code == 0, run.err
    return DemoRuns(root, first, second, changes, third, without_duckdb, log, duckdb_rows)


def table_rows(duckdb: Path) -> List[Tuple[str, int]]:
    """(table, rows) of the demo's Deals, Leads and Tasks tables."""
    return [(t, query(f"SELECT count(*) FROM {t}", db=str(duckdb))[0][0]) for t in WATCHED_TABLES]


def loaded(run: CliRun) -> int:
    """The rows the run's summary says it loaded."""
    match = re.search(r"^Loaded (\d+) rows", run.out, re.MULTILINE)
    assert match, run.out
    return int(match.group(1))


def summary_deleted(run: CliRun) -> Dict[str, int]:
    """Deleted rows per table, as the summary shows them."""
    return {t: int(n) for t, n in re.findall(r"^  (zoho_crm_\w+) +\d+  \((\d+) deleted\)$", run.out, re.MULTILINE)}


def test_first_demo_loads_the_whole_org_and_says_where_it_went(demos: DemoRuns) -> None:
    out = demos.first.out
    assert "Loading everything (a new demo org)" in out
    assert loaded(demos.first) > 9000
    assert f"Pipeline {DEMO_PIPELINE_NAME} → {demos.duckdb}, dataset zoho_crm_data" in out
    assert f"Demo org: {demos.root / DEMO_ORG_FILE} (new;" in out
    assert f'dlt.attach("{DEMO_PIPELINE_NAME}")' in out


def test_second_demo_is_incremental_on_the_same_org_and_loads_under_a_tenth(demos: DemoRuns) -> None:
    url = re.compile(r"Zoho emulator running at (\S+)")
    assert url.search(demos.second.out)[1] == url.search(demos.first.out)[1]  # type: ignore[index]
    assert "Incremental: loading what changed since the last demo" in demos.second.out
    assert "dropping its tables" not in demos.second.output  # the org guard's warning
    assert loaded(demos.second) < loaded(demos.first) / 10


def test_demo_changes_load_the_logged_edits_and_deletions(demos: DemoRuns) -> None:
    out = demos.changes.out
    assert "edited 40 records (Deals 8, Contacts 8, Leads 8, Accounts 8, Tasks 8)" in out
    assert "deleted 10 (Deals 4, Leads 3, Tasks 3)" in out
    new = demos.log()[len(demos.log_after_second) :]
    assert {c["kind"] for c in new} == {"edit", "delete"}
    deleted = {table_name(c["module"]): len(c["ids"]) for c in new if c["kind"] == "delete"}
    assert {t: n for t, n in summary_deleted(demos.changes).items() if t in deleted} == deleted
    for change in new:
        table, ids = table_name(change["module"]), change["ids"]
        listed = ", ".join(f"'{i}'" for i in ids)
        rows = dict(query(f"SELECT id, modified_time FROM {table} WHERE id IN ({listed})", db=demos.duckdb))
        if change["kind"] == "edit":  # every edit loaded, with the time the log gives it
            assert set(rows) == set(ids)
            assert {v.isoformat() for v in rows.values()} == {change["at"]}
        else:
            assert rows == {}
            logged = query(f"SELECT id FROM zoho_crm_deleted_records WHERE id IN ({listed})", db=demos.duckdb)
            assert {r[0] for r in logged} == set(ids)
    assert loaded(demos.changes) < loaded(demos.first) / 10


def test_a_later_demo_is_small_again_and_deleted_records_stay_deleted(demos: DemoRuns) -> None:
    assert "40 edits and 10 deletions so far" in demos.third.out
    assert "dropping its tables" not in demos.third.output
    assert loaded(demos.third) < loaded(demos.first) / 10
    for change in demos.log():
        if change["kind"] == "delete":
            listed = ", ".join(f"'{i}'" for i in change["ids"])
            table = table_name(change["module"])
            assert query(f"SELECT count(*) FROM {table} WHERE id IN ({listed})", db=demos.duckdb) == [(0,)]


def test_a_demo_without_its_duckdb_file_reloads_the_org_as_it_is_now(demos: DemoRuns) -> None:
    assert "Loading everything (no DuckDB file yet)" in demos.without_duckdb.out
    assert loaded(demos.without_duckdb) > 9000
    assert dict(table_rows(Path(demos.duckdb))) == demos.rows_after_third  # the edits and deletions included


def test_closed_deals_in_the_demo_never_close_in_the_future(demos: DemoRuns) -> None:
    # dates are in the Zoho user's offset (+05:30); the last edit's date there bounds the closing date
    late = query(
        """SELECT count(*) FILTER (WHERE closing_date > CAST(modified_time + INTERVAL 330 MINUTE AS DATE)
                                    OR closing_date < CAST(created_time + INTERVAL 330 MINUTE AS DATE)
                                    OR closing_date > current_date + 1),
                  count(*)
           FROM zoho_crm_deals WHERE stage LIKE 'Closed%'""",
        db=demos.duckdb,
    )
    assert late[0][0] == 0 and late[0][1] > 100


def test_changes_without_demo_is_a_configuration_error() -> None:
    code, out, err = run_cli("--changes", "40")
    assert code == 2 and out == ""
    assert err.splitlines() == ["error: --changes N edits and deletes records of the demo org: use it with --demo"]
