"""Mistakes a user can make: one actionable line on stderr, exit code 2, nothing loaded, no secret shown."""

import os
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from tests.e2e.helpers import configure_env, no_dataset, run_cli

NO_CREDENTIALS = {
    "credentials__client_id": None,
    "credentials__client_secret": None,
    "credentials__refresh_token": None,
}


@pytest.mark.parametrize(
    "env,args,expected",
    [
        ({"data_center": "mars"}, [], "unknown data_center 'mars': use one of us, eu, in, au, jp, ca, cn, sa"),
        ({}, ["--modules", "Leads,Widgets"], "unknown module(s): Widgets; modules of this org: Accounts"),
        ({}, ["--modules", "leads"], "leads (did you mean Leads?)"),
        ({"start_date": "2024-13-01"}, [], "start_date must be YYYY-MM-DD"),
        ({"ids_per_request": "500"}, [], "ids_per_request must be between 1 and 100"),
        ({"delete_mode": "soft"}, [], "delete_mode must be one of hard, keep"),
        (NO_CREDENTIALS, [], "missing Zoho credentials"),
        ({"credentials__refresh_token": "1000.not-a-real-token"}, [], "Zoho rejected the refresh token"),
        ({"credentials__client_secret": "wrong-secret"}, [], "Zoho rejected the OAuth client"),
        ({"api_base_url": "http://127.0.0.1:9"}, [], "cannot reach the Zoho CRM API at http://127.0.0.1:9"),
        ({"accounts_url": "http://127.0.0.1:9"}, [], "cannot reach the Zoho accounts server at http://127.0.0.1:9"),
        ({"api_base_url": "127.0.0.1:8000/crm"}, [], "api_base_url must look like https://host[:port]"),
    ],
)
def test_user_errors_print_one_line_exit_2_and_load_nothing(
    emulator, monkeypatch, tmp_path: Path, env: Dict[str, Optional[str]], args: List[str], expected: str
) -> None:
    configure_env(monkeypatch, emulator, **env)
    code, out, err = run_cli(*args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and expected in lines[0]
    assert "Traceback" not in out + err
    for secret in (emulator.client_secret, emulator.refresh_token):
        assert secret not in out + err
    assert no_dataset(tmp_path)


def test_missing_credentials_say_where_to_put_them_and_mention_the_demo(emulator, monkeypatch) -> None:
    configure_env(monkeypatch, emulator, **NO_CREDENTIALS)
    _, _, err = run_cli()
    assert "[sources.zoho_crm.credentials]" in err and ".dlt/secrets.toml" in err
    assert "SOURCES__ZOHO_CRM__CREDENTIALS__CLIENT_ID" in err and "--demo" in err


def test_missing_scope_names_the_module_and_the_scope(make_emulator, monkeypatch, tmp_path: Path) -> None:
    emu = make_emulator(scopes=("ZohoCRM.settings.modules.READ", "ZohoCRM.settings.fields.READ"))
    configure_env(monkeypatch, emu)
    code, _, err = run_cli("--modules", "Deals")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "lacks the OAuth scope needed to read Deals" in err and "ZohoCRM.modules.READ" in err
    assert no_dataset(tmp_path)


def test_missing_profile_permission_names_the_module(make_emulator, monkeypatch, tmp_path: Path) -> None:
    emu = make_emulator(no_permission_modules={"Deals"})
    configure_env(monkeypatch, emu)
    code, _, err = run_cli("--modules", "Leads,Deals")
    assert code == 2 and "no permission to read Deals" in err
    assert no_dataset(tmp_path)


def test_refresh_throttled_by_zoho_is_reported_not_retried_forever(make_emulator, monkeypatch) -> None:
    emu = make_emulator(refresh_limit=0)
    configure_env(monkeypatch, emu)
    code, _, err = run_cli("--modules", "Leads")
    assert code == 2 and "at most 10 per refresh token per 10 minutes" in err


def test_without_settings_scopes_modules_still_load_with_inferred_types(make_emulator, monkeypatch, caplog) -> None:
    emu = make_emulator(scopes=("ZohoCRM.modules.READ", "ZohoCRM.users.READ"))
    configure_env(monkeypatch, emu)
    code, out, err = run_cli("--modules", "Deals")
    assert code == 0, err
    assert "ZohoCRM.settings.fields.READ" in caplog.text  # a warning, not a failure
    assert "zoho_crm_deals" in out


def test_without_module_list_scope_unknown_module_is_reported_by_zoho(make_emulator, monkeypatch, tmp_path) -> None:
    emu = make_emulator(scopes=("ZohoCRM.modules.READ",))
    configure_env(monkeypatch, emu)
    code, _, err = run_cli("--modules", "Widgets")
    assert code == 2 and "Zoho does not know the module Widgets (INVALID_MODULE)" in err.splitlines()[-1]
    code, _, err = run_cli("--modules", "all")
    assert code == 2 and "modules = all needs the ZohoCRM.settings.modules.READ scope" in err
    assert no_dataset(tmp_path)


def test_default_modules_the_user_cannot_read_are_skipped_with_a_warning(make_emulator, monkeypatch, caplog) -> None:
    scopes = ("ZohoCRM.modules.READ", "ZohoCRM.settings.modules.READ", "ZohoCRM.settings.fields.READ")
    emu = make_emulator(no_permission_modules={"Deals"}, scopes=scopes)  # and no ZohoCRM.users.READ
    configure_env(monkeypatch, emu)
    code, out, err = run_cli()
    assert code == 0, err
    assert "Skipped Deals: Zoho answered NO_PERMISSION" in caplog.text
    assert "Skipped Users: Zoho answered OAUTH_SCOPE_MISMATCH" in caplog.text
    assert "zoho_crm_leads" in out and "zoho_crm_deals " not in out


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--destination", "postgres"], "missing destination configuration"),
        (["--destination", "nosuchdest"], "unknown destination 'nosuchdest': use a dlt destination name"),
    ],
)
def test_destination_mistakes_are_one_line_errors(emulator, monkeypatch, args: List[str], expected: str) -> None:
    for key in [k for k in os.environ if k.startswith("DESTINATION__")]:
        monkeypatch.delenv(key)
    configure_env(monkeypatch, emulator)
    code, _, err = run_cli("--modules", "Leads", *args)
    assert code == 2
    assert expected in err.strip().splitlines()[-1] and "Traceback" not in err
    assert "Zoho credentials" not in err
