"""Errors a user can cause or fix, each with a message that says what to do.

`ZohoCrmUserError` subclasses are caught by the runner and printed as one line (exit code 2). `ZohoApiError`
subclasses `requests.HTTPError` so that dlt's retrying session still sees the response (429 and 5xx retry).
"""

import re
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

from requests import HTTPError, Response


class ZohoCrmUserError(Exception):
    """A problem the user can fix (configuration, credentials, scopes); the message is the fix."""


class ZohoCrmStoppedEarly(Exception):
    """The run stopped before finishing with nothing lost (credit budget, Zoho's daily limit, another run in
    progress): what was fetched is loaded and the next run continues from there. The runner exits with code 3.

    `result` is what `zoho_crm.mirror` loaded before the stop (a `MirrorResult`), when it loaded anything.
    """

    result: Any = None


class ZohoRunStopped(ZohoCrmStoppedEarly):
    """The run was asked to stop (SIGTERM, SIGINT) and stopped with nothing lost."""

    def __init__(self, signal_name: str, step: Optional[str] = None) -> None:
        self.signal_name, self.step = signal_name, step
        if step in ("normalize", "load"):
            tail = "the load package stays pending and the next run loads it first"
        else:
            tail = "nothing of this run was loaded, the next run fetches it again"
        where = f" during {step}" if step else ""
        super().__init__(f"stopped by {signal_name}{where}: {tail}; nothing lost, run again")


class DestinationInUse(ZohoCrmStoppedEarly):
    """Another process holds the destination (a DuckDB file open elsewhere): checked before any Zoho call."""


class ZohoConfigError(ZohoCrmUserError, ValueError):
    """Invalid configuration value."""


class ZohoAuthError(ZohoCrmUserError):
    """The accounts server refused the client or the refresh token, or throttled token refreshes."""


class ZohoConnectionError(ZohoCrmUserError):
    """A Zoho server could not be reached."""


class ZohoApiError(HTTPError):
    """An error answer of the CRM API, parsed from Zoho's envelope `{code, details, message, status}`.

    Answers that are not Zoho's JSON (a proxy's HTML page) get the code `HTTP_<status>` and keep a short excerpt
    of their body in `body_excerpt`.
    """

    def __init__(self, response: Response, module: Optional[str] = None) -> None:
        payload = json_or_empty(response)
        self.status_code: int = response.status_code
        self.code: str = str(payload.get("code") or f"HTTP_{response.status_code}")
        self.details: Dict[str, Any] = payload.get("details") or {}
        self.zoho_message: str = str(payload.get("message") or response.reason or "")
        self.body_excerpt: str = "" if payload else body_excerpt(response)
        self.endpoint: str = endpoint(response)
        self.module = module
        where = f" ({module})" if module else ""
        body = f" (body: {self.body_excerpt})" if self.body_excerpt else ""
        super().__init__(
            f"Zoho CRM API error{where} on {self.endpoint}: {self.status_code} {self.code}: {self.zoho_message}{body}",
            response=response,
        )


class ZohoInvalidResponseError(ZohoApiError):
    """A 2xx answer whose body is not valid JSON, still after retries (a proxy or a cut connection)."""

    def __str__(self) -> str:
        where = f" ({self.module})" if self.module else ""
        return (
            f"Zoho CRM API answer{where} on {self.endpoint} is not valid JSON (HTTP {self.status_code}, "
            f"body: {body_excerpt(self.response) or 'empty'})"
        )


class ZohoDailyLimitError(ZohoCrmStoppedEarly):
    """Zoho answered 429 naming its 24-hour credit limit: no further call can succeed today."""

    def __init__(self, zoho_message: str) -> None:
        super().__init__(
            "stopped: Zoho's 24-hour API credit limit is exhausted "
            f"({zoho_message or 'TOO_MANY_REQUESTS'}); nothing was lost, run again when credits are back "
            "(Setup > Developer Space > APIs > API Dashboard)"
        )


class ZohoThrottledError(ZohoCrmStoppedEarly):
    """A call was answered 429 for `max_retry_seconds`: most likely the daily credits are exhausted."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"stopped: Zoho throttled a call for {seconds:.0f} s (429 TOO_MANY_REQUESTS): the daily credits may be "
            "exhausted, or other integrations use the org's concurrency; nothing was lost, run again later "
            "(or lower max_concurrency)"
        )


class ZohoBudgetError(ZohoCrmStoppedEarly):
    """A call would spend more than `credit_budget` (readers normally stop before that, between pages)."""

    def __init__(self, budget: int, spent: int) -> None:
        super().__init__(
            f"stopped: the credit budget of {budget} is spent ({spent} credits used); nothing was lost, run again "
            "to continue"
        )


class ZohoCreditBudgetReached(ZohoCrmStoppedEarly):
    """The run stopped listing where `credit_budget` ran out; what it listed is loaded and committed."""

    def __init__(self, budget: int, spent: int, modules: "list[str]") -> None:
        where = f" ({', '.join(sorted(m for m in modules if m)) or 'org-wide calls'} not finished)"
        super().__init__(
            f"stopped: the credit budget of {budget} credits is reached ({spent} spent){where}; what was fetched "
            "is loaded, nothing was lost, run again to continue"
        )


class ZohoNetworkError(Exception):
    """The connection to the Zoho CRM API kept failing for the whole retry budget of a call."""

    def __init__(self, module: str, seconds: float, cause: BaseException) -> None:
        where = f" ({module})" if module else ""
        super().__init__(
            f"lost the connection to the Zoho CRM API{where} for {seconds:.0f} s ({type(cause).__name__}): "
            "check the network; the next run resumes from the last successful load"
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


class ZohoOrgChangedError(ZohoConfigError):
    """The pipeline's state belongs to another Zoho API domain than the source's: loading would mix two orgs."""

    def __init__(self, pipeline_name: str, previous: str, current: str) -> None:
        self.previous, self.current = previous, current
        super().__init__(
            f"pipeline {pipeline_name} mirrors the Zoho org at {previous}, but this source reads {current}: loading "
            "it would mix two orgs in one dataset. Run it with zoho_crm.mirror(pipeline, ...), which replaces the "
            'first org\'s tables, or with pipeline.run(source, refresh="drop_sources"); or give this org its own '
            "pipeline_name"
        )


def json_or_empty(response: Response) -> Dict[str, Any]:
    """The JSON object of a response body, or {} when the body is not a JSON object."""
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def body_excerpt(response: Response, limit: int = 120) -> str:
    """The start of a response body on one line (HTML tags and whitespace collapsed), for error messages."""
    text = response.content[:2000].decode("utf-8", "replace") if response.content else ""
    text = " ".join(re.sub(r"<[^>]*>", " ", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def endpoint(response: Response) -> str:
    """`METHOD /path` of the request behind a response (no query string: it may carry ids, tokens, page tokens)."""
    request = response.request
    method = getattr(request, "method", None) or "GET"
    url = getattr(request, "url", None) or response.url or ""
    return f"{method} {urlsplit(url).path or '/'}"


class ZohoInvalidModuleError(ZohoApiError, ZohoCrmUserError):
    """Zoho answered INVALID_MODULE: the module does not exist or is not API-supported."""

    def __str__(self) -> str:
        return (
            f"Zoho does not know the module {self.module or ''} (INVALID_MODULE): use the module's API name "
            "(Setup > Developer Space > APIs > API names), or modules = all"
        )


class ZohoSettingsTableError(ZohoCrmUserError):
    """A settings table the user named in `settings_tables` cannot be read: a feature the org lacks, a missing
    scope or a missing permission. Tables loaded by default are skipped with a warning instead."""
