"""Domain blocklists: is the domain listed on Spamhaus DBL, SURBL multi, URIBL multi (providers.clients.blocklists).

A listing is `worn` (the domain's reputation is hurt; `up` cannot repair it). A list that cannot vouch for its answer
(its canary not listed, an error code such as Spamhaus' 127.255.255.254 for queries from public resolvers, no answer)
is `unknown`, never `ok`. Lists: the `coldfleet:health.blocklists` option (comma-separated zones), default all three.
Queries go through `Settings.blocklist_resolver` (else `dns_resolver`, else the system's): the lists refuse public
resolvers, so production wants its own recursive resolver (or a list's paid mirror) there.
"""

from __future__ import annotations

from components.health.context import HealthContext
from components.health.resolvers import ResolverError, blocklist_server
from components.health.signals import DomainSignals, Finding
from providers.clients.blocklists import DEFAULT_LISTS, Blocklist, check

KNOWN = {b.zone: b for b in DEFAULT_LISTS}
DEFAULT_ZONES = ",".join(KNOWN)


def lists_for(option: str | None) -> tuple[list[Blocklist], list[str]]:
    """(lists we know how to read, zones named that we do not: no documented canary, so never trusted)."""
    zones = [z.strip().lower().rstrip(".") for z in (option or DEFAULT_ZONES).split(",") if z.strip()]
    return [KNOWN[z] for z in zones if z in KNOWN], [z for z in zones if z not in KNOWN]


def collect(ctx: HealthContext, signals: DomainSignals) -> None:
    domain = signals.domain.lower()
    lists, unknown = lists_for(ctx.options.get("blocklists"))
    for zone in unknown:
        signals.add(Finding(domain, "blocklist", zone, "unknown",
                            f"{zone}: not a list coldfleet can read (known: {DEFAULT_ZONES})"))
    try:
        server, port = blocklist_server(ctx.settings)
    except ResolverError as error:
        for blocklist in lists:
            signals.add(Finding(domain, "blocklist", blocklist.zone, "unknown", str(error)))
        return
    for blocklist in lists:
        answer = check(domain, blocklist, nameserver=server, port=port)
        if answer.state == "listed":
            signals.add(Finding(domain, "blocklist", blocklist.zone, "worn", f"listed: {answer.detail}"))
        elif answer.state == "clean":
            signals.add(Finding(domain, "blocklist", blocklist.zone, "ok", f"not listed on {blocklist.zone}"))
        else:
            signals.add(Finding(domain, "blocklist", blocklist.zone, "unknown", answer.detail or "no answer"))
