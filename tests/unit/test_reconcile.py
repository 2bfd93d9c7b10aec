"""Reconciliation's pure parts: when it is due, what it compares, and how values from three places compare equal."""

import datetime
from decimal import Decimal

import pendulum
import pytest
from dlt.common.normalizers.naming.snake_case import NamingConvention

from zoho_crm.config import parse_reconcile_every
from zoho_crm.errors import ZohoConfigError
from zoho_crm.readers.reconcile import canonical, compared_values, due

NOW = pendulum.datetime(2026, 12, 7, 12, tz="UTC")


@pytest.mark.parametrize(
    "reconciled_at,every,expected",
    [
        (None, 24, True),  # never reconciled
        ("2026-12-07T11:00:00+00:00", 24, False),  # inside the interval
        ("2026-12-06T12:00:00+00:00", 24, True),  # exactly one interval ago
        ("2026-12-07T11:59:59+00:00", 0, True),  # 0: every run
    ],
)
def test_a_module_is_due_once_per_interval(reconciled_at, every, expected) -> None:
    assert due(reconciled_at, every, NOW) is expected


@pytest.mark.parametrize(
    "value,hours", [(24, 24.0), ("0", 0.0), ("12.5", 12.5), ("never", None), ("OFF", None), (-1, None), (None, None)]
)
def test_reconcile_every_hours_takes_hours_zero_or_never(value, hours) -> None:
    assert parse_reconcile_every(value) == hours


def test_a_reconcile_interval_that_is_not_a_number_is_one_clear_error() -> None:
    with pytest.raises(ZohoConfigError, match=r"must be a number of hours .* or never, got 'daily'"):
        parse_reconcile_every("daily")


def test_compared_values_come_from_field_metadata_never_from_names() -> None:
    fields = [
        {"api_name": "Score", "data_type": "formula", "formula": {"return_type": "double", "expression": "A/B"}},
        {"api_name": "Age_Days", "data_type": "formula", "formula": {"return_type": "double", "expression": "Now()-X"}},
        {"api_name": "Total", "data_type": "rollup_summary", "rollup_summary": {"return_type": "currency"}},
        {"api_name": "Account_Name", "data_type": "lookup"},
        {"api_name": "Owner", "data_type": "ownerlookup"},
        {"api_name": "Amount", "data_type": "currency"},
        {"api_name": "Ghost_Formula", "data_type": "formula", "virtual_field": True},
    ]
    compared = compared_values(fields, NamingConvention(), lambda f: f"{f['api_name']}.name")
    assert [(c.api_name, c.kind, c.column) for c in compared] == [
        ("Score", "number", "score"),
        ("Age_Days", "number", "age_days"),  # Now()-based: Zoho shows its value as of the listing
        ("Total", "number", "total"),
        ("Account_Name", "name", "account_name__name"),
        ("Owner", "name", "owner__name"),
    ]
    assert compared[3].csv_column == "Account_Name.name"


@pytest.mark.parametrize(
    "zoho,csv,mirror,kind",
    [
        (1234.5, "1234.50", Decimal("1234.50"), "number"),  # JSON number, CSV text, destination decimal
        (3, "3", 3.0, "number"),
        (True, "true", True, "boolean"),
        ("2024-05-21", "2024-05-21", datetime.date(2024, 5, 21), "date"),
        (
            "2024-05-21T10:15:02+05:30",
            "2024-05-21T10:15:02+05:30",
            datetime.datetime(2024, 5, 21, 4, 45, 2, tzinfo=datetime.timezone.utc),
            "datetime",
        ),
        ({"name": "Acme", "id": "1"}, "Acme", "Acme", "name"),
        (None, "", None, "text"),
    ],
)
def test_values_compare_equal_whichever_way_they_arrived(zoho, csv, mirror, kind) -> None:
    assert canonical(zoho, kind) == canonical(csv, kind) == canonical(mirror, kind)


def test_a_changed_value_does_not_compare_equal() -> None:
    assert canonical(1234.5, "number") != canonical(Decimal("1234.51"), "number")
    assert canonical({"name": "Acme Ltd"}, "name") != canonical("Acme", "name")


def _refusal(status: int, code: str):
    import json

    from requests import Response

    from zoho_crm.errors import ZohoApiError

    response = Response()
    response.status_code = status
    response._content = json.dumps({"code": code, "message": "no", "status": "error", "details": {}}).encode()
    return ZohoApiError(response, "Leads")


def test_a_reconciliation_zoho_refuses_waits_for_the_next_run_and_the_run_goes_on(caplog) -> None:
    from zoho_crm.readers.reconcile import _postponed_on_refusal

    def refused():
        yield [{"id": "1"}]
        raise _refusal(400, "INVALID_DATA")

    assert list(_postponed_on_refusal("Leads", refused())) == [[{"id": "1"}]]
    assert "Reconciliation of Leads postponed to the next run" in caplog.text


@pytest.mark.parametrize("status,code", [(429, "TOO_MANY_REQUESTS"), (401, "INVALID_TOKEN"), (500, "INTERNAL_ERROR")])
def test_throttling_outages_and_a_rejected_token_still_stop_the_run(status, code) -> None:
    from zoho_crm.errors import ZohoApiError
    from zoho_crm.readers.reconcile import _postponed_on_refusal

    def refused():
        raise _refusal(status, code)
        yield

    with pytest.raises(ZohoApiError):
        list(_postponed_on_refusal("Leads", refused()))
