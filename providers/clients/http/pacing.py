"""Pacing of writes per (API, app + tenant): after a 429 the next writes of that key are spaced out, then the spacing
decays again as writes succeed (additive-increase / multiplicative-decrease in reverse: back off fast, recover slowly).

Why in the transport: Microsoft's write quotas are per app and tenant (Microsoft Graph's identity-and-access limits,
Exchange Online's per-tenant admin API budget; the sandbox's `write_quota` knob models them), and the four provider
threads plus msgraph's async calls all write through the transports. Retrying only the throttled request (Retry-After)
lets the other threads keep hitting the exhausted quota; spacing every write of that key makes them queue instead.
The key is the API plus the request's Authorization header (one token per tenant and scope, `identity.py`), so
tenants never slow each other down, and no secret is kept: only a hash of the header.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
MIN_GAP_S = 0.05  # the first spacing after a 429
MAX_GAP_S = 5.0  # never more than this between two writes of one key (Retry-After still applies on top)
DECAY = 0.8  # each successful write shrinks the gap
_lock = threading.Lock()
_sleep: Callable[[float], None] = time.sleep  # not the retry policy's sleep: tests count those waits as retries
_async_sleep = asyncio.sleep


@dataclass
class _Pace:
    gap_s: float = 0.0
    next_at: float = 0.0


_paces: dict[tuple[str, str], _Pace] = {}


def key_of(api: str, request: httpx.Request) -> tuple[str, str] | None:
    """The pacing key of a write (None for reads, which are not paced)."""
    if request.method.upper() in SAFE_METHODS:
        return None
    auth = request.headers.get("authorization", "")
    return api, hashlib.sha256(auth.encode()).hexdigest()[:16]


def delay(key: tuple[str, str] | None) -> float:
    """Seconds to wait before sending a write of `key`; reserves its slot."""
    if key is None:
        return 0.0
    now = time.monotonic()
    with _lock:
        pace = _paces.get(key)
        if pace is None or pace.gap_s <= 0:
            return 0.0
        start = max(now, pace.next_at)
        pace.next_at = start + pace.gap_s
        return start - now


def observe(key: tuple[str, str] | None, status: int | None) -> None:
    """A write of `key` was answered `status` (None: no answer): widen the gap on 429, shrink it otherwise."""
    if key is None:
        return
    with _lock:
        pace = _paces.setdefault(key, _Pace())
        if status == 429:
            pace.gap_s = min(MAX_GAP_S, max(MIN_GAP_S, pace.gap_s * 2))
        elif pace.gap_s > 0:
            pace.gap_s = 0.0 if pace.gap_s * DECAY < MIN_GAP_S else pace.gap_s * DECAY


def gap(api: str, request: httpx.Request) -> float:
    """The current spacing of the request's key (tests and logs)."""
    key = key_of(api, request)
    with _lock:
        pace = _paces.get(key) if key else None
        return pace.gap_s if pace else 0.0


def wait(seconds: float) -> None:
    if seconds > 0:
        _sleep(seconds)


async def async_wait(seconds: float) -> None:
    if seconds > 0:
        await _async_sleep(seconds)


def reset() -> None:
    with _lock:
        _paces.clear()
