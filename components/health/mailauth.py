"""SPF, DMARC and DKIM as a receiver evaluates them, by maintained libraries rather than hand-written rules.

SPF: pyspf (RFC 7208, the reference implementation used by pyspf-milter and spf-engine) evaluates the record for a
test address (counting every DNS-querying term through Microsoft's include: the 10-lookup limit, § 4.6.4) and for
Microsoft's outbound addresses (which must `pass`). pyspf asks DNS through its module-level `DNSLookup` function
(it picks dnspython's at import and queries the default resolver); `_install` swaps in one that asks the resolver
of this run, so the local world's resolver stands in for the public one.

DMARC: checkdmarc parses the record as RFC 9989 reads it (`t=y` replaces `pct`) and checks each external `rua`
destination's authorisation record `<domain>._report._dmarc.<rua-domain>` (RFC 9990 § 4). It takes a resolver.

DKIM: the selector CNAME's target must publish a key record (RFC 6376 § 3.6.1): `v=DKIM1`, a non-empty `p=` (empty
means revoked) that loads as a public key.

Addresses: spf.protection.outlook.com publishes ip4 40.92.0.0/15, 40.107.0.0/16, 52.100.0.0/15, 52.102.0.0/16,
52.103.0.0/16, 104.47.0.0/17 and five ip6 ranges, -all, with no further include (one lookup in all), as read by
wirewiki.com's SPF views of domains that include it (e.g. https://www.wirewiki.com/domains/pingtone.com/spf).
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import dns.exception
import dns.resolver
import spf
from checkdmarc import dmarc as cd_dmarc
from checkdmarc import utils as cd_utils
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from components.health.signals import Finding
from providers.dmarc import MAX_SPF_LOOKUPS

log = logging.getLogger(__name__)

TEST_ADDRESS = "192.0.2.1"  # TEST-NET-1 (RFC 5737): matches no mechanism, so every term is evaluated
MICROSOFT_OUTBOUND = ("40.92.0.25", "40.107.0.25", "52.100.0.25", "104.47.0.25", "2a01:111:f403:8000::25")
QUERY_TIME_S = 20.0  # pyspf's overall budget per evaluation (RFC 7208 § 4.6.4 suggests at least 20 s)

_RESOLVER: ContextVar[dns.resolver.Resolver | None] = ContextVar("spf_resolver", default=None)
_original: Callable[..., list[Any]] | None = None
_INSTALL_LOCK = threading.Lock()


def _lookup(name: str, qtype: str, strict: Any = True, timeout: float = 20.0) -> list[Any]:
    """pyspf's DNSLookup contract: [((name, qtype), value), ...]; [] for NXDOMAIN / no data; TempError otherwise."""
    resolver = _RESOLVER.get()
    if resolver is None:
        assert _original is not None
        return _original(name, qtype, strict, timeout)
    try:
        answer = resolver.resolve(name, qtype, lifetime=min(timeout, resolver.lifetime), search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        raise spf.TempError(f"DNS {type(exc).__name__} for {name} {qtype}") from None
    out: list[Any] = []
    for rdata in answer:
        if qtype in ("A", "AAAA"):
            out.append(((name, qtype), rdata.address))
        elif qtype == "MX":
            out.append(((name, qtype), (rdata.preference, rdata.exchange)))
        elif qtype == "PTR":
            out.append(((name, qtype), rdata.target.to_text(True)))
        elif qtype in ("TXT", "SPF"):
            out.append(((name, qtype), rdata.strings))
    return out


def _install() -> None:
    """Point pyspf at `_lookup` once per process (domains are collected on threads: report.py)."""
    global _original
    with _INSTALL_LOCK:
        if spf.DNSLookup is not _lookup:
            _original, spf.DNSLookup = spf.DNSLookup, _lookup


def _evaluate(domain: str, address: str, resolver: dns.resolver.Resolver, *, strict: bool) -> tuple[str, str, int]:
    """(result, explanation, lookups) for mail from postmaster@domain sent by `address`."""
    _install()
    token = _RESOLVER.set(resolver)
    try:
        query = spf.query(i=address, s=f"postmaster@{domain}", h=domain, strict=strict, querytime=QUERY_TIME_S)
        result, _code, explanation = query.check()
        return str(result), str(explanation), int(query.lookups)
    finally:
        _RESOLVER.reset(token)


def spf_findings(domain: str, resolver: dns.resolver.Resolver) -> list[Finding]:
    """The lookup count of the whole record (lax, so counting goes on past 10) and Microsoft's addresses (strict)."""
    result, why, lookups = _evaluate(domain, TEST_ADDRESS, resolver, strict=False)
    if result == "temperror":
        return [Finding(domain, "dns", "spf", "unknown", f"SPF could not be evaluated: {why}")]
    if result == "none":
        return [Finding(domain, "dns", "spf", "broken", f"no SPF record at {domain}")]
    out: list[Finding] = []
    if lookups > MAX_SPF_LOOKUPS:
        out.append(Finding(domain, "dns", "spf:lookups", "broken",
                           f"SPF needs {lookups} DNS lookups (max {MAX_SPF_LOOKUPS}): receivers answer permerror"))
    elif result == "permerror":
        out.append(Finding(domain, "dns", "spf:lookups", "broken", f"SPF permerror: {why}"))
    else:
        out.append(Finding(domain, "dns", "spf:lookups", "ok", f"{lookups} DNS lookups (max {MAX_SPF_LOOKUPS})"))
    for address in MICROSOFT_OUTBOUND:
        result, why, _ = _evaluate(domain, address, resolver, strict=True)
        if result == "temperror":
            out.append(Finding(domain, "dns", "spf:microsoft", "unknown", f"SPF for {address}: {why}"))
            return out
        if result != "pass":
            out.append(Finding(domain, "dns", "spf:microsoft", "broken",
                               f"Microsoft's outbound address {address} gets SPF {result}: {why}"))
            return out
    out.append(Finding(domain, "dns", "spf:microsoft", "ok",
                       f"pass for Microsoft's outbound addresses ({', '.join(MICROSOFT_OUTBOUND)})"))
    return out


def dmarc_findings(domain: str, record: str, resolver: dns.resolver.Resolver) -> list[Finding]:
    """The served `_dmarc` record as checkdmarc reads it: policy, alignment, testing, and each rua's authorisation."""
    cd_utils.DNS_CACHE.clear()  # process-global: a record changed a moment ago must be read again
    try:
        parsed = cd_dmarc.parse_dmarc_record(record, domain, resolver=resolver, timeout=resolver.lifetime, retries=0)
    except cd_dmarc.DMARCError as error:
        return [Finding(domain, "dns", "dmarc", "broken", f"invalid DMARC record: {error}")]
    tags = parsed["tags"]
    value = {k: str(v["value"]) for k, v in tags.items() if k != "rua"}
    policy, testing = value.get("p", "none"), value.get("t", "n") == "y"
    summary = f"p={policy} adkim={value.get('adkim', 'r')} aspf={value.get('aspf', 'r')}" + (" t=y" if testing else "")
    out: list[Finding] = []
    if policy == "none":
        out.append(Finding(domain, "dns", "dmarc", "watch", f"{summary}: p=none asks receivers to do nothing"))
    elif testing:
        out.append(Finding(domain, "dns", "dmarc", "watch", f"{summary}: testing mode, receivers may apply less"))
    else:
        out.append(Finding(domain, "dns", "dmarc", "ok", summary))
    uris = tags["rua"]["value"] if "rua" in tags else []
    if not uris:
        out.append(Finding(domain, "dns", "dmarc:rua", "watch", "no rua: no aggregate reports will arrive"))
    for uri in uris:
        out.append(_rua_finding(domain, str(uri["address"]), resolver))
    return out


def _rua_finding(domain: str, address: str, resolver: dns.resolver.Resolver) -> Finding:
    destination = address.rpartition("@")[2].lower()
    target = f"{domain}._report._dmarc.{destination}"
    try:
        cd_dmarc.verify_dmarc_report_destination(domain, destination, resolver=resolver,
                                                 timeout=resolver.lifetime, retries=0)
    except cd_dmarc.UnverifiedDMARCURIDestination:
        return Finding(domain, "dns", "dmarc:rua", "watch",
                       f"rua {address}: {destination} does not authorise reports about {domain} "
                       f'(no TXT "v=DMARC1" at {target}); receivers will not send them')
    except cd_dmarc.DMARCError as error:
        return Finding(domain, "dns", "dmarc:rua", "unknown", f"rua {address}: {error}")
    return Finding(domain, "dns", "dmarc:rua", "ok", f"rua {address} accepted")


def dkim_finding(domain: str, selector: str, target: str, resolver: dns.resolver.Resolver) -> Finding:
    """The key record at a selector CNAME's target: present, not revoked, a loadable public key."""
    check = f"dkim:{selector}"
    try:
        answer = resolver.resolve(target, "TXT", search=False)
        values = [b"".join(r.strings).decode("utf-8", "replace") for r in answer]
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        values = []
    except dns.exception.DNSException as exc:
        return Finding(domain, "dns", check, "unknown", f"key at {target} not readable: {type(exc).__name__}")
    keys = [tags for tags in map(_tags, values) if tags.get("v", "DKIM1") == "DKIM1" and "p" in tags]
    if not keys:
        return Finding(domain, "dns", check, "broken", f"no DKIM key published at {target}")
    key = keys[0]
    if not key["p"]:
        return Finding(domain, "dns", check, "broken", f"the DKIM key at {target} is revoked (empty p=)")
    try:
        public = load_der_public_key(base64.b64decode("".join(key["p"].split()), validate=True))
    except (ValueError, binascii.Error):
        return Finding(domain, "dns", check, "broken", f"the DKIM key at {target} is not a public key")
    size = f" {public.key_size}-bit" if isinstance(public, rsa.RSAPublicKey) else ""
    return Finding(domain, "dns", check, "ok", f"{target}: {key.get('k', 'rsa')}{size} key")


def _tags(value: str) -> dict[str, str]:
    """An RFC 6376 tag-list (`v=DKIM1; k=rsa; p=...`)."""
    out: dict[str, str] = {}
    for part in value.split(";"):
        name, sep, tag_value = part.partition("=")
        if sep:
            out[name.strip().lower()] = tag_value.strip()
    return out
