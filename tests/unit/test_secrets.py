"""Secrets (client secret, refresh token, access token) never reach logs, traces, state or the destination."""

import logging
from pathlib import Path

import dlt
import pytest
import requests_mock

from tests.unit.zoho_mock import BASE, CREDS, ZohoMock, make_records
from zoho_crm import zoho_crm_source

SECRETS = [CREDS["client_secret"], CREDS["refresh_token"], "1000.token1"]


def test_secrets_are_not_in_logs_trace_state_or_destination(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SOURCES__ZOHO_CRM__CREDENTIALS__CLIENT_ID", CREDS["client_id"])
    monkeypatch.setenv("SOURCES__ZOHO_CRM__CREDENTIALS__CLIENT_SECRET", CREDS["client_secret"])
    monkeypatch.setenv("SOURCES__ZOHO_CRM__CREDENTIALS__REFRESH_TOKEN", CREDS["refresh_token"])
    caplog.set_level(logging.DEBUG)
    with requests_mock.Mocker() as m:
        ZohoMock(m, {"Quotes": make_records(30)})
        source = zoho_crm_source(api_base_url=BASE, accounts_url=BASE, modules="Quotes")
        pipeline = dlt.pipeline("secrets", destination=dlt.destinations.duckdb("secrets.duckdb"), dataset_name="z")
        pipeline.run(source)
    assert pipeline.last_trace is not None
    haystacks = [caplog.text, str(pipeline.last_trace), repr(pipeline.last_trace.asdict()), str(pipeline.state)]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            haystacks.append(path.read_bytes().decode("latin-1"))
    assert any(CREDS["client_id"] in text for text in haystacks)  # the trace does record resolved config
    for secret in SECRETS:
        assert not any(secret in text for text in haystacks), f"{secret[:8]}… leaked"
