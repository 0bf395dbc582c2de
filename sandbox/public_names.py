"""Stand-ins for the public names our records point at, and the domain blocklists, served by the sandbox's BIND.

Served at every sandbox start (`serve`, idempotent; zones persist with BIND's others):
- outlook.com: `spf.protection.outlook.com` as Microsoft publishes it (6 ip4 + 5 ip6 ranges, -all, no nested include:
  one DNS lookup; see components/health/mailauth.py for the source), `*.mail.protection` (every tenant's inbound
  MX host) and `autodiscover` addresses.
- dkim.mail.microsoft and onmicrosoft.com: a DKIM key record (RSA 2048, generated per start) at every selector
  target under them (a wildcard: the Exchange double's targets are selector1-<domain-dashed>._domainkey.<prefix>.
  <partition>-v1.dkim.mail.microsoft, or under <prefix>.onmicrosoft.com for the initial domain).
- dbl.spamhaus.org, multi.surbl.org, multi.uribl.com: each list's documented canary (dbltest.com answers 127.0.1.2;
  test.surbl.org 127.0.0.254, every SURBL bit; test.uribl.com 127.0.0.14, black+grey+red), LISTED (listed on each),
  ERRORED (each list's refusal/error code: Spamhaus 127.255.255.254 "public resolver", SURBL/URIBL 127.0.0.1), and
  NXDOMAIN for anything else (clean).

Tests change these with `set_record` (admin `POST /public-names`): list a domain, drop a canary, revoke a DKIM key.
Only these zones can be changed that way; a customer's zone is changed through the DNS doubles or `publish`.
"""

from __future__ import annotations

import base64
import logging

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.bind import DnsError
from sandbox.world import Dns

log = logging.getLogger(__name__)

SPF_INCLUDE = ("v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 ip4:52.100.0.0/15 ip4:52.102.0.0/16 ip4:52.103.0.0/16 "
               "ip4:104.47.0.0/17 ip6:2a01:111:f400::/48 ip6:2a01:111:f403::/49 ip6:2a01:111:f403:8000::/51 "
               "ip6:2a01:111:f403:c000::/51 ip6:2a01:111:f403:f000::/52 -all")
LISTED = "listed.blocklist.coldfleet.test"
ERRORED = "errored.blocklist.coldfleet.test"

# zone -> (canary, its answer, the answer for a listing, the list's error answer)
BLOCKLISTS: dict[str, tuple[str, str, str, str]] = {
    "dbl.spamhaus.org": ("dbltest.com", "127.0.1.2", "127.0.1.2", "127.255.255.254"),
    "multi.surbl.org": ("test.surbl.org", "127.0.0.254", "127.0.0.64", "127.0.0.1"),
    "multi.uribl.com": ("test.uribl.com", "127.0.0.14", "127.0.0.2", "127.0.0.1"),
}
DKIM_ZONES = ("dkim.mail.microsoft", "onmicrosoft.com")
ZONES = ("outlook.com", *DKIM_ZONES, *BLOCKLISTS)
WILDCARD_ZONES = ("outlook.com", *DKIM_ZONES)
TTL = 300


class PublicNameError(ValueError):
    """A change asked for a zone that is not one of the public stand-ins."""


def dkim_key_record() -> str:
    """`v=DKIM1; k=rsa; p=<SubjectPublicKeyInfo, base64>` for a fresh 2048-bit key (the private half is dropped)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"


def records() -> list[tuple[str, str, str, list[str]]]:
    """(zone, owner, type, values) of every RRset served at start."""
    out: list[tuple[str, str, str, list[str]]] = [
        ("outlook.com", "spf.protection.outlook.com", "TXT", [SPF_INCLUDE]),
        ("outlook.com", "*.mail.protection.outlook.com", "A", ["52.101.68.12", "52.101.73.4"]),
        ("outlook.com", "autodiscover.outlook.com", "A", ["52.97.146.200"]),
    ]
    key = dkim_key_record()
    out += [(zone, f"*.{zone}", "TXT", [key]) for zone in DKIM_ZONES]
    for zone, (canary, canary_answer, listed, error) in BLOCKLISTS.items():
        out += [(zone, f"{canary}.{zone}", "A", [canary_answer]), (zone, f"{LISTED}.{zone}", "A", [listed]),
                (zone, f"{ERRORED}.{zone}", "A", [error])]
    return out


def serve(bind: Dns) -> None:
    """Add the zones and (re)write their records; a start on an old directory replaces what an earlier one left."""
    for zone in ZONES:
        bind.add_zone(zone)
    for zone, name, rdtype, values in records():
        bind.replace_rrset(zone, name, rdtype, TTL, values)
    log.info("public names served: %s", ", ".join(ZONES))


def zone_of(name: str) -> str:
    name = name.rstrip(".").lower()
    for zone in sorted(ZONES, key=len, reverse=True):
        if name == zone or name.endswith("." + zone):
            return zone
    raise PublicNameError(f"{name} is in none of the public stand-in zones ({', '.join(ZONES)})")


def set_record(bind: Dns, name: str, rdtype: str, values: list[str]) -> str:
    """Replace (values) or delete ([]) one RRset in a public zone; the zone it belongs to."""
    zone = zone_of(name)
    if values:
        bind.replace_rrset(zone, name, rdtype, TTL, values)
        return zone
    try:
        bind.delete_rrset(zone, name, rdtype)
    except DnsError:
        # The read-back after a delete sees the zone's wildcard answer (the DKIM keys, the MX hosts): that is the
        # name's answer once the exact RRset is gone.
        if zone not in WILDCARD_ZONES:
            raise
    return zone


