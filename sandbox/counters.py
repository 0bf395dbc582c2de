"""Request counters per double: every HTTP round trip by method and path kind, and tokens issued per tenant.

The benchmarks and the fault tests count at the doubles, not in the client, so a retry, a token request or a
`$batch` shows exactly as the network saw it: one round trip each (a `$batch` of 20 is one). The path kind is the
path with its ids replaced by `{id}` (GUIDs, numbers, long hex, addresses, domain names), so counts group by API
call rather than by object. Token round trips are the identity double's `/{tenant}/oauth2/v2.0/token` requests;
`tokens` additionally counts the tokens issued, by tenant and audience (a denied request issues none).
Process-local and never persisted, like the fault counters.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

_lock = threading.Lock()
_calls: dict[str, Counter[str]] = {}
_tokens: Counter[tuple[str, str]] = Counter()

_ID = re.compile(
    r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|\d+|[0-9a-fA-F]{16,})$")
_VERSION = re.compile(r"^v\d+(?:\.\d+)?$")
TOKEN_PATH = re.compile(r"^/[^/]+/oauth2/v2\.0/token/?$")


def _segment(segment: str) -> str:
    if _ID.match(segment) or "@" in segment or ("." in segment and not _VERSION.match(segment)):
        return "{id}"
    return segment


def path_kind(path: str) -> str:
    """`/v1.0/users/4f…/assignLicense` -> `/v1.0/users/{id}/assignLicense`; `/v1.0/$batch` stays itself."""
    return "/".join(_segment(s) if s else s for s in path.split("/"))


def is_token_request(double: str, path: str) -> bool:
    return double == "identity" and bool(TOKEN_PATH.match(path))


def record(double: str, method: str, path: str) -> None:
    """One HTTP round trip seen by `double` (called by the fault middleware for every request)."""
    key = f"{method.upper()} {path_kind(path)}"
    with _lock:
        _calls.setdefault(double, Counter())[key] += 1


def token_issued(tenant: str, audience: str) -> None:
    with _lock:
        _tokens[(tenant.lower(), audience.rstrip("/"))] += 1


def snapshot() -> dict[str, Any]:
    """{"doubles": {double: {"total", "token", "by_kind": {"METHOD /path/{id}": n}}}, "tokens": [{tenant, audience,
    count}], "total": n, "token_requests": n}."""
    with _lock:
        doubles: dict[str, Any] = {}
        for name, calls in sorted(_calls.items()):
            token = sum(n for key, n in calls.items() if is_token_request(name, key.split(" ", 1)[1]))
            doubles[name] = {"total": sum(calls.values()), "token": token, "by_kind": dict(sorted(calls.items()))}
        tokens = [{"tenant": t, "audience": a, "count": n} for (t, a), n in sorted(_tokens.items())]
    return {"doubles": doubles, "tokens": tokens, "total": sum(d["total"] for d in doubles.values()),
            "token_requests": sum(d["token"] for d in doubles.values())}


def reset() -> None:
    with _lock:
        _calls.clear()
        _tokens.clear()
