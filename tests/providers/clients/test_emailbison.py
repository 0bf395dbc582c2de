"""The EmailBison client against its double: the per-instance endpoint and the token are required before any call,
page-number paging to `meta.last_page`, a 429 + Retry-After retried by the shared policy, a failed connection test
reported as the account's problem, pause as a daily limit of 0, errors carrying EmailBison's message but never the
token, and no per-mailbox numbers."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date
from typing import Any

import httpx
import pytest

from providers.clients import http
from providers.clients.errors import AuthenticationFailed, BadRequest
from providers.clients.http import RetryRecord
from providers.clients.sequencers import NewAccount, api_key_for, client_for
from providers.config import Settings


def settings(sandbox: Any, **over: str) -> Settings:
    base: Settings = sandbox.settings
    return replace(base, **{"emailbison_api_key": sandbox.credentials["emailbison_api_key"], **over})


def test_token_and_endpoint_are_required_before_any_call(sandbox: Any) -> None:
    with pytest.raises(AuthenticationFailed, match="API token") as caught:
        client_for(Settings(), "emailbison")
    assert "emailbisonApiKey" in str(caught.value.hint)
    with pytest.raises(BadRequest, match="endpoint") as caught2:
        client_for(Settings(emailbison_api_key="1|abc"), "emailbison")
    assert "emailbisonEndpoint" in str(caught2.value.hint)
    assert api_key_for(settings(sandbox), "emailbison") == sandbox.credentials["emailbison_api_key"]


def test_pages_retries_pauses_and_deletes(sandbox: Any) -> None:
    domain = f"c{secrets.token_hex(4)}.example"
    emails = sorted(f"u{i:02d}@{domain}" for i in range(17))  # more than one page of 15
    client = client_for(settings(sandbox), "emailbison")
    try:
        failed = client.create(NewAccount(f"nobody@{domain}", "U", "K", "pw", 5))
        assert failed.problem == "Not connected"  # no such mailbox in the world: the connection test fails
        assert f"nobody@{domain}" not in client.list_accounts()  # not kept unconnected: the next run tests again
        token = sandbox.credentials["emailbison_api_key"]
        with httpx.Client(base_url=sandbox.endpoints["emailbison"], verify=sandbox.ca_cert,
                          headers={"Authorization": f"Bearer {token}"}) as raw:
            for email in emails:  # seeded straight at the double: 17 senders, more than one page
                made = raw.post("/sender-emails/imap-smtp", json={
                    "name": "U K", "email": email, "password": "pw", "imap_server": "outlook.office365.com",
                    "imap_port": 993, "smtp_server": "smtp.office365.com", "smtp_port": 587})
                assert made.status_code == 200
        sandbox.set_faults("emailbison", next_429=1, retry_after_s=1)
        seen: list[RetryRecord] = []
        stop = http.observe(seen.append)
        try:
            listed = client.list_accounts()
        finally:
            stop()
        assert [e for e in listed if e.endswith(domain)] == emails
        assert [r.reason for r in seen] == ["HTTP 429"] and seen[0].wait_s >= 1
        first = listed[emails[0]]
        client.set_daily_limit(first, 9)
        client.set_paused(first, True)
        again = client.list_accounts()[emails[0]]
        assert again.paused and again.daily_limit == 0
        client.set_daily_limit(again, 7)  # resuming is setting the ramp's limit
        resumed = client.list_accounts()[emails[0]]
        assert not resumed.paused and resumed.daily_limit == 7
        assert client.numbers(emails, date(2026, 1, 1), date(2026, 12, 31)) is None
        for email in emails:
            client.delete(listed[email])
        client.delete(listed[emails[0]])  # already gone: fine
        assert not [e for e in client.list_accounts() if e.endswith(domain)]
    finally:
        client.close()


def test_errors_name_the_api_and_the_field_never_the_token(sandbox: Any) -> None:
    client = client_for(settings(sandbox, emailbison_api_key="7|wrong-token-123"), "emailbison")
    with pytest.raises(AuthenticationFailed) as caught:
        client.list_accounts()
    assert "Unauthenticated" in str(caught.value) and "wrong-token-123" not in str(caught.value)
    client.close()
    good = client_for(settings(sandbox), "emailbison")
    email = f"dup@c{secrets.token_hex(4)}.example"
    try:
        token = sandbox.credentials["emailbison_api_key"]
        with httpx.Client(base_url=sandbox.endpoints["emailbison"], verify=sandbox.ca_cert,
                          headers={"Authorization": f"Bearer {token}"}) as raw:
            raw.post("/sender-emails/imap-smtp", json={
                "name": "A K", "email": email, "password": "p", "imap_server": "outlook.office365.com",
                "imap_port": 993, "smtp_server": "smtp.office365.com", "smtp_port": 587})
        with pytest.raises(BadRequest) as dup:
            good.create(NewAccount(email, "A", "K", "secret-pw-xyz", 5))
        assert "already been taken" in str(dup.value) and dup.value.code == "email"
        assert "secret-pw-xyz" not in str(dup.value)
        good.delete(good.list_accounts()[email])
    finally:
        good.close()
