"""Describe a failed call to Zoho: the endpoint, the HTTP status and what came back (never a secret)."""

import html
import re
from typing import List, Optional, Tuple
from urllib.parse import urlsplit

from requests import ConnectionError as RequestsConnectionError
from requests import HTTPError, Response, Timeout
from requests import JSONDecodeError as RequestsJSONDecodeError
from requests.exceptions import ChunkedEncodingError

from ...errors import ZohoNetworkError, endpoint
from .chain import innermost_message, one_line, redact

EXCERPT_CHARS = 80
HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
HTML_TAG = re.compile(r"<[^>]+>")
RUN_AGAIN_LATER = "Zoho or a proxy in between is failing, run again later"
REPORT_IT = "run again, and if it persists report it with the output of --verbose"

TRANSPORT_ERRORS = (ChunkedEncodingError, Timeout, RequestsConnectionError)

# (module or None, cause)
ApiCause = Tuple[Optional[str], str]


def api_failure(links: List[BaseException]) -> Optional[ApiCause]:
    """The failed Zoho call in the chain: an HTTP error answer, a body that is not JSON, a cut connection."""
    for exc in links:
        response = getattr(exc, "response", None)
        if isinstance(exc, HTTPError) and isinstance(response, Response):
            return getattr(exc, "module", None), describe_answer(response)
        if isinstance(exc, ZohoNetworkError):  # the gate's retry budget ran out without an answer
            return None, _network_failure(exc, links)
        if isinstance(exc, RequestsJSONDecodeError):  # raised by Response.json(): an answer, not a local file
            return None, f"Zoho answered with a body that is not valid JSON ({exc.msg} at char {exc.pos}); {REPORT_IT}"
        if isinstance(exc, ChunkedEncodingError):
            return None, f"{_request_line(exc)}the answer broke off midway ({_incomplete(links)}); run again later"
        if isinstance(exc, Timeout):
            return None, f"{_request_line(exc)}no answer in time ({innermost_message(links)}); run again later"
        if isinstance(exc, RequestsConnectionError):
            return None, f"{_request_line(exc)}no answer ({innermost_message(links)}); run again later"
    return None


def _network_failure(exc: ZohoNetworkError, links: List[BaseException]) -> str:
    """The gate's own line, with the endpoint and what arrived when the transport error is chained below it."""
    text = redact(one_line(str(exc)))
    below = links[links.index(exc) + 1 :]
    transport = next((e for e in below if isinstance(e, TRANSPORT_ERRORS)), None)
    if transport is None:
        return text
    detail = _incomplete(below) if isinstance(transport, ChunkedEncodingError) else innermost_message(below)
    return f"{_request_line(transport)}{text} (last attempt: {detail})"


def describe_answer(response: Response) -> str:
    """`GET /crm/v7/Leads answered HTTP 502 with an HTML page, not JSON ("502 Bad Gateway"): …`."""
    status = response.status_code
    what = f"{endpoint(response)} answered HTTP {status}"
    try:
        payload = response.json()
    except ValueError:
        kind = "an HTML page" if _is_html(response) else "a body"
        excerpt = _excerpt(response)
        if 200 <= status < 300:
            return f"{what} with {kind} that is not valid JSON ({excerpt}); {REPORT_IT}"
        return f"{what} with {kind}, not JSON ({excerpt}); {_advice(status)}"
    if isinstance(payload, dict) and (payload.get("code") or payload.get("message")):
        code = str(payload.get("code") or "")
        message = redact(one_line(str(payload.get("message") or "")))
        return f'{what} {code} ("{message}"); {_advice(status)}'.replace("  ", " ")
    return f"{what} ({_excerpt(response)}); {_advice(status)}"


def _advice(status: int) -> str:
    return RUN_AGAIN_LATER if status >= 500 else REPORT_IT


def _request_line(exc: BaseException) -> str:
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    if not url:
        return ""
    return f"{getattr(request, 'method', None) or 'GET'} {urlsplit(url).path or '/'}: "


def _is_html(response: Response) -> bool:
    content_type = response.headers.get("Content-Type", "").lower()
    return "html" in content_type or response.text.lstrip()[:15].lower().startswith(("<!doctype html", "<html"))


def _excerpt(response: Response) -> str:
    """A short, quoted, one-line excerpt of the body: an HTML page's title, else its first characters."""
    text = response.text[:4000]
    if _is_html(response):
        title = HTML_TITLE.search(text)
        text = html.unescape(title.group(1) if title else HTML_TAG.sub(" ", text))
    text = redact(one_line(text))
    if not text:
        return "empty body"
    return f'"{text[:EXCERPT_CHARS]}…"' if len(text) > EXCERPT_CHARS else f'"{text}"'


def _incomplete(links: List[BaseException]) -> str:
    """`314 of 629 bytes received` from urllib3/http.client's IncompleteRead, else the innermost message."""
    for exc in links:
        partial, expected = getattr(exc, "partial", None), getattr(exc, "expected", None)
        if isinstance(partial, int) and isinstance(expected, int):
            return f"{partial} of {partial + expected} bytes received"
    return innermost_message(links)

