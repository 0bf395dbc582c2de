"""DMARC aggregate reports: plain XML, gzip and zip from a directory, and from the rua mailbox through the Graph
double (paged), counted per header-from domain and source IP into the domain's signals and one Finding."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from components.health import dmarc_reports
from components.health.collect import HealthContext
from components.health.signals import DomainSignals, Finding
from providers.clients.graph import GraphClient
from providers.clients.graph.mail import file_attachments
from providers.config import Settings
from sandbox.handle import SandboxHandle
from tests.components.health.fleet import TODAY, Fleet, add_mailbox, new_customer, spec_for
from tests.components.health.reports import Row, gz, report_xml, zipped
from tests.providers.clients.helpers import verified_domain

DOMAIN = "getacme.example"
YESTERDAY = TODAY - timedelta(days=1)


def ctx_for(directory: Path, domain: str = DOMAIN, **options: str) -> HealthContext:
    return HealthContext(stack="dev", spec=spec_for(domain), settings=Settings(), inventory={}, today=TODAY,
                         options={"dmarcReportsDir": str(directory), **options})


def collect(ctx: HealthContext, domain: str = DOMAIN) -> tuple[DomainSignals, Finding]:
    signals = DomainSignals(domain)
    dmarc_reports.collect(ctx, signals)
    [finding] = [f for f in signals.findings if f.check == dmarc_reports.CHECK]
    return signals, finding


def write(directory: Path, file: str, rows: list[Row], *, report_id: str, pack: str = "xml",
          day: date = YESTERDAY, rfc9990: bool = True, domain: str = DOMAIN) -> None:
    xml = report_xml(domain, rows, report_id=report_id, day=day, rfc9990=rfc9990)
    data = {"xml": xml, "gz": gz(xml), "zip": zipped(xml)}[pack]
    (directory / file).write_bytes(data)


def test_plain_gzip_and_zip_reports_from_a_directory(tmp_path: Path) -> None:
    write(tmp_path, "google.xml", [("192.0.2.1", 40, "pass", "pass"), ("192.0.2.2", 1, "fail", "fail")],
          report_id="g1")
    write(tmp_path, "microsoft.xml.gz", [("192.0.2.1", 50, "pass", "fail")], report_id="m1", pack="gz",
          rfc9990=False)
    write(tmp_path, "yahoo.zip", [("192.0.2.1", 8, "fail", "pass"), ("203.0.113.9", 1, "fail", "fail")],
          report_id="y1", pack="zip")
    write(tmp_path, "other.xml", [("192.0.2.1", 500, "fail", "fail")], report_id="o1", domain="else.example")
    (tmp_path / "notes.txt").write_text("not a report")
    (tmp_path / "broken.xml").write_text("<feedback><oops>")  # skipped with a warning

    reading = dmarc_reports.read(ctx_for(tmp_path))
    assert reading.counts[(DOMAIN, "192.0.2.1")].passed == 98
    assert reading.counts[(DOMAIN, "192.0.2.2")].failed == 1
    assert reading.counts[(DOMAIN, "203.0.113.9")].failed == 1
    assert reading.counts[("else.example", "192.0.2.1")].failed == 500

    signals, finding = collect(ctx_for(tmp_path))
    assert (signals.dmarc_pass, signals.dmarc_fail) == (98, 2)
    assert finding.level == "watch" and finding.source == "dmarc"  # 2 % is on the watch line
    assert "2 of 100 messages failed DMARC (2.0%)" in finding.detail and "192.0.2.2 (1)" in finding.detail


@pytest.mark.parametrize(("failed", "level"), [(1, "ok"), (3, "watch"), (10, "worn"), (40, "worn")])
def test_fail_share_thresholds(tmp_path: Path, failed: int, level: str) -> None:
    write(tmp_path, "r.xml", [("192.0.2.1", 100 - failed, "pass", "pass"), ("198.51.100.1", failed, "fail", "fail")],
          report_id="t")
    signals, finding = collect(ctx_for(tmp_path))
    assert (signals.dmarc_pass, signals.dmarc_fail) == (100 - failed, failed)
    assert finding.level == level, finding.detail


def test_few_messages_are_not_judged(tmp_path: Path) -> None:
    write(tmp_path, "r.xml", [("198.51.100.1", 5, "fail", "fail")], report_id="few")
    signals, finding = collect(ctx_for(tmp_path))
    assert finding.level == "ok" and "not judged" in finding.detail and signals.dmarc_fail == 5


def test_a_report_counts_once_and_only_within_the_window(tmp_path: Path) -> None:
    write(tmp_path, "a.xml", [("192.0.2.1", 30, "pass", "pass")], report_id="same")
    write(tmp_path, "a-again.zip", [("192.0.2.1", 30, "pass", "pass")], report_id="same", pack="zip")
    write(tmp_path, "old.xml", [("192.0.2.1", 1000, "fail", "fail")], report_id="old",
          day=TODAY - timedelta(days=30))
    signals, finding = collect(ctx_for(tmp_path))
    assert (signals.dmarc_pass, signals.dmarc_fail) == (30, 0) and finding.level == "ok"
    signals, finding = collect(ctx_for(tmp_path, dmarcWindowDays="45"))
    assert signals.dmarc_fail == 1000 and finding.level == "worn"


def test_no_report_for_the_domain_or_no_directory_is_unknown(tmp_path: Path) -> None:
    write(tmp_path, "other.xml", [("192.0.2.1", 50, "pass", "pass")], report_id="o", domain="else.example")
    signals, finding = collect(ctx_for(tmp_path))
    assert finding.level == "unknown" and signals.dmarc_pass is None
    signals = DomainSignals(DOMAIN)
    dmarc_reports.collect(ctx_for(tmp_path / "missing"), signals)
    assert {f.level for f in signals.findings} == {"unknown"} and len(signals.findings) == 2


def test_no_source_claims_nothing() -> None:
    ctx = HealthContext(stack="dev", spec=spec_for(DOMAIN), settings=Settings(), inventory={}, today=TODAY)
    signals = DomainSignals(DOMAIN)
    dmarc_reports.collect(ctx, signals)
    assert signals.findings == [] and signals.dmarc_pass is None


# -- the rua mailbox through Graph ------------------------------------------------------------------------------------
def drop(sandbox: SandboxHandle, tenant_id: str, mailbox: str, attachments: list[tuple[str, str, bytes]],
         received: str | None = None) -> None:
    resp = sandbox.admin.post(f"/tenants/{tenant_id}/users/{mailbox}/messages", json={
        "subject": "Report domain: x Submitter: google.com", "from": "noreply-dmarc-support@google.com",
        "receivedDateTime": received,
        "attachments": [{"name": n, "contentType": t, "contentBytes": base64.b64encode(b).decode()}
                        for n, t, b in attachments]})
    assert resp.status_code == 201, resp.text


@pytest.fixture(scope="module")
def rua(sandbox: SandboxHandle) -> tuple[Fleet, str]:
    customer = new_customer(sandbox, seats=2)
    domain = verified_domain(sandbox, customer.tenant_id)
    address = f"dmarc@{domain}"
    add_mailbox(sandbox, customer.tenant_id, address)
    return Fleet(customer, domain, {}), address


def test_reports_from_the_rua_mailbox_with_paging(sandbox: SandboxHandle, rua: tuple[Fleet, str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fleet, address = rua
    tenant = fleet.customer.tenant_id
    packs = [("xml", "text/xml"), ("xml.gz", "application/gzip"), ("zip", "application/zip")]
    for n in range(12):
        suffix, ctype = packs[n % 3]
        xml = report_xml(fleet.domain, [("192.0.2.1", 10, "pass", "pass"), ("198.51.100.4", 1, "fail", "fail")],
                         report_id=f"r{n}", day=YESTERDAY)
        data = {"xml": xml, "xml.gz": gz(xml), "zip": zipped(xml)}[suffix]
        drop(sandbox, tenant, address, [(f"google.com!{fleet.domain}!{n}.{suffix}", ctype, data)])
    drop(sandbox, tenant, address, [("invoice.pdf", "application/pdf", b"%PDF-1.4 not a report")])
    old = report_xml(fleet.domain, [("198.51.100.4", 500, "fail", "fail")], report_id="old", day=YESTERDAY)
    drop(sandbox, tenant, address, [("old.xml", "text/xml", old)], received="2026-10-01T00:00:00Z")  # not fetched

    monkeypatch.setattr("providers.clients.graph.mail.MESSAGE_PAGE", 5)  # 13 messages: three pages
    before = sandbox.request_counts("graph").get("requests", 0)
    since = datetime(2026, 11, 18, tzinfo=UTC)
    found = file_attachments(GraphClient(sandbox.settings, tenant), address, since)
    assert len(found) == 13 and len({a.message_id for a in found}) == 13
    assert len(file_attachments(GraphClient(sandbox.settings, tenant), address)) == 14
    assert sandbox.request_counts("graph")["requests"] - before >= 3 + 13  # pages, then one attachment list each

    spec = spec_for(fleet.domain, dmarc={"policy": "quarantine", "rua": [f"mailto:{address}"]})
    ctx = HealthContext(stack="dev", spec=spec, settings=sandbox.settings, today=TODAY,
                        inventory={fleet.domain: {"status": "active", "tenant_id": tenant, "mailboxes": []}})
    signals, finding = collect(ctx, fleet.domain)
    assert (signals.dmarc_pass, signals.dmarc_fail) == (120, 12)
    assert finding.level == "watch" and "198.51.100.4 (12)" in finding.detail  # 9.1 %


def test_a_refusing_mailbox_is_unknown(sandbox: SandboxHandle, rua: tuple[Fleet, str]) -> None:
    fleet, address = rua
    spec = spec_for(fleet.domain, dmarc={"policy": "quarantine", "rua": [f"mailto:{address}"]})
    ctx = HealthContext(stack="dev", spec=spec, settings=sandbox.settings, today=TODAY,
                        inventory={fleet.domain: {"status": "active", "tenant_id": str(uuid.uuid4())}})
    signals = DomainSignals(fleet.domain)
    dmarc_reports.collect(ctx, signals)
    assert {f.level for f in signals.findings} == {"unknown"} and signals.dmarc_pass is None
    assert any(f"mailbox {address}" in f.check for f in signals.findings)
