"""The one-line description and exit code of failures that are hard to provoke for real in a test."""

import errno
from typing import Optional

import dlt
import pytest
import requests
from dlt.extract.exceptions import ResourceExtractionError
from dlt.load.exceptions import LoadClientJobFailed, LoadClientJobRetry
from dlt.pipeline.exceptions import PipelineStepFailed

from zoho_crm.errors import ZohoApiError, ZohoCrmStoppedEarly, ZohoNetworkError, ZohoThrottledError
from zoho_crm.runner import describe_failure, failure_report

URL = "https://www.zohoapis.eu/crm/v7/Leads?ids=4876876000000100001,4876876000000100002&page_token=abc123"
TOKEN = "1000.0123456789abcdef0123456789abcdef.fedcba9876543210fedcba9876543210"


def answer(status: int, body: str, content_type: str = "application/json", url: str = URL) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body.encode()
    response.headers["Content-Type"] = content_type
    response.url = url
    response.request = requests.Request("GET", url).prepare()
    return response


def step_failure(step: str, cause: BaseException, resource: Optional[str] = None) -> PipelineStepFailed:
    """`cause` as dlt reports it: inside a resource's extraction, then inside the failed step."""
    pipeline = dlt.pipeline("failures", destination="duckdb")
    if resource:
        try:
            raise ResourceExtractionError(resource, None, str(cause), "generator") from cause
        except ResourceExtractionError as wrapped:
            cause = wrapped
    try:
        raise PipelineStepFailed(pipeline, step, "1796.1", cause) from cause
    except PipelineStepFailed as failed:
        return failed


def test_a_success_answer_that_is_not_json_names_endpoint_and_says_so() -> None:
    """The engine's coming ZohoApiError for a 2xx body that does not parse (code HTTP_200)."""
    error = ZohoApiError(answer(200, '{"data":[{"id":"1", "Modified_Time": 2024-'), module="Leads")
    failure = describe_failure(step_failure("extract", error, "zoho_crm_leads"))
    assert failure == (
        1,
        "error: extract step failed for Leads: GET /crm/v7/Leads answered HTTP 200 with a body that is not valid "
        'JSON ("{"data":[{"id":"1", "Modified_Time": 2024-"); run again, and if it persists report it with the '
        "output of --verbose",
    )


def test_the_query_string_and_any_token_in_a_body_stay_out_of_the_line() -> None:
    body = f"Gateway Timeout while calling upstream with access_token={TOKEN} please retry"
    error = ZohoApiError(answer(504, body, content_type="text/plain"), module="Leads")
    line = describe_failure(step_failure("extract", error, "zoho_crm_leads_ids")).line
    assert line == (
        "error: extract step failed for Leads: GET /crm/v7/Leads answered HTTP 504 with a body, not JSON (\"Gateway "
        'Timeout while calling upstream with access_token=*** please retry"); Zoho or a proxy in between is '
        "failing, run again later"
    )
    assert "page_token" not in line and "4876876000000100001" not in line and TOKEN not in line


def test_a_long_html_page_is_cut_to_its_title() -> None:
    page = "<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title></head>" + "x" * 5000
    error = ZohoApiError(answer(503, page, content_type="text/html; charset=utf-8"), module="Deals")
    assert describe_failure(error).line == (
        "error: GET /crm/v7/Leads answered HTTP 503 with an HTML page, not JSON (\"503 Service Temporarily "
        'Unavailable"); Zoho or a proxy in between is failing, run again later'
    )


def test_stopped_early_is_exit_3_with_its_own_line() -> None:
    stop = ZohoCrmStoppedEarly("stopped: the run's credit budget (500) is spent; what was fetched is loaded")
    assert describe_failure(step_failure("extract", stop, "zoho_crm_leads")) == (
        3,
        "stopped: the run's credit budget (500) is spent; what was fetched is loaded",
    )


def test_zoho_throttling_past_the_retry_budget_stops_early_with_exit_3() -> None:
    failure = describe_failure(step_failure("extract", ZohoThrottledError(600.2), "zoho_crm_leads"))
    assert failure == (
        3,
        "stopped: Zoho throttled a call for 600 s (429 TOO_MANY_REQUESTS): the daily credits may be exhausted, or "
        "other integrations use the org's concurrency; nothing was lost, run again later (or lower max_concurrency)",
    )


def test_a_connection_lost_for_the_whole_retry_budget_names_endpoint_and_bytes_when_chained() -> None:
    """Once the gate chains the transport error (`raise ZohoNetworkError(...) from error`), the line gets richer."""
    cut = requests.exceptions.ChunkedEncodingError(
        "Connection broken: IncompleteRead(314 bytes read, 315 more expected)",
        request=requests.Request("GET", URL).prepare(),
    )
    try:
        raise ZohoNetworkError("Leads", 42.4, cut) from cut
    except ZohoNetworkError as lost:
        line = describe_failure(step_failure("extract", lost, "zoho_crm_leads_ids")).line
    assert line == (
        "error: extract step failed in resource zoho_crm_leads_ids: GET /crm/v7/Leads: lost the connection to the Zoho "
        "CRM API (Leads) for 42 s (ChunkedEncodingError): check the network; the next run resumes from the last "
        "successful load (last attempt: Connection broken: IncompleteRead(314 bytes read, 315 more expected))"
    )


def test_a_full_disk_names_the_file_and_the_fix() -> None:
    full = OSError(errno.ENOSPC, "No space left on device", "/var/dlt/pipelines/zoho_crm/load/new/1796.1/x.parquet")
    assert describe_failure(step_failure("normalize", full)) == (
        1,
        "error: normalize step failed: no space left on the device writing "
        "/var/dlt/pipelines/zoho_crm/load/new/1796.1/x.parquet: free some space (or move DLT_DATA_DIR) and run again",
    )


def test_a_job_that_failed_for_good_says_its_package_was_aborted() -> None:
    cause = RuntimeError('value too long for type character varying(255)\nCONTEXT: COPY zoho_crm_deals, line 3')
    job = LoadClientJobFailed("1796.1", "zoho_crm_deals.a1b2c3.parquet", "Traceback (most recent call last): …", cause)
    assert describe_failure(step_failure("load", job)).line == (
        "error: load step failed for zoho_crm_deals: destination duckdb refused the data: value too long for type "
        "character varying(255); the load package was aborted and the pipeline state rolled back, so the next run "
        "fetches these records again"
    )


def test_a_job_out_of_retries_stays_pending() -> None:
    cause = ConnectionResetError("server closed the connection unexpectedly")
    job = LoadClientJobRetry("1796.1", "zoho_crm_leads.a1b2c3.insert_values", 5, 5, "…", cause)
    assert describe_failure(step_failure("load", job)).line == (
        "error: load step failed for zoho_crm_leads: destination duckdb refused the data: server closed the "
        "connection unexpectedly; the load package stays pending and the next run loads it first, nothing lost"
    )


def test_a_connection_string_password_in_a_destination_message_is_masked() -> None:
    error = RuntimeError("could not connect to postgresql://loader:hunter2@db.internal:5432/crm: timeout expired")
    line = describe_failure(step_failure("sync", error)).line
    assert line == (
        "error: sync step failed: destination duckdb: could not connect to "
        "postgresql://loader:***@db.internal:5432/crm: timeout expired"
    )


def test_anything_else_names_its_type_and_points_to_verbose() -> None:
    bug = KeyError("Modified_Time")
    assert describe_failure(step_failure("extract", bug, "zoho_crm_users")).line == (
        "error: extract step failed in resource zoho_crm_users: KeyError: 'Modified_Time' (run with --verbose for "
        "the details)"
    )


@pytest.mark.parametrize("secret", [TOKEN, "hunter2"])
def test_the_verbose_report_has_the_whole_chain_and_no_secret(secret: str) -> None:
    error = RuntimeError(f"refresh with refresh_token={TOKEN} to postgresql://loader:hunter2@db/crm failed")
    report = failure_report(step_failure("load", error))
    assert "PipelineStepFailed" in report and "RuntimeError" in report and "Traceback" in report
    assert secret not in report


def test_skip_warnings_print_after_the_run_and_vanish_behind_a_configuration_error(capsys) -> None:
    import logging

    from zoho_crm.runner import logs
    from zoho_crm.settings import SKIPPED

    logs.configure_logging(verbose=False)
    logger = logging.getLogger("zoho_crm.streams")
    logger.warning("Skipped DealHistory: Zoho answered OAUTH_SCOPE_MISMATCH", extra=SKIPPED)
    logger.warning("retrying")
    assert capsys.readouterr().err == "warning: retrying\n"  # held until the run ends
    logs.release_skipped(True)
    assert capsys.readouterr().err == "warning: Skipped DealHistory: Zoho answered OAUTH_SCOPE_MISMATCH\n"

    logger.warning("Skipped Deals: Zoho answered OAUTH_SCOPE_MISMATCH", extra=SKIPPED)
    logs.release_skipped(False)  # the run failed on configuration: only its error line is printed
    logs.release_skipped(True)
    assert capsys.readouterr().err == ""
