"""What `coldfleet rotate` changes in the spec, decided from one health report; `spec_edit` writes it into the stack
file. Nothing here runs `up`: the change is a pull request, reviewed as a `preview`.

1. Active domains judged `worn` become `retiring`, `retiring_since: <today>` (kept alive for replies, out of the
   export). A `retiring` domain without that date gets today's, which starts its clock.
2. `retiring` domains whose `retiring_since` is `rotation.grace_days` (default 14) or more days ago become `retired`
   (their mailboxes, records and tenant domain are deleted on `up`; registration and zone stay).
3. Spares are promoted, in their listed order (`status: active`, `since: <today>`), until the active count is back at
   `rotation.target_active` (default: the count of active domains before this rotation). When the spares run short,
   the plan says how many to buy: the shortfall, plus one for each active domain on `watch` (the next to wear) once
   no spare is left.
4. Worn mailboxes of domains that stay active join their domain's `retired_mailboxes`: the naming rule replaces each
   with its persona's next local part, so only that mailbox is deleted and one created; the rest are untouched.
   A tenant holds one seat per mailbox and the engine creates before it deletes, so the fleet
   (`components.fleet`) creates the replacement in the `up` after the one that deleted the worn mailbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from components.health.report import HealthReport
from components.spec import DomainSpec, FleetSpec


@dataclass(frozen=True)
class RotationPlan:
    today: date
    target: int
    retire: tuple[str, ...] = ()  # active → retiring
    start_clock: tuple[str, ...] = ()  # retiring without a date: retiring_since today
    retired: tuple[str, ...] = ()  # retiring past the grace period → retired
    promote: tuple[str, ...] = ()  # spares → active
    mailboxes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # domain → local parts to replace
    replacements: dict[str, tuple[str, ...]] = field(default_factory=dict)  # domain → their new local parts
    shortfall: int = 0
    spares_left: int = 0
    to_buy: int = 0

    @property
    def empty(self) -> bool:
        return not (self.retire or self.start_clock or self.retired or self.promote or self.mailboxes)

    def lines(self) -> list[str]:
        """One line per change, then what to buy; what a person reads above the diff."""
        out = [f"{d}: active → retiring (worn)" for d in self.retire]
        out += [f"{d}: retiring, its grace period starts today" for d in self.start_clock]
        out += [f"{d}: retiring → retired (grace period over)" for d in self.retired]
        out += [f"{d}: spare → active" for d in self.promote]
        for domain, parts in self.mailboxes.items():
            new = self.replacements.get(domain, ())
            out += [f"{domain}: mailbox {old} (worn) replaced by {rep} (this `up` deletes {old}, the next creates "
                    f"{rep}: one seat each)" for old, rep in zip(parts, new, strict=False)]
        return out

    def advice(self) -> str | None:
        if self.to_buy <= 0:
            return None
        if self.shortfall:
            return (f"buy {self.to_buy} spare domain(s) and list them under `spares`: {self.target} active domains "
                    f"wanted, {self.shortfall} short after this rotation")
        return f"no spare domains left: buy {self.to_buy} and list them under `spares` before the next rotation"


def _grace_over(d: DomainSpec, today: date, grace_days: int) -> bool:
    return d.retiring_since is not None and (today - d.retiring_since).days >= grace_days


def _worn_mailboxes(spec: FleetSpec, d: DomainSpec, report: HealthReport) -> tuple[list[str], list[str]]:
    """Local parts of the domain's worn mailboxes (that it still has), and the ones replacing them, pairwise."""
    verdict = report.verdict(d.name)
    if verdict is None:
        return [], []
    worn = {b.address.split("@", 1)[0] for b in verdict.mailboxes
            if b.verdict == "worn" and b.address.lower().endswith(f"@{d.name}")}
    before = spec.mailboxes(d)
    gone = [m.local_part for m in before if m.local_part in worn]
    if not gone:
        return [], []
    after = spec.mailboxes(d.model_copy(update={"retired_mailboxes": [*d.retired_mailboxes, *gone]}))
    pairs = [(b.local_part, a.local_part) for b, a in zip(before, after, strict=True) if b.local_part in worn]
    return [old for old, _ in pairs], [new for _, new in pairs]


def plan(spec: FleetSpec, report: HealthReport, today: date) -> RotationPlan:
    """The rotation the report calls for (see the module docstring)."""
    worn = {v.domain for v in report.verdicts if v.verdict == "worn"}
    active = [d for d in spec.domains if d.status == "active"]
    retire = tuple(d.name for d in active if d.name in worn)
    retiring = [d for d in spec.domains if d.status == "retiring"]
    start_clock = tuple(d.name for d in retiring if d.retiring_since is None)
    retired = tuple(d.name for d in retiring if _grace_over(d, today, spec.rotation.grace_days))
    target = spec.rotation.target_active if spec.rotation.target_active is not None else len(active)
    need = max(0, target - (len(active) - len(retire)))
    promote = tuple(spec.spares[:need])
    shortfall = need - len(promote)
    spares_left = len(spec.spares) - len(promote)
    watch = sum(1 for v in report.verdicts if v.verdict == "watch" and v.status == "active")
    to_buy = shortfall + (watch if spares_left == 0 else 0)
    if spares_left == 0 and to_buy == 0 and (retire or promote):
        to_buy = 1  # keep one in reserve for the next rotation
    mailboxes: dict[str, tuple[str, ...]] = {}
    replacements: dict[str, tuple[str, ...]] = {}
    for d in active:
        if d.name in retire:
            continue
        old, new = _worn_mailboxes(spec, d, report)
        if old:
            mailboxes[d.name], replacements[d.name] = tuple(old), tuple(new)
    return RotationPlan(today, target, retire, start_clock, retired, promote, mailboxes, replacements, shortfall,
                        spares_left, to_buy)
