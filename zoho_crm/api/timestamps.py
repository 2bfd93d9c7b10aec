"""Zoho time: datetimes with the user's offset, the If-Modified-Since header, Zoho's clock (`Date` header)."""

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Dict, Optional

import pendulum
from requests import Response

from ..settings import IMS_OVERLAP_SECONDS

EPOCH = pendulum.datetime(1970, 1, 1, tz="UTC")
ONE_SECOND = timedelta(seconds=1)


def to_utc(value: str) -> datetime:
    """A Zoho datetime (ISO-8601 with the user's offset) as a UTC instant.

    The standard library parses Zoho's fixed format (`2024-05-21T10:15:02+05:30`) several times faster than a
    general parser; anything else (a `Z` suffix, fractions Zoho does not send) goes to pendulum.
    """
    try:
        return datetime.fromisoformat(value).astimezone(timezone.utc)
    except ValueError:
        return pendulum.parse(value).in_tz("UTC")


def if_modified_since(since: Optional[datetime]) -> Dict[str, str]:
    """The `If-Modified-Since` header for a cursor: a little before it, or none for a full listing."""
    if since is None or since <= EPOCH:
        return {}
    return {"If-Modified-Since": (since - timedelta(seconds=IMS_OVERLAP_SECONDS)).astimezone(timezone.utc).isoformat()}


def server_second(response: Response) -> Optional[pendulum.DateTime]:
    """Zoho's clock (the RFC 1123 `Date` header, whole seconds) as UTC, or None when absent or malformed."""
    return zoho_clock(response.headers.get("Date"))


def zoho_clock(date: Optional[str]) -> Optional[pendulum.DateTime]:
    """An RFC 1123 `Date` header as UTC, or None when absent or malformed."""
    try:
        return pendulum.instance(parsedate_to_datetime(date)).in_tz("UTC") if date else None
    except (TypeError, ValueError):
        return None
