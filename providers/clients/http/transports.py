"""httpx transports that apply the retry policy around httpx's own, so raw httpx clients and the SDKs share it.

A final retryable status is returned (not raised) so the caller's error mapping sees the service's own body; a
connection failure that may not or cannot be repeated is raised as httpx raised it (the SDKs map it themselves),
except a write whose connection dropped after it went out: that is a `DroppedWrite` (still an `httpx.ReadError`),
because only the caller can tell, by reading back, whether the service did it. Every attempt of a write is paced per
(API, app + tenant) (`pacing.py`), so a 429 slows that tenant's writes down instead of failing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from providers.clients.http import pacing
from providers.clients.http.retry import NOT_SENT, RetryPolicy, async_sleep, is_idempotent, sleep

Outcome = httpx.Response | httpx.TransportError


def _status(outcome: Outcome) -> int | None:
    return outcome.status_code if isinstance(outcome, httpx.Response) else None


def _outcome(send: Callable[[httpx.Request], httpx.Response], request: httpx.Request, api: str) -> Outcome:
    """One attempt, paced: a write waits for its (API, tenant) slot and its answer adjusts the spacing."""
    key = pacing.key_of(api, request)
    pacing.wait(pacing.delay(key))
    try:
        outcome: Outcome = send(request)
    except httpx.TransportError as exc:
        outcome = exc
    pacing.observe(key, _status(outcome))
    return outcome


async def _async_outcome(send: Callable[[httpx.Request], Awaitable[httpx.Response]],
                         request: httpx.Request, api: str) -> Outcome:
    key = pacing.key_of(api, request)
    await pacing.async_wait(pacing.delay(key))
    try:
        outcome: Outcome = await send(request)
    except httpx.TransportError as exc:
        outcome = exc
    pacing.observe(key, _status(outcome))
    return outcome


class DroppedWrite(httpx.ReadError):
    """A request that is not idempotent went out and its connection dropped before the answer: it may have been done."""


def _final(request: httpx.Request, outcome: Outcome) -> httpx.Response:
    if isinstance(outcome, httpx.TransportError):
        if not isinstance(outcome, NOT_SENT) and not is_idempotent(request):
            raise DroppedWrite(f"{request.method} {request.url.path}: connection dropped after sending",
                               request=request) from outcome
        raise outcome
    return outcome


class RetryTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, policy: RetryPolicy) -> None:
        self.inner = inner
        self.policy = policy

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # a body we can send again
        attempt, outcome = 1, _outcome(self.inner.handle_request, request, self.policy.api)
        while (wait := self.policy.decide(request, outcome, attempt)) is not None:
            if isinstance(outcome, httpx.Response):
                outcome.close()  # give the connection back to the pool
            sleep(wait)
            attempt, outcome = attempt + 1, _outcome(self.inner.handle_request, request, self.policy.api)
        return _final(request, outcome)

    def close(self) -> None:
        self.inner.close()


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, policy: RetryPolicy) -> None:
        self.inner = inner
        self.policy = policy

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        attempt, outcome = 1, await _async_outcome(self.inner.handle_async_request, request, self.policy.api)
        while (wait := self.policy.decide(request, outcome, attempt)) is not None:
            if isinstance(outcome, httpx.Response):
                await outcome.aclose()
            await async_sleep(wait)
            outcome = await _async_outcome(self.inner.handle_async_request, request, self.policy.api)
            attempt += 1
        return _final(request, outcome)

    async def aclose(self) -> None:
        await self.inner.aclose()
