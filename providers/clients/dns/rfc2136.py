"""DNS on any RFC 2136 server (BIND, Knot, PowerDNS...) with a TSIG key, over TCP.

BIND answers NOERROR to updates it silently ignores (data next to a CNAME), so every update carries a
"no CNAME here" prerequisite where it can, checks the rcode, and reads the RRset back from the primary before
waiting for the authoritative servers. The TSIG secret never appears in messages or logs.
"""

from __future__ import annotations

import binascii
import logging

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.tsig
import dns.tsigkeyring
import dns.update

from providers.clients.dns.authoritative import authoritative_servers, parse_server, query_server, wait_for_rrset
from providers.clients.dns.base import ZoneInfo, canonical, canonical_set, check_rdtype, fqdn, owner, split_txt
from providers.clients.errors import (
    AuthenticationFailed,
    BadRequest,
    ClientError,
    Conflict,
    NotFound,
    PermissionDenied,
    ServerError,
)
from providers.config import Settings

log = logging.getLogger(__name__)

API = "rfc2136"
TIMEOUT_S = 10.0
RCODE_ERRORS: dict[int, type[ClientError]] = {
    dns.rcode.REFUSED: PermissionDenied,
    dns.rcode.NOTAUTH: AuthenticationFailed,
    dns.rcode.NOTZONE: BadRequest,
    dns.rcode.FORMERR: BadRequest,
    dns.rcode.YXRRSET: Conflict,
    dns.rcode.NXRRSET: Conflict,
    dns.rcode.YXDOMAIN: Conflict,
    dns.rcode.NXDOMAIN: Conflict,
}


def _rdata(rdtype: str, value: str) -> dns.rdata.Rdata:
    if rdtype == "TXT":
        return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, split_txt(value))
    text = canonical(rdtype, value)
    if rdtype in ("CNAME", "NS"):
        text += "."
    elif rdtype == "MX":
        text += "." if not text.endswith(" .") else ""
    return dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), text)


class Rfc2136Dns:
    """Zones must already exist on the server (ensure_zone checks the SOA); zones are never deleted from here."""

    def __init__(self, settings: Settings) -> None:
        if not settings.rfc2136_server:
            raise BadRequest("the rfc2136 backend needs rfc2136_server (host:port)", api=API)
        self.settings = settings
        self.server = parse_server(settings.rfc2136_server)
        self.label = f"{self.server[0]}:{self.server[1]}"

    def _keyring(self) -> tuple[dict[dns.name.Name, dns.tsig.Key], str]:
        name, secret = self.settings.tsig_key_name, self.settings.tsig_secret
        if not name or not secret:
            raise AuthenticationFailed("the rfc2136 backend needs tsig_key_name and tsig_secret", api=API)
        try:
            keyring = dns.tsigkeyring.from_text({name: (self.settings.tsig_algorithm, secret)})
        except (binascii.Error, ValueError, dns.exception.DNSException):
            raise BadRequest(f"TSIG key {name!r}: the secret is not valid base64 or the algorithm "
                             f"{self.settings.tsig_algorithm!r} is unknown", api=API) from None
        return keyring, name

    def _send(self, update: dns.update.UpdateMessage, what: str) -> None:
        keyname = self.settings.tsig_key_name
        try:
            resp = dns.query.tcp(update, self.server[0], port=self.server[1], timeout=TIMEOUT_S)
        except dns.tsig.PeerBadKey:
            raise AuthenticationFailed(f"{self.label} does not know the TSIG key {keyname!r}", api=API,
                                       code="BADKEY") from None
        except dns.tsig.PeerBadSignature:
            raise AuthenticationFailed(f"{self.label} rejected the TSIG signature of key {keyname!r} "
                                       "(wrong secret or algorithm)", api=API, code="BADSIG") from None
        except dns.tsig.PeerBadTime:
            raise AuthenticationFailed(f"{self.label} rejected the TSIG time (clock skew)", api=API,
                                       code="BADTIME") from None
        except dns.exception.Timeout:
            raise ServerError(f"no answer from {self.label} to the update of {what}", api=API) from None
        except (OSError, dns.exception.DNSException) as exc:
            raise ServerError(f"update of {what} at {self.label} failed: {type(exc).__name__}", api=API) from None
        rcode = resp.rcode()
        if rcode == dns.rcode.NOERROR:
            return
        text = dns.rcode.to_text(rcode)
        if rcode == dns.rcode.YXRRSET:
            raise Conflict(f"{what}: a CNAME exists at that name; delete it first", api=API, code=text)
        cls = RCODE_ERRORS.get(rcode, ServerError)
        raise cls(f"{self.label} answered {text} to the update of {what}", api=API, code=text)

    def _update(self, zone: str) -> dns.update.UpdateMessage:
        keyring, keyname = self._keyring()
        return dns.update.UpdateMessage(fqdn(zone) + ".", keyring=keyring, keyname=dns.name.from_text(keyname),
                                        keyalgorithm=self.settings.tsig_algorithm)

    def _primary(self, name: str, rdtype: str) -> list[str]:
        return query_server(self.server, name, rdtype, timeout=TIMEOUT_S)

    def _wait(self, zone: str, name: str, rdtype: str, values: list[str]) -> None:
        """The primary answers at once (checked by the caller); wait for other authoritative servers, if any."""
        if self.settings.authoritative_server and parse_server(self.settings.authoritative_server) == self.server:
            return
        if not self.settings.authoritative_server and authoritative_servers(self.settings, zone) == [self.server]:
            return
        wait_for_rrset(self.settings, zone, name, rdtype, values)

    # -- DnsBackend ----------------------------------------------------------------------------------------------
    def close(self) -> None:
        """Nothing to close: every update and query opens its own TCP connection."""

    def find_zone(self, zone: str) -> ZoneInfo | None:
        zone = fqdn(zone)
        try:
            soa = self._primary(zone, "SOA")
        except ServerError as exc:
            if exc.code in ("REFUSED", "NOTAUTH", "SERVFAIL"):
                return None  # not served here
            raise
        if not soa:
            return None
        nameservers = tuple(sorted(self._primary(zone, "NS")))
        return ZoneInfo(zone=zone, zone_id=zone, nameservers=nameservers, status="active")

    def ensure_zone(self, zone: str) -> ZoneInfo:
        info = self.find_zone(zone)
        if info is None:
            raise NotFound(f"zone {fqdn(zone)} is not served by the RFC 2136 server {self.label} (no SOA); "
                           "create the zone there first", api=API)
        return info

    def delete_zone(self, zone: str) -> None:
        log.warning("rfc2136: zones are not deleted through RFC 2136; %s stays on %s", fqdn(zone), self.label)

    def get_rrset(self, zone: str, name: str, rdtype: str) -> list[str]:
        return self._primary(owner(zone, name), check_rdtype(rdtype))

    def set_rrset(self, zone: str, name: str, rdtype: str, values: list[str], ttl: int = 3600, *,
                  adopt: bool = False, rewrite: bool = False) -> None:
        """Delete + add in one update message (no ownership markers: `adopt` has no effect; it always writes)."""
        rtype = check_rdtype(rdtype)
        full = owner(zone, name)
        if not values:
            self.delete_rrset(zone, name, rtype)
            return
        want = canonical_set(rtype, values)
        rdatas = [_rdata(rtype, v) for v in want]
        upd = self._update(zone)
        target = dns.name.from_text(full + ".")
        if rtype != "CNAME":
            upd.absent(target, "CNAME")  # prerequisite: BIND would otherwise ignore the data silently
        upd.delete(target, rtype)
        for rd in rdatas:
            upd.add(target, ttl, rd)
        self._send(upd, f"{full} {rtype}")
        got = canonical_set(rtype, self._primary(full, rtype))
        if got != want:
            raise Conflict(f"{self.label} accepted but did not apply the update of {full} {rtype} (other data next "
                           f"to a CNAME?): it answers {got}", api=API)
        log.info("rfc2136: %s %s set (%d values)", full, rtype, len(want))
        self._wait(zone, full, rtype, want)

    def delete_rrset(self, zone: str, name: str, rdtype: str, *, adopt: bool = False) -> None:
        rtype = check_rdtype(rdtype)
        full = owner(zone, name)
        upd = self._update(zone)
        upd.delete(dns.name.from_text(full + "."), rtype)
        self._send(upd, f"{full} {rtype}")
        if self._primary(full, rtype):
            raise ServerError(f"{self.label} did not delete {full} {rtype}", api=API)
        log.info("rfc2136: %s %s deleted", full, rtype)
        self._wait(zone, full, rtype, [])
