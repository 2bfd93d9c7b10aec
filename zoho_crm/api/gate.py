"""One gate for every call to the Zoho CRM API: the run's concurrency limit, Zoho's 429 policy, retries within a
time budget, and the ledger.

The gate is the `send` of the session that dlt's `RESTClient` uses, so listings, detail batches, metadata,
deletions, users and Bulk Read all pass it. It holds a slot only while one attempt is on the wire (never while
backing off) and dispatches the request's hooks (errors, token renewal) once, on the final answer. dlt's retrying
session is not used for CRM calls: its retries would hold a slot through their sleeps and know nothing of Zoho's
429s. Token requests go to the accounts server through their own session.

What happens to an attempt:
- `429` naming only Zoho's 24-hour credit limit: the run stops at once (`ZohoDailyLimitError`, exit 3).
- `429` naming the concurrency limit, or ambiguous: the run's concurrency is halved (it grows back by one after a
  streak of successes) and the call is retried with exponential backoff and jitter, honouring `Retry-After`.
- `5xx`, dropped or truncated answers, and `2xx` bodies that are not valid JSON: retried the same way (a body that is
  not JSON `INVALID_JSON_ATTEMPTS` times running is an answer, not a blip: the call then fails).
- Each call may spend `max_retry_seconds` retrying; then 429s stop the run with exit 3 (`ZohoThrottledError`)
  and other failures surface as errors (exit 1).
"""

import contextlib
import random
import tempfile
import threading
import time
from typing import IO, Any, Callable, Iterator, Optional, Tuple

import orjson
from dlt.sources.helpers.requests.session import Session
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from requests.exceptions import ChunkedEncodingError, ConnectionError, ContentDecodingError, Timeout
from requests.hooks import default_hooks, dispatch_hook

from ..errors import (
    ZohoBudgetError,
    ZohoDailyLimitError,
    ZohoInvalidResponseError,
    ZohoNetworkError,
    ZohoThrottledError,
)
from ..settings import (
    CONCURRENCY_WORDS,
    DAILY_LIMIT_WORDS,
    INVALID_JSON_ATTEMPTS,
    MAX_RETRY_WAIT_SECONDS,
    UNREACHABLE_ATTEMPTS,
)
from .ledger import RunLedger, TCallKey
from .stop import RunStop

CREDITS_REMAINING_HEADER = "X-API-CREDITS-REMAINING"
BULK_DOWNLOAD_WAIT_SECONDS = 60.0
STOP_CHECK_SECONDS = 0.2  # how often a call waiting for a slot looks for a stop request
SPOOL_MEMORY_BYTES = 8 << 20
SPOOL_CHUNK_BYTES = 1 << 20
TRANSIENT_ERRORS = (ConnectionError, Timeout, ChunkedEncodingError, ContentDecodingError)
_UNPARSED = object()


class ZohoResponse(Response):
    """A response whose JSON body is parsed once, with orjson: the paginator and the client both read it."""

    _parsed: Any = _UNPARSED

    def json(self, **kwargs: Any) -> Any:
        """The parsed JSON body (raises `ValueError` when it is not JSON)."""
        if self._parsed is _UNPARSED:
            self._parsed = orjson.loads(self.content)
        return self._parsed


class AdaptiveLimit:
    """At most `limit` calls in flight. Zoho's concurrency 429 halves the limit once per wave of calls (calls sent
    before the last decrease do not lower it again); a streak of successes raises it by one, up to `maximum`."""

    def __init__(self, maximum: int, stop: Optional[RunStop] = None) -> None:
        self.maximum = maximum
        self.stop = stop or RunStop()
        self.limit = maximum
        self.in_flight = 0
        self.peak = 0
        self._epoch = 0
        self._streak = 0
        self._cond = threading.Condition()

    @contextlib.contextmanager
    def slot(self) -> Iterator[int]:
        """Hold one slot while a request is on the wire; yields the epoch the call was sent in."""
        with self._cond:
            while self.in_flight >= self.limit and not self.stop.requested:
                self._cond.wait(STOP_CHECK_SECONDS)  # a stop request lets waiters through: the gate refuses them
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            epoch = self._epoch
        try:
            yield epoch
        finally:
            with self._cond:
                self.in_flight -= 1
                self._cond.notify()

    def throttled(self, epoch: int) -> None:
        """Zoho said the concurrency limit is exceeded for a call sent in `epoch`."""
        with self._cond:
            if epoch == self._epoch:
                self.limit = max(1, self.limit // 2)
                self._epoch += 1
            self._streak = 0

    def succeeded(self) -> None:
        """One call went through: after 4 × limit in a row, allow one more call in flight."""
        with self._cond:
            self._streak += 1
            if self.limit < self.maximum and self._streak >= 4 * self.limit:
                self.limit += 1
                self._streak = 0
                self._cond.notify()


class GateSession(Session):
    """A dlt session (timeouts, no raise-for-status, no retries of its own) whose every request passes the gate."""

    def __init__(self, gate: "ZohoGate", timeout: float) -> None:
        super().__init__(timeout=timeout, raise_for_status=False)
        self.gate = gate
        pooled = HTTPAdapter(pool_connections=1, pool_maxsize=gate.limit.maximum + 2)
        self.mount("http://", pooled)
        self.mount("https://", pooled)

    def send(self, request: PreparedRequest, **kwargs: Any) -> Response:  # type: ignore[override]
        """Send through the gate; the request's response hooks run once, on the final answer."""
        kwargs.setdefault("timeout", self.timeout)
        hooks = request.hooks
        wire = request.copy()
        wire.hooks = default_hooks()

        def transmit() -> Response:
            response = super(GateSession, self).send(wire, **kwargs)
            if kwargs.get("stream") and response.status_code < 300:
                response.body_file = spool_body(response)  # type: ignore[attr-defined]
            response.__class__ = ZohoResponse
            response.request = request
            response.connection = self  # a re-send (a new token after 401) passes the gate too
            return response

        response = self.gate.send(wire, transmit)
        return dispatch_hook("response", hooks, response, **kwargs)


class ZohoGate:
    """The run's policy for every Zoho CRM API call (see the module docstring)."""

    def __init__(
        self,
        max_concurrency: int,
        max_retry_seconds: float,
        ledger: RunLedger,
        backoff_base: float = 1.0,
        backoff_cap: float = MAX_RETRY_WAIT_SECONDS,
        sleep: Optional[Callable[[float], None]] = None,
        clock: Callable[[], float] = time.monotonic,
        stop: Optional[RunStop] = None,
    ) -> None:
        self.stop = stop or RunStop()
        self.limit = AdaptiveLimit(max_concurrency, self.stop)
        self.max_retry_seconds = max_retry_seconds
        self.ledger = ledger
        self.backoff_base = max(backoff_base, 0.001)
        self.backoff_cap = max(min(backoff_cap, MAX_RETRY_WAIT_SECONDS), self.backoff_base)
        self.reached = False  # an answer came back: later connection failures are blips, not a wrong URL
        self._sleep = sleep or self.stop.wait  # a stop request wakes every sleeping retry
        self._clock = clock

    def sleep(self, seconds: float) -> None:
        """Wait (with the gate's clock, so tests can fake time); a stop request ends the wait with its exception."""
        self._sleep(seconds)
        if self.stop.requested:
            raise self.stop.exception()

    @contextlib.contextmanager
    def stopping_the_run_on_failure(self) -> Iterator[None]:
        """A failure inside the block stops the whole run: the other threads' calls and retries give up at once."""
        try:
            yield
        except GeneratorExit:
            raise
        except BaseException as ex:
            self.stop.request(ex)
            raise

    def session(self, timeout: float) -> Session:
        """A session for dlt's `RESTClient` whose requests go through this gate."""
        return GateSession(self, timeout)

    def send(self, request: PreparedRequest, transmit: Callable[[], Response]) -> Response:
        """Run `transmit` (one attempt of `request`) under the concurrency limit until its answer is final."""
        key = self.ledger.classify(request.method or "GET", request.url or "", request.body)
        if not self.ledger.affordable(key[1]):
            raise ZohoBudgetError(self.ledger.credit_budget or 0, self.ledger.credits_total())
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            with self.limit.slot() as epoch:
                if self.stop.requested:  # checked with the slot held: no call leaves after a stop
                    raise self.stop.exception()
                response, error = _attempt(transmit)
            reason = failure_reason(key, response, error)
            if reason is None:
                self.reached = True
                self.limit.succeeded()
                assert response is not None
                self.ledger.record_call(key, response.status_code < 400, response.headers.get(CREDITS_REMAINING_HEADER))
                self.ledger.note_read(key, response.headers.get("Date"))
                return response
            if reason == "daily_limit":
                self.ledger.record_call(key, False)
                self.stop.request(ZohoDailyLimitError(_zoho_message(response)))
                raise self.stop.exception()
            if reason == "throttled" and key[1] != "bulk_download":  # downloads have their own per-minute limit
                self.limit.throttled(epoch)
            if error is not None and not self.reached and attempt >= UNREACHABLE_ATTEMPTS:
                raise error  # nothing got through yet: a wrong URL or no network, not worth ten minutes
            elapsed = self._clock() - started
            wait = self._wait(key, attempt, response)
            not_json_again = reason == "invalid_json" and attempt >= INVALID_JSON_ATTEMPTS
            if elapsed + wait > self.max_retry_seconds or not_json_again:
                return self._give_up(key, reason, elapsed, response, error)
            self.ledger.record_retry(reason)
            self.sleep(wait)

    def _wait(self, key: TCallKey, attempt: int, response: Optional[Response]) -> float:
        retry_after = _retry_after(response)
        if retry_after is not None:
            return retry_after
        if key[1] == "bulk_download" and response is not None and response.status_code == 429:
            return BULK_DOWNLOAD_WAIT_SECONDS  # 10 downloads a minute: the next minute, whatever the attempt
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # "equal jitter": never a near-zero wait

    def _give_up(
        self, key: TCallKey, reason: str, elapsed: float, response: Optional[Response], error: Any
    ) -> Response:
        if reason == "throttled":
            self.stop.request(ZohoThrottledError(elapsed))
            raise self.stop.exception()
        if response is None:
            raise ZohoNetworkError(key[0], elapsed, error) from error
        if reason == "invalid_json":
            raise ZohoInvalidResponseError(response, key[0] or None)
        self.ledger.record_call(key, False)
        return response  # a 5xx: the client turns it into a ZohoApiError with the status and the body


def _attempt(transmit: Callable[[], Response]) -> Tuple[Optional[Response], Any]:
    try:
        return transmit(), None  # requests reads the whole body here: a cut answer fails inside the slot
    except TRANSIENT_ERRORS as ex:
        return None, ex


def failure_reason(key: TCallKey, response: Optional[Response], error: Any) -> Optional[str]:
    """Why an attempt must be retried (or stop the run), or None when its answer is final."""
    if response is None:
        return "dropped" if isinstance(error, (ChunkedEncodingError, ConnectionError)) else "timeout"
    status = response.status_code
    if status == 429:
        message = _zoho_message(response).lower()
        daily = any(word in message for word in DAILY_LIMIT_WORDS)
        if daily and not any(word in message for word in CONCURRENCY_WORDS):
            return "daily_limit"
        return "throttled"
    if status >= 500 and status != 501:  # 501 Not Implemented: a server without this endpoint, not an outage
        return "server_error"
    if 200 <= status < 300 and key[1] != "bulk_download" and response.content:
        try:
            response.json()
        except ValueError:
            return "invalid_json"
    return None


def spool_body(response: Response) -> IO[bytes]:
    """Read a streamed body into a temporary file (memory up to a few MB, then disk), inside the gate's slot so a
    cut download is retried like any cut answer."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115 - the caller reads it later
    for chunk in response.iter_content(SPOOL_CHUNK_BYTES):
        spool.write(chunk)
    spool.seek(0)
    return spool  # type: ignore[return-value]


def _zoho_message(response: Optional[Response]) -> str:
    try:
        payload = response.json() if response is not None else {}
    except ValueError:
        return ""
    return str(payload.get("message") or "") if isinstance(payload, dict) else ""


def _retry_after(response: Optional[Response]) -> Optional[float]:
    value = response.headers.get("Retry-After") if response is not None else None
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: Zoho documents none; fall back to backoff
