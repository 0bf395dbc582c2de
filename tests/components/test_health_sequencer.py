"""Health source `sequencer`: per-mailbox numbers read from the Instantly double's analytics through our client, or
from a CSV export; a sequencer that cannot answer is one `unknown` finding, never zeros."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from components.health.collect import COLLECTORS, HealthContext
from components.health.sequencer import collect, read_csv
from components.health.signals import DomainSignals, MailboxNumbers
from components.spec import load_spec
from providers.config import Settings

TODAY = date(2026, 12, 2)


def context(raw: dict[str, Any], settings: Settings, **options: str) -> HealthContext:
    return HealthContext("dev", load_spec(raw), settings, {}, TODAY, options)


def test_registered() -> None:
    assert collect in COLLECTORS


def test_numbers_from_a_csv_export(raw: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Email Account,Date,Sent,Bounced,Replies\n"
                    "anna@getacme.com,2026-12-01,20,1,2\nANNA@getacme.com,2026-12-02,10,0,1\n"
                    "juergen@getacme.com,2026-12-01,5,0,0\n", encoding="utf-8")
    signals = DomainSignals("getacme.com")
    collect(context(raw, Settings(), sequencerCsv=str(path)), signals)
    assert signals.mailboxes == [MailboxNumbers("anna@getacme.com", 30, 1, None, 3),
                                 MailboxNumbers("juergen@getacme.com", 5, 0, None, 0)]
    missing = [f for f in signals.findings if f.level == "unknown"]
    assert [f.mailbox for f in missing] == ["anna.keller@getacme.com"]


def test_unreadable_csv_is_unknown(raw: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("who,sent\nx,1\n")
    for path in (tmp_path / "bad.csv", tmp_path / "absent.csv"):
        signals = DomainSignals("getacme.com")
        collect(context(raw, Settings(), sequencerCsv=str(path)), signals)
        assert signals.mailboxes == [] and [f.level for f in signals.findings] == ["unknown"]
    with pytest.raises(ValueError, match="not a number"):
        (tmp_path / "nan.csv").write_text("email,sent\na@b.com,lots\n")
        read_csv(tmp_path / "nan.csv")


def test_no_key_no_csv_is_unknown(raw: dict[str, Any]) -> None:
    signals = DomainSignals("getacme.com")
    collect(context(raw, Settings()), signals)
    assert signals.mailboxes == [] and signals.findings[0].level == "unknown"
    assert "instantlyApiKey" in signals.findings[0].detail


def test_smartlead_api_has_no_numbers(raw: dict[str, Any]) -> None:
    raw["defaults"]["sequencer"] = "smartlead"
    signals = DomainSignals("getacme.com")
    collect(context(raw, Settings(smartlead_api_key="k")), signals)
    assert signals.findings[0].level == "unknown" and "sequencerCsv" in signals.findings[0].detail


def test_numbers_from_the_instantly_api(raw: dict[str, Any], sandbox: Any) -> None:
    domain = f"h{secrets.token_hex(4)}.example"
    raw["domains"] = [{"name": domain, "status": "active", "since": "2026-11-01"}]
    key = sandbox.credentials["instantly_api_key"]
    settings = replace(sandbox.settings, instantly_api_key=key)
    emails = [f"anna@{domain}", f"juergen@{domain}", f"anna.keller@{domain}"]
    with httpx.Client(base_url=sandbox.endpoints["instantly"], verify=sandbox.ca_cert,
                      headers={"Authorization": f"Bearer {key}"}) as http:
        for email in emails:
            body = {"email": email, "first_name": "A", "last_name": "K", "provider_code": 3, "imap_username": email,
                    "imap_password": "p", "imap_host": "h", "imap_port": 993, "smtp_username": email,
                    "smtp_password": "p", "smtp_host": "h", "smtp_port": 587}
            assert http.post("/accounts", json=body).status_code == 200
        for day, sent in (("2026-11-20", 12), ("2026-11-21", 8), ("2026-10-01", 99)):  # October: before `since`
            http.post("/_sandbox/activity", json={"email": emails[0], "date": day, "sent": sent, "bounced": 1,
                                                  "replies": 2})
    signals = DomainSignals(domain)
    collect(context(raw, settings), signals)
    got = {m.address: m for m in signals.mailboxes}
    assert got[emails[0]] == MailboxNumbers(emails[0], 20, 2, None, 4)
    assert got[emails[1]] == MailboxNumbers(emails[1], 0, 0, None, 0)
    assert [f.level for f in signals.findings] == ["ok"]


def test_instantly_refusing_is_unknown(raw: dict[str, Any], sandbox: Any) -> None:
    signals = DomainSignals("getacme.com")
    collect(context(raw, replace(sandbox.settings, instantly_api_key="wrong")), signals)
    assert signals.mailboxes == [] and signals.findings[0].level == "unknown"
    assert "401" in signals.findings[0].detail and "wrong" not in signals.findings[0].detail
