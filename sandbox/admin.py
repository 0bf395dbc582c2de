"""Plain-HTTP admin app of the sandbox: state for test assertions, fault knobs, settings, zones by hand.

Local and unauthenticated on purpose (127.0.0.1 only): it is the test harness's and the CLI's back door.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import counters, faults, public_names
from sandbox.bind import DnsError
from sandbox.exchange import restricted
from sandbox.graph import mail
from sandbox.graph.app_roles import seed, set_roles
from sandbox.world import Dns, Faults, World

log = logging.getLogger(__name__)

FAULT_FIELDS = {f.name: f for f in dataclasses.fields(Faults)}
SETTINGS = ("mailbox_provisioning_delay_s", "gdap_approval_delay_s", "tenant_creation_delay_s")


def _plain(value: Any) -> Any:
    """JSON-able view of dataclasses, sets and dicts (the World lock and token values left out)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name != "lock" and hasattr(value, f.name)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def world_view(world: World) -> dict[str, Any]:
    with world.lock:
        view: dict[str, Any] = _plain(world)
        view["tokens"] = [
            {"client_id": t.client_id, "tenant_id": t.tenant_id, "audience": t.audience, "expires_at": t.expires_at}
            for t in world.tokens.values()
        ]
    return view


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


@dataclass
class Admin:
    """The admin endpoints over one sandbox's world, BIND and doubles. `info()` gives the instance id and endpoints
    once the sandbox listens; `zones()` lists BIND's zones."""

    world: World
    dns: Dns
    doubles: dict[str, Starlette]
    info: Callable[[], dict[str, Any]]
    zones: Callable[[], list[str]] | None = None

    async def health(self, _: Request) -> Response:
        current = self.info()
        return JSONResponse({"status": "ok", "instance": current.get("instance"), "pid": os.getpid()})

    async def state(self, _: Request) -> Response:
        body: dict[str, Any] = {"world": world_view(self.world), "requests": faults.stats(),
                                "doubles": sorted(self.doubles)}
        extra: dict[str, Any] = {}
        for name, app in self.doubles.items():
            snapshot = getattr(app.state, "admin_state", None)
            if callable(snapshot):
                with self.world.lock:
                    extra[name] = _plain(snapshot())
        body["state"] = extra
        if self.zones is not None:
            body["zones"] = await run_in_threadpool(self.zones)
        return JSONResponse(body)

    async def set_faults(self, request: Request) -> Response:
        """{"double": name or "*" (every double), knob: value, ...}; a `seed` restarts that double's fault RNG."""
        data = await request.json()
        double = data.pop("double", None) if isinstance(data, dict) else None
        if not isinstance(double, str) or not double:
            return _error(400, "body must be an object with 'double'")
        unknown = sorted(set(data) - set(FAULT_FIELDS))
        if unknown:
            return _error(400, f"unknown fault knobs: {', '.join(unknown)}")
        names = sorted(self.doubles) if double == "*" else [double]
        answers = {}
        with self.world.lock:
            for name in names:
                updated = dataclasses.replace(self.world.faults_for(name), **data)
                self.world.faults[name] = updated
                if "seed" in data:
                    faults.reseed(name)
                answers[name] = dataclasses.asdict(updated)
        log.info("faults for %s: %s", double, data)
        if double == "*":
            return JSONResponse({"double": "*", "doubles": answers})
        return JSONResponse({"double": double, **answers[double]})

    async def requests(self, _: Request) -> Response:
        """Round trips per double by method and path kind, token requests, tokens issued (sandbox.counters)."""
        return JSONResponse(counters.snapshot())

    async def reset_requests(self, _: Request) -> Response:
        """Zero the round-trip counters only (faults, their counters and write windows stay)."""
        counters.reset()
        return JSONResponse({"status": "reset"})

    async def reset(self, _: Request) -> Response:
        with self.world.lock:
            self.world.faults.clear()
        faults.reset()
        return JSONResponse({"status": "reset"})

    async def settings(self, request: Request) -> Response:
        data = await request.json()
        if not isinstance(data, dict) or set(data) - set(SETTINGS):
            return _error(400, f"settings: only {', '.join(SETTINGS)}")
        with self.world.lock:
            for key, value in data.items():
                setattr(self.world, key, float(value))
            return JSONResponse({key: getattr(self.world, key) for key in SETTINGS if key in data})

    async def app_roles(self, request: Request) -> Response:
        """Change the application permissions an app holds in a tenant (default: the seeded partner app), as an
        admin of that tenant would in Entra: {"remove": [values], "add": [values], "app_id"?: client id}."""
        data = await request.json()
        tenant_id = request.path_params["tenant_id"]
        if not isinstance(data, dict) or set(data) - {"add", "remove", "app_id"}:
            return _error(400, "body must be {'add'?: [...], 'remove'?: [...], 'app_id'?: client id}")
        world = self.world
        app_id = str(data.get("app_id") or world.credentials.get("client_id", "")).lower()
        with world.lock:
            tenant = world.tenants.get(tenant_id)
            if tenant is None:
                return _error(404, f"no tenant {tenant_id}")
            if world.app_can_manage(app_id, tenant_id):
                seed(world, tenant_id, app_id)  # the modelled consent first, so it is not seeded over the change
            try:
                held = set_roles(world, tenant, app_id, add=list(data.get("add") or []),
                                 remove=list(data.get("remove") or []))
            except ValueError as error:
                return _error(400, str(error))
        return JSONResponse({"tenant_id": tenant_id, "app_id": app_id, "app_roles": held})

    async def add_zone(self, request: Request) -> Response:
        data = await request.json()
        name = data.get("name") if isinstance(data, dict) else None
        if not isinstance(name, str) or not name.strip("."):
            return _error(400, "body must be {'name': <zone>}")
        await run_in_threadpool(self.dns.add_zone, name)
        return JSONResponse({"name": name.rstrip(".").lower(), "nameservers": self.dns.nameservers()},
                            status_code=201)

    async def public_name(self, request: Request) -> Response:
        """Change a public stand-in (sandbox.public_names): {"name", "type", "values": [] deletes}."""
        data = await request.json()
        shape = isinstance(data, dict) and isinstance(data.get("name"), str) and isinstance(data.get("type"), str)
        if not shape or not isinstance(data.get("values", []), list):
            return _error(400, "body must be {'name': <owner>, 'type': <rdtype>, 'values': [...]}")
        try:
            zone = await run_in_threadpool(public_names.set_record, self.dns, data["name"], data["type"].upper(),
                                           [str(v) for v in data.get("values", [])])
        except public_names.PublicNameError as error:
            return _error(400, str(error))
        except DnsError as error:
            return _error(409, str(error))
        return JSONResponse({"zone": zone, "name": data["name"], "type": data["type"].upper(),
                             "values": data.get("values", [])})


def create_admin_app(world: World, dns: Dns, doubles: dict[str, Starlette], info: Callable[[], dict[str, Any]],
                     zones: Callable[[], list[str]] | None = None) -> Starlette:
    admin = Admin(world, dns, doubles, info, zones)
    return Starlette(routes=[
        Route("/health", admin.health, methods=["GET"]),
        Route("/state", admin.state, methods=["GET"]),
        Route("/faults", admin.set_faults, methods=["POST"]),
        Route("/reset", admin.reset, methods=["POST"]),
        Route("/requests", admin.requests, methods=["GET"]),
        Route("/requests/reset", admin.reset_requests, methods=["POST"]),
        Route("/settings", admin.settings, methods=["POST"]),
        Route("/zones", admin.add_zone, methods=["POST"]),
        Route("/public-names", admin.public_name, methods=["POST"]),
        Route("/tenants/{tenant_id}/app-roles", admin.app_roles, methods=["POST"]),
        Route("/tenants/{tenant_id}/restricted-senders", restricted.admin_endpoint(world), methods=["POST"]),
        Route("/tenants/{tenant_id}/users/{user}/messages", mail.admin_endpoint(world), methods=["POST"]),
    ])
