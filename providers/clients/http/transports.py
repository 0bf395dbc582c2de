"""httpx transports that apply the retry policy around httpx's own, so raw httpx clients and the SDKs share it.

A final retryable status is returned (not raised) so the caller's error mapping sees the service's own body; a
connection failure that may not or cannot be repeated is raised as httpx raised it (the SDKs map it themselves).
"""

from __future__ import annotations

import httpx

from providers.clients.http.retry import RetryPolicy, async_sleep, sleep


class RetryTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, policy: RetryPolicy) -> None:
        self.inner = inner
        self.policy = policy

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # a body we can send again
        attempt = 1
        while True:
            try:
                response = self.inner.handle_request(request)
            except httpx.TransportError as exc:
                wait = self.policy.retry_error(request, exc, attempt)
                if wait is None:
                    raise
            else:
                wait = self.policy.retry_status(request, response, attempt)
                if wait is None:
                    return response
                response.close()
            sleep(wait)
            attempt += 1

    def close(self) -> None:
        self.inner.close()


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, policy: RetryPolicy) -> None:
        self.inner = inner
        self.policy = policy

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        attempt = 1
        while True:
            try:
                response = await self.inner.handle_async_request(request)
            except httpx.TransportError as exc:
                wait = self.policy.retry_error(request, exc, attempt)
                if wait is None:
                    raise
            else:
                wait = self.policy.retry_status(request, response, attempt)
                if wait is None:
                    return response
                await response.aclose()
            await async_sleep(wait)
            attempt += 1

    async def aclose(self) -> None:
        await self.inner.aclose()
