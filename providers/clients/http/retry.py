"""The one retry policy every client's HTTP shares: what to retry, how long to wait, and a record of each retry.

Retried: 429 and 503 (the service says it did not do the work) for every request, on their own, larger budget
(`throttled_attempts`): a throttle is the service asking us to come back, not a failure, and four or five of them in
a row are common enough under load (one `up` of the fault test in about ten failed on five in a row with the
count-only budget). 500 / 502 / 504 and connections dropped after the request went out are retried only for
idempotent requests (safe methods, PUT, DELETE, requests carrying an idempotency key, or requests the caller marked
idempotent); connections that never opened, for every request.
Waits honour `Retry-After` (seconds or an HTTP-date), are capped, and get a little jitter so parallel provider
threads do not come back in lockstep.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

log = logging.getLogger(__name__)

RETRY_ALWAYS = frozenset({429, 503})
RETRY_IF_IDEMPOTENT = frozenset({500, 502, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
IDEMPOTENCY_HEADERS = ("idempotency-key", "x-idempotency-key", "ms-requestid")
IDEMPOTENT = "coldfleet.idempotent"  # request extension: the caller vouches that repeating the request is safe
MAX_WAIT_S = 30.0  # cap on one wait, whatever Retry-After says
JITTER = 0.1  # up to +10 % on every wait (never less than the service asked for)
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

_sleep: Callable[[float], None] = time.sleep  # tests replace these to count waits without waiting
_async_sleep = asyncio.sleep


@dataclass(frozen=True)
class RetryRecord:
    """One retry the policy decided: which API, what went wrong (`HTTP 429`, `ReadError`, ...), the wait."""

    api: str
    method: str
    url: str
    reason: str
    attempt: int
    wait_s: float


_listeners: list[Callable[[RetryRecord], None]] = []
_listeners_lock = threading.Lock()


def observe(listener: Callable[[RetryRecord], None]) -> Callable[[], None]:
    """Call `listener` on every retry (tests count retries with it); returns the function that stops it."""
    with _listeners_lock:
        _listeners.append(listener)

    def stop() -> None:
        with _listeners_lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return stop


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds (`120`, `1.5`) or as an HTTP-date; None when absent or unreadable."""
    if value is None:
        return None
    raw = str(value).strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def is_idempotent(request: httpx.Request) -> bool:
    if request.method.upper() in IDEMPOTENT_METHODS or request.extensions.get(IDEMPOTENT):
        return True
    return any(name in request.headers for name in IDEMPOTENCY_HEADERS)


def path_of(url: str) -> str:
    """The URL without query string, for logs and messages (query strings may carry continuation tokens)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries for one API, shared by the sync and async transports.

    Both budgets count the first try: `max_attempts` for errors and dropped connections, `throttled_attempts` for
    429 / 503 answers (a request that met both kinds stops at whichever budget its latest answer belongs to).
    """

    api: str
    max_attempts: int = 5
    max_wait_s: float = MAX_WAIT_S
    throttled_attempts: int = 10

    def backoff(self, attempt: int) -> float:
        return float(min(self.max_wait_s, 0.5 * 2 ** (attempt - 1)))

    def wait_for(self, attempt: int, retry_after: float | None) -> float:
        base = self.backoff(attempt) if retry_after is None else min(retry_after, self.max_wait_s)
        return base * (1 + random.uniform(0, JITTER))  # noqa: S311 - jitter, not a secret

    def decide(self, request: httpx.Request, outcome: httpx.Response | httpx.TransportError,
               attempt: int) -> float | None:
        """Seconds to wait before sending `request` again after `outcome`, or None to return / raise it."""
        if isinstance(outcome, httpx.TransportError):
            return self.retry_error(request, outcome, attempt)
        return self.retry_status(request, outcome, attempt)

    def retry_status(self, request: httpx.Request, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before sending `request` again after `response`, or None to return the response."""
        status = response.status_code
        throttled = status in RETRY_ALWAYS
        if attempt >= (self.throttled_attempts if throttled else self.max_attempts):
            return None
        if not throttled and not (status in RETRY_IF_IDEMPOTENT and is_idempotent(request)):
            return None
        wait = self.wait_for(attempt, parse_retry_after(response.headers.get("Retry-After")))
        self.note(request.method, str(request.url), f"HTTP {status}", attempt, wait,
                  self.throttled_attempts if throttled else self.max_attempts)
        return wait

    def retry_error(self, request: httpx.Request, error: httpx.TransportError, attempt: int) -> float | None:
        """Seconds to wait before trying again after a connection failure, or None to raise it."""
        if attempt >= self.max_attempts:
            return None
        if not isinstance(error, NOT_SENT) and not is_idempotent(request):
            log.warning("%s: %s %s: %s after sending; not repeating a request that is not idempotent", self.api,
                        request.method, path_of(str(request.url)), type(error).__name__)
            return None
        wait = self.wait_for(attempt, None)
        self.note(request.method, str(request.url), type(error).__name__, attempt, wait, self.max_attempts)
        return wait

    def note(self, method: str, url: str, reason: str, attempt: int, wait: float, budget: int) -> None:
        """Log one retry and tell the observers (the transports and Graph's $batch rounds call it)."""
        url = path_of(url)
        log.warning("%s: %s %s: %s, retry %d/%d in %.1fs", self.api, method, url, reason, attempt, budget - 1, wait)
        record = RetryRecord(self.api, method, url, reason, attempt, wait)
        with _listeners_lock:
            listeners = list(_listeners)
        for listener in listeners:
            listener(record)


def sleep(seconds: float) -> None:
    _sleep(seconds)


async def async_sleep(seconds: float) -> None:
    await _async_sleep(seconds)
