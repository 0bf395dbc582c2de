"""The sequencer clients against their doubles: Instantly's cursor paging, a 429 + Retry-After retried by the shared
policy, errors carrying the API's message but never the key, and Smartlead answering None for per-mailbox numbers."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from providers.clients import http
from providers.clients.errors import AuthenticationFailed, NotFound
from providers.clients.http import RetryRecord
from providers.clients.sequencers import NewAccount, client_for
from providers.clients.sequencers import instantly as instantly_module
from providers.clients.sequencers.smartlead import SmartleadClient
from providers.config import Settings


def settings(sandbox: Any, **over: str) -> Settings:
    keys = {"instantly_api_key": sandbox.credentials["instantly_api_key"],
            "smartlead_api_key": sandbox.credentials["smartlead_api_key"]}
    base: Settings = sandbox.settings
    return replace(base, **{**keys, **over})


def test_missing_key_is_refused_before_any_call() -> None:
    with pytest.raises(AuthenticationFailed, match="API key") as caught:
        client_for(Settings(), "instantly")
    assert "instantlyApiKey" in str(caught.value.hint)


def test_instantly_pages_retries_and_reads_numbers(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(instantly_module, "PAGE", 2)
    domain = f"c{secrets.token_hex(4)}.example"
    emails = sorted(f"u{i}@{domain}" for i in range(5))
    client = client_for(settings(sandbox), "instantly")
    try:
        for email in emails:
            made = client.create(NewAccount(email, "U", "K", "pw", 5))
            assert made.problem is not None  # no such mailbox in the world: the connection test fails
        sandbox.set_faults("instantly", next_429=1, retry_after_s=1)
        seen: list[RetryRecord] = []
        stop = http.observe(seen.append)
        try:
            listed = client.list_accounts()
        finally:
            stop()
        assert [e for e in listed if e.endswith(domain)] == emails
        assert [r.reason for r in seen] == ["HTTP 429"] and seen[0].wait_s >= 1
        client.set_daily_limit(listed[emails[0]], 9)
        numbers = client.numbers(emails[:2], date(2026, 1, 1), date(2026, 12, 31))
        assert numbers is not None and numbers[emails[0]].sent == 0 and numbers[emails[0]].complaints is None
        for email in emails:
            client.delete(listed[email])
        client.delete(listed[emails[0]])  # already gone: fine
    finally:
        client.close()


def test_errors_name_the_api_never_the_key(sandbox: Any) -> None:
    client = client_for(settings(sandbox, instantly_api_key="wrong-key-123"), "instantly")
    with pytest.raises(AuthenticationFailed) as caught:
        client.list_accounts()
    assert "Invalid API key" in str(caught.value) and "wrong-key-123" not in str(caught.value)
    client.close()
    smart = client_for(settings(sandbox, smartlead_api_key="wrong-key-456"), "smartlead")
    with pytest.raises(AuthenticationFailed) as caught2:
        smart.list_accounts()
    assert "wrong-key-456" not in str(caught2.value)
    smart.close()


def test_smartlead_numbers_are_not_offered_and_missing_delete_is_fine(sandbox: Any) -> None:
    client = SmartleadClient(settings(sandbox))
    try:
        assert client.numbers(["a@b.com"], date(2026, 1, 1), date(2026, 12, 31)) is None
        with pytest.raises(NotFound):
            client._call("GET", "/email-accounts/424242/")
    finally:
        client.close()
