"""SequencerAccounts against the EmailBison double: the OAuth path creates nothing and reports the unconnected
mailboxes, adopts one connected in EmailBison (its limit set, a retiring one paused at 0); the password path fails
the step naming a mailbox whose connection test failed."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

import httpx
import pytest

from providers import config
from providers.clients.errors import NotReady
from providers.sequencer_accounts.provider import SequencerAccountsProvider


def inputs(accounts: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {"sequencer": "emailbison", "sending": "oauth", "accounts": accounts,
            "warmup": {"enabled": True, "limit": 10, "increment": 1, "reply_rate": 30}, "passwords": {}, **over}


def use(sandbox: Any) -> str:
    token = str(sandbox.credentials["emailbison_api_key"])
    config.use(replace(sandbox.settings, emailbison_api_key=token))
    return token


def test_oauth_path_reports_unconnected_and_adopts_connected(sandbox: Any) -> None:
    token = use(sandbox)
    domain = f"eo{secrets.token_hex(4)}.example"
    accounts = {f"{n}@{domain}": {"first_name": n.title(), "last_name": "K", "daily_limit": 7, "status": s}
                for n, s in (("anna", "active"), ("marco", "retiring"))}
    p = SequencerAccountsProvider()
    props = p.check({}, inputs(accounts)).inputs
    created = p.create(props)
    assert created.outs["awaiting_connect"] == sorted(accounts) and created.outs["remote_ids"] == {}
    with httpx.Client(base_url=sandbox.endpoints["emailbison"], verify=sandbox.ca_cert,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        ids = {}
        for local in ("anna", "marco"):  # connected by the Bulk Uploader Tool (here: straight at the double)
            email = f"{local}@{domain}"
            made = http.post("/sender-emails/imap-smtp", json={
                "name": "A K", "email": email, "password": "p", "imap_server": "outlook.office365.com",
                "imap_port": 993, "smtp_server": "smtp.office365.com", "smtp_port": 587})
            ids[local] = made.json()["data"]["id"]
        read = p.read(created.id, created.outs)
        assert read.outs["drift"] == [{"email": f"anna@{domain}", "what": "daily_limit 5"},
                                      {"email": f"marco@{domain}", "what": "sending"}]
        updated = p.update(created.id, read.outs, props)
        assert updated.outs["awaiting_connect"] == [] and sorted(updated.outs["remote_ids"]) == sorted(accounts)
        assert http.get(f"/sender-emails/{ids['anna']}").json()["data"]["daily_limit"] == 7
        assert http.get(f"/sender-emails/{ids['marco']}").json()["data"]["daily_limit"] == 0  # paused
        assert p.read(created.id, updated.outs).outs["drift"] == []
        p.delete(created.id, updated.outs)
        assert http.get(f"/sender-emails/{ids['anna']}").status_code == 404


def test_password_path_names_the_mailbox_that_did_not_connect(sandbox: Any) -> None:
    use(sandbox)
    email = f"nobody@ep{secrets.token_hex(4)}.example"
    accounts = {email: {"first_name": "No", "last_name": "Body", "daily_limit": 5, "status": "active"}}
    p = SequencerAccountsProvider()
    props = p.check({}, inputs(accounts, sending="password", passwords={email: "pw-wrong"})).inputs
    with pytest.raises(NotReady, match=email) as caught:
        p.create(props)
    assert "pw-wrong" not in str(caught.value) and "SMTP AUTH" in str(caught.value.hint)
    token = sandbox.credentials["emailbison_api_key"]
    with httpx.Client(base_url=sandbox.endpoints["emailbison"], verify=sandbox.ca_cert,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        left = http.get("/sender-emails").json()["meta"]["last_page"]
        every = [s["email"] for n in range(1, left + 1)
                 for s in http.get("/sender-emails", params={"page": n}).json()["data"]]
    assert email not in every  # not kept unconnected: the next run creates and tests it again
