"""A health run with fake collectors: every live domain checked, a failing collector, exit codes, JSON both ways,
the table and the Markdown."""

from __future__ import annotations

import json
import threading
from datetime import date
from typing import Any

import pytest

from components.health.collect import HealthContext
from components.health.render import markdown, table
from components.health.report import CONSENT, HealthReport, ReportError, from_json, run, to_json
from components.health.signals import DomainSignals, Finding, MailboxNumbers
from components.spec import load_spec
from providers.config import Settings

TODAY = date(2026, 12, 2)


def ctx(raw: dict[str, Any], **options: str) -> HealthContext:
    return HealthContext("acme", load_spec(raw), Settings(), {}, TODAY, options)


def dns_ok(c: HealthContext, s: DomainSignals) -> None:
    s.add(Finding(s.domain, "dns", "spf", "ok"))


def listed(name: str) -> Any:
    def collect(c: HealthContext, s: DomainSignals) -> None:
        if s.domain == name:
            s.add(Finding(s.domain, "blocklist", "dbl.spamhaus.org", "worn", "listed (127.0.1.2)"))
    return collect


def test_every_live_domain_is_checked_in_spec_order(raw: dict[str, Any]) -> None:
    raw["domains"].append({"name": "old-acme.com", "status": "retired"})
    raw["domains"].append({"name": "byeacme.com", "status": "retiring"})
    seen: list[str] = []
    lock = threading.Lock()

    def record(c: HealthContext, s: DomainSignals) -> None:
        with lock:
            seen.append(s.domain)
        dns_ok(c, s)

    progress: list[tuple[int, int]] = []
    report = run(ctx(raw), [record], progress=lambda done, total, _d: progress.append((done, total)))
    assert sorted(seen) == ["byeacme.com", "getacme.com", "tryacme.io"]  # never the retired one
    assert [v.domain for v in report.verdicts] == ["byeacme.com", "getacme.com", "tryacme.io"]
    assert report.verdict("byeacme.com").status == "retiring"  # type: ignore[union-attr]
    assert sorted(progress) == [(1, 3), (2, 3), (3, 3)]
    assert report.exit_code == 0


def test_domain_filter(raw: dict[str, Any]) -> None:
    report = run(ctx(raw), [dns_ok], domains=["tryacme.io"])
    assert [v.domain for v in report.verdicts] == ["tryacme.io"]
    with pytest.raises(ValueError, match="not a live domain of stack 'acme': nope.com"):
        run(ctx(raw), [dns_ok], domains=["nope.com"])


def test_exit_codes(raw: dict[str, Any]) -> None:
    assert run(ctx(raw), [dns_ok]).exit_code == 0
    assert run(ctx(raw), [dns_ok, listed("tryacme.io")]).exit_code == 1
    assert run(ctx(raw), []).exit_code == 2  # no collector said anything: could not check

    def broken(c: HealthContext, s: DomainSignals) -> None:
        s.add(Finding(s.domain, "dns", "mx", "broken", "MX missing"))

    def unknown(c: HealthContext, s: DomainSignals) -> None:
        s.add(Finding(s.domain, "blocklist", "zen", "unknown", "refused"))

    assert run(ctx(raw), [dns_ok, broken]).exit_code == 1
    assert run(ctx(raw), [dns_ok, unknown]).exit_code == 2
    assert run(ctx(raw), [dns_ok, unknown, listed("getacme.com")]).exit_code == 1


def test_a_collector_that_raises_is_unknown_and_the_others_still_run(raw: dict[str, Any]) -> None:
    def boom(c: HealthContext, s: DomainSignals) -> None:
        raise RuntimeError("token=sekrit")

    report = run(ctx(raw, workers="1"), [boom, dns_ok])
    v = report.verdict("getacme.com")
    assert v is not None and v.unknown == ("collector test_report: failed (RuntimeError)",)
    assert "sekrit" not in json.dumps(to_json(report))
    assert any(f.check == "spf" for f in report.findings)
    assert report.exit_code == 2


def test_options_tune_the_rule(raw: dict[str, Any]) -> None:
    def numbers(c: HealthContext, s: DomainSignals) -> None:
        s.mailboxes.append(MailboxNumbers(f"anna@{s.domain}", 50, 5, 0, 5))

    assert run(ctx(raw), [numbers]).exit_code == 0
    assert run(ctx(raw, min_sent="10"), [numbers]).exit_code == 1
    with pytest.raises(ValueError, match="coldfleet:health.workers must be a whole number, not 'many'"):
        run(ctx(raw, workers="many"), [numbers])


def test_json_round_trip(raw: dict[str, Any]) -> None:
    def mailbox(c: HealthContext, s: DomainSignals) -> None:
        s.mailboxes.append(MailboxNumbers(f"anna@{s.domain}", 1000, 60, 0, 20))

    report = run(ctx(raw), [dns_ok, mailbox, listed("tryacme.io")])
    data = json.loads(json.dumps(to_json(report)))
    assert data["exit_code"] == 1 and data["notice"] == CONSENT and data["today"] == "2026-12-02"
    assert {f["check"] for f in data["findings"]} == {"spf", "dbl.spamhaus.org"}
    back = from_json(data)
    assert back == report
    with pytest.raises(ReportError, match=r"verdicts\[0\].verdict: 'bad'"):
        from_json({**data, "verdicts": [{**data["verdicts"][0], "verdict": "bad"}]})
    with pytest.raises(ReportError, match="report.stack: missing"):
        from_json({k: v for k, v in data.items() if k != "stack"})


def test_table_and_markdown(raw: dict[str, Any]) -> None:
    def broken(c: HealthContext, s: DomainSignals) -> None:
        if s.domain == "getacme.com":
            s.add(Finding(s.domain, "dns", "dmarc", "broken", "p=none served"))

    report: HealthReport = run(ctx(raw), [dns_ok, broken, listed("tryacme.io")])
    text = table(report)
    lines = text.splitlines()
    assert lines[0] == "coldfleet health — stack acme, 2026-12-02"
    row = next(line for line in lines if line.strip().startswith("tryacme.io"))
    assert "worn" in row and "100" in row and "blocklist dbl.spamhaus.org: listed (127.0.1.2)" in row
    row = next(line for line in lines if line.strip().startswith("getacme.com"))
    assert "broken" in row and "repair with `coldfleet up`: dns dmarc: p=none served" in row
    assert "2 domain(s): 1 worn, 1 broken; exit code 1" in text
    assert "sender's responsibility" in text and "UWG §7(2)" in text
    assert "\033[" not in text and "\033[31mworn" in table(report, colour=True)
    md = markdown(report)
    assert "| `tryacme.io` | active | **worn** | 100 | blocklist dbl.spamhaus.org: listed (127.0.1.2) |" in md
    assert f"> {CONSENT}" in md


def test_worn_mailboxes_are_named_with_their_reasons(raw: dict[str, Any]) -> None:
    def restricted(c: HealthContext, s: DomainSignals) -> None:
        dns_ok(c, s)
        s.add(Finding(s.domain, "microsoft", "restricted-sender", "worn", "blocked", mailbox=f"anna@{s.domain}"))

    row = next(line for line in table(run(ctx(raw), [restricted])).splitlines() if "tryacme.io" in line)
    assert row.split()[2] == "watch" and "anna@tryacme.io worn: microsoft restricted-sender: blocked" in row
