"""DMARC aggregate reports (RFC 9990, and the legacy 2015 schema still most reporters send): how much of a domain's mail
passed DMARC at the receivers, by header-from domain and source IP.

Sources, either or both:
- the `rua` mailbox, when coldfleet manages it (a `rua` of the domain's DMARC policy on a domain of this stack): its
  messages with attachments through Graph (`providers.clients.graph.mail.file_attachments`: `/users/{address}/
  messages?$filter=hasAttachments eq true and receivedDateTime ge <window start>`, `@odata.nextLink` paging, then
  `/attachments`, base64 `contentBytes`);
- a directory (`coldfleet:health.dmarcReportsDir`): every `*.xml`, `*.xml.gz`, `*.gz` and `*.zip` file in it.

Parser: `dmarc-report` (PyPI, MIT; pinned in requirements.txt). It reads plain XML, gzip and zip by their magic bytes
through defusedxml with bounded decompression (zip bombs, entity expansion and nested archives refused), and parses both
the RFC 9990 namespace and legacy reports into typed dataclasses. parsedmarc (domainaware/parsedmarc) is the
better-known tool, but it is a whole pipeline (IMAP/Graph mail fetching, Elasticsearch/Kafka outputs, reverse DNS and
GeoIP lookups per source IP) with a dozen runtime dependencies; we need only the parser, and fetch mail ourselves
through the one HTTP path.

Counting: a record's messages pass DMARC when its policy_evaluated has dkim or spf `pass` (the aligned results);
everything else fails. Reports are counted once by (reporter, report id), and only when their date range ends within
`coldfleet:health.dmarcWindowDays` days (default 14) before today. Levels (check `aggregate`, source `dmarc`), over the
domain's messages in that window: fewer than MIN_MESSAGES → ok without judging the share; a fail share ≥ WATCH_SHARE
(2%) → watch; ≥ WORN_SHARE (10%) → worn (receivers see a real share of the domain's mail unauthenticated: a sender of
ours misconfigured, or someone spoofing the domain). No report for the domain, or a source that cannot answer → unknown.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dmarc_report.exceptions import DMARCParseError
from dmarc_report.parser import DMARCParser
from dmarc_report.schema import DMARCResult, Report

from components.health.context import HealthContext
from components.health.signals import DomainSignals, Finding, Level
from providers.clients.errors import ClientError
from providers.clients.graph import GraphClient
from providers.clients.graph.mail import file_attachments

log = logging.getLogger(__name__)

SOURCE = "dmarc"
CHECK = "aggregate"
WATCH_SHARE = 0.02
WORN_SHARE = 0.10
MIN_MESSAGES = 10
WINDOW_DAYS = 14
SUFFIXES = (".xml", ".gz", ".zip")


@dataclass
class Counts:
    passed: int = 0
    failed: int = 0


@dataclass(frozen=True)
class Reading:
    """What one run read: per (header_from, source IP) counts, and why a source could not answer (by its name)."""

    counts: dict[tuple[str, str], Counts]
    failures: dict[str, str]
    sources: tuple[str, ...]  # the sources asked


def parse(blobs: Iterable[tuple[str, bytes]]) -> list[Report]:
    """Parse each (name, attachment bytes); a malformed one is skipped with a warning naming it."""
    reports: list[Report] = []
    for name, data in blobs:
        try:
            reports.append(DMARCParser.parse_bytes(data))
        except DMARCParseError as error:
            log.warning("DMARC report %s skipped: %s [%s]", name, error, error.code.value)
    return reports


def tally(reports: Iterable[Report], since: datetime | None = None) -> dict[tuple[str, str], Counts]:
    """Messages passing and failing DMARC per (header_from, source IP), each report once."""
    counts: dict[tuple[str, str], Counts] = defaultdict(Counts)
    seen: set[tuple[str, str]] = set()
    for report in reports:
        meta = report.report_metadata
        key = (meta.org_name.lower(), meta.report_id)
        if key in seen or (since is not None and meta.date_range.end < since.timestamp()):
            continue
        seen.add(key)
        for record in report.records:
            slot = counts[(record.identifiers.header_from.lower().rstrip("."), record.source_ip)]
            evaluated = record.policy_evaluated
            if DMARCResult.PASS in (evaluated.dkim, evaluated.spf):
                slot.passed += record.count
            else:
                slot.failed += record.count
    return dict(counts)


def _directory_blobs(directory: Path) -> list[tuple[str, bytes]]:
    if not directory.is_dir():
        raise FileNotFoundError(f"dmarcReportsDir {directory} is not a directory")
    return [(str(p), p.read_bytes()) for p in sorted(directory.rglob("*"))
            if p.is_file() and p.name.lower().endswith(SUFFIXES)]


def rua_mailboxes(ctx: HealthContext) -> dict[str, str]:
    """Each `rua` address of the spec's DMARC policies that lives on a domain of this stack → its tenant id."""
    out: dict[str, str] = {}
    for d in ctx.spec.live_domains():
        for uri in ctx.spec.dmarc_for(d).rua:
            address = uri.removeprefix("mailto:").split("!", 1)[0].strip().lower()
            entry = ctx.inventory.get(address.rpartition("@")[2])
            tenant = entry.get("tenant_id") if isinstance(entry, dict) else None
            if isinstance(tenant, str) and tenant:
                out[address] = tenant
    return out


def read(ctx: HealthContext) -> Reading:
    """Every configured source, parsed and counted (never raises for a source that cannot answer)."""
    blobs: list[tuple[str, bytes]] = []
    failures: dict[str, str] = {}
    sources: list[str] = []
    directory = ctx.options.get("dmarcReportsDir")
    if directory:
        sources.append(f"directory {directory}")
        try:
            blobs += _directory_blobs(Path(directory).expanduser())
        except OSError as error:
            failures[sources[-1]] = f"cannot read: {error}"
    window = _window_days(ctx.options)
    since = datetime.combine(ctx.today - timedelta(days=window), datetime.min.time(), UTC)
    for address, tenant_id in sorted(rua_mailboxes(ctx).items()):
        sources.append(f"mailbox {address}")
        try:
            blobs += [(f"{address}/{a.message_id}/{a.name}", a.data)
                      for a in file_attachments(GraphClient(ctx.settings, tenant_id), address, since)]
        except ClientError as error:
            failures[sources[-1]] = str(error)
    return Reading(counts=tally(parse(blobs), since), failures=failures, sources=tuple(sources))


def _window_days(options: Any) -> int:
    raw = options.get("dmarcWindowDays")
    try:
        return max(1, int(raw)) if raw not in (None, "") else WINDOW_DAYS
    except (TypeError, ValueError):
        log.warning("coldfleet:health.dmarcWindowDays=%r is not a number of days; using %d", raw, WINDOW_DAYS)
        return WINDOW_DAYS


# One health run reads the reports once for all its domains (the same mailbox serves them all); domains are collected
# on threads (report.py), so the first to ask reads while the others wait for its answer.
_last: tuple[HealthContext, Reading] | None = None
_last_lock = threading.Lock()


def _reading(ctx: HealthContext) -> Reading:
    global _last
    with _last_lock:
        if _last is None or _last[0] is not ctx:
            _last = (ctx, read(ctx))
        return _last[1]


def collect(ctx: HealthContext, signals: DomainSignals) -> None:
    reading = _reading(ctx)
    if not reading.sources:
        return  # no rua mailbox of ours and no directory: nothing to read, nothing claimed
    domain = signals.domain
    mine = {ip: c for (header_from, ip), c in reading.counts.items() if header_from == domain}
    passed, failed = sum(c.passed for c in mine.values()), sum(c.failed for c in mine.values())
    for source, why in sorted(reading.failures.items()):
        signals.add(Finding(domain, SOURCE, f"{CHECK}:{source}", "unknown", f"{source} could not answer: {why}"))
    if not mine:
        signals.add(Finding(domain, SOURCE, CHECK, "unknown",
                            f"no aggregate report for {domain} in {', '.join(reading.sources)}"))
        return
    signals.dmarc_pass, signals.dmarc_fail = passed, failed
    total = passed + failed
    share = failed / total if total else 0.0
    worst = sorted(((c.failed, ip) for ip, c in mine.items() if c.failed), reverse=True)[:3]
    where = "; failing from " + ", ".join(f"{ip} ({n})" for n, ip in worst) if worst else ""
    detail = f"{failed} of {total} messages failed DMARC ({share:.1%}){where}"
    level: Level
    if total < MIN_MESSAGES:
        level, detail = "ok", detail + f"; fewer than {MIN_MESSAGES} messages, the share is not judged"
    elif share >= WORN_SHARE:
        level = "worn"
    elif share >= WATCH_SHARE:
        level = "watch"
    else:
        level = "ok"
    signals.add(Finding(domain, SOURCE, CHECK, level, detail))
