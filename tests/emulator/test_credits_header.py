"""``X-API-CREDITS-REMAINING`` once half of the daily credit limit is used (reference §8.4, secondary source)."""

from __future__ import annotations

from typing import Any

import pytest

HEADER = "X-API-CREDITS-REMAINING"


def remaining_after_each_call(api: Any, n: int) -> list[str | None]:
    """The header of n successive one-credit calls."""
    return [api.get("/crm/v7/Leads", {"fields": "Last_Name"}).headers.get(HEADER) for _ in range(n)]


def test_header_appears_once_half_of_the_budget_is_used(factory: Any) -> None:
    _emu, api = factory(daily_credit_budget=10)
    assert remaining_after_each_call(api, 6) == [None, None, None, None, "5", "4"]


def test_header_reports_the_configured_daily_limit(factory: Any) -> None:
    _emu, api = factory(daily_credit_budget=100, daily_credit_limit=4)
    assert remaining_after_each_call(api, 5) == [None, "2", "1", "0", "0"]  # the 429 stays with the budget


def test_header_on_a_budget_429_says_nothing_is_left(factory: Any) -> None:
    _emu, api = factory(daily_credit_budget=2)
    remaining_after_each_call(api, 2)
    r = api.get("/crm/v7/settings/roles")
    assert r.status_code == 429 and r.headers[HEADER] == "0"


@pytest.mark.parametrize(("mode", "expected"), [("always", ["9", "8"]), ("off", [None, None])])
def test_header_modes(factory: Any, mode: str, expected: list[str | None]) -> None:
    _emu, api = factory(daily_credit_budget=10, credits_remaining_header=mode)
    assert remaining_after_each_call(api, 2) == expected


def test_no_limit_no_header(factory: Any) -> None:
    _emu, api = factory(credits_remaining_header="always")
    assert remaining_after_each_call(api, 1) == [None]


def test_unknown_header_mode_is_refused(factory: Any) -> None:
    with pytest.raises(ValueError, match="credits_remaining_header"):
        factory(credits_remaining_header="sometimes")
