"""A handle on a running sandbox for tests, e2e programs and the bench: its sandbox.json, settings and admin helpers."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.query
import dns.tsigkeyring
import dns.update
import httpx

from providers import config
from providers.config import Settings
from sandbox import bind, daemon

log = logging.getLogger(__name__)

SETTINGS_LINE = re.compile(r"^(\s*coldfleet:settingsFile:\s*).*$", re.MULTILINE)


class SandboxHandle:
    """`dir`, `info` (sandbox.json), `settings`, and the admin app through `admin` (an httpx.Client)."""

    def __init__(self, directory: str | Path, process: subprocess.Popen[bytes] | None = None) -> None:
        self.dir = Path(directory).resolve()
        self.process = process
        self.info: dict[str, Any] = json.loads((self.dir / daemon.INFO_FILE).read_text())
        self.admin = httpx.Client(base_url=self.info["endpoints"]["admin"], timeout=30.0)

    # -- lifecycle -----------------------------------------------------------------------------------------------
    @classmethod
    def start(cls, directory: str | Path | None = None, timeout_s: float = 60.0) -> SandboxHandle:
        """Start a foreground sandbox as a child process (output in DIR/sandbox.log); stop it with `stop()`."""
        path = Path(directory or tempfile.mkdtemp(prefix="coldfleet-sandbox-")).resolve()
        path.mkdir(parents=True, exist_ok=True)
        log_path = path / "sandbox.log"
        proc = daemon.spawn(path, log_path, exit_with_parent=True)
        try:
            daemon.wait_ready(path, proc, timeout_s, log_path)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        return cls(path, proc)

    def stop(self, timeout_s: float = 20.0) -> None:
        self.admin.close()
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            log.warning("sandbox pid %d did not stop; killing it", proc.pid)
            proc.kill()
            proc.wait()

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- views -----------------------------------------------------------------------------------------------------
    @property
    def settings_file(self) -> Path:
        """The settings file it writes (name it in a stack as `coldfleet:settingsFile`)."""
        return daemon.settings_file(self.dir)

    def point_stack(self, stack_file: str) -> str:
        """A stack file's text with its `coldfleet:settingsFile` naming this sandbox's settings file."""
        pointed, count = SETTINGS_LINE.subn(lambda line: line.group(1) + str(self.settings_file), stack_file)
        if count != 1:
            raise ValueError("the stack file has no single `coldfleet:settingsFile:` line")
        return pointed

    @property
    def settings(self) -> Settings:
        """Settings read the way a provider reads them: from the settings file alone."""
        return config.from_file(self.settings_file)

    @property
    def endpoints(self) -> dict[str, str]:
        return dict(self.info["endpoints"])

    @property
    def credentials(self) -> dict[str, str]:
        return dict(self.info["credentials"])

    @property
    def ca_cert(self) -> str:
        return str(self.info["ca_cert"])

    @property
    def dns_port(self) -> int:
        return int(self.info["dns"]["port"])

    def dns_query(self, name: str, rdtype: str) -> list[str]:
        """Ask the sandbox's BIND directly (TXT joined, names without trailing dot, [] when none)."""
        return bind.ask(self.dns_port, name, rdtype)

    def publish(self, zone: str, name: str, rdtype: str, values: list[str]) -> int:
        """Replace an RRset at BIND with an RFC 2136 update signed with the sandbox's TSIG key (what a DNS provider
        would do); the rcode. `name` is absolute ("@" for the apex), values in zone-file text."""
        d = self.info["dns"]
        keyring = dns.tsigkeyring.from_text({d["tsig_key_name"]: d["tsig_secret"]})
        update = dns.update.UpdateMessage(zone, keyring=keyring, keyname=d["tsig_key_name"],
                                          keyalgorithm=d["tsig_algorithm"])
        update.replace(name if name == "@" else f"{name.rstrip('.')}.", 300, rdtype, *values)
        return int(dns.query.tcp(update, d["server"], port=d["port"], timeout=5).rcode())

    # -- admin -----------------------------------------------------------------------------------------------------
    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = self.admin.post(path, json=body)
        resp.raise_for_status()
        result: dict[str, Any] = resp.json()
        return result

    def admin_state(self) -> dict[str, Any]:
        """{"world", "requests": {double: {"requests": n, "429": n, ...}}, "state": {double: ...}, "zones"}."""
        resp = self.admin.get("/state")
        resp.raise_for_status()
        result: dict[str, Any] = resp.json()
        return result

    def request_counts(self, double: str) -> dict[str, int]:
        counts: dict[str, int] = self.admin_state()["requests"].get(double, {})
        return counts

    def set_faults(self, double: str, **knobs: Any) -> dict[str, Any]:
        """Knobs are sandbox.world.Faults fields (latency_ms, p429, next_429, write_quota, seed, ...); double "*"
        sets them on every double (a seeded double draws its faults from its own RNG: see sandbox.faults)."""
        return self._post("/faults", {"double": double, **knobs})

    def requests(self) -> dict[str, Any]:
        """Round trips counted at the doubles (sandbox.counters): {"doubles": {double: {"total", "token",
        "by_kind"}}, "tokens": [{tenant, audience, count}], "total", "token_requests"}."""
        resp = self.admin.get("/requests")
        resp.raise_for_status()
        result: dict[str, Any] = resp.json()
        return result

    def reset_requests(self) -> None:
        """Zero the round-trip counters (faults stay as they are)."""
        self._post("/requests/reset", {})

    def set_settings(self, **settings: float) -> dict[str, Any]:
        """World timing knobs: mailbox_provisioning_delay_s, gdap_approval_delay_s, tenant_creation_delay_s."""
        return self._post("/settings", settings)

    def reset_faults(self) -> None:
        """All faults off, request counters and write windows cleared."""
        self._post("/reset", {})

    def add_zone(self, name: str) -> dict[str, Any]:
        return self._post("/zones", {"name": name})

    def set_public_name(self, name: str, rdtype: str, values: list[str]) -> dict[str, Any]:
        """Replace (or with [] delete) an RRset of the public stand-ins (sandbox.public_names): a DKIM key, a canary."""
        return self._post("/public-names", {"name": name, "type": rdtype, "values": values})

    def set_blocklisted(self, zone: str, domain: str, answer: str | None) -> dict[str, Any]:
        """List `domain` on blocklist `zone` with A `answer` (a listing or an error code); None unlists it."""
        name = f"{domain.rstrip('.').lower()}.{zone}"
        return self.set_public_name(name, "A", [answer] if answer else [])

    def set_mailbox_delay(self, seconds: float) -> dict[str, Any]:
        return self._post("/settings", {"mailbox_provisioning_delay_s": seconds})

    @contextlib.contextmanager
    def mailbox_delay(self, seconds: float) -> Iterator[None]:
        """Mailboxes provision after `seconds` inside the block; the earlier delay is restored after it."""
        before = self.admin_state()["world"]["mailbox_provisioning_delay_s"]
        self.set_mailbox_delay(seconds)
        try:
            yield
        finally:
            self.set_mailbox_delay(before)
