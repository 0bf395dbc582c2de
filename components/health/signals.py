"""What one health run learned about a domain, in one shape for every source.

A collector never decides a verdict; it reports what it saw. `Finding.level` is the collector's reading of one check:
`ok`; `watch` (worth a look: a soft signal); `worn` (the domain's reputation is hurt: a listing, a restriction);
`broken` (something coldfleet published or manages is not as it should be: repairable by `up`); `unknown` (the source
could not answer, e.g. a blocklist that refused the query; never read as clean). Numbers (sending, DMARC counts,
age) go in their own fields so the wear score can weigh them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Level = Literal["ok", "watch", "worn", "broken", "unknown"]
SOURCES = ("dns", "blocklist", "microsoft", "dmarc", "sequencer", "age")


@dataclass(frozen=True)
class Finding:
    """One check's answer: `source` is one of SOURCES, `check` names it (`spf`, `dkim:selector1`, `dbl.spamhaus.org`,
    `restricted-sender`, ...), `detail` is one line a person reads (what differs and, where known, what to do)."""

    domain: str
    source: str
    check: str
    level: Level
    detail: str = ""
    mailbox: str | None = None  # the address, when the finding is about one mailbox


@dataclass(frozen=True)
class MailboxNumbers:
    """A mailbox's sending so far, as its sequencer reports it (None: the sequencer gave no figure)."""

    address: str
    sent: int | None = None
    bounces: int | None = None
    complaints: int | None = None
    replies: int | None = None


@dataclass
class DomainSignals:
    """Everything one run collected for one domain; collectors append, the verdict reads."""

    domain: str
    status: str = "active"  # the spec's status of the domain (active / retiring)
    findings: list[Finding] = field(default_factory=list)
    mailboxes: list[MailboxNumbers] = field(default_factory=list)
    dmarc_pass: int | None = None  # aggregate-report message counts for this domain as header-from
    dmarc_fail: int | None = None
    age_days: int | None = None  # since registration
    days_active: int | None = None  # since the spec's `since`
    volume_sent: int | None = None  # what the ramp has sent so far (planned), all mailboxes

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)
