"""The sandbox launcher: BIND9 plus every HTTP double, each on its own 127.0.0.1 port, from one asyncio loop.

`serve(dir)` runs in the foreground until SIGTERM/SIGINT; sandbox.daemon manages a detached one for the CLI. The world
persists in DIR/world.pkl (sandbox.persist); sandbox.info writes what users read (sandbox.json, settings.json).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

from sandbox import info, public_names
from sandbox.admin import create_admin_app
from sandbox.bind import Bind
from sandbox.cloudflare.app import create_app as cloudflare_app
from sandbox.daemon import start_daemon, status, stop_daemon
from sandbox.emailbison.app import create_app as emailbison_app
from sandbox.exchange.app import create_app as exchange_app
from sandbox.faults import FaultMiddleware
from sandbox.graph.app import create_app as graph_app
from sandbox.identity.app import create_app as identity_app
from sandbox.info import INFO_FILE, PORTS_FILE
from sandbox.instantly.app import create_app as instantly_app
from sandbox.namecom.app import create_app as namecom_app
from sandbox.partner_center.app import create_app as partner_center_app
from sandbox.persist import WORLD_FILE, Persister, load_world
from sandbox.smartlead.app import create_app as smartlead_app
from sandbox.tls import ensure_certs
from sandbox.world import App, Dns, Domain, Tenant, World, new_id

log = logging.getLogger(__name__)

# start_daemon / status / stop_daemon: still importable from here for older callers; sandbox.daemon is their home.
__all__ = ["INFO_FILE", "Sandbox", "serve", "start_daemon", "status", "stop_daemon"]

FACTORIES: dict[str, Callable[[World, Dns], Starlette]] = {
    "identity": identity_app,
    "graph": graph_app,
    "exchange": exchange_app,
    "partner_center": partner_center_app,
    "cloudflare": cloudflare_app,
    "namecom": namecom_app,
    "instantly": instantly_app,
    "smartlead": smartlead_app,
    "emailbison": emailbison_app,
}

# -- world ---------------------------------------------------------------------------------------------------------
def seed_world(world: World) -> None:
    """The partner tenant, the partner app and the non-Microsoft credentials (only what is missing)."""
    with world.lock:
        creds = world.credentials
        if "partner_tenant_id" not in creds:
            tenant = Tenant(id=new_id(), display_name="Coldfleet Sandbox Partner",
                            initial_domain="coldfleetpartner.onmicrosoft.com", country="US")
            tenant.domains[tenant.initial_domain] = Domain(
                id=tenant.initial_domain, verification_code="", is_verified=True, is_default=True, is_initial=True,
                supported_services=["Email", "OfficeCommunicationsOnline"])
            world.tenants[tenant.id] = tenant
            creds["partner_tenant_id"] = tenant.id
        if "client_id" not in creds:
            app = App(client_id=new_id(), client_secret=secrets.token_urlsafe(30),
                      home_tenant_id=creds["partner_tenant_id"], display_name="coldfleet partner app", is_partner=True)
            world.apps[app.client_id] = app
            creds["client_id"], creds["client_secret"] = app.client_id, app.client_secret
        creds.setdefault("cloudflare_api_token", secrets.token_urlsafe(30))
        creds.setdefault("cloudflare_account_id", secrets.token_hex(16))
        creds.setdefault("namecom_username", f"coldfleet-{secrets.token_hex(3)}-test")
        creds.setdefault("namecom_token", secrets.token_hex(20))
        creds.setdefault("instantly_api_key", secrets.token_urlsafe(32))
        creds.setdefault("smartlead_api_key", secrets.token_hex(24))
        creds.setdefault("emailbison_api_key", f"{secrets.randbelow(90) + 10}|{secrets.token_urlsafe(30)}")


# -- apps ----------------------------------------------------------------------------------------------------------
def build_doubles(world: World, dns: Bind) -> dict[str, Starlette]:
    """Every double, imported statically: a broken one fails the sandbox's start instead of answering 501."""
    return {name: create(world, dns) for name, create in FACTORIES.items()}


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to the launcher (several share one loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # An idle keep-alive TLS connection closed politely waits for the client's close_notify, which a pooled
        # client never sends: abort idle connections so a stop takes milliseconds, not the graceful timeout.
        for conn in list(self.server_state.connections):
            cycle = getattr(conn, "cycle", None)
            transport = getattr(conn, "transport", None)
            if transport is not None and (cycle is None or getattr(cycle, "response_complete", False)):
                transport.abort()
        await super().shutdown(sockets=sockets)


def _listen(port: int) -> socket.socket:
    for candidate in (port, 0) if port else (0,):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit it: without it every small response waits ~40 ms for Nagle + delayed ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind(("127.0.0.1", candidate))
        except OSError:
            sock.close()
            continue
        sock.listen(128)
        sock.set_inheritable(False)
        return sock
    raise OSError("no free port on 127.0.0.1")


# -- the sandbox ---------------------------------------------------------------------------------------------------
class Sandbox:
    def __init__(self, directory: Path, parent_pid: int | None = None) -> None:
        self.dir = directory.resolve()
        self.parent_pid = parent_pid
        self.instance = secrets.token_hex(8)
        self.info: dict[str, Any] = {}
        self._stop: asyncio.Event | None = None

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        # Signals first: a SIGTERM during start-up must still stop named (it runs in its own session).
        loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        try:
            await self._start_and_serve()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    async def _start_and_serve(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        if (self.dir / INFO_FILE).exists():
            if status(self.dir) is not None:
                raise RuntimeError(f"a sandbox is already running in {self.dir}")
            (self.dir / INFO_FILE).unlink()
        tls = ensure_certs(self.dir)
        world = load_world(self.dir / WORLD_FILE)
        world.faults.clear()  # fault knobs are per run, never inherited from an earlier one
        seed_world(world)
        bind = Bind(self.dir / "bind")
        await asyncio.to_thread(bind.start)
        persister = Persister(world, self.dir / WORLD_FILE)
        servers: list[tuple[str, _Server, socket.socket]] = []
        try:
            await asyncio.to_thread(public_names.serve, bind)  # inside: a failure here still stops named
            persister.start()
            doubles = build_doubles(world, bind)
            admin = create_admin_app(world, bind, doubles, lambda: self.info, bind.zones)
            ports = self._old_ports()
            for name, app in doubles.items():
                sock = _listen(ports.get(name, 0))
                config = uvicorn.Config(FaultMiddleware(app, world, name), ssl_keyfile=str(tls.server_key),
                                        ssl_certfile=str(tls.server_cert), log_level="warning", access_log=False,
                                        lifespan="auto", timeout_graceful_shutdown=5)
                servers.append((name, _Server(config), sock))
            sock = _listen(ports.get("admin", 0))
            servers.append(("admin", _Server(uvicorn.Config(admin, log_level="warning", access_log=False,
                                                            timeout_graceful_shutdown=5)), sock))
            if self._stop is not None and not self._stop.is_set():
                await self._serve(servers, world, bind, tls.ca_cert)
        finally:
            for _, _, sock in servers:
                sock.close()
            await asyncio.to_thread(bind.stop)
            persister.stop()
            info.remove(self.dir)
            log.info("sandbox %s stopped", self.instance)

    def _old_ports(self) -> dict[str, int]:
        try:
            return {k: int(v) for k, v in json.loads((self.dir / PORTS_FILE).read_text()).items()}
        except (OSError, ValueError, AttributeError):
            return {}

    async def _serve(self, servers: list[tuple[str, _Server, socket.socket]], world: World, bind: Bind,
                     ca_cert: Path) -> None:
        assert self._stop is not None
        tasks = [asyncio.create_task(server.serve(sockets=[sock]), name=f"serve-{name}")
                 for name, server, sock in servers]
        try:
            while not all(server.started for _, server, _ in servers):
                done = [t for t in tasks if t.done()]
                if done:
                    raise RuntimeError(f"a server failed to start: {done[0].get_name()}") from done[0].exception()
                await asyncio.sleep(0.01)
            ports = {name: sock.getsockname()[1] for name, _, sock in servers}
            with world.lock:
                credentials = dict(world.credentials)
            self.info = info.build_info(self.instance, self.dir, ports, credentials, bind, ca_cert)
            info.write(self.dir, self.info, ports)
            log.info("sandbox %s ready in %s", self.instance, self.dir)
            stop_wait = asyncio.create_task(self._stop.wait())
            watch = asyncio.create_task(self._watch(bind))
            await asyncio.wait([stop_wait, *tasks], return_when=asyncio.FIRST_COMPLETED)
            stop_wait.cancel()
            watch.cancel()
        finally:
            info.remove(self.dir)
            for _, server, _ in servers:
                server.should_exit = True
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _watch(self, bind: Bind) -> None:
        """Stop with the parent that asked for it; say so loudly if named dies under us."""
        warned = False
        while self._stop is not None and not self._stop.is_set():
            await asyncio.sleep(0.5)
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                log.warning("parent %d is gone; stopping", self.parent_pid)
                self._stop.set()
            if not bind.running() and not warned:
                log.error("named exited; DNS is down (see %s)", bind.dir / "named.log")
                warned = True


def serve(directory: str | Path, parent_pid: int | None = None) -> None:
    """Run a sandbox in this process until SIGTERM/SIGINT (or until `parent_pid` is gone)."""
    Sandbox(Path(directory), parent_pid).run()
