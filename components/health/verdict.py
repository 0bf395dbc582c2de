"""The verdict shapes: what `coldfleet health` decides per domain and mailbox, and what `coldfleet rotate` reads;
and `assess`, the rule that turns one domain's `DomainSignals` into them.

The rule (README.md, *Day two: health and rotate*, says the same). A score runs from 0 (fresh) to 100 (worn):

- **At once worn** (score 100): any finding at level `worn` — a blocklist listing, Microsoft's restricted-sender
  state, or whatever a collector calls reputation damage. A mailbox finding (`Finding.mailbox` set) wears that
  mailbox; a domain finding wears the domain. More than half of a domain's mailboxes worn wears the domain too
  (fewer are replaced one by one: `coldfleet rotate`; a worn mailbox puts its domain on `watch` at least).
- **Points**, per mailbox from its sequencer numbers, and per domain from all its mailboxes' numbers summed, once
  at least `min_sent` (100) messages were sent (fewer say nothing):
  bounce rate ≥ 2 % +25, ≥ 5 % +60; complaint (spam report) rate ≥ 0.1 % +25, ≥ 0.3 % +60 (Google's sender
  guidelines: keep the user-reported spam rate below 0.3 %, ideally below 0.1 %,
  https://support.google.com/mail/answer/81126); reply rate below 0.5 % once 300 were sent +15.
  Per domain also: DMARC fail share of aggregate-report messages (≥ 100 counted) ≥ 5 % +20, ≥ 20 % +50; each
  `watch` finding +15; use: active 120 days or more +15, 25,000 or more messages sent (planned ramp) +15; a domain
  registered less than 30 days ago +10 (young domains are judged harshly).
- **Verdict**: score ≥ 60 worn, ≥ 25 watch, else healthy (the score is capped at 100).
- `broken` findings (what `up` repairs) and `unknown` ones (a source that could not answer) never add wear: they are
  listed on the verdict, so the report can say "repair" or "could not check" instead of "worn". A domain no
  collector said anything about is `unknown` as a whole, never healthy by silence.

Every number is a field of `Rule`, so a stack may tune it (stack config `coldfleet:health.<field>`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from components.health.signals import DomainSignals, Finding, MailboxNumbers

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


@dataclass(frozen=True)
class Rule:
    """The weights and thresholds of `assess` (see the module docstring)."""

    worn_score: float = 60
    watch_score: float = 25
    min_sent: int = 100
    bounce_watch: float = 0.02
    bounce_worn: float = 0.05
    complaint_watch: float = 0.001
    complaint_worn: float = 0.003
    reply_floor: float = 0.005
    reply_min_sent: int = 300
    dmarc_min_messages: int = 100
    dmarc_fail_watch: float = 0.05
    dmarc_fail_worn: float = 0.20
    watch_points: float = 15
    rate_watch_points: float = 25
    rate_worn_points: float = 60
    low_reply_points: float = 15
    dmarc_watch_points: float = 20
    dmarc_worn_points: float = 50
    active_days: int = 120
    volume: int = 25_000
    use_points: float = 15
    young_days: int = 30
    young_points: float = 10
    worn_mailbox_share: float = 0.5

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> Rule:
        """A rule with the stack's `coldfleet:health.<field>` overrides; a value that is not a number is an error
        naming its key."""
        known = {f.name: f.type for f in fields(cls)}
        changes: dict[str, Any] = {}
        for key, raw in options.items():
            if key not in known:
                continue
            try:
                changes[key] = int(raw) if str(known[key]) == "int" else float(raw)
            except ValueError:
                raise ValueError(f"coldfleet:health.{key} must be a number, not {raw!r}") from None
        return replace(cls(), **changes)


RULE = Rule()


def _pct(value: float) -> str:
    return f"{value * 100:.2g} %" if value < 0.01 else f"{value * 100:.1f} %"


def _rate_points(name: str, part: int | None, sent: int, watch: float, worn: float, rule: Rule) -> tuple[float, str]:
    if part is None:
        return 0, ""
    rate = part / sent
    if rate >= worn:
        return rule.rate_worn_points, f"{name} rate {_pct(rate)} ≥ {_pct(worn)}"
    if rate >= watch:
        return rule.rate_watch_points, f"{name} rate {_pct(rate)} ≥ {_pct(watch)}"
    return 0, ""


def _numbers_points(box: MailboxNumbers, rule: Rule) -> list[tuple[float, str]]:
    """Bounce, complaint and reply rates of one mailbox (or a domain's sum), once enough was sent."""
    sent = box.sent or 0
    if sent < rule.min_sent:
        return []
    out = [
        _rate_points("bounce", box.bounces, sent, rule.bounce_watch, rule.bounce_worn, rule),
        _rate_points("complaint", box.complaints, sent, rule.complaint_watch, rule.complaint_worn, rule),
    ]
    if box.replies is not None and sent >= rule.reply_min_sent and box.replies / sent < rule.reply_floor:
        out.append((rule.low_reply_points, f"reply rate {_pct(box.replies / sent)} < {_pct(rule.reply_floor)}"))
    return [(points, why) for points, why in out if points]


def _verdict(score: float, rule: Rule) -> Verdict:
    return "worn" if score >= rule.worn_score else "watch" if score >= rule.watch_score else "healthy"


def _say(finding: Finding) -> str:
    head = f"{finding.source} {finding.check}"
    return f"{head}: {finding.detail}" if finding.detail else head


def _scored(points: Iterable[tuple[float, str]], hard: list[str], rule: Rule) -> tuple[Verdict, float, list[str]]:
    if hard:
        return "worn", 100.0, hard
    items = list(points)
    score = min(100.0, float(sum(p for p, _ in items)))
    return _verdict(score, rule), score, [why for _, why in items]


def assess_mailbox(box: MailboxNumbers, findings: Iterable[Finding], rule: Rule = RULE) -> MailboxVerdict:
    """One mailbox: its `worn` findings wear it at once; its `watch` findings and numbers add points."""
    mine = [f for f in findings if f.mailbox == box.address]
    hard = [_say(f) for f in mine if f.level == "worn"]
    points = _numbers_points(box, rule) + [(rule.watch_points, _say(f)) for f in mine if f.level == "watch"]
    verdict, score, reasons = _scored(points, hard, rule)
    return MailboxVerdict(box.address, verdict, score, tuple(reasons))


def _total(signals: DomainSignals) -> MailboxNumbers:
    def summed(name: str) -> int | None:
        values = [getattr(b, name) for b in signals.mailboxes if getattr(b, name) is not None]
        return sum(values) if values else None

    return MailboxNumbers(signals.domain, summed("sent"), summed("bounces"), summed("complaints"), summed("replies"))


def _domain_points(signals: DomainSignals, rule: Rule) -> list[tuple[float, str]]:
    points = [(p, f"all mailboxes: {why}") for p, why in _numbers_points(_total(signals), rule)]
    points += [(rule.watch_points, _say(f)) for f in signals.findings if f.mailbox is None and f.level == "watch"]
    counted = (signals.dmarc_pass or 0) + (signals.dmarc_fail or 0)
    if signals.dmarc_fail is not None and counted >= rule.dmarc_min_messages:
        share = signals.dmarc_fail / counted
        if share >= rule.dmarc_fail_worn:
            points.append((rule.dmarc_worn_points, f"DMARC fails {_pct(share)} of {counted} messages"))
        elif share >= rule.dmarc_fail_watch:
            points.append((rule.dmarc_watch_points, f"DMARC fails {_pct(share)} of {counted} messages"))
    if signals.days_active is not None and signals.days_active >= rule.active_days:
        points.append((rule.use_points, f"active {signals.days_active} days"))
    if signals.volume_sent is not None and signals.volume_sent >= rule.volume:
        points.append((rule.use_points, f"{signals.volume_sent} messages sent"))
    if signals.age_days is not None and signals.age_days < rule.young_days:
        points.append((rule.young_points, f"registered {signals.age_days} days ago"))
    return points


def _said_anything(signals: DomainSignals) -> bool:
    numbers = (signals.dmarc_pass, signals.dmarc_fail, signals.age_days, signals.days_active, signals.volume_sent)
    return bool(signals.findings or signals.mailboxes) or any(n is not None for n in numbers)


def assess(signals: DomainSignals, rule: Rule = RULE, mailbox_count: int | None = None) -> DomainVerdict:
    """The domain's verdict and each mailbox's, by the rule in the module docstring. `mailbox_count` (the spec's)
    is the whole the worn share is taken of, when more mailboxes exist than were reported on."""
    numbers = {box.address: box for box in signals.mailboxes}
    for f in signals.findings:  # a mailbox a finding names has a verdict, numbers or not
        if f.mailbox is not None and f.mailbox not in numbers:
            numbers[f.mailbox] = MailboxNumbers(f.mailbox)
    boxes = tuple(assess_mailbox(box, signals.findings, rule) for box in numbers.values())
    hard = [_say(f) for f in signals.findings if f.mailbox is None and f.level == "worn"]
    worn_boxes = [b for b in boxes if b.verdict == "worn"]
    whole = max(len(boxes), mailbox_count or 0)
    if worn_boxes and len(worn_boxes) / whole > rule.worn_mailbox_share:
        hard.append(f"{len(worn_boxes)} of {whole} mailboxes worn")
    verdict, score, reasons = _scored(_domain_points(signals, rule), hard, rule)
    if worn_boxes and not hard:  # replaced one by one (`coldfleet rotate`); the domain is worth a look meanwhile
        reasons.append(f"worn mailboxes: {', '.join(b.address for b in worn_boxes)}")
        if verdict == "healthy":
            verdict, score = "watch", max(score, rule.watch_score)
    broken = tuple(_say(f) for f in signals.findings if f.level == "broken")
    unknown = tuple(_say(f) for f in signals.findings if f.level == "unknown")
    if not _said_anything(signals):
        unknown = ("no collector reported on this domain",)
    return DomainVerdict(signals.domain, signals.status, verdict, score, tuple(reasons), broken, unknown, boxes)
