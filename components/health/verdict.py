"""The verdict shapes: what `coldfleet health` decides per domain and mailbox, and what `coldfleet rotate` reads.

The rule that turns `DomainSignals` into these (inputs, weights, thresholds) is `assess` below, written down here and
in README.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Verdict = Literal["healthy", "watch", "worn"]


@dataclass(frozen=True)
class MailboxVerdict:
    address: str
    verdict: Verdict
    score: float  # 0 (fresh) .. 100 (worn)
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class DomainVerdict:
    """`broken` lists what `up` can repair (records as served differ, a sign-in block coldfleet did not set);
    `unknown` lists checks that could not answer (exit code 2 when nothing else is wrong)."""

    domain: str
    status: str  # the spec's status (active / retiring)
    verdict: Verdict
    score: float
    reasons: tuple[str, ...] = ()
    broken: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    mailboxes: tuple[MailboxVerdict, ...] = ()
