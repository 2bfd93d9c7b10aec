"""Zoho's error envelope ``{"code","details","message","status":"error"}`` and the errors the emulator raises."""

from __future__ import annotations

import json
from typing import Any


class ZohoError(Exception):
    """An API error answered with Zoho's envelope."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON envelope."""
        return {"code": self.code, "details": self.details, "message": self.message, "status": "error"}

    def encoded(self) -> bytes:
        """The envelope as UTF-8 JSON."""
        return json.dumps(self.body()).encode()


def query_path(name: str) -> dict[str, str]:
    """``details`` naming a query parameter the way Zoho does (api_name + json_path)."""
    return {"api_name": name, "json_path": f"$.query.{name}"}


def invalid_module() -> ZohoError:
    """400 INVALID_MODULE (unknown or not API-supported module)."""
    return ZohoError(400, "INVALID_MODULE", "The module name given seems to be invalid", {"resource_path_index": 0})


def required_param(name: str) -> ZohoError:
    """400 REQUIRED_PARAM_MISSING."""
    return ZohoError(400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", {"param_name": name})


def invalid_data(name: str, message: str = "invalid data", where: str = "query", **extra: Any) -> ZohoError:
    """400 INVALID_DATA about one parameter."""
    return ZohoError(400, "INVALID_DATA", message, {"api_name": name, "json_path": f"$.{where}.{name}", **extra})


def limit_exceeded(name: str, limit: int, message: str) -> ZohoError:
    """400 LIMIT_EXCEEDED ``{"limit", "param_name"}``."""
    return ZohoError(400, "LIMIT_EXCEEDED", message, {"limit": limit, "param_name": name})


def url_pattern() -> ZohoError:
    """404 INVALID_URL_PATTERN for paths Zoho does not serve."""
    return ZohoError(404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one")


def too_many_requests(message: str, retry_after: int | None = None) -> ZohoError:
    """429 TOO_MANY_REQUESTS (credits or concurrency exhausted)."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return ZohoError(429, "TOO_MANY_REQUESTS", message, {}, headers)
