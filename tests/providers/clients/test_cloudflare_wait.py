"""Cloudflare's wait for a proxied set, without a server: it rides the one poll and keeps its own timeout message."""

from __future__ import annotations

from typing import Any

import pytest

from providers.clients.dns import cloudflare_web
from providers.clients.dns.base import ZoneInfo
from providers.clients.dns.cloudflare_web import CloudflareWeb
from providers.clients.errors import NotReady, ServerError
from providers.config import Settings

INFO = ZoneInfo("acme.io", "zone-1", ("ns1.example.net",), "active")


def _web() -> CloudflareWeb:
    web = CloudflareWeb(Settings(cloudflare_api_token="t", poll_timeout_s=0.05, poll_interval_s=0.01))
    web._proxied = True
    return web


def test_proxied_wait_returns_once_the_servers_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    answers: list[Any] = [ServerError("refused", api="dns"), [], ["192.0.2.1"]]

    def query(*_: Any, **__: Any) -> list[str]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return list(answer)

    monkeypatch.setattr(cloudflare_web, "authoritative_query", query)
    _web()._wait(INFO, "acme.io", "A", ["192.0.2.1"])
    assert answers == []


def test_proxied_wait_times_out_with_its_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cloudflare_web, "authoritative_query", lambda *_, **__: [])
    wanted = r"^\[cloudflare\] acme.io A \(proxied\) does not answer at the authoritative servers after 0.05s$"
    with pytest.raises(NotReady, match=wanted) as caught:
        _web()._wait(INFO, "acme.io", "A", ["192.0.2.1"])
    assert caught.value.api == "cloudflare"
