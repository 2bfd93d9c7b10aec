"""Errors a user can cause or fix, each with a message that says what to do.

`ZohoCrmUserError` subclasses are caught by the runner and printed as one line (exit code 2). `ZohoApiError`
subclasses `requests.HTTPError` so that dlt's retrying session still sees the response (429 and 5xx retry).
"""

from typing import Any, Dict, Optional

from requests import HTTPError, Response


class ZohoCrmUserError(Exception):
    """A problem the user can fix (configuration, credentials, scopes); the message is the fix."""


class ZohoCrmStoppedEarly(Exception):
    """The run stopped before finishing with nothing lost (credit budget, Zoho's daily limit, another run in
    progress): what was fetched is loaded and the next run continues from there. The runner exits with code 3."""


class ZohoConfigError(ZohoCrmUserError, ValueError):
    """Invalid configuration value."""


class ZohoAuthError(ZohoCrmUserError):
    """The accounts server refused the client or the refresh token, or throttled token refreshes."""


class ZohoConnectionError(ZohoCrmUserError):
    """A Zoho server could not be reached."""


class ZohoApiError(HTTPError):
    """An error answer of the CRM API, parsed from Zoho's envelope `{code, details, message, status}`."""

    def __init__(self, response: Response, module: Optional[str] = None) -> None:
        payload = json_or_empty(response)
        self.status_code: int = response.status_code
        self.code: str = str(payload.get("code") or f"HTTP_{response.status_code}")
        self.details: Dict[str, Any] = payload.get("details") or {}
        self.zoho_message: str = str(payload.get("message") or response.reason or "")
        self.module = module
        where = f" ({module})" if module else ""
        super().__init__(
            f"Zoho CRM API error{where}: {self.status_code} {self.code}: {self.zoho_message}", response=response
        )


class ZohoAccessError(ZohoApiError, ZohoCrmUserError):
    """Missing OAuth scope, missing profile permission, or a token Zoho keeps rejecting."""

    def __str__(self) -> str:
        module = self.module or "this module"
        if self.code == "OAUTH_SCOPE_MISMATCH":
            return (
                f"the Zoho token lacks the OAuth scope needed to read {module}: create a refresh token with "
                f"ZohoCRM.modules.READ (or ZohoCRM.modules.{module.lower()}.READ), ZohoCRM.settings.modules.READ, "
                "ZohoCRM.settings.fields.READ and ZohoCRM.users.READ"
            )
        if self.code in ("NO_PERMISSION", "NOT_SUPPORTED"):
            perms = self.details.get("permissions")
            extra = f" (needs {', '.join(map(str, perms))})" if perms else ""
            return (
                f"the Zoho user has no permission to read {module}{extra}: grant it in the user's profile "
                "or remove the module from `modules`"
            )
        return (
            f"Zoho rejected the access token ({self.code}) even after a refresh: check that the refresh token "
            "belongs to this data centre and environment (data_center / api_base_url)"
        )


class ZohoUnknownModuleError(ZohoConfigError):
    """A configured module does not exist in the org (or is not API-supported)."""


def json_or_empty(response: Response) -> Dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


class ZohoRateLimitError(ZohoApiError, ZohoCrmUserError):
    """429 after all retries: the org's concurrency limit or its daily API credits are exhausted."""

    def __str__(self) -> str:
        return (
            "Zoho kept answering 429 TOO_MANY_REQUESTS after retries: the org's API concurrency limit or its daily "
            "credits are exhausted; lower [sources.zoho_crm.extract] workers or wait for credits (Setup > Developer "
            "Space > APIs); the next run resumes from the last successful load"
        )


class ZohoInvalidModuleError(ZohoApiError, ZohoCrmUserError):
    """Zoho answered INVALID_MODULE: the module does not exist or is not API-supported."""

    def __str__(self) -> str:
        return (
            f"Zoho does not know the module {self.module or ''} (INVALID_MODULE): use the module's API name "
            "(Setup > Developer Space > APIs > API names), or modules = all"
        )
