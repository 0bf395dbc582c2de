"""The sandbox launcher: BIND9 plus every HTTP double, each on its own 127.0.0.1 port, from one asyncio loop.

`serve(dir)` runs in the foreground until SIGTERM/SIGINT; `start_daemon` / `stop_daemon` / `status` manage a detached
one for the CLI. The world is pickled to DIR/world.pkl when it changes, so a restart on the same directory keeps it
(and BIND keeps its zones).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib
import json
import logging
import os
import pickle
import secrets
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.admin import create_admin_app
from sandbox.bind import NAMESERVERS, Bind
from sandbox.daemon import INFO_FILE, start_daemon, status, stop_daemon
from sandbox.faults import FaultMiddleware
from sandbox.tls import ensure_certs
from sandbox.world import App, Domain, Tenant, World, new_id

log = logging.getLogger(__name__)

__all__ = ["INFO_FILE", "Sandbox", "serve", "start_daemon", "status", "stop_daemon"]

# double name -> (endpoint key in sandbox.json, base path)
DOUBLES: dict[str, tuple[str, str]] = {
    "identity": ("login", ""),
    "graph": ("graph", "/v1.0"),
    "exchange": ("exchange", ""),
    "partner_center": ("partner", "/v1"),
    "cloudflare": ("cloudflare", "/client/v4"),
    "namecom": ("namecom", ""),
}
WORLD_FILE = "world.pkl"
PORTS_FILE = "ports.json"
PERSIST_INTERVAL_S = 0.5


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


def load_world(path: Path) -> World:
    if path.exists():
        try:
            with path.open("rb") as fh:
                world = pickle.load(fh)
            if isinstance(world, World):
                log.info("world loaded from %s", path)
                return world
        except Exception as exc:  # a broken file must not block the sandbox
            log.warning("cannot load %s (%s); starting a new world", path, type(exc).__name__)
            path.rename(path.with_suffix(".broken"))
    return World()


def _atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


class Persister:
    """Pickles the world to disk every PERSIST_INTERVAL_S when its content changed (and once more at stop)."""

    def __init__(self, world: World, path: Path) -> None:
        self.world, self.path = world, path
        self._digest = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="world-persister", daemon=True)

    def save(self) -> None:
        with self.world.lock:
            data = pickle.dumps(self.world)
        digest = hashlib.sha256(data).digest()
        if digest != self._digest:
            _atomic_write(self.path, data)
            self._digest = digest

    def _run(self) -> None:
        last_error = ""
        while not self._stop.wait(PERSIST_INTERVAL_S):
            try:
                self.save()
                last_error = ""
            except Exception as exc:  # keep persisting after a transient failure; log each new failure once
                if repr(exc) != last_error:
                    log.exception("persisting the world failed")
                last_error = repr(exc)

    def start(self) -> None:
        self.save()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.save()


# -- apps ----------------------------------------------------------------------------------------------------------
def _placeholder(name: str, problem: str = "") -> Starlette:
    async def missing(_: Request) -> Response:
        return JSONResponse({"error": f"the {name} double is not available", "detail": problem}, status_code=501)

    return Starlette(routes=[Route("/{path:path}", missing, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"])])


def build_doubles(world: World, dns: Bind) -> dict[str, Starlette]:
    """Import `sandbox.<name>.app` lazily. A double that is missing or fails to build answers 501 (with the reason)
    and is logged as an error, so one broken double never takes the others' sandbox down."""
    apps: dict[str, Starlette] = {}
    for name in DOUBLES:
        try:
            module = importlib.import_module(f"sandbox.{name}.app")
            apps[name] = module.create_app(world, dns)
        except ModuleNotFoundError as exc:
            if not (exc.name and (exc.name == f"sandbox.{name}" or exc.name.startswith(f"sandbox.{name}."))):
                log.exception("double %s failed to load; serving a placeholder", name)
            else:
                log.warning("double %s not found (%s); serving a placeholder", name, exc.name)
            apps[name] = _placeholder(name, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # see the docstring
            log.exception("double %s failed to load; serving a placeholder", name)
            apps[name] = _placeholder(name, f"{type(exc).__name__}: {exc}")
    return apps


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
            (self.dir / INFO_FILE).unlink(missing_ok=True)
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
            self.info = self._build_info(ports, world, bind, ca_cert)
            _atomic_write(self.dir / PORTS_FILE, json.dumps(ports).encode())
            _atomic_write(self.dir / INFO_FILE, json.dumps(self.info, indent=2).encode())
            log.info("sandbox %s ready in %s", self.instance, self.dir)
            stop_wait = asyncio.create_task(self._stop.wait())
            watch = asyncio.create_task(self._watch(bind))
            await asyncio.wait([stop_wait, *tasks], return_when=asyncio.FIRST_COMPLETED)
            stop_wait.cancel()
            watch.cancel()
        finally:
            (self.dir / INFO_FILE).unlink(missing_ok=True)
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

    def _build_info(self, ports: dict[str, int], world: World, bind: Bind, ca_cert: Path) -> dict[str, Any]:
        endpoints = {key: f"https://127.0.0.1:{ports[name]}{path}" for name, (key, path) in DOUBLES.items()}
        endpoints["admin"] = f"http://127.0.0.1:{ports['admin']}"
        with world.lock:
            creds = dict(world.credentials)
        return {
            "instance": self.instance,
            "pid": os.getpid(),
            "dir": str(self.dir),
            "ca_cert": str(ca_cert),
            "endpoints": endpoints,
            "dns": {"server": "127.0.0.1", "port": bind.port, "tsig_key_name": bind.tsig_key_name,
                    "tsig_secret": bind.tsig_secret, "tsig_algorithm": "hmac-sha256", "nameservers": NAMESERVERS},
            "credentials": {k: creds[k] for k in ("partner_tenant_id", "client_id", "client_secret",
                                                  "cloudflare_api_token", "cloudflare_account_id",
                                                  "namecom_username", "namecom_token")},
        }


def serve(directory: str | Path, parent_pid: int | None = None) -> None:
    """Run a sandbox in this process until SIGTERM/SIGINT (or until `parent_pid` is gone)."""
    Sandbox(Path(directory), parent_pid).run()
