"""What the sandbox's named reads and answers: its configuration and zone file text, direct queries, RRset values as
the doubles compare them, update rdata, and the readiness verdict (sandbox.bind drives the process)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset

NAMESERVERS = ["ns1.sandbox.coldfleet.test", "ns2.sandbox.coldfleet.test"]
INFRA_ZONE = "sandbox.coldfleet.test"  # serves the NS names and the readiness token
READY_NAME = f"_ready.{INFRA_ZONE}"
TIMEOUT_S = 3.0
UPDATE_KEY = "coldfleet-update"
RNDC_KEY = "rndc-key"
ALGORITHM = "hmac-sha256"


@dataclass(frozen=True)
class Keys:
    """The TSIG key for RFC 2136 updates and the rndc key (secrets: never logged)."""

    tsig_key_name: str
    tsig_secret: str
    rndc_secret: str = ""


def named_conf(d: Path, port: int, rndc_port: int, keys: Keys) -> str:
    """Everything inside `d`; rndc on its own port (without `controls` named takes 953 and collides)."""
    return f"""
key "{keys.tsig_key_name}" {{ algorithm {ALGORITHM}; secret "{keys.tsig_secret}"; }};
key "{RNDC_KEY}" {{ algorithm {ALGORITHM}; secret "{keys.rndc_secret}"; }};
controls {{ inet 127.0.0.1 port {rndc_port} allow {{ 127.0.0.1; }} keys {{ "{RNDC_KEY}"; }}; }};
options {{
    directory "{d}";
    pid-file "{d}/named.pid";
    session-keyfile "{d}/session.key";
    managed-keys-directory "{d}";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    allow-new-zones yes;
    notify no;
}};
zone "{INFRA_ZONE}" {{ type primary; file "{d}/infra.db"; }};
"""


def rndc_conf(rndc_port: int, keys: Keys) -> str:
    return f"""
key "{RNDC_KEY}" {{ algorithm {ALGORITHM}; secret "{keys.rndc_secret}"; }};
options {{ default-key "{RNDC_KEY}"; default-server 127.0.0.1; default-port {rndc_port}; }};
"""


@dataclass(frozen=True)
class Probe:
    """One readiness query's answer: its rcode and the TXT values at the readiness name."""

    rcode: int
    values: list[str]


class Readiness(Enum):
    READY = "ready"
    FOREIGN = "foreign"
    LOADING = "loading"


def readiness(probes: list[Probe], token: str) -> Readiness:
    """Judge a batch of readiness probes.

    named listens before its zones are loaded and answers SERVFAIL for the readiness zone meanwhile, so a batch that
    mixes SERVFAIL with our token is our own named finishing its start (treating that as "another server" made about
    one start in 25 fail). Any other answer proves a second server on the port: another sandbox's named (sharing it
    through SO_REUSEPORT) serves its own token, any other server answers REFUSED or NXDOMAIN for our zone.
    """
    ours = [p.rcode == dns.rcode.NOERROR and p.values == [token] for p in probes]
    if all(ours):
        return Readiness.READY
    if any(not mine and p.rcode != dns.rcode.SERVFAIL for p, mine in zip(probes, ours, strict=True)):
        return Readiness.FOREIGN
    return Readiness.LOADING


def absolute(name: str) -> dns.name.Name:
    return dns.name.from_text(name.rstrip(".") + ".")


def zone_file_text(zone: str, serial: int = 1) -> str:
    return (
        f"$ORIGIN {zone}.\n$TTL 300\n"
        f"@ IN SOA {NAMESERVERS[0]}. hostmaster.{INFRA_ZONE}. {serial} 3600 600 604800 300\n"
        + "".join(f"@ IN NS {ns}.\n" for ns in NAMESERVERS)
    )


def zone_spec(zone: str, key_name: str) -> str:
    """The `rndc addzone` spec. Cloudflare checks neither MX/SRV targets for addresses nor MX targets that are IPs,
    so the sandbox's zones do not either (BIND's check-integrity would refuse an MX to an in-zone host)."""
    checks = "check-integrity no; check-mx ignore; check-mx-cname ignore; check-srv-cname ignore;"
    return f'{{ type primary; file "zones/{zone}.db"; allow-update {{ key "{key_name}"; }}; {checks} }};'


def values_of(rrset: dns.rrset.RRset) -> list[str]:
    out: list[str] = []
    for rr in rrset:
        if rrset.rdtype == dns.rdatatype.TXT:
            out.append(b"".join(rr.strings).decode("utf-8", "replace"))
        else:
            out.append(" ".join(part.rstrip(".") if part.endswith(".") else part for part in rr.to_text().split()))
    return sorted(out)


def rdata(rdtype: dns.rdatatype.RdataType, value: str) -> dns.rdata.Rdata:
    if rdtype == dns.rdatatype.TXT:
        raw = value.encode()
        chunks = [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]
        return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, rdtype, chunks)
    # Names inside values are absolute whether or not they end with a dot.
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, value, origin=dns.name.root, relativize=False)


def ask(port: int, name: str, rdtype: str, *, tcp: bool = True, timeout: float = TIMEOUT_S) -> list[str]:
    """Query 127.0.0.1:`port` directly. TXT strings joined; names without trailing dot; [] for NXDOMAIN/NoAnswer."""
    qname = absolute(name)
    rtype = dns.rdatatype.from_text(rdtype)
    msg = dns.message.make_query(qname, rtype)
    if tcp:
        resp = dns.query.tcp(msg, "127.0.0.1", port=port, timeout=timeout)
    else:
        resp = dns.query.udp(msg, "127.0.0.1", port=port, timeout=timeout)
    if resp.rcode() != dns.rcode.NOERROR:
        return []
    # An NS set below the apex is a delegation: BIND answers it as a referral, the set in the authority section.
    sections = resp.answer + (resp.authority if rtype == dns.rdatatype.NS else [])
    for rrset in sections:
        if rrset.name == qname and rrset.rdtype == rtype:
            return values_of(rrset)
    return []


def probe(port: int, *, tcp: bool) -> Probe:
    """One readiness query to 127.0.0.1:`port` (raises on timeout / refused connection)."""
    msg = dns.message.make_query(absolute(READY_NAME), dns.rdatatype.TXT)
    query = dns.query.tcp if tcp else dns.query.udp
    resp = query(msg, "127.0.0.1", port=port, timeout=0.5)
    values = [v for rrset in resp.answer if rrset.rdtype == dns.rdatatype.TXT for v in values_of(rrset)]
    return Probe(resp.rcode(), values)


def owner(zone: str, name: str) -> dns.name.Name:
    """The absolute owner name of `name` in `zone` ("", "@", the zone itself, relative or absolute names)."""
    zone = zone.rstrip(".").lower()
    name = name.rstrip(".").lower()
    if name in ("", "@", zone):
        return absolute(zone)
    if name.endswith("." + zone):
        return absolute(name)
    return absolute(f"{name}.{zone}")
