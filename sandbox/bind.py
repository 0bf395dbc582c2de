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
from pathlib import Path

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.tsigkeyring
import dns.update

from sandbox.named import (
    ALGORITHM,
    INFRA_ZONE,
    NAMESERVERS,
    READY_NAME,
    TIMEOUT_S,
    UPDATE_KEY,
    Keys,
    Probe,
    Readiness,
    absolute,
    ask,
    named_conf,
    owner,
    probe,
    rdata,
    readiness,
    rndc_conf,
    values_of,
    zone_file_text,
    zone_spec,
)

log = logging.getLogger(__name__)

__all__ = ["INFRA_ZONE", "NAMESERVERS", "READY_NAME", "Bind", "DnsError", "Probe", "Readiness", "ask", "free_port",
           "readiness"]

# A second named on the same port gets each new socket with p=1/2: 16 probes miss it with p=2**-16.
READY_PROBES = 16


class DnsError(Exception):
    """BIND refused or ignored an operation."""


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
        infra = zone_file_text(INFRA_ZONE, int(time.time())) + "".join(
            f"{ns.split('.')[0]} IN A 127.0.0.1\n" for ns in NAMESERVERS
        ) + f'_ready IN TXT "{self._token}"\n'
        (self.dir / "infra.db").write_text(infra)
        keys = Keys(self.tsig_key_name, self.tsig_secret, self._rndc_secret)
        (self.dir / "named.conf").write_text(named_conf(self.dir, self.port, self.rndc_port, keys))
        (self.dir / "rndc.conf").write_text(rndc_conf(self.rndc_port, keys))
        os.chmod(self.dir / "named.conf", 0o600)
        os.chmod(self.dir / "rndc.conf", 0o600)

    def _wait_ready(self, timeout_s: float = 15.0) -> bool:
        """True once every probe answers our token; False if another server answers on the port (or on timeout)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                log.warning("named exited during start-up:\n%s", self._log_tail())
                return False
            try:
                probes = [probe(self.port, tcp=i % 2 == 0) for i in range(READY_PROBES)]
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
        zname = absolute(zone)
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
        path.write_text(zone_file_text(zone, int(time.time())))
        self.rndc("addzone", zone, zone_spec(zone, self.tsig_key_name))
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
        return dns.update.UpdateMessage(absolute(zone), keyring=self.keyring,
                                        keyname=dns.name.from_text(self.tsig_key_name), keyalgorithm=ALGORITHM)

    def replace_rrset(self, zone: str, name: str, rdtype: str, ttl: int, values: list[str]) -> None:
        """Delete and add in one message, then read back: BIND answers NOERROR to updates it ignores."""
        where = owner(zone, name)
        rtype = dns.rdatatype.from_text(rdtype)
        try:
            rdatas = [rdata(rtype, v) for v in values]
        except (dns.exception.DNSException, ValueError) as exc:
            raise DnsError(f"invalid {rdtype} value: {exc}") from None
        upd = self._message(zone)
        upd.delete(where, rtype)
        for rd in rdatas:
            upd.add(where, ttl, rd)
        self._update(zone, upd)
        expected = sorted(values_of(dns.rrset.from_rdata_list(where, ttl, rdatas))) if rdatas else []
        got = self._ask(where.to_text(), rdtype)
        if got != expected:
            raise DnsError(f"update of {where.to_text(True)} {rdtype} was not applied (conflicting data at the name?)")

    def delete_rrset(self, zone: str, name: str, rdtype: str) -> None:
        where = owner(zone, name)
        rtype = dns.rdatatype.from_text(rdtype)
        upd = self._message(zone)
        upd.delete(where, rtype)
        self._update(zone, upd)
        if self._ask(where.to_text(), rdtype):
            raise DnsError(f"delete of {where.to_text(True)} {rdtype} was not applied")

    def zones(self) -> list[str]:
        """Zones added at run time (for the admin view)."""
        return sorted(p.name[:-3] for p in (self.dir / "zones").glob("*.db"))
