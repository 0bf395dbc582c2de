"""The Name.com Core API v1 double as a Starlette app (domains: availability, registration, nameservers, autorenew)."""

from __future__ import annotations

import base64
import binascii

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from sandbox import endpoints, faults
from sandbox.namecom import errors, handlers, models
from sandbox.world import Dns, World

BODY_METHODS = {"POST", "PUT", "PATCH"}


def _basic(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if header[:6].lower() != "basic ":
        return None
    try:
        user, _, token = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, token


def _credentials(world: World) -> tuple[str, str]:
    creds = getattr(world, "credentials", None) or {}
    return creds.get("namecom_username", "sandbox-test"), creds.get("namecom_token", "sandbox-token")


def _check(request: Request, world: World, *, write: bool) -> None:
    """HTTP Basic `namecom_username:namecom_token`, a JSON body where one is sent, the write quota per username."""
    auth = _basic(request)
    if auth is None or auth != _credentials(world):
        raise errors.unauthenticated()
    if request.method in BODY_METHODS:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise errors.not_json()
    if write:
        wait = faults.charge_write(world, "namecom", auth[0])
        if wait is not None:
            raise errors.throttled(wait)


def _no_route(status: int) -> errors.NcError:
    return errors.NcError(status, "Not Found" if status == 404 else "Method Not Allowed"
                          if status == 405 else "Internal Error")


def create_app(world: World, dns: Dns) -> Starlette:
    """Writes are charged to the fault quotas per username."""
    guarded = endpoints.guarding(world, _check, errors.NcError, handlers.Registry(world, dns))
    app = Starlette(routes=[
        Route("/core/v1/domains:checkAvailability", guarded(handlers.check_availability), methods=["POST"]),
        Route("/core/v1/domains", guarded(handlers.list_domains), methods=["GET"]),
        Route("/core/v1/domains", guarded(handlers.create_domain, write=True), methods=["POST"]),
        Route("/core/v1/domains/{target}", guarded(handlers.get_domain), methods=["GET"]),
        Route("/core/v1/domains/{target}", guarded(handlers.update_domain, write=True), methods=["PATCH"]),
        Route("/core/v1/domains/{target}", guarded(handlers.domain_action, write=True), methods=["POST"]),
    ], exception_handlers={HTTPException: endpoints.no_route(_no_route)})
    app.state.admin_state = lambda: models.state_view(world)
    return app
