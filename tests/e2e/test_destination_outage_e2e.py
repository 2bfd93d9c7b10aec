"""PostgreSQL as the destination, stopped for real: one line, exit 1, and the next run loses nothing.

Runs against a throwaway cluster of its own (tests/e2e/pg_cluster.py), so stopping it cannot disturb the shared one
that `.ci/run` starts. Skipped only when no PostgreSQL server binaries are installed.
"""

import uuid
from typing import Iterator

import dlt
import pendulum
import psycopg2
import pytest

from tests.e2e.helpers import configure_env, run_cli
from tests.e2e.pg_cluster import PASSWORD, PostgresCluster, server_bindir
from zoho_crm import table_name
from zoho_emulator import ZohoEmulator

MODULES = ["Leads", "Quotes"]
PENDING = "the load package stays pending and the next run loads it first, nothing lost"
BINDIR = server_bindir()
pytestmark = pytest.mark.skipif(BINDIR is None, reason="no PostgreSQL server binaries (initdb, pg_ctl) installed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    assert BINDIR is not None
    pg = PostgresCluster(BINDIR)
    pg.start()
    yield pg
    pg.remove()


@pytest.fixture
def postgres(cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch) -> str:
    """The cluster as the destination; returns a dataset name of this test's own."""
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", cluster.dsn)
    return f"outage_{uuid.uuid4().hex[:8]}"


def cli(dataset: str, *args: str) -> tuple:
    return run_cli("--destination", "postgres", "--dataset", dataset, "--modules", ",".join(MODULES), *args)


def change(emu: ZohoEmulator) -> None:
    emu.advance(3)
    emu.touch("Leads", n=3)
    emu.add("Quotes", n=2)
    emu.delete("Quotes", n=1, permanent=True)
    emu.advance(2)


def assert_postgres_mirrors(emu: ZohoEmulator, cluster: PostgresCluster, dataset: str) -> None:
    with psycopg2.connect(cluster.dsn) as con, con.cursor() as cur:
        for module in MODULES:
            cur.execute(f"SELECT id, modified_time FROM {dataset}.{table_name(module)}")
            rows = dict(cur.fetchall())
            expected = {r["id"]: pendulum.parse(r["Modified_Time"]) for r in emu.records(module)}
            assert rows == expected, module
        cur.execute(f"SELECT count(*) FROM {dataset}.zoho_crm_quotes__quoted_items")
        assert cur.fetchone()[0] == sum(len(r["Quoted_Items"]) for r in emu.records("Quotes"))


def test_postgres_stopped_during_load_fails_with_one_line_and_the_next_run_completes_the_mirror(
    emulator, monkeypatch, cluster: PostgresCluster, postgres: str
) -> None:
    configure_env(monkeypatch, emulator)
    assert cli(postgres)[0] == 0
    change(emulator)
    load = dlt.Pipeline.load

    def load_after_the_server_went_down(self: dlt.Pipeline, *args: object, **kwargs: object) -> object:
        cluster.stop()
        return load(self, *args, **kwargs)

    monkeypatch.setattr(dlt.Pipeline, "load", load_after_the_server_went_down)
    code, out, err = cli(postgres)
    monkeypatch.setattr(dlt.Pipeline, "load", load)
    assert code == 1
    assert err.strip().splitlines() == [
        f'error: load step failed: destination postgres: connection to server at "127.0.0.1", port {cluster.port} '
        f"failed: Connection refused. Is the server running on that host and accepting TCP/IP connections?; {PENDING}"
    ]
    assert PASSWORD not in out + err and "Traceback" not in out + err
    (pending,) = dlt.pipeline("zoho_crm").list_normalized_load_packages()
    cluster.start()
    change(emulator)  # Zoho keeps changing while the destination is down
    code, out, err = cli(postgres)
    assert code == 0, err
    assert err.strip().splitlines() == [
        f"warning: an earlier run did not finish: loaded the load package {pending} it left pending; now fetching "
        "what changed since"
    ]
    assert_postgres_mirrors(emulator, cluster, postgres)
    assert not dlt.pipeline("zoho_crm").has_pending_data


def test_postgres_down_when_the_run_starts_names_the_server(emulator, monkeypatch, cluster, postgres) -> None:
    configure_env(monkeypatch, emulator)
    cluster.stop()
    try:
        code, _, err = cli(postgres)
    finally:
        cluster.start()
    assert code == 1
    assert err.strip().splitlines() == [
        f'error: sync step failed: destination postgres: connection to server at "127.0.0.1", port {cluster.port} '
        "failed: Connection refused. Is the server running on that host and accepting TCP/IP connections?"
    ]


def test_a_role_without_create_permission_gets_postgres_own_words(emulator, monkeypatch, cluster, postgres) -> None:
    with psycopg2.connect(cluster.dsn) as con, con.cursor() as cur:
        cur.execute("DROP ROLE IF EXISTS reader; CREATE ROLE reader LOGIN")
        cur.execute("REVOKE CREATE ON DATABASE postgres FROM PUBLIC")
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", cluster.dsn.replace("postgres:", "reader:", 1))
    configure_env(monkeypatch, emulator)
    code, _, err = cli(postgres)
    assert code == 1
    assert err.strip().splitlines() == [
        f"error: load step failed: destination postgres: permission denied for database postgres; {PENDING}"
    ]


def test_a_table_the_destination_refuses_keeps_the_package_and_says_how_to_get_out(
    emulator, monkeypatch, cluster, postgres
) -> None:
    configure_env(monkeypatch, emulator)
    assert cli(postgres)[0] == 0
    with psycopg2.connect(cluster.dsn) as con, con.cursor() as cur:  # someone changed a column by hand
        cur.execute(f"ALTER TABLE {postgres}.zoho_crm_leads ALTER COLUMN last_name TYPE smallint USING NULL")
    change(emulator)
    code, _, err = cli(postgres)
    assert code == 1
    assert err.strip().splitlines() == [
        'error: load step failed for zoho_crm_leads: destination postgres refused the data: column "last_name" is of '
        "type smallint but expression is of type character varying; the load package stays pending and every run "
        "retries it first: fix the table, or give the package up with `dlt pipeline zoho_crm abort-packages` (the "
        "next run then fetches its records again)"
    ]
    with psycopg2.connect(cluster.dsn) as con, con.cursor() as cur:
        cur.execute(f"ALTER TABLE {postgres}.zoho_crm_leads ALTER COLUMN last_name TYPE varchar")
    code, _, err = cli(postgres)  # fixed: the pending package loads, then the run goes on
    assert code == 0, err
    assert_postgres_mirrors(emulator, cluster, postgres)
