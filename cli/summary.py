"""A Markdown summary of a preview, per domain, from the engine's structured events (for pull-request comments).

Resource names are our stable keys (`<domain>` for domain-level resources, `<domain>/<local part>` for mailboxes),
so the domain of every step can be read off its URN without looking at the spec.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field

from pulumi.automation import events

DOMAIN_TYPES = {"SendingDomain", "M365Tenant", "AuthRecords", "DomainMailboxes", "WebRecords"}
VERBS = {
    events.OpType.CREATE: "create",
    events.OpType.CREATE_REPLACEMENT: "replace",
    events.OpType.REPLACE: "replace",
    events.OpType.DELETE: "delete",
    events.OpType.DELETE_REPLACED: "replace",
    events.OpType.UPDATE: "update",
}


@dataclass
class DomainChanges:
    domain: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (type, verb, changed keys)
    mailboxes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # verb -> local parts


def _name_and_type(urn: str) -> tuple[str, str]:
    """`urn:pulumi:stack::project::parent$type::name` → (name, short type)."""
    parts = urn.split("::")
    type_token = parts[-2].split("$")[-1]
    return parts[-1], type_token.rsplit(":", 1)[-1]


class EventCollector:
    """Pass `on_event` to preview; then `markdown()`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_domain: dict[str, DomainChanges] = defaultdict(DomainChanges)

    def on_event(self, event: events.EngineEvent) -> None:
        pre = event.resource_pre_event
        if pre is None:
            return
        meta = pre.metadata
        verb = VERBS.get(meta.op)
        if verb is None:
            return
        name, kind = _name_and_type(meta.urn)
        with self._lock:
            if kind == "Mailbox" and "/" in name:
                domain, local = name.split("/", 1)
                if verb == "replace" and local in self.by_domain[domain].mailboxes["replace"]:
                    return
                self.by_domain[domain].mailboxes[verb].append(local)
            elif kind in DOMAIN_TYPES:
                entry = (kind, verb, sorted(meta.diffs or []))
                if verb == "replace" and any(e[0] == kind and e[1] == "replace" for e in self.by_domain[name].domain):
                    return
                self.by_domain[name].domain.append(entry)

    def markdown(self, stack: str, statuses: dict[str, tuple[str | None, str | None]] | None = None) -> str:
        """`statuses`: domain → (status in the previous inventory, status in the spec), for lifecycle moves such as
        active → retiring that change the export but no resource."""
        lines = [f"### coldfleet preview — stack `{stack}`", ""]
        moves = {d: s for d, s in (statuses or {}).items() if s[0] != s[1]}
        if moves:
            lines.append("Lifecycle: " + ", ".join(
                f"`{d}` {old or 'new'} → {new or 'removed'}" for d, (old, new) in sorted(moves.items())
            ))
            lines.append("")
        if not self.by_domain:
            lines.append("No resource changes.")
            return "\n".join(lines) + "\n"
        lines += ["| domain | change | mailboxes | records / settings |", "|---|---|---|---|"]
        for domain in sorted(self.by_domain):
            changes = self.by_domain[domain]
            state = _state(changes, moves.get(domain))
            boxes = ", ".join(
                f"{len(locals_)} {verb}d" if verb != "replace" else f"{len(locals_)} replaced"
                for verb, locals_ in sorted(changes.mailboxes.items())
                if locals_
            ) or "—"
            records = "; ".join(
                f"{kind} {verb}" + (f" ({', '.join(keys)})" if keys else "")
                for kind, verb, keys in changes.domain
                if kind in ("AuthRecords", "WebRecords") or verb == "update"
            ) or "—"
            lines.append(f"| `{domain}` | {state} | {boxes} | {records} |")
        lines.append("")
        for domain in sorted(self.by_domain):
            for verb, locals_ in sorted(self.by_domain[domain].mailboxes.items()):
                if locals_:
                    lines.append(f"- `{domain}` mailboxes {verb}: {', '.join(sorted(locals_))}")
        return "\n".join(lines) + "\n"


def _state(changes: DomainChanges, move: tuple[str | None, str | None] | None) -> str:
    """One word for what happens to a domain: its tenant / domain resources' verbs, or its lifecycle move."""
    verbs = {verb for kind, verb, _ in changes.domain if kind == "SendingDomain" or kind == "M365Tenant"}
    if "create" in verbs:
        return "added"
    if move is not None and move[1] in {"retiring", "retired", None}:
        return move[1] or "removed"
    if "delete" in verbs or "delete" in {v for k, v, _ in changes.domain if k == "AuthRecords"}:
        return "removed"
    return "replaced" if "replace" in verbs else "changed"


def lifecycle(previous_inventory: object, spec_domains: dict[str, str]) -> dict[str, tuple[str | None, str | None]]:
    """Pair each domain's status in the last inventory with its status in the spec being previewed."""
    before: dict[str, str] = {}
    if isinstance(previous_inventory, dict):
        before = {d: str(v.get("status")) for d, v in previous_inventory.items() if isinstance(v, dict)}
    return {d: (before.get(d), spec_domains.get(d)) for d in sorted(set(before) | set(spec_domains))}
