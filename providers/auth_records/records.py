"""The records AuthRecords publishes for a domain, and how a published RRset compares with them.

The apex TXT RRset is shared: we own the verification value and the one SPF record; every other value there is
someone else's. MX and autodiscover come from Graph's serviceConfigurationRecords, the DKIM selector CNAMEs from
Get-DkimSigningConfig as read (never derived: their format changed in 2025), DMARC from the declared policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from providers.auth_records.args import AuthRecordsArgs
from providers.clients.exchange import DkimConfig
from providers.clients.graph import GraphClient
from providers.dmarc import build_spf


@dataclass(frozen=True)
class Rec:
    name: str
    type: str
    values: tuple[str, ...]

    def out(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "values": list(self.values)}


def service_records(graph: GraphClient, domain: str) -> tuple[list[str], list[tuple[str, str]]]:
    """MX values and (label, target) CNAMEs Microsoft asks for; its SPF suggestion is ignored (we build ours)."""
    mx: list[str] = []
    cnames: list[tuple[str, str]] = []
    for rec in graph.service_records(domain, "Email"):
        kind = rec.record_type.upper()
        if kind == "MX":
            mx.append(f"{rec.preference or 0} {rec.value.lower().rstrip('.')}")
        elif kind == "CNAME":
            cnames.append((rec.label.lower().rstrip("."), rec.value.lower().rstrip(".")))
    return mx, cnames


def all_names(args: AuthRecordsArgs) -> list[Rec]:
    """Every name/type this resource may have published (for delete without recorded outputs)."""
    d = args.domain
    names = [(d, "TXT"), (d, "MX"), (f"autodiscover.{d}", "CNAME"), (f"_dmarc.{d}", "TXT")]
    names += [(f"selector{i}._domainkey.{d}", "CNAME") for i in (1, 2)]
    return [Rec(name, rdtype, ()) for name, rdtype in names]


def desired(
    args: AuthRecordsArgs,
    mx: list[str],
    cnames: list[tuple[str, str]],
    dkim: DkimConfig | None,
    published: dict[tuple[str, str], list[str]],
) -> list[Rec]:
    """What we publish, apex TXT first. Values Microsoft did not give us now fall back to what we published."""
    d = args.domain

    def known(name: str, rdtype: str, values: list[str]) -> tuple[str, ...]:
        return tuple(values or published.get((name, rdtype), []))

    recs = [Rec(d, "TXT", (args.verification_txt, build_spf())), Rec(d, "MX", known(d, "MX", mx))]
    recs += [Rec(label, "CNAME", (target,)) for label, target in cnames if label != d]
    if not cnames:
        auto = f"autodiscover.{d}"
        recs.append(Rec(auto, "CNAME", known(auto, "CNAME", [])))
    recs.append(Rec(f"_dmarc.{d}", "TXT", (args.dmarc.record(),)))
    for i, target in ((1, dkim.selector1_cname if dkim else ""), (2, dkim.selector2_cname if dkim else "")):
        name = f"selector{i}._domainkey.{d}"
        recs.append(Rec(name, "CNAME", known(name, "CNAME", [target] if target else [])))
    return [r for r in recs if r.values]


def rewrite(force: bool) -> dict[str, bool]:
    """A forced write must reach the authoritative server even when the backend's own view already matches
    (Cloudflare's record store vs. drift at the server); only passed when set, so older backends still fit."""
    return {"rewrite": True} if force else {}
