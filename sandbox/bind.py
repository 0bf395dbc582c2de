"""BIND9 as the sandbox's authoritative DNS: one `named` in DIR/bind, zones added and removed at run time with rndc.

Traps handled here (see notes/bind-sandbox.md): named binds with SO_REUSEPORT, so readiness checks a random token
served only by this instance; BIND silently ignores some updates (CNAME next to other data), so every update checks
the rcode and then reads the RRset back. Restarting on the same directory keeps the zones (`_default.nzd`, journals).
Runs as the current user without `-u`. AppArmor is not active here; where it is, Debian's profile confines
/usr/sbin/named to its own directories and the sandbox directory must be allowed in it.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset
import dns.tsig
import dns.tsigkeyring
import dns.update

log = logging.getLogger(__name__)

NAMESERVERS = ["ns1.sandbox.coldfleet.test", "ns2.sandbox.coldfleet.test"]
INFRA_ZONE = "sandbox.coldfleet.test"  # serves the NS names and the readiness token
READY_NAME = f"_ready.{INFRA_ZONE}"
UPDATE_KEY = "coldfleet-update"
RNDC_KEY = "rndc-key"
ALGORITHM = "hmac-sha256"
TIMEOUT_S = 3.0
# A second named on the same port gets each new socket with p=1/2: 16 probes miss it with p=2**-16.
READY_PROBES = 16


class DnsError(Exception):
    """BIND refused or ignored an operation."""


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


def free_port(preferred: int | None = None) -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (the preferred one when it is)."""
    for candidate in ([preferred] if preferred else []) + [0] * 20:
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            tcp.bind(("127.0.0.1", candidate or 0))
            port = tcp.getsockname()[1]
            udp.bind(("127.0.0.1", port))
            return int(port)
        except OSError:
            continue
        finally:
            tcp.close()
            udp.close()
    raise DnsError("no free port on 127.0.0.1")


def _absolute(name: str) -> dns.name.Name:
    return dns.name.from_text(name.rstrip(".") + ".")


def _zone_file_text(zone: str, serial: int = 1) -> str:
    return (
        f"$ORIGIN {zone}.\n$TTL 300\n"
        f"@ IN SOA {NAMESERVERS[0]}. hostmaster.{INFRA_ZONE}. {serial} 3600 600 604800 300\n"
        + "".join(f"@ IN NS {ns}.\n" for ns in NAMESERVERS)
    )


def _values_of(rrset: dns.rrset.RRset) -> list[str]:
    out: list[str] = []
    for rr in rrset:
        if rrset.rdtype == dns.rdatatype.TXT:
            out.append(b"".join(rr.strings).decode("utf-8", "replace"))
        else:
            out.append(" ".join(part.rstrip(".") if part.endswith(".") else part for part in rr.to_text().split()))
    return sorted(out)


def _rdata(rdtype: dns.rdatatype.RdataType, value: str) -> dns.rdata.Rdata:
    if rdtype == dns.rdatatype.TXT:
        raw = value.encode()
        chunks = [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]
        return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, rdtype, chunks)
    # Names inside values are absolute whether or not they end with a dot.
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, value, origin=dns.name.root, relativize=False)


def ask(port: int, name: str, rdtype: str, *, tcp: bool = True, timeout: float = TIMEOUT_S) -> list[str]:
    """Query 127.0.0.1:`port` directly. TXT strings joined; names without trailing dot; [] for NXDOMAIN/NoAnswer."""
    qname = _absolute(name)
    rtype = dns.rdatatype.from_text(rdtype)
    msg = dns.message.make_query(qname, rtype)
    if tcp:
        resp = dns.query.tcp(msg, "127.0.0.1", port=port, timeout=timeout)
    else:
        resp = dns.query.udp(msg, "127.0.0.1", port=port, timeout=timeout)
    if resp.rcode() != dns.rcode.NOERROR:
        return []
    for rrset in resp.answer:
        if rrset.name == qname and rrset.rdtype == rtype:
            return _values_of(rrset)
    return []


class Bind:
    """Implements the `Dns` protocol of sandbox.world against a private named."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "zones").mkdir(exist_ok=True)
        self._keys_path = self.dir / "keys.json"
        keys = json.loads(self._keys_path.read_text()) if self._keys_path.exists() else {}
        self.tsig_key_name: str = keys.get("tsig_key_name", UPDATE_KEY)
        self.tsig_secret: str = keys.get("tsig_secret") or base64.b64encode(secrets.token_bytes(32)).decode()
        self._rndc_secret: str = keys.get("rndc_secret") or base64.b64encode(secrets.token_bytes(32)).decode()
        self.port: int = int(keys.get("port", 0))
        self.rndc_port: int = int(keys.get("rndc_port", 0))
        self._token = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._rndc_lock = threading.RLock()  # also serialises zone add/delete
        self.keyring = dns.tsigkeyring.from_text({self.tsig_key_name: (ALGORITHM, self.tsig_secret)})

    # -- lifecycle -------------------------------------------------------------------------------------------------
    def kill_stale(self) -> None:
        """A named left over by a crashed sandbox on this directory would share its zone database: end it."""
        try:
            pid = int((self.dir / "named.pid").read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return
        if cmdline and cmdline[0].endswith(b"named") and str(self.dir / "named.conf").encode() in cmdline:
            log.warning("stopping a stale named (pid %d) on %s", pid, self.dir)
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.05)
            else:
                os.kill(pid, signal.SIGKILL)

    def start(self, attempts: int = 3) -> None:
        self.kill_stale()
        for attempt in range(attempts):
            self.port = free_port(self.port if attempt == 0 else None)
            self.rndc_port = free_port(self.rndc_port if attempt == 0 else None)
            self._write_config()
            err = open(self.dir / "named.log", "ab")  # handed to the child
            try:
                self._proc = subprocess.Popen(
                    ["named", "-g", "-c", str(self.dir / "named.conf")],
                    cwd=self.dir, stdout=err, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True,
                )
            finally:
                err.close()
            if self._wait_ready():
                log.info("named ready on 127.0.0.1:%d (rndc %d)", self.port, self.rndc_port)
                return
            self.stop()
        raise DnsError(f"named did not start; see {self.dir / 'named.log'}:\n{self._log_tail()}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join((self.dir / "named.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _write_config(self) -> None:
        self._token = secrets.token_hex(16)
        self._keys_path.write_text(json.dumps({
            "tsig_key_name": self.tsig_key_name, "tsig_secret": self.tsig_secret, "rndc_secret": self._rndc_secret,
            "port": self.port, "rndc_port": self.rndc_port,
        }))
        os.chmod(self._keys_path, 0o600)
        infra = _zone_file_text(INFRA_ZONE, int(time.time())) + "".join(
            f"{ns.split('.')[0]} IN A 127.0.0.1\n" for ns in NAMESERVERS
        ) + f'_ready IN TXT "{self._token}"\n'
        (self.dir / "infra.db").write_text(infra)
        d = self.dir
        (d / "named.conf").write_text(f"""
key "{self.tsig_key_name}" {{ algorithm {ALGORITHM}; secret "{self.tsig_secret}"; }};
key "{RNDC_KEY}" {{ algorithm {ALGORITHM}; secret "{self._rndc_secret}"; }};
controls {{ inet 127.0.0.1 port {self.rndc_port} allow {{ 127.0.0.1; }} keys {{ "{RNDC_KEY}"; }}; }};
options {{
    directory "{d}";
    pid-file "{d}/named.pid";
    session-keyfile "{d}/session.key";
    managed-keys-directory "{d}";
    listen-on port {self.port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    allow-new-zones yes;
    notify no;
}};
zone "{INFRA_ZONE}" {{ type primary; file "{d}/infra.db"; }};
""")
        (d / "rndc.conf").write_text(f"""
key "{RNDC_KEY}" {{ algorithm {ALGORITHM}; secret "{self._rndc_secret}"; }};
options {{ default-key "{RNDC_KEY}"; default-server 127.0.0.1; default-port {self.rndc_port}; }};
""")
        os.chmod(d / "named.conf", 0o600)
        os.chmod(d / "rndc.conf", 0o600)

    def _wait_ready(self, timeout_s: float = 15.0) -> bool:
        """True once every probe answers our token; False if another server answers on the port (or on timeout)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                log.warning("named exited during start-up:\n%s", self._log_tail())
                return False
            try:
                probes = [self._probe(tcp=i % 2 == 0) for i in range(READY_PROBES)]
            except (dns.exception.DNSException, OSError):
                time.sleep(0.05)
                continue
            verdict = readiness(probes, self._token)
            if verdict is Readiness.READY:
                return True
            if verdict is Readiness.FOREIGN:
                log.warning("another DNS server answers on 127.0.0.1:%d; picking another port", self.port)
                return False
            time.sleep(0.05)
        return False

    def _probe(self, *, tcp: bool) -> Probe:
        msg = dns.message.make_query(_absolute(READY_NAME), dns.rdatatype.TXT)
        query = dns.query.tcp if tcp else dns.query.udp
        resp = query(msg, "127.0.0.1", port=self.port, timeout=0.5)
        values = [v for rrset in resp.answer if rrset.rdtype == dns.rdatatype.TXT for v in _values_of(rrset)]
        return Probe(resp.rcode(), values)

    # -- rndc ------------------------------------------------------------------------------------------------------
    def rndc(self, *args: str) -> str:
        with self._rndc_lock:
            res = subprocess.run(["rndc", "-c", str(self.dir / "rndc.conf"), *args],
                                 capture_output=True, text=True, timeout=30)
        if res.returncode != 0:
            raise DnsError(f"rndc {args[0]} failed: {(res.stderr or res.stdout).strip()}")
        return res.stdout

    # -- Dns protocol ----------------------------------------------------------------------------------------------
    def nameservers(self) -> list[str]:
        return list(NAMESERVERS)

    def has_zone(self, zone: str) -> bool:
        zname = _absolute(zone)
        msg = dns.message.make_query(zname, dns.rdatatype.SOA)
        resp = dns.query.tcp(msg, "127.0.0.1", port=self.port, timeout=TIMEOUT_S)
        return resp.rcode() == dns.rcode.NOERROR and any(
            rr.name == zname and rr.rdtype == dns.rdatatype.SOA for rr in resp.answer
        )

    def add_zone(self, zone: str) -> None:
        """Serve `zone` (idempotent): SOA + NS ns1/ns2.sandbox.coldfleet.test, dynamic updates with the TSIG key."""
        zone = zone.rstrip(".").lower()
        with self._rndc_lock:
            self._add_zone(zone)

    def _add_zone(self, zone: str) -> None:
        if self.has_zone(zone):
            return
        path = self.dir / "zones" / f"{zone}.db"
        for stale in (path, path.with_name(path.name + ".jnl")):
            stale.unlink(missing_ok=True)
        path.write_text(_zone_file_text(zone, int(time.time())))
        spec = f'{{ type primary; file "zones/{zone}.db"; allow-update {{ key "{self.tsig_key_name}"; }}; }};'
        self.rndc("addzone", zone, spec)
        log.info("zone %s added", zone)

    def delete_zone(self, zone: str) -> None:
        zone = zone.rstrip(".").lower()
        with self._rndc_lock:
            if not self.has_zone(zone):
                return
            self.rndc("delzone", "-clean", zone)
        log.info("zone %s deleted", zone)

    def _ask(self, name: str, rdtype: str, *, tcp: bool = True, timeout: float = TIMEOUT_S) -> list[str]:
        return ask(self.port, name, rdtype, tcp=tcp, timeout=timeout)

    def query(self, name: str, rdtype: str) -> list[str]:
        """Ask this named directly over TCP. TXT strings joined; names without trailing dot; [] when none."""
        return self._ask(name, rdtype)

    def _update(self, zone: str, build: dns.update.UpdateMessage) -> None:
        try:
            resp = dns.query.tcp(build, "127.0.0.1", port=self.port, timeout=TIMEOUT_S)
        except dns.exception.DNSException as exc:
            raise DnsError(f"update of {zone} failed: {type(exc).__name__}") from None
        if resp.rcode() != dns.rcode.NOERROR:
            raise DnsError(f"update of {zone} answered {dns.rcode.to_text(resp.rcode())}")

    def _message(self, zone: str) -> dns.update.UpdateMessage:
        return dns.update.UpdateMessage(_absolute(zone), keyring=self.keyring,
                                        keyname=dns.name.from_text(self.tsig_key_name), keyalgorithm=ALGORITHM)

    def _owner(self, zone: str, name: str) -> dns.name.Name:
        zone = zone.rstrip(".").lower()
        name = name.rstrip(".").lower()
        if name in ("", "@", zone):
            return _absolute(zone)
        if name.endswith("." + zone):
            return _absolute(name)
        return _absolute(f"{name}.{zone}")

    def replace_rrset(self, zone: str, name: str, rdtype: str, ttl: int, values: list[str]) -> None:
        """Delete and add in one message, then read back: BIND answers NOERROR to updates it ignores."""
        owner = self._owner(zone, name)
        rtype = dns.rdatatype.from_text(rdtype)
        try:
            rdatas = [_rdata(rtype, v) for v in values]
        except (dns.exception.DNSException, ValueError) as exc:
            raise DnsError(f"invalid {rdtype} value: {exc}") from None
        upd = self._message(zone)
        upd.delete(owner, rtype)
        for rd in rdatas:
            upd.add(owner, ttl, rd)
        self._update(zone, upd)
        expected = sorted(_values_of(dns.rrset.from_rdata_list(owner, ttl, rdatas))) if rdatas else []
        got = self._ask(owner.to_text(), rdtype)
        if got != expected:
            raise DnsError(f"update of {owner.to_text(True)} {rdtype} was not applied (conflicting data at the name?)")

    def delete_rrset(self, zone: str, name: str, rdtype: str) -> None:
        owner = self._owner(zone, name)
        rtype = dns.rdatatype.from_text(rdtype)
        upd = self._message(zone)
        upd.delete(owner, rtype)
        self._update(zone, upd)
        if self._ask(owner.to_text(), rdtype):
            raise DnsError(f"delete of {owner.to_text(True)} {rdtype} was not applied")

    def zones(self) -> list[str]:
        """Zones added at run time (for the admin view)."""
        return sorted(p.name[:-3] for p in (self.dir / "zones").glob("*.db"))
