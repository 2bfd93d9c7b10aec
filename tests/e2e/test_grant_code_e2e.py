"""`--grant-code`: a Self Client grant code becomes a working `.dlt/secrets.toml` in one command."""

import os
import stat
from pathlib import Path

import pytest
from dlt.common.configuration.container import Container
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

from tests.e2e.helpers import configure_env, run_cli, table_count
from zoho_crm import table_name
from zoho_crm.runner.grant import covered
from zoho_emulator import ZohoEmulator

SECRETS = Path(".dlt") / "secrets.toml"


def point_at(monkeypatch: pytest.MonkeyPatch, emu: ZohoEmulator) -> None:
    """Only the emulator's URLs in the environment: no credentials anywhere (nor in a secrets file read earlier)."""
    configure_env(monkeypatch, emu)
    for key in ("CLIENT_ID", "CLIENT_SECRET", "REFRESH_TOKEN"):
        monkeypatch.delenv(f"SOURCES__ZOHO_CRM__CREDENTIALS__{key}")
    reload_config()


def reload_config() -> None:
    """What a new process would read: the secrets file as it is now."""
    Container()[PluggableRunContext].reload_providers()


def test_a_grant_code_writes_a_private_secrets_file_that_the_next_run_loads_with(
    emulator: ZohoEmulator, monkeypatch
) -> None:
    point_at(monkeypatch, emulator)
    SECRETS.parent.mkdir()
    SECRETS.write_text('# my secrets\n[destination.postgres]\ncredentials = "postgresql://u:p@h/db"\n')
    code = emulator.grant_code()
    grant = run_cli("--grant-code", code, "--client-id", emulator.client_id, "--client-secret", emulator.client_secret)

    assert grant.code == 0, grant.err
    assert stat.S_IMODE(os.stat(SECRETS).st_mode) == 0o600
    text = SECRETS.read_text()
    assert "# my secrets" in text and 'credentials = "postgresql://u:p@h/db"' in text  # the rest is kept
    assert "[sources.zoho_crm.credentials]" in text and emulator.client_secret in text
    assert "the token works" in grant.out and "Scopes granted: " in grant.out
    refresh_token = next(line.split('"')[1] for line in text.splitlines() if line.startswith("refresh_token"))
    for secret in (emulator.client_secret, code, refresh_token):
        assert secret not in grant.out + grant.err
    reload_config()
    run = run_cli("--modules", "Leads")
    assert run.code == 0, run.err
    assert table_count(table_name("Leads")) == emulator.count("Leads")


def test_a_reused_grant_code_is_one_line_and_exit_2(emulator: ZohoEmulator, monkeypatch) -> None:
    point_at(monkeypatch, emulator)
    code = emulator.grant_code()
    args = ("--grant-code", code, "--client-id", emulator.client_id, "--client-secret", emulator.client_secret)
    assert run_cli(*args).code == 0
    again = run_cli(*args)
    assert again.code == 2
    assert again.err.strip().splitlines() == [
        "error: Zoho refused the grant code (invalid_code): it was used already or it expired (a Self Client code "
        "lives the minutes chosen when it is made, 3 by default): generate a new one and run --grant-code at once"
    ]


def test_an_expired_grant_code_says_so(emulator: ZohoEmulator, monkeypatch) -> None:
    point_at(monkeypatch, emulator)
    code = emulator.grant_code(validity=180)
    emulator.advance(181)
    run = run_cli("--grant-code", code, "--client-id", emulator.client_id, "--client-secret", emulator.client_secret)
    assert run.code == 2 and "invalid_code" in run.err and not SECRETS.exists()


def test_a_client_the_data_centre_does_not_know_asks_about_the_data_centre(
    emulator: ZohoEmulator, monkeypatch
) -> None:
    point_at(monkeypatch, emulator)
    run = run_cli("--grant-code", emulator.grant_code(), "--client-id", "1000.OTHER", "--client-secret", "nope")
    assert run.code == 2
    assert "does not know this client (invalid_client)" in run.err and "another data centre?" in run.err
    assert "nope" not in run.out + run.err


def test_without_a_client_id_anywhere_it_says_where_to_give_it(emulator: ZohoEmulator, monkeypatch) -> None:
    point_at(monkeypatch, emulator)
    run = run_cli("--grant-code", emulator.grant_code())
    assert run.code == 2 and "--client-id and --client-secret" in run.err


def test_the_scopes_granted_are_compared_with_what_each_feature_needs(make_emulator, monkeypatch) -> None:
    scopes = ("ZohoCRM.modules.ALL", "ZohoCRM.settings.modules.READ", "ZohoCRM.settings.fields.READ")
    emu = make_emulator(scopes=scopes)
    point_at(monkeypatch, emu)
    run = run_cli("--grant-code", emu.grant_code(), "--client-id", emu.client_id, "--client-secret", emu.client_secret)
    assert run.code == 0, run.err
    assert "  module records   ok" in run.out
    assert (
        "  Bulk Read        missing ZohoCRM.bulk.READ, ZohoCRM.settings.tags.READ, ZohoCRM.settings.layouts.READ: "
        "large first loads through REST (more credits)" in run.out
    )
    assert "ZohoCRM.users.READ" in run.out.splitlines()[-1]  # the scopes to add, named


def test_a_token_answer_without_scopes_is_reported_as_such(make_emulator, monkeypatch) -> None:
    emu = make_emulator(token_reports_scope=False)
    point_at(monkeypatch, emu)
    run = run_cli("--grant-code", emu.grant_code(), "--client-id", emu.client_id, "--client-secret", emu.client_secret)
    assert run.code == 0 and "Zoho did not say which scopes it granted" in run.out


@pytest.mark.parametrize(
    "needed,granted,expected",
    [
        ("ZohoCRM.modules.READ", ["ZohoCRM.modules.ALL"], True),
        ("ZohoCRM.settings.fields.READ", ["ZohoCRM.settings.ALL"], True),
        ("ZohoCRM.settings.fields.READ", ["zohocrm.settings.fields.read"], True),
        ("ZohoCRM.settings.fields.READ", ["ZohoCRM.settings.modules.READ"], False),
        ("ZohoCRM.bulk.READ", ["ZohoCRM.modules.ALL"], False),
    ],
)
def test_a_scope_covers_what_it_names_and_all_below_it(needed, granted, expected) -> None:
    assert covered(needed, granted) is expected
