"""The Name.com Core API v1 double (domains: availability, registration, nameservers, autorenew)."""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import faults
from sandbox.namecom import errors, models
from sandbox.world import Dns, World

BODY_METHODS = {"POST", "PUT", "PATCH"}
Endpoint = Callable[[Request], Awaitable[Response]]


def _basic(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if header[:6].lower() != "basic ":
        return None
    try:
        user, _, token = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, token


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = await request.json()
    except ValueError:
        raise errors.invalid("request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise errors.invalid("request body must be a JSON object")
    return data


def create_app(world: World, dns: Dns) -> Starlette:
    """HTTP Basic `namecom_username:namecom_token`; writes are charged to the fault quotas per username."""

    def credentials() -> tuple[str, str]:
        creds = getattr(world, "credentials", None) or {}
        return creds.get("namecom_username", "sandbox-test"), creds.get("namecom_token", "sandbox-token")

    def guarded(handler: Callable[[Request, str], Awaitable[Response]], *, write: bool = False) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            try:
                auth = _basic(request)
                if auth is None or auth != credentials():
                    raise errors.unauthenticated()
                if request.method in BODY_METHODS:
                    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
                    if ctype != "application/json":
                        raise errors.not_json()
                if write:
                    wait = faults.charge_write(world, "namecom", auth[0])
                    if wait is not None:
                        raise errors.throttled(wait)
                return await handler(request, auth[0])
            except errors.NcError as exc:
                return exc.response()

        return endpoint

    def locked(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        with world.lock:
            return fn()

    async def check_availability(request: Request, _user: str) -> Response:
        data = await _json(request)
        names = data.get("domainNames")
        if not isinstance(names, list) or not 1 <= len(names) <= 50:
            raise errors.invalid("domainNames must list 1 to 50 domain names")
        parsed = [models.domain_name(n) for n in names]

        def run() -> dict[str, Any]:
            results = [models.quote(world, n) for n in dict.fromkeys(parsed)]
            return {"results": results[::-1]}  # the order is not guaranteed: do not let clients rely on it

        return JSONResponse(await run_in_threadpool(locked, run))

    async def list_domains(request: Request, _user: str) -> Response:
        try:
            per_page = int(request.query_params.get("perPage", 1000))
            page = int(request.query_params.get("page", 1))
        except ValueError:
            raise errors.invalid("perPage and page must be integers") from None
        if per_page < 1 or page < 1:
            raise errors.invalid("perPage and page must be positive")

        def run() -> dict[str, Any]:
            regs = sorted(models.state(world).domains.values(), key=lambda d: d.domain_name)
            last = max(1, math.ceil(len(regs) / per_page))
            chunk = regs[(page - 1) * per_page : page * per_page]
            body: dict[str, Any] = {"domains": [models.domain_json(d) for d in chunk], "totalCount": len(regs)}
            if page < last:
                body.update(nextPage=page + 1, lastPage=last)
            return body

        return JSONResponse(await run_in_threadpool(locked, run))

    async def create_domain(request: Request, _user: str) -> Response:
        data = await _json(request)
        key = request.headers.get("x-idempotency-key")

        def run() -> dict[str, Any]:
            st = models.state(world)
            if key and key in st.orders:
                return st.orders[key]
            result = models.register(world, dns, data)
            if key:
                st.orders[key] = result
            return result

        return JSONResponse(await run_in_threadpool(locked, run))

    def _registration(name: str) -> models.NcDomain:
        reg = models.state(world).domains.get(models.domain_name(name))
        if reg is None:
            raise errors.not_found()
        return reg

    async def get_domain(request: Request, _user: str) -> Response:
        target = request.path_params["target"]
        if ":" in target:
            raise errors.NcError(404, "Not Found", "unknown method")
        return JSONResponse(await run_in_threadpool(locked, lambda: models.domain_json(_registration(target))))

    async def update_domain(request: Request, _user: str) -> Response:
        data = await _json(request)
        target = request.path_params["target"]
        fields = {"autorenewEnabled": "autorenew_enabled", "privacyEnabled": "privacy_enabled", "locked": "locked"}
        if set(data) - set(fields) or not all(isinstance(v, bool) for v in data.values()):
            raise errors.invalid(f"only boolean {', '.join(fields)} may be updated")

        def run() -> dict[str, Any]:
            reg = _registration(target)
            for key, value in data.items():
                setattr(reg, fields[key], value)
            return models.domain_json(reg)

        return JSONResponse(await run_in_threadpool(locked, run))

    async def domain_action(request: Request, _user: str) -> Response:
        name, _, action = request.path_params["target"].partition(":")
        data = await _json(request)

        def run() -> dict[str, Any]:
            reg = _registration(name)
            if action == "setNameservers":
                reg.nameservers = models.nameserver_list(data.get("nameservers"), required=True)
            elif action in ("enableAutorenew", "disableAutorenew"):  # deprecated in favour of PATCH
                reg.autorenew_enabled = action == "enableAutorenew"
            else:
                raise errors.NcError(404, "Not Found", f"unknown method {action!r}")
            return models.domain_json(reg)

        return JSONResponse(await run_in_threadpool(locked, run))

    async def not_found(_request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return errors.NcError(status, "Not Found" if status == 404 else "Method Not Allowed"
                              if status == 405 else "Internal Error").response()

    app = Starlette(routes=[
        Route("/core/v1/domains:checkAvailability", guarded(check_availability), methods=["POST"]),
        Route("/core/v1/domains", guarded(list_domains), methods=["GET"]),
        Route("/core/v1/domains", guarded(create_domain, write=True), methods=["POST"]),
        Route("/core/v1/domains/{target}", guarded(get_domain), methods=["GET"]),
        Route("/core/v1/domains/{target}", guarded(update_domain, write=True), methods=["PATCH"]),
        Route("/core/v1/domains/{target}", guarded(domain_action, write=True), methods=["POST"]),
    ], exception_handlers={HTTPException: not_found})
    app.state.admin_state = lambda: models.state_view(world)
    return app
