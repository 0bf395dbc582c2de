"""The Instantly API v2 double as a Starlette app: Bearer API key, accounts, pause/resume, daily analytics.

Writes are charged to the fault quotas per API key (429 `{"statusCode": 429, ...}` + Retry-After, as Instantly
limits per workspace).
"""

from __future__ import annotations

import hmac

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from sandbox import endpoints, faults
from sandbox.instantly import errors, handlers, models
from sandbox.world import Dns, World

API = "/api/v2"


def api_key(world: World) -> str:
    return str((getattr(world, "credentials", None) or {}).get("instantly_api_key", "sandbox-instantly-key"))


def _check(request: Request, world: World, *, write: bool) -> None:
    header = request.headers.get("authorization", "")
    if not header:
        raise errors.unauthorized("Missing Authorization header")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), api_key(world)):
        raise errors.unauthorized("Invalid API key")
    if write:
        wait = faults.charge_write(world, "instantly", "workspace")
        if wait is not None:
            raise errors.throttled(wait)


def _no_route(status: int) -> errors.InstantlyError:
    return errors.InstantlyError(status, f"Route not found ({status})")


def create_app(world: World, _dns: Dns) -> Starlette:
    guarded = endpoints.guarding(world, _check, errors.InstantlyError, world)
    app = Starlette(routes=[
        Route(f"{API}/accounts", guarded(handlers.list_accounts), methods=["GET"]),
        Route(f"{API}/accounts", guarded(handlers.create_account, write=True), methods=["POST"]),
        Route(f"{API}/accounts/analytics/daily", guarded(handlers.daily_analytics), methods=["GET"]),
        Route(f"{API}/accounts/{{email}}", guarded(handlers.get_account), methods=["GET"]),
        Route(f"{API}/accounts/{{email}}", guarded(handlers.patch_account, write=True), methods=["PATCH"]),
        Route(f"{API}/accounts/{{email}}", guarded(handlers.delete_account, write=True), methods=["DELETE"]),
        Route(f"{API}/accounts/{{email}}/pause", guarded(handlers.pause_account, write=True), methods=["POST"]),
        Route(f"{API}/accounts/{{email}}/resume", guarded(handlers.resume_account, write=True), methods=["POST"]),
        Route(f"{API}/_sandbox/activity", guarded(handlers.record_activity), methods=["POST"]),  # sandbox only
    ], exception_handlers={HTTPException: endpoints.no_route(_no_route)})
    app.state.admin_state = lambda: {email: models.account_json(acc)
                                     for email, acc in models.state(world).accounts.items()}
    return app
