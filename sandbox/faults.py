"""Fault injection for every double: latency, 429 + Retry-After, 503, dropped connections, per-app+tenant write quotas.

Two kinds of dropped connection: `drop` (`pdrop`, `next_drop`) closes the connection before the double sees the
request, so nothing happened; `drop_after` (`pdrop_after`, `next_drop_after`) lets the double handle the request,
state changes included, and closes the connection instead of sending the answer. To the client both look the same
(the request went out, no answer came), which is why a client must read back after a dropped write rather than
repeat it: with `drop_after` a repeated create makes a second object.

The launcher wraps each app in `FaultMiddleware`; doubles call `charge_write` on writes. Knobs live in
`world.faults[<double>]` (set through the admin app). Counters of what the middleware saw and injected are kept per
process (not persisted) so tests can assert on retries at the server; every round trip is also counted by method and
path kind in sandbox.counters (the benchmarks' figures).

Latency applies to every request of the double it is set on, before the answer or the injected fault, so a 429 costs
a round trip too. With `seed` set, the probabilistic faults of that double come from its own `random.Random` seeded
with the seed and the double's name: the n-th request a double sees gets the same verdict in every run with that seed
(which request is n-th still depends on the client's concurrency). Setting knobs with a `seed` restarts the sequence.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
import time
import uuid
from collections import Counter, deque
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox import counters
from sandbox.world import Faults, World

log = logging.getLogger(__name__)

_stats_lock = threading.Lock()
_stats: dict[str, Counter[str]] = {}
_windows: dict[tuple[str, str], deque[float]] = {}
_rngs: dict[tuple[str, int], random.Random] = {}


def count(double: str, what: str) -> None:
    with _stats_lock:
        _stats.setdefault(double, Counter())[what] += 1


def stats() -> dict[str, dict[str, int]]:
    """Per double: `requests` seen, and `429`, `503`, `drop`, `drop_after`, `write_429` injected."""
    with _stats_lock:
        return {name: dict(c) for name, c in _stats.items()}


def reset() -> None:
    """Forget counters and write windows (faults themselves live in the world)."""
    with _stats_lock:
        _stats.clear()
        _windows.clear()
        _rngs.clear()
    counters.reset()


def reseed(double: str) -> None:
    """Restart the seeded fault sequence of `double` (the admin app calls it when knobs with a seed are set)."""
    with _stats_lock:
        for key in [k for k in _rngs if k[0] == double]:
            del _rngs[key]


def _rng(double: str, seed: int | None) -> random.Random | None:
    if seed is None:
        return None
    with _stats_lock:
        rng = _rngs.get((double, seed))
        if rng is None:
            rng = _rngs[(double, seed)] = random.Random(f"{seed}:{double}")
        return rng


def charge_write(world: World, double: str, key: str) -> float | None:
    """Record one write for `key` (e.g. "<client_id>/<tenant_id>"); seconds to wait when over quota, else None."""
    faults = world.faults_for(double)
    if faults.write_quota is None:
        return None
    now = time.monotonic()
    with _stats_lock:
        window = _windows.setdefault((double, key), deque())
        while window and window[0] <= now - faults.write_window_s:
            window.popleft()
        if len(window) >= faults.write_quota:
            _stats.setdefault(double, Counter())["write_429"] += 1
            return max(window[0] + faults.write_window_s - now, 0.001)
        window.append(now)
    return None


def _error_body(double: str, status: int) -> tuple[bytes, str]:
    """The double's own error shape for a throttled or unavailable answer."""
    throttled = status == 429
    now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    body: Any
    if double in ("graph", "exchange"):
        body = {"error": {
            "code": "TooManyRequests" if throttled else "ServiceNotAvailable",
            "message": "Please retry again later." if throttled else "Service is unavailable.",
            "innerError": {"date": now, "request-id": str(uuid.uuid4()), "client-request-id": str(uuid.uuid4())},
        }}
    elif double == "cloudflare":
        body = {"success": False, "messages": [], "result": None, "errors": [
            {"code": 971, "message": "Please wait and consider throttling your request speed"} if throttled
            else {"code": 10013, "message": "Service unavailable"}]}
    elif double == "partner_center":
        code = 429 if throttled else 503
        body = {"code": code, "description": "Too many requests" if throttled else "Service unavailable",
                "errorName": "TooManyRequests" if throttled else "ServiceUnavailable", "isRetryable": True,
                "parameters": {}, "errorMessageExtended": f"InternalErrorCode={code}"}
    elif double == "identity":
        body = {"error": "temporarily_unavailable", "error_codes": [50196 if throttled else 90033],
                "error_description": "AADSTS50196: The server terminated an operation because it encountered a "
                "client request loop." if throttled else "AADSTS90033: A transient error has occurred."}
    elif double == "instantly":
        body = {"statusCode": status, "error": "Too Many Requests" if throttled else "Service Unavailable",
                "message": "Rate limit exceeded" if throttled else "Service Unavailable"}
    elif double == "emailbison":
        body = {"data": {"success": False, "message": "Too Many Attempts." if throttled else "Service Unavailable"}}
    elif double == "smartlead" and throttled:
        body = {"error": {"code": "RATE_LIMIT_EXCEEDED", "message": "Too many requests.", "retry_after": 1}}
    else:
        body = {"message": "Too Many Requests" if throttled else "Service Unavailable"}
    return json.dumps(body).encode(), "application/json"


def _pick(faults: Faults, double: str = "") -> str | None:
    """Which fault (if any) this request gets; one-shot counters first, then the probabilities (seeded per double
    when `faults.seed` is set)."""
    for attr, kind in (("next_drop", "drop"), ("next_429", "429"), ("next_503", "503"),
                       ("next_drop_after", "drop_after")):
        if getattr(faults, attr, 0) > 0:
            setattr(faults, attr, getattr(faults, attr) - 1)
            return kind
    rng = _rng(double, faults.seed)
    roll = rng.random() if rng is not None else random.random()
    for prob, kind in ((faults.pdrop, "drop"), (faults.p429, "429"), (faults.p503, "503"),
                       (faults.pdrop_after, "drop_after")):
        if roll < prob:
            return kind
        roll -= prob
    return None


def _drop(receive: Receive) -> bool:
    """Close the client connection without any response (uvicorn: the transport sits on the receive callable)."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        return False
    transport.abort()
    return True


def _held(send: Send, ms: int) -> Send:
    """`send` that waits `ms` before the answer's first message (the work is done by then)."""
    async def held(message: Any) -> None:
        if message.get("type") == "http.response.start":
            await asyncio.sleep(ms / 1000)
        await send(message)

    return held


async def _handle_then_drop(app: ASGIApp, scope: Scope, receive: Receive) -> None:
    """Run the request through the double (its state changes), keep the answer back, then drop the connection."""

    async def swallow(_message: Any) -> None:
        return None

    await app(scope, receive, swallow)
    _drop(receive)


class FaultMiddleware:
    """ASGI middleware applying `world.faults[double]` to every HTTP request."""

    def __init__(self, app: ASGIApp, world: World, double_name: str) -> None:
        self.app = app
        self.world = world
        self.double = double_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        count(self.double, "requests")
        counters.record(self.double, str(scope.get("method", "")), str(scope.get("path", "")))
        with self.world.lock:
            faults = self.world.faults_for(self.double)
            latency_ms, retry_after = faults.latency_ms, faults.retry_after_s
            answer_ms = getattr(faults, "answer_latency_ms", 0)  # worlds pickled before the knob lack it
            kind = _pick(faults, self.double)
        if latency_ms > 0:
            await asyncio.sleep(latency_ms / 1000)
        if kind is None:
            await self.app(scope, receive, _held(send, answer_ms) if answer_ms > 0 else send)
            return
        count(self.double, kind)
        log.debug("%s: injecting %s on %s %s", self.double, kind, scope.get("method"), scope.get("path"))
        if kind == "drop" and _drop(receive):
            return
        if kind == "drop_after":
            await _handle_then_drop(self.app, scope, receive)
            return
        status = 429 if kind == "429" else 503
        body, ctype = _error_body(self.double, status)
        headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
        if status == 429 or kind == "503":
            headers.append((b"retry-after", str(retry_after).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
