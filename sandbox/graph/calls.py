"""The Graph double's request model and routing: a `Call` in, an `Answer` out (framework-free, so `$batch` items go
through exactly the same code), route tables, the write quota, and the OData envelope helpers every resource shares."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sandbox import faults
from sandbox.graph import errors, query
from sandbox.world import World

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
UNSUPPORTED_OPTIONS = ("$orderby", "$expand", "$search")
BAD_PAYLOAD = ("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid "
               "JSON format.")


@dataclass
class Call:
    """One Graph request (top level or a $batch item) after authentication."""

    method: str
    path: str  # relative to the version root, e.g. /users/abc
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any
    tenant_id: str
    client_id: str
    base_url: str  # https://host:port/v1.0
    request_id: str = ""
    client_request_id: str = ""


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[..., Answer]
Route = tuple[str, "re.Pattern[str]", Handler]


def routes(table: Sequence[tuple[str, str, Handler]]) -> list[Route]:
    """Compile `(method, "/users/{user}", handler)` rows: each `{name}` is one path segment, passed as `name=`."""
    def segment(text: str) -> str:
        return re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", text)

    return [(method, re.compile("^" + segment(path) + "/?$"), handler) for method, path, handler in table]


def collection_routes(path: str, key: str, *, listing: Handler | None = None, create: Handler | None = None,
                      get: Handler | None = None, update: Handler | None = None,
                      delete: Handler | None = None) -> list[tuple[str, str, Handler]]:
    """The usual rows of an entity set: GET / POST on `path`, GET / PATCH / DELETE on `path/{key}`."""
    item = f"{path}/{{{key}}}"
    rows = [("GET", path, listing), ("POST", path, create), ("GET", item, get), ("PATCH", item, update),
            ("DELETE", item, delete)]
    return [(method, where, handler) for method, where, handler in rows if handler is not None]


def match(table: list[Route], world: World, call: Call) -> tuple[Handler, dict[str, str]] | None:
    """The handler for `call` and its path parameters (None when no path matches); a write is charged against the
    per app+tenant quota first (429 when it is used up), a known path with another method is 405."""
    hits = [(method, found, handler) for method, pattern, handler in table if (found := pattern.match(call.path))]
    if not hits:
        return None
    hits.sort(key=lambda hit: len(hit[1].groupdict()))  # a literal segment wins over a parameter of the same shape
    for method, found, handler in hits:
        if method == call.method:
            if call.method in WRITE_METHODS:
                wait = faults.charge_write(world, "graph", f"{call.client_id}/{call.tenant_id}")
                if wait is not None:
                    raise errors.throttled(wait, call.client_id, call.tenant_id)
            return handler, found.groupdict()
    raise errors.method_not_allowed()


def dispatcher_for(table: list[Route], fallback: Handler) -> Handler:
    """A dispatch function serving `table` (handlers take the world) first, anything else through `fallback`."""

    def dispatch(backend: Any, call: Call) -> Answer:
        found = match(table, backend.world, call)
        if found is None:
            return fallback(backend, call)
        handler, params = found
        return handler(backend.world, call, **params)

    return dispatch


# -- OData envelopes ---------------------------------------------------------------------------------------------
def context(call: Call, fragment: str) -> str:
    return f"{call.base_url}/$metadata#{fragment}"


def entity(call: Call, fragment: str, body: dict[str, Any], status: int = 200) -> Answer:
    return Answer(status, {"@odata.context": context(call, f"{fragment}/$entity"), **body})


def json_body(call: Call, *, annotations: bool = True) -> dict[str, Any]:
    """The JSON object body (400 otherwise); `annotations=False` drops `@odata.*`-style keys."""
    if not isinstance(call.body, dict):
        raise errors.odata_bad_request(BAD_PAYLOAD)
    return call.body if annotations else {k: v for k, v in call.body.items() if "@" not in k}


def check_options(call: Call, options: Sequence[str] = UNSUPPORTED_OPTIONS) -> None:
    for option in options:
        if option in call.query:
            raise errors.GraphError(400, "Request_UnsupportedQuery", f"The query option {option} is not supported "
                                    "by the sandbox on this resource.")


def collection(call: Call, items: list[dict[str, Any]], fragment: str, type_name: str, *,
               default: tuple[str, ...] | None = None, link: str | None = None, count: int | None = None) -> Answer:
    """One page of `items` with $select applied: `@odata.context`, `@odata.count` (when given), `@odata.nextLink`.

    `default`: the properties shown without $select (None = all of each item); `link`: the path the next link
    repeats (default: the call's)."""
    names = query.select_names(call.query)
    chunk, next_link = query.page(items, call.query, f"{call.base_url}{link or call.path.rstrip('/')}")
    body: dict[str, Any] = {"@odata.context": context(call, fragment)}
    if count is not None:
        body["@odata.count"] = count
    if next_link:
        body["@odata.nextLink"] = next_link
    body["value"] = [query.select(item, names, default or tuple(item), type_name) for item in chunk]
    return Answer(200, body)


def filtered(call: Call, items: list[dict[str, Any]], allowed: dict[str, set[str]], resource: str) -> Answer:
    """A collection with the simple `$filter` grammar over `allowed` properties and operators."""
    check_options(call)
    if "$filter" in call.query:
        predicate = query.Filter(call.query["$filter"], allowed, resource).parse()
        items = [item for item in items if predicate(item)]
    names = query.select_names(call.query)
    fragment = call.path.strip("/") + (f"({','.join(names)})" if names else "")
    return collection(call, items, fragment, resource[0].lower() + resource[1:])
