"""OData query options for directory collections: $filter (the subset Entra ID supports on users), $select, $top
with `@odata.nextLink` paging through $skiptoken, and $count with `ConsistencyLevel: eventual`.

Advanced operators (`ne`, `endswith`, extension attributes) need `ConsistencyLevel: eventual` plus `$count=true`,
as in the real service; without them the answer is 400 Request_UnsupportedQuery.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from sandbox.graph import errors

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<punct>[(),])|(?P<word>[A-Za-z0-9_./:\-]+))")
# property -> (basic operators, advanced-only operators)
USER_FILTERS: dict[str, tuple[set[str], set[str]]] = {
    "id": ({"eq", "in"}, {"ne"}),
    "userPrincipalName": ({"eq", "in", "startswith"}, {"ne", "endswith"}),
    "mail": ({"eq", "in", "startswith"}, {"ne", "endswith"}),
    "displayName": ({"eq", "in", "startswith"}, {"ne", "endswith"}),
    "givenName": ({"eq", "in", "startswith"}, {"ne", "endswith"}),
    "surname": ({"eq", "in", "startswith"}, {"ne", "endswith"}),
    "mailNickname": ({"eq", "in", "startswith"}, {"ne", "endswith"}),
    "accountEnabled": ({"eq"}, {"ne"}),
    "usageLocation": ({"eq"}, {"ne"}),
    **{f"onPremisesExtensionAttributes/extensionAttribute{i}": (set(), {"eq", "ne", "in", "startswith"})
       for i in range(1, 16)},
}
MAX_PAGE = 999


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise errors.odata_bad_request(f"Invalid filter clause: syntax error at position {pos} in '{text}'.")
        out.append(match.group(match.lastgroup or "word"))
        pos = match.end()
    return [t for t in out if t.strip()]


def _literal(token: str) -> Any:
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    low = token.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "null":
        return None
    return token  # GUIDs and numbers compare as text


def _value(item: dict[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("/"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return bool(a == b)


class Parser:
    """The `$filter` grammar (or / and / not-free comparisons, startswith / endswith, in) over users' properties."""

    def __init__(self, text: str, advanced: bool) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0
        self.advanced = advanced

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token.lower() != expected):
            raise errors.odata_bad_request(f"Invalid filter clause: '{self.text}'.")
        self.pos += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.expr()
        if self.peek() is not None:
            raise errors.odata_bad_request(f"Invalid filter clause: '{self.text}'.")
        return predicate

    def _joined(self, word: str, inner: Callable[[], Predicate],
                combine: Callable[[Iterable[bool]], bool]) -> Predicate:
        parts = [inner()]
        while (self.peek() or "").lower() == word:
            self.take()
            parts.append(inner())
        return lambda item: combine(part(item) for part in parts)

    def expr(self) -> Predicate:
        return self._joined("or", self.term, any)

    def term(self) -> Predicate:
        return self._joined("and", self.factor, all)

    def check(self, prop: str, op: str) -> None:
        basic, advanced = USER_FILTERS.get(prop, (set(), set()))
        if op in basic or (op in advanced and self.advanced):
            return
        raise errors.unsupported_query(prop.rpartition("/")[2])

    def factor(self) -> Predicate:
        token = self.take()
        if token == "(":
            inner = self.expr()
            self.take(")")
            return inner
        if token.lower() in ("startswith", "endswith"):
            func = token.lower()
            self.take("(")
            prop = self.take()
            self.take(",")
            needle = _literal(self.take())
            self.take(")")
            self.check(prop, func)
            if not isinstance(needle, str):
                raise errors.odata_bad_request(f"Invalid filter clause: '{self.text}'.")

            def match(item: dict[str, Any]) -> bool:
                value = _value(item, prop)
                if not isinstance(value, str):
                    return False
                return bool(getattr(value.lower(), func)(needle.lower()))

            return match
        prop, op = token, self.take().lower()
        if op == "in":
            self.take("(")
            values = [_literal(self.take())]
            while self.peek() == ",":
                self.take()
                values.append(_literal(self.take()))
            self.take(")")
            self.check(prop, "in")
            return lambda item: any(_same(_value(item, prop), v) for v in values)
        if op not in ("eq", "ne"):
            raise errors.odata_bad_request(f"Invalid filter clause: unsupported operator '{op}'.")
        expected = _literal(self.take())
        self.check(prop, op)
        if op == "eq":
            return lambda item: _same(_value(item, prop), expected)
        return lambda item: not _same(_value(item, prop), expected)


class Filter(Parser):
    """The same grammar over another resource's filterable properties: `allowed` maps property -> operators."""

    def __init__(self, text: str, allowed: dict[str, set[str]], resource: str) -> None:
        super().__init__(text, advanced=False)
        self.allowed, self.resource = allowed, resource

    def check(self, prop: str, op: str) -> None:
        if op not in self.allowed.get(prop, set()):
            raise errors.unsupported_query(prop, self.resource)


def user_filter(text: str, advanced: bool) -> Predicate:
    return Parser(text, advanced).parse()


def select(item: dict[str, Any], names: list[str] | None, default: tuple[str, ...], type_name: str) -> dict[str, Any]:
    """The $select projection (or the type's default property set); unknown names are a 400 like Graph's."""
    if not names:
        return {k: item.get(k) for k in default}
    for name in names:
        if name not in item:
            raise errors.odata_bad_request(
                f"Parsing OData Select and Expand failed: Could not find a property named '{name}' on type "
                f"'microsoft.graph.{type_name}'.")
    return {name: item[name] for name in names}


def select_names(query: dict[str, str]) -> list[str] | None:
    raw = query.get("$select")
    if not raw:
        return None
    return [name.strip() for name in raw.split(",") if name.strip()]


def page(items: list[Any], query: dict[str, str], link_base: str) -> tuple[list[Any], str | None]:
    """One page and the `@odata.nextLink` (absolute URL carrying the same query options) when more remain."""
    raw_top = query.get("$top")
    try:
        top = int(raw_top) if raw_top is not None else 100
    except ValueError:
        raise errors.odata_bad_request(f"Invalid page size specified: '{raw_top}'.") from None
    if not 1 <= top <= MAX_PAGE:
        raise errors.odata_bad_request(
            f"Invalid page size specified: '{top}'. Must be between 1 and {MAX_PAGE} inclusive.")
    offset = 0
    if "$skiptoken" in query:
        try:
            offset = int(base64.urlsafe_b64decode(query["$skiptoken"].encode()).decode().removeprefix("o:"))
        except ValueError:
            raise errors.odata_bad_request("The specified page token value has expired or is invalid.") from None
    chunk = items[offset:offset + top]
    if offset + top >= len(items):
        return chunk, None
    token = base64.urlsafe_b64encode(f"o:{offset + top}".encode()).decode()
    params = {k: v for k, v in query.items() if k != "$skiptoken"}
    params["$top"] = str(top)
    params["$skiptoken"] = token
    return chunk, link_base + "?" + "&".join(f"{k}={quote(v, safe=',/:')}" for k, v in params.items())
