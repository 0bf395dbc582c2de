"""Build and validate the mail-authentication TXT records coldfleet publishes: SPF and DMARC (RFC 9989).

We build the strings ourselves (Graph's suggested SPF is a hint, and DMARC is our policy) and let checkdmarc judge
them, so syntax, tag values and lookup limits are checked by a maintained parser rather than by hand-written rules.

Validation never touches the network: checkdmarc is given `OfflineResolver`, which answers the SPF chain of the
includes we know (Microsoft's) and treats any other include as a leaf costing one lookup. Nested lookups behind an
unknown include can only be counted live: pass a real `dns.resolver.Resolver` as `resolver` for that.

checkdmarc and dns.resolver are imported by the functions that use them, not by this module: providers/types.py
imports it, so every provider process would otherwise pay about a third of its import time (checkdmarc pulls in
its BIMI, MTA-STS and SMTP-TLS parsers) even for a `refresh` that never validates a record.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, Literal

log = logging.getLogger(__name__)

M365_SPF_INCLUDE = "spf.protection.outlook.com"
MAX_TXT_STRING = 255  # bytes per TXT character-string (RFC 1035): our SPF must fit one
MAX_SPF_LOOKUPS = 10  # RFC 7208 § 4.6.4

# The published chain behind Microsoft's include (only lookup terms matter for counting; address ranges elided).
KNOWN_SPF: dict[str, str] = {
    "spf.protection.outlook.com": "v=spf1 ip4:40.92.0.0/15 include:spfd.protection.outlook.com -all",
    "spfd.protection.outlook.com": "v=spf1 ip4:51.4.72.0/24 -all",
}

Policy = Literal["none", "quarantine", "reject"]
Alignment = Literal["r", "s"]


class RecordError(ValueError):
    """A record we built (or were asked to build) is invalid; the message says what and why."""


class OfflineResolver:
    """Enough of `dns.resolver.Resolver` for checkdmarc: known SPF chains, placeholders for everything else."""

    lifetime = 1.0

    def __init__(self, known: dict[str, str] | None = None, *, leaf: str | None = "v=spf1 ?all") -> None:
        self.known = KNOWN_SPF if known is None else known
        self.leaf = leaf  # the TXT answer for names we do not know (None: no answer)
        self.asked: set[str] = set()
        self.unknown_includes: set[str] = set()

    def resolve(self, qname: Any, rdtype: Any, **_kw: Any) -> Any:
        import dns.rdatatype
        import dns.resolver
        import dns.rrset

        name = str(qname).rstrip(".").lower()
        kind = rdtype if isinstance(rdtype, str) else dns.rdatatype.to_text(rdtype)
        self.asked.add(name)
        if kind == "TXT" and (name in self.known or self.leaf is not None):
            if name not in self.known:
                self.unknown_includes.add(name)
            text = self.known.get(name, self.leaf)
            return dns.rrset.from_text(f"{name}.", 300, "IN", "TXT", f'"{text}"')
        if kind in ("A", "AAAA", "MX"):
            data = {"A": "192.0.2.1", "AAAA": "2001:db8::1", "MX": "10 mx.invalid."}[kind]
            return dns.rrset.from_text(f"{name}.", 300, "IN", kind, data)
        raise dns.resolver.NoAnswer()  # type: ignore[no-untyped-call]  # dnspython leaves it untyped

    def forget(self) -> None:
        """Drop what checkdmarc cached from our placeholder answers (its cache is process-global)."""
        from checkdmarc import utils as cd_utils

        for key in list(cd_utils.DNS_CACHE.keys()):
            if str(key).split("_", 1)[0] in self.asked:
                cd_utils.DNS_CACHE.pop(key, None)


def build_spf(includes: Sequence[str] = (M365_SPF_INCLUDE,), qualifier: str = "-all") -> str:
    """`v=spf1 include:... -all` — Microsoft 365 only needs its one include; hard fail keeps spoofing out."""
    return " ".join(["v=spf1", *(f"include:{i}" for i in includes), qualifier])


def validate_spf(record: str, domain: str, *, resolver: Any = None) -> int:
    """Raise RecordError unless `record` is valid SPF in one TXT string with ≤10 lookups; return the lookup count."""
    if len(record.encode()) > MAX_TXT_STRING:
        # Multi-string SPF is legal but receivers and DNS panels mangle it; ours must fit in one string.
        raise RecordError(f"SPF record for {domain} is {len(record.encode())} bytes; it must fit one 255-byte string")
    from checkdmarc import spf as cd_spf

    offline = resolver is None
    res = OfflineResolver() if offline else resolver
    try:
        parsed = cd_spf.parse_spf_record(record, domain, resolver=res, timeout=2.0, retries=0)
    except cd_spf.SPFError as error:
        raise RecordError(f"invalid SPF record for {domain}: {error}") from None
    finally:
        if offline:
            res.forget()
    lookups = int(parsed["dns_lookups"])
    if lookups > MAX_SPF_LOOKUPS:  # checkdmarc raises first; kept for a resolver that behaves differently
        raise RecordError(f"SPF record for {domain} needs {lookups} DNS lookups (max {MAX_SPF_LOOKUPS})")
    if offline and res.unknown_includes:
        log.info("validate_spf: nested lookups behind %s not counted offline", sorted(res.unknown_includes))
    return lookups


def is_spf(value: str) -> bool:
    lowered = value.strip().lower()
    return lowered == "v=spf1" or lowered.startswith("v=spf1 ")


def is_dmarc(value: str) -> bool:
    """Whether a TXT value at `_dmarc.<domain>` claims to be DMARC: it starts with the version tag (RFC 9989)."""
    return value.lower().startswith("v=dmarc1")


def build_dmarc(
    policy: Policy,
    rua: Iterable[str] = (),
    *,
    sp: Policy | None = None,
    adkim: Alignment = "r",
    aspf: Alignment = "r",
    testing: bool = False,
) -> str:
    """An RFC 9989 record: v first, p next (older readers want it there), `t=y` for testing (pct is gone)."""
    tags = [("v", "DMARC1"), ("p", policy)]
    if sp is not None:
        tags.append(("sp", sp))
    tags += [("adkim", adkim), ("aspf", aspf)]
    uris = [u.strip() for u in rua if u.strip()]
    if uris:
        tags.append(("rua", ",".join(uris)))
    if testing:
        tags.append(("t", "y"))
    return "; ".join(f"{k}={v}" for k, v in tags)


def validate_rua(uri: str) -> str:
    """A DMARC aggregate-report URI; we only publish mailto: (the one scheme receivers must support)."""
    if not uri.lower().startswith("mailto:"):
        raise RecordError(f"{uri!r} is not a mailto: URI")
    from checkdmarc import dmarc as cd_dmarc

    try:
        parsed = cd_dmarc.parse_dmarc_report_uri(uri)
    except cd_dmarc.DMARCError as error:
        raise RecordError(str(error)) from None
    if "@" not in parsed["address"] or any(c in uri for c in ",;! "):
        raise RecordError(f"{uri!r} is not a single mailto: address (no size limits, commas or semicolons)")
    return uri


def validate_dmarc(record: str, domain: str) -> dict[str, str]:
    """Raise RecordError unless checkdmarc accepts the record; return the explicit tag values.

    Report-destination checks (MX of the rua domain, external authorisation records) need live DNS and are only
    warnings in checkdmarc: they are skipped here.
    """
    from checkdmarc import dmarc as cd_dmarc

    res = OfflineResolver(known={}, leaf=None)
    try:
        parsed = cd_dmarc.parse_dmarc_record(record, domain, resolver=res, timeout=2.0, retries=0)
    except cd_dmarc.DMARCError as error:
        raise RecordError(f"invalid DMARC record for {domain}: {error}") from None
    finally:
        res.forget()
    return {k: str(v["value"]) for k, v in parsed["tags"].items() if v["explicit"] and k != "rua"}
