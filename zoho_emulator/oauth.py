"""Accounts server: the refresh-token grant, access-token validation and scopes (zoho-crm-api.md §9)."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from .config import EmulatorConfig
from .errors import ZohoError

THROTTLED = {"error": "Access Denied",
             "error_description": "You have made too many requests continuously. Please try again after some time.",
             "status": "failure"}


def derived_credentials(seed: int) -> tuple[str, str, str]:
    """Client id, client secret and refresh token derived from the seed (stable across runs)."""
    digest = hashlib.sha256(f"zoho-emulator:{seed}".encode()).hexdigest()
    client_id = "1000." + digest[:30].upper()
    client_secret = digest[30:72]
    refresh = f"1000.{digest[:32]}.{hashlib.md5(digest.encode()).hexdigest()}"
    return client_id, client_secret, refresh


@dataclass
class AccessToken:
    """An issued access token."""

    token: str
    refresh_token: str
    issued: float
    expires: float
    scopes: tuple[str, ...]


class OAuth:
    """Issues and validates tokens; time comes from the emulator clock."""

    def __init__(self, config: EmulatorConfig, api_domain: str) -> None:
        self.config = config
        cid, secret, refresh = derived_credentials(config.seed)
        self.client_id = config.client_id or cid
        self.client_secret = config.client_secret or secret
        self.refresh_token = config.refresh_token or refresh
        self.api_domain = api_domain
        self.grant_codes: dict[str, tuple[tuple[str, ...], float]] = {}  # code -> (scopes, expires), one use each
        self.refresh_scopes: dict[str, tuple[str, ...]] = {self.refresh_token: tuple(config.scopes)}
        self.revoked: set[str] = set()
        self.tokens: dict[str, AccessToken] = {}
        self._active: deque[str] = deque()
        self._issued: deque[float] = deque()
        self._lock = threading.Lock()

    def grant(self, params: dict[str, str], now: float) -> tuple[int, dict[str, Any]]:
        """Answer ``POST /oauth/v2/token``: (HTTP status, JSON body). Errors are HTTP 200 like Zoho's."""
        grant_type = params.get("grant_type", "")
        if grant_type not in ("refresh_token", "authorization_code"):
            return 200, {"error": "unsupported_grant_type"}
        if params.get("client_id") != self.client_id or params.get("client_secret") != self.client_secret:
            return 200, {"error": "invalid_client"}
        if grant_type == "authorization_code":
            return self._exchange_code(params.get("code", ""), now)
        refresh = params.get("refresh_token", "")
        if refresh not in self.refresh_scopes or refresh in self.revoked:
            return 200, {"error": "invalid_code"}
        return self._access_token(refresh, now)

    def new_grant_code(self, scopes: tuple[str, ...], validity: float, now: float) -> str:
        """A Self Client grant code for `scopes`, usable once within `validity` seconds."""
        code = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        with self._lock:
            self.grant_codes[code] = (tuple(scopes), now + validity)
        return code

    def _exchange_code(self, code: str, now: float) -> tuple[int, dict[str, Any]]:
        """``grant_type=authorization_code``: a new refresh token for the code's scopes, and an access token."""
        with self._lock:
            scopes, expires = self.grant_codes.pop(code, ((), 0.0))  # one use: gone whether it worked or not
            if now >= expires:
                return 200, {"error": "invalid_code"}
            refresh = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
            self.refresh_scopes[refresh] = scopes
        status, body = self._access_token(refresh, now)
        return status, ({**body, "refresh_token": refresh} if "access_token" in body else body)

    def _access_token(self, refresh: str, now: float) -> tuple[int, dict[str, Any]]:
        scopes = self.refresh_scopes[refresh]
        cfg = self.config
        with self._lock:
            while self._issued and now - self._issued[0] >= cfg.refresh_window:
                self._issued.popleft()
            if len(self._issued) >= cfg.refresh_limit:
                return cfg.throttle_http_status, dict(THROTTLED)
            self._issued.append(now)
            token = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
            self.tokens[token] = AccessToken(token, refresh, now, now + cfg.token_lifetime, scopes)
            self._active.append(token)
            while len(self._active) > cfg.max_active_tokens:  # the 16th token invalidates the oldest
                self.tokens.pop(self._active.popleft(), None)
        body = {"access_token": token, "api_domain": self.api_domain, "token_type": "Bearer",
                "expires_in": cfg.token_lifetime}
        if cfg.token_reports_scope:
            body["scope"] = " ".join(scopes)
        return 200, body

    def authenticate(self, header: str | None, now: float) -> AccessToken:
        """Validate an ``Authorization`` header; raises 401 AUTHENTICATION_FAILURE / INVALID_TOKEN."""
        schemes = ("Zoho-oauthtoken",) + (("Bearer",) if self.config.accept_bearer else ())
        parts = (header or "").split(None, 1)
        if len(parts) != 2 or parts[0] not in schemes or not parts[1].strip():
            raise ZohoError(401, "AUTHENTICATION_FAILURE", "Authentication failed")
        with self._lock:
            tok = self.tokens.get(parts[1].strip())
        if tok is None or now >= tok.expires or tok.refresh_token in self.revoked:
            raise ZohoError(401, "INVALID_TOKEN", "invalid oauth token")
        return tok

    def revoke(self) -> None:
        """Revoke the refresh token and every access token issued from it."""
        with self._lock:
            self.revoked.add(self.refresh_token)
            self.tokens.clear()
            self._active.clear()


def has_scope(granted: tuple[str, ...], *accepted: str) -> bool:
    """True when any accepted scope (case-insensitive) was granted."""
    have = {s.lower() for s in granted}
    return any(a.lower() in have for a in accepted)


def require_scope(granted: tuple[str, ...], *accepted: str) -> None:
    """Raise 401 OAUTH_SCOPE_MISMATCH unless one of ``accepted`` was granted."""
    if not has_scope(granted, *accepted):
        raise ZohoError(401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL")


def module_scopes(scope_name: str) -> tuple[str, ...]:
    """Scopes that allow reading records of a module."""
    return ("ZohoCRM.modules.ALL", "ZohoCRM.modules.READ", f"ZohoCRM.modules.{scope_name}.ALL",
            f"ZohoCRM.modules.{scope_name}.READ")
