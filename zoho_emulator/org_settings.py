"""The org's configuration tables: Deals pipeline stages, roles, profiles, territories, currencies and tags.

Plain data, no ids: ``OrgStore`` allocates the ids and ``settings_json`` renders the API shapes. Every record the
emulator generates refers to these tables (users → roles/profiles, Deals.Stage → stages, Currency → currencies,
Territories → territories, Tag → tags), so the settings endpoints and the records always agree.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Stage(NamedTuple):
    """One stage of the Deals pipeline (Zoho's default stages and probabilities)."""

    name: str
    probability: int
    forecast_type: str
    """"Open", "Closed Won" or "Closed Lost" (documented pipeline sample: "Open")."""
    forecast_category: str


STAGE_TABLE: tuple[Stage, ...] = (
    Stage("Qualification", 10, "Open", "Pipeline"),
    Stage("Needs Analysis", 20, "Open", "Pipeline"),
    Stage("Value Proposition", 40, "Open", "Pipeline"),
    Stage("Identify Decision Makers", 60, "Open", "Pipeline"),
    Stage("Proposal/Price Quote", 75, "Open", "Committed"),
    Stage("Negotiation/Review", 90, "Open", "Committed"),
    Stage("Closed Won", 100, "Closed Won", "Closed"),
    Stage("Closed Lost", 0, "Closed Lost", "Omitted"),
    Stage("Closed-Lost to Competition", 0, "Closed Lost", "Omitted"),
)
STAGES: tuple[str, ...] = tuple(s.name for s in STAGE_TABLE)
OPEN_STAGES: tuple[str, ...] = tuple(s.name for s in STAGE_TABLE if s.forecast_type == "Open")
STAGE_BY_NAME: dict[str, Stage] = {s.name: s for s in STAGE_TABLE}
FORECAST_CATEGORIES: tuple[str, ...] = ("Pipeline", "Committed", "Closed", "Omitted")


class Pipeline(NamedTuple):
    """A pipeline of the Deals layout: its stages, in order, and the share of deals in it."""

    name: str
    default: bool
    stages: tuple[str, ...]
    share: int


PIPELINES: tuple[Pipeline, ...] = (
    Pipeline("Standard (Standard)", True, STAGES, 75),
    Pipeline("Renewals", False, ("Qualification", "Negotiation/Review", "Closed Won", "Closed Lost"), 25),
)
PIPELINE_BY_NAME: dict[str, Pipeline] = {p.name: p for p in PIPELINES}

ROLES: tuple[tuple[str, str | None], ...] = (
    ("CEO", None),
    ("Manager", "CEO"),
    ("Sales Rep", "Manager"),
    ("Support", "Manager"),
)
"""(role, reporting-to role); users hold CEO, Manager and Sales Rep, Support has nobody on purpose."""
PROFILES: tuple[str, ...] = ("Administrator", "Standard")
PROFILE_MODULES: tuple[str, ...] = ("Leads", "Contacts", "Accounts", "Deals")
"""Modules whose permissions the profiles list (a sample, not every module)."""


class Territory(NamedTuple):
    """A territory; records of Accounts whose Billing_Country is in ``countries`` belong to it."""

    name: str
    parent: str | None
    countries: tuple[str, ...]


ORG_NAME = "Zylker Corp"
TERRITORIES: tuple[Territory, ...] = (
    Territory(ORG_NAME, None, ()),  # the organization's parent territory
    Territory("India", ORG_NAME, ("India",)),
    Territory("North America", ORG_NAME, ("United States", "Canada")),
    Territory("Europe", ORG_NAME, ("Germany", "United Kingdom", "France", "Switzerland")),
)
TERRITORY_BY_COUNTRY: dict[str, str] = {c: t.name for t in TERRITORIES for c in t.countries}


class Currency(NamedTuple):
    """An org currency; ``rate`` = units of this currency per 1 INR (Zoho's exchange-rate direction)."""

    iso_code: str
    name: str
    symbol: str
    rate: float
    active: bool
    share: int
    """Percent of records in this currency (inactive currencies: 0)."""


HOME_CURRENCY = "INR"
CURRENCIES: tuple[Currency, ...] = (
    Currency("INR", "Indian Rupee - INR", "₹", 1.0, True, 80),
    Currency("USD", "US Dollar - USD", "$", 0.012, True, 10),
    Currency("EUR", "Euro - EUR", "€", 0.011, True, 10),
    Currency("GBP", "Pound Sterling - GBP", "£", 0.0095, False, 0),
)
CURRENCY_BY_CODE: dict[str, Currency] = {c.iso_code: c for c in CURRENCIES}

TAG_NAMES: tuple[tuple[str, str], ...] = (("Hot", "#F17574"), ("VIP", "#E7A826"), ("Renewal", "#57B1FD"),
                                          ("Partner", "#63C57E"))
"""Tags of every module that has a ``Tag`` field (each module has its own tag ids, as in Zoho)."""
TAGS_ALLOWED = 100
"""``info.allowed_count`` of Get Tags (UNCONFIRMED value)."""


def _by_share(items: Any, share_draw: int, default: Any) -> Any:
    """The item whose cumulative `share` range holds a draw in [0, 100), else `default`."""
    acc = 0
    for item in items:
        acc += item.share
        if share_draw < acc:
            return item
    return default


def currency_for(share_draw: int) -> Currency:
    """The active currency a record falls in for a draw in [0, 100)."""
    return _by_share(CURRENCIES, share_draw, CURRENCY_BY_CODE[HOME_CURRENCY])  # type: ignore[no-any-return]


def pipeline_for(share_draw: int) -> Pipeline:
    """The pipeline a deal falls in for a draw in [0, 100)."""
    return _by_share(PIPELINES, share_draw, PIPELINES[0])  # type: ignore[no-any-return]


def stage_path(current: str, draw: int, stages: tuple[str, ...] = STAGES) -> list[str]:
    """Stages a deal went through, ending at ``current``: a few open stages of its pipeline before it, in order."""
    if current not in STAGE_BY_NAME:
        return [current]
    opened = [s for s in stages if s in OPEN_STAGES]
    steps = draw % 3
    if current in opened:
        idx = opened.index(current)
        return [*opened[max(0, idx - steps):idx], current]
    start = (draw >> 4) % max(1, len(opened))
    return [*opened[start:start + steps], current]
