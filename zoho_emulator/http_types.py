"""Request/response types shared by the endpoint modules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from .config import EmulatorConfig
from .errors import ZohoError, invalid_data
from .oauth import AccessToken

Response = tuple[int, Any, dict[str, str]]
"""(HTTP status, body: dict → JSON | bytes → raw | None → empty, extra headers)."""


@dataclass
class Request:
    """A parsed API request."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    """Lower-cased header names."""
    body: bytes
    token: AccessToken | None
    now: float


def parse_iso(value: str) -> datetime:
    """ISO-8601 parse that also takes a trailing ``Z`` on Python 3.10."""
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    return datetime.fromisoformat(value)


def parse_ims(raw: str | None, config: EmulatorConfig) -> float | None:
    """Parse If-Modified-Since: ISO-8601 with an offset (``Z`` too); RFC 1123 only if configured; else 400."""
    if raw is None:
        return None
    value = raw.strip()
    try:
        dt = parse_iso(value)
    except ValueError:
        dt = None
        if config.ims_accept_rfc1123:
            try:
                dt = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                dt = None
    if dt is None or dt.tzinfo is None:
        raise invalid_data("If-Modified-Since", "Invalid If-Modified-Since header value", where="header")
    return dt.timestamp()


def int_param(params: dict[str, str], name: str, default: int, lo: int, hi: int | None = None) -> int:
    """Integer query parameter within [lo, hi], else 400 INVALID_DATA."""
    raw = params.get(name)
    if raw is None:
        return default
    try:
        v = int(raw)
    except ValueError:
        raise invalid_data(name, f"invalid value for {name}", expected_data_type="integer") from None
    if v < lo or (hi is not None and v > hi):
        raise invalid_data(name, f"{name} must be between {lo} and {hi}" if hi else f"{name} must be >= {lo}")
    return v


def choice_param(params: dict[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    """Enumerated query parameter, else 400 INVALID_DATA listing the supported values."""
    v = params.get(name, default)
    if v not in allowed:
        raise ZohoError(400, "INVALID_DATA", f"invalid value for {name}",
                        {"api_name": name, "json_path": f"$.query.{name}", "supported_values": list(allowed)})
    return v
