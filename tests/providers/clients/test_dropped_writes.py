"""A write whose connection drops after it went out is `WriteUnconfirmed` (never repeated blindly by the transport),
and a provider's lifecycle step runs again on it (reads back, then continues), at most `WRITE_RUNS` times."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from providers.base import WRITE_RUNS, BaseProvider, Created
from providers.clients import errors, http
from providers.config import Settings


def dropping(methods: set[str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.method in methods:
            raise httpx.ReadError("connection reset", request=request)
        return httpx.Response(200, json={})
    return httpx.MockTransport(handle)


def test_a_dropped_post_is_a_dropped_write_and_not_repeated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("providers.clients.http.retry._sleep", lambda _s: None)
    client = httpx.Client(transport=http.RetryTransport(dropping({"POST", "GET"}), http.RetryPolicy("t")))
    with pytest.raises(http.WriteUnconfirmed) as caught:
        http.request(client, "POST", "https://example.test/things", api="t", what="create thing")
    assert isinstance(caught.value, errors.ServerError) and "create thing" in str(caught.value)
    with pytest.raises(errors.ServerError) as read:  # a read that keeps failing is a plain ServerError
        http.request(client, "GET", "https://example.test/things", api="t")
    assert not isinstance(read.value, http.WriteUnconfirmed)


def test_dropped_write_is_found_through_sdk_wrapping() -> None:
    request = httpx.Request("POST", "https://example.test/x")
    inner = http.DroppedWrite("dropped", request=request)
    try:
        try:
            raise inner
        except httpx.ReadError as exc:
            raise RuntimeError("sdk wrapper") from exc
    except RuntimeError as wrapped:
        assert http.dropped_write(wrapped)
    assert not http.dropped_write(RuntimeError("other"))


class _Args(BaseModel):
    domain: str


class _Flaky(BaseProvider[_Args]):
    ARGS = _Args
    KIND = "Thing"

    def __init__(self, drops: int) -> None:
        self.drops, self.runs = drops, 0

    def _create(self, args: _Args, settings: Settings) -> Created:
        self.runs += 1
        if self.runs <= self.drops:
            raise http.WriteUnconfirmed("create thing: connection dropped after sending", api="t")
        return Created(args.domain, {"domain": args.domain})


def test_the_lifecycle_step_runs_again_after_a_dropped_write(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("providers.config.current", lambda: Settings())
    provider = _Flaky(drops=WRITE_RUNS - 1)
    assert provider.create({"domain": "a.com"}).id == "a.com" and provider.runs == WRITE_RUNS


def test_a_write_that_keeps_dropping_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("providers.config.current", lambda: Settings())
    provider = _Flaky(drops=WRITE_RUNS)
    with pytest.raises(http.WriteUnconfirmed) as caught:
        provider.create({"domain": "a.com"})
    line: Any = str(caught.value)
    assert line.startswith("coldfleet: Thing a.com: [t] create thing") and "Next: " in line and "\n" not in line
