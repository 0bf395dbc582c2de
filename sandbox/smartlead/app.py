"""The Smartlead API v1 double as a Starlette app: `?api_key=` on every call, the email-account endpoints.

Writes are charged to the fault quotas per API key (429 RATE_LIMIT_EXCEEDED + Retry-After, as Smartlead limits per
key).
"""

from __future__ import annotations

import hmac

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Route

from sandbox import endpoints, faults
from sandbox.smartlead import errors, handlers, models
from sandbox.world import Dns, World

API = "/api/v1/email-accounts"


def api_key(world: World) -> str:
    return str((getattr(world, "credentials", None) or {}).get("smartlead_api_key", "sandbox-smartlead-key"))


def _check(request: Request, world: World, *, write: bool) -> None:
    key = request.query_params.get("api_key", "")
    if not key or not hmac.compare_digest(key, api_key(world)):
        raise errors.unauthorized()
    if write:
        wait = faults.charge_write(world, "smartlead", "key")
        if wait is not None:
            raise errors.throttled(wait)


def _no_route(status: int) -> errors.SmartleadError:
    return errors.SmartleadError(status, "Not Found" if status == 404 else "Method Not Allowed")


def create_app(world: World, _dns: Dns) -> Starlette:
    guarded = endpoints.guarding(world, _check, errors.SmartleadError, world)
    app = Starlette(routes=[
        Route(f"{API}/", guarded(handlers.list_accounts), methods=["GET"]),
        Route(API, guarded(handlers.list_accounts), methods=["GET"]),
        Route(f"{API}/save", guarded(handlers.save_account, write=True), methods=["POST"]),
        Route(f"{API}/suspend/{{account_id}}", guarded(handlers.suspend, write=True), methods=["PUT"]),
        Route(f"{API}/unsuspend/{{account_id}}", guarded(handlers.unsuspend, write=True), methods=["DELETE"]),
        Route(f"{API}/{{account_id}}/", guarded(handlers.get_account), methods=["GET"]),
        Route(f"{API}/{{account_id}}", guarded(handlers.get_account), methods=["GET"]),
        Route(f"{API}/{{account_id}}", guarded(handlers.update_account, write=True), methods=["POST"]),
        Route(f"{API}/{{account_id}}", guarded(handlers.delete_account, write=True), methods=["DELETE"]),
        Route(f"{API}/{{account_id}}/warmup", guarded(handlers.warmup, write=True), methods=["POST"]),
    ], exception_handlers={HTTPException: endpoints.no_route(_no_route)}, )
    app.router.redirect_slashes = False
    app.state.admin_state = lambda: {a.from_email: models.account_json(a)
                                     for a in models.state(world).accounts.values()}
    return app
