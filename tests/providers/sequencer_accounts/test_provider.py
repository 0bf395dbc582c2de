"""SequencerAccounts: check names the field, diff over its keys, and the OAuth path against the Instantly double
(nothing created, the unconnected mailboxes reported, a connected one adopted and its limit set)."""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

import httpx

from providers import config
from providers.clients.sequencers import NewAccount
from providers.sequencer_accounts.provider import SequencerAccountsProvider


def inputs(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sequencer": "instantly", "sending": "oauth",
        "accounts": {"anna@getacme.com": {"first_name": "Anna", "last_name": "Keller", "daily_limit": 5,
                                          "status": "active"}},
        "warmup": {"enabled": True, "limit": 10, "increment": 1, "reply_rate": 30}, "passwords": {},
    }
    return {**base, **over}


def test_check_names_the_field() -> None:
    p = SequencerAccountsProvider()
    bad = p.check({}, inputs(sequencer="lemlist"))
    assert [f.property for f in bad.failures] == ["sequencer"]
    upper = p.check({}, inputs(accounts={"Anna@X.com": {"first_name": "A", "last_name": "K", "daily_limit": 1,
                                                         "status": "active"}}))
    assert [f.property for f in upper.failures] == ["accounts"]
    missing = p.check({}, inputs(sending="password"))
    assert [(f.property, "anna@getacme.com" in f.reason) for f in missing.failures] == [("passwords", True)]
    assert not p.check({}, inputs(sending="password", passwords={"anna@getacme.com": "pw"})).failures


def test_diff_keys() -> None:
    p, old = SequencerAccountsProvider(), inputs()
    assert not p.diff("instantly", old, inputs(passwords={"anna@getacme.com": "new"})).changes
    limit = inputs()
    limit["accounts"]["anna@getacme.com"]["daily_limit"] = 7.0  # floats from the engine are normalised
    d = p.diff("instantly", old, limit)
    assert d.changes and not d.replaces
    assert p.diff("instantly", old, inputs(sequencer="smartlead")).replaces == ["sequencer"]
    assert p.diff("instantly", {**old, "drift": [{"email": "anna@getacme.com", "what": "paused"}]}, old).changes


def test_new_account_repr_hides_the_password() -> None:
    assert "s3cret" not in repr(NewAccount("a@b.com", "A", "B", "s3cret", 5))


def test_oauth_path_reports_unconnected_and_adopts_connected(sandbox: Any) -> None:
    key = sandbox.credentials["instantly_api_key"]
    config.use(replace(sandbox.settings, instantly_api_key=key))
    domain = f"o{secrets.token_hex(4)}.example"
    accounts = {f"{n}@{domain}": {"first_name": n.title(), "last_name": "K", "daily_limit": 7, "status": "active"}
                for n in ("anna", "marco")}
    p = SequencerAccountsProvider()
    props = p.check({}, inputs(accounts=accounts)).inputs
    created = p.create(props)
    assert created.outs["awaiting_connect"] == sorted(accounts) and created.outs["remote_ids"] == {}
    with httpx.Client(base_url=sandbox.endpoints["instantly"], verify=sandbox.ca_cert,
                      headers={"Authorization": f"Bearer {key}"}) as http:
        email = f"anna@{domain}"  # connected by hand in the sequencer's app (here: straight at the double)
        http.post("/accounts", json={"email": email, "first_name": "A", "last_name": "K", "provider_code": 3,
                                     "imap_username": email, "imap_password": "p", "imap_host": "h",
                                     "imap_port": 993, "smtp_username": email, "smtp_password": "p",
                                     "smtp_host": "h", "smtp_port": 587, "daily_limit": 30})
        read = p.read(created.id, created.outs)
        assert read.outs["drift"] == [{"email": email, "what": "daily_limit 30"}]
        updated = p.update(created.id, read.outs, props)
        assert updated.outs["awaiting_connect"] == [f"marco@{domain}"] and list(updated.outs["remote_ids"]) == [email]
        assert http.get(f"/accounts/{email}").json()["daily_limit"] == 7
        p.delete(created.id, updated.outs)
        assert http.get(f"/accounts/{email}").status_code == 404
