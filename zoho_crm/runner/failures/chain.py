"""Walk the exception chain dlt builds around a failure, and keep secrets out of what is printed."""

import re
from typing import List, Optional

from dlt.extract.exceptions import PipeException
from dlt.pipeline.exceptions import PipelineStepFailed

# dlt keeps the cause of some wrappers in attributes rather than in __cause__: PipelineStepFailed.exception,
# LoadPackageAborted.job_exception, load job failures' client_exception, DestinationConnectionError.inner_exc
CAUSE_ATTRIBUTES = ("exception", "job_exception", "client_exception", "inner_exc")
SECRET_PATTERNS = (
    (re.compile(r"(://[^/\s:@]+:)[^@\s/]+@"), r"\1***@"),  # passwords in connection strings
    (re.compile(r"\b1000\.[0-9a-fA-F]{16,}\.[0-9a-fA-F]{16,}\b"), "1000.***"),  # Zoho access and refresh tokens
    (
        re.compile(r"(?i)\b(client_secret|refresh_token|access_token|password)(['\"]?\s*[=:]\s*['\"]?)[^&\s'\",]+"),
        r"\1\2***",
    ),
)
OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>:?\s*")


def exception_chain(exc: BaseException) -> List[BaseException]:
    """`exc` and its causes, outermost first, each once."""
    links: List[BaseException] = []
    seen = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        links.append(current)
        current = _cause(current)
    return links


def _cause(exc: BaseException) -> Optional[BaseException]:
    if exc.__cause__ is not None:
        return exc.__cause__
    for name in CAUSE_ATTRIBUTES:
        inner = getattr(exc, name, None)
        if isinstance(inner, BaseException):
            return inner
    return exc.__context__


def first(links: List[BaseException], kind: type) -> Optional[BaseException]:
    """The outermost link of type `kind`."""
    return next((link for link in links if isinstance(link, kind)), None)


def step_failed(links: List[BaseException]) -> Optional[PipelineStepFailed]:
    """The dlt step that failed (sync, extract, normalize, load), if the failure happened inside one."""
    found = first(links, PipelineStepFailed)
    return found if isinstance(found, PipelineStepFailed) else None


def resource_name(links: List[BaseException]) -> Optional[str]:
    """The dlt resource (pipe) whose extraction failed."""
    found = first(links, PipeException)
    return found.pipe_name if isinstance(found, PipeException) else None


def one_line(text: str) -> str:
    """Join the lines as sentences, collapse whitespace, drop Python object reprs (`<… object at 0x…>:`)."""
    sentences: List[str] = []
    for line in OBJECT_REPR.sub("", str(text)).splitlines():
        line = " ".join(line.split())
        if line:
            if sentences and not sentences[-1].endswith((".", ":", ";", ",", "?", "!")):
                sentences[-1] += "."
            sentences.append(line)
    return " ".join(sentences)


def redact(text: str) -> str:
    """Mask connection-string passwords, Zoho tokens and secret-named parameters."""
    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def innermost_message(links: List[BaseException]) -> str:
    """The deepest non-empty message, on one line and redacted: the root cause in its own words."""
    for exc in reversed(links):
        message = one_line(str(exc))
        if message:
            return redact(message)
    return type(links[-1]).__name__
