"""The EmailBison API double as a Starlette app: `Authorization: Bearer <api-user token>`, the sender-email endpoints.

Writes are charged to the fault quotas per token (429 + Retry-After; EmailBison documents no rate limit figures).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox import faults
from sandbox.emailbison import errors, handlers, models
from sandbox.world import Dns, World

Endpoint = Callable[[Request], Awaitable[Response]]
API = "/api/sender-emails"


def api_token(world: World) -> str:
    return str((getattr(world, "credentials", None) or {}).get("emailbison_api_key", "sandbox-emailbison-token"))


def _check(request: Request, world: World, *, write: bool) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token or not hmac.compare_digest(token.strip(), api_token(world)):
        raise errors.unauthenticated()
    if write:
        wait = faults.charge_write(world, "emailbison", "token")
        if wait is not None:
            raise errors.throttled(wait)


async def _no_route(_request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return errors.BisonError(status, "Not Found" if status == 404 else "Method Not Allowed").response()


def create_app(world: World, _dns: Dns) -> Starlette:
    def guarded(handler: handlers.Handler, *, write: bool = False) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            try:
                _check(request, world, write=write)
                return await handler(request, world)
            except errors.BisonError as exc:
                return exc.response()

        return endpoint

    app = Starlette(routes=[
        Route(API, guarded(handlers.list_senders), methods=["GET"]),
        Route(f"{API}/imap-smtp", guarded(handlers.create_imap_smtp, write=True), methods=["POST"]),
        Route(f"{API}/bulk", guarded(handlers.create_bulk, write=True), methods=["POST"]),
        Route(f"{API}/daily-limits/bulk", guarded(handlers.bulk_daily_limits, write=True), methods=["PATCH"]),
        Route(f"{API}/{{sender_id}}", guarded(handlers.show_sender), methods=["GET"]),
        Route(f"{API}/{{sender_id}}", guarded(handlers.update_sender, write=True), methods=["PATCH"]),
        Route(f"{API}/{{sender_id}}", guarded(handlers.delete_sender, write=True), methods=["DELETE"]),
    ], exception_handlers={HTTPException: _no_route})
    app.router.redirect_slashes = False
    app.state.admin_state = lambda: {s.email: models.sender_json(s) for s in models.state(world).senders.values()}
    return app
