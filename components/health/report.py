"""One health run over a stack's live domains: every collector for every domain, the verdicts, the exit code, and
the JSON a CI job keeps (and `coldfleet rotate --report` reads back).

Domains are checked side by side (`coldfleet:health.workers`, default 4), so collectors must not share mutable state
across domains. A collector that raises anyway becomes an `unknown` finding naming it (its exception's type only:
its text may carry what it read), never a crashed run and never a clean answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from components.health.collect import COLLECTORS, Collector, HealthContext
from components.health.signals import DomainSignals, Finding
from components.health.verdict import DomainVerdict, MailboxVerdict, Rule, assess

log = logging.getLogger(__name__)

CONSENT = (
    "Healthy means deliverable, not lawful. Who may be emailed is set by the recipients' law: prior opt-in even for "
    "B2B email in Germany (UWG §7(2)) and elsewhere in the EU and Switzerland (GDPR, ePrivacy), CAN-SPAM in the US. "
    "Meeting those rules (consent, opt-out, identification) is the sender's responsibility, not coldfleet's."
)
EXIT_HEALTHY, EXIT_WORN, EXIT_UNCHECKED = 0, 1, 2
DEFAULT_WORKERS = 4
Progress = Callable[[int, int, str], None]  # (done, total, domain just finished)


class ReportError(ValueError):
    """A health report (JSON) that cannot be read back: names the field."""


@dataclass(frozen=True)
class HealthReport:
    """The verdicts of one run, and every finding behind them (in domain order)."""

    stack: str
    today: date
    verdicts: tuple[DomainVerdict, ...]
    findings: tuple[Finding, ...] = field(default=())

    @property
    def exit_code(self) -> int:
        """0 nothing worn, broken or unchecked (`watch` included); 1 something worn or broken; 2 could not check."""
        if any(v.verdict == "worn" or v.broken for v in self.verdicts):
            return EXIT_WORN
        if any(v.unknown for v in self.verdicts):
            return EXIT_UNCHECKED
        return EXIT_HEALTHY

    def verdict(self, domain: str) -> DomainVerdict | None:
        return next((v for v in self.verdicts if v.domain == domain), None)


def _name(collector: Collector) -> str:
    module = getattr(collector, "__module__", "") or ""
    return module.rsplit(".", 1)[-1] if module else getattr(collector, "__name__", type(collector).__name__)


def check_domain(ctx: HealthContext, domain: str, status: str, collectors: Sequence[Collector]) -> DomainSignals:
    """Run every collector for one domain; one that raises is an `unknown` finding, and the others still run."""
    signals = DomainSignals(domain, status)
    for collector in collectors:
        try:
            collector(ctx, signals)
        except Exception as error:  # a collector must not end the run, nor pass for a clean answer
            name = _name(collector)
            log.warning("collector %s failed on %s: %s", name, domain, type(error).__name__)
            signals.add(Finding(domain, "collector", name, "unknown", f"failed ({type(error).__name__})"))
    return signals


def run(
    ctx: HealthContext,
    collectors: Sequence[Collector] | None = None,
    domains: Iterable[str] | None = None,
    progress: Progress | None = None,
) -> HealthReport:
    """Check the spec's live domains (active and retiring; `domains` narrows them) and judge each."""
    chosen = set(domains) if domains is not None else None
    live = [d for d in ctx.spec.live_domains() if chosen is None or d.name in chosen]
    missing = sorted((chosen or set()) - {d.name for d in live})
    if missing:
        raise ValueError(f"not a live domain of stack {ctx.stack!r}: {', '.join(missing)}")
    rule = Rule.from_options(ctx.options)
    try:
        workers = max(1, int(ctx.options.get("workers", DEFAULT_WORKERS)))
    except ValueError:
        raise ValueError(f"coldfleet:health.workers must be a whole number, not {ctx.options['workers']!r}") from None
    use = list(COLLECTORS if collectors is None else collectors)
    results: dict[str, DomainSignals] = {}
    with ThreadPoolExecutor(max_workers=min(workers, max(1, len(live)))) as pool:
        futures = {pool.submit(check_domain, ctx, d.name, d.status, use): d.name for d in live}
        for done, future in enumerate(as_completed(futures), start=1):
            signals = future.result()
            results[signals.domain] = signals
            if progress is not None:
                progress(done, len(live), signals.domain)
    ordered = [results[d.name] for d in live]
    verdicts = tuple(assess(results[d.name], rule, ctx.spec.mailbox_count(d)) for d in live)
    return HealthReport(ctx.stack, ctx.today, verdicts, tuple(f for s in ordered for f in s.findings))


# -- JSON ------------------------------------------------------------------------------------------------------------

def to_json(report: HealthReport) -> dict[str, Any]:
    """What `coldfleet health --json` prints: verdicts, findings, the exit code and the consent reminder."""
    return {
        "stack": report.stack,
        "today": report.today.isoformat(),
        "exit_code": report.exit_code,
        "verdicts": [asdict(v) for v in report.verdicts],
        "findings": [asdict(f) for f in report.findings],
        "notice": CONSENT,
    }


def _field(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise ReportError(f"{where}.{key}: missing")
    return data[key]


def _mailbox(data: Mapping[str, Any], where: str) -> MailboxVerdict:
    return MailboxVerdict(str(_field(data, "address", where)), _field(data, "verdict", where),
                          float(_field(data, "score", where)), tuple(data.get("reasons") or ()))


def _verdict(data: Mapping[str, Any], where: str) -> DomainVerdict:
    verdict = _field(data, "verdict", where)
    if verdict not in ("healthy", "watch", "worn"):
        raise ReportError(f"{where}.verdict: {verdict!r} is not healthy, watch or worn")
    boxes = tuple(_mailbox(b, f"{where}.mailboxes[{i}]") for i, b in enumerate(data.get("mailboxes") or ()))
    return DomainVerdict(
        str(_field(data, "domain", where)), str(_field(data, "status", where)), verdict,
        float(_field(data, "score", where)), tuple(data.get("reasons") or ()), tuple(data.get("broken") or ()),
        tuple(data.get("unknown") or ()), boxes,
    )


def from_json(data: Any) -> HealthReport:
    """Read back what `to_json` wrote (a `coldfleet health --json` file); a bad file names its field."""
    if not isinstance(data, Mapping):
        raise ReportError("(report): must be a JSON object from `coldfleet health --json`")
    try:
        today = date.fromisoformat(str(_field(data, "today", "report")))
    except ValueError:
        raise ReportError(f"report.today: {data.get('today')!r} is not a date") from None
    verdicts = tuple(_verdict(v, f"verdicts[{i}]") for i, v in enumerate(_field(data, "verdicts", "report")))
    findings = tuple(
        Finding(**{k: f.get(k) for k in ("domain", "source", "check", "level", "detail", "mailbox")})
        for f in data.get("findings") or ()
    )
    return HealthReport(str(_field(data, "stack", "report")), today, verdicts, findings)
