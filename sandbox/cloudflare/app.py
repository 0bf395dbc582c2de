"""The Cloudflare v4 double as a Starlette app (base path /client/v4), as the launcher loads it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from sandbox import faults
from sandbox.cloudflare import errors, handlers, rulesets
from sandbox.cloudflare.backend import CloudflareBackend, state_view
from sandbox.world import Dns, World

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def create_app(world: World, dns: Dns) -> Starlette:
    """Bearer token = world.credentials["cloudflare_api_token"]; writes are charged to the fault quotas."""
    api = CloudflareBackend(world, dns)

    def wrap(handler: handlers.Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                token = handlers.bearer(request)
                if token is None:
                    raise errors.auth_missing()
                if token != api.token():
                    raise errors.auth_invalid()
                if request.method in WRITE_METHODS:
                    wait = faults.charge_write(world, "cloudflare", token)
                    if wait is not None:
                        raise errors.rate_limited(wait)
                return await handler(request, api)
            except errors.CfError as exc:
                return exc.response()

        return endpoint

    records = "/zones/{zone_id}/dns_records"
    entrypoint = "/zones/{zone_id}/rulesets/phases/{ruleset_phase}/entrypoint"
    routes = [
        Route("/zones", wrap(handlers.list_zones), methods=["GET"]),
        Route("/zones", wrap(handlers.create_zone), methods=["POST"]),
        Route("/zones/{zone_id}", wrap(handlers.get_zone), methods=["GET"]),
        Route("/zones/{zone_id}", wrap(handlers.delete_zone), methods=["DELETE"]),
        Route("/zones/{zone_id}/activation_check", wrap(handlers.activation_check), methods=["PUT"]),
        Route(records, wrap(handlers.list_records), methods=["GET"]),
        Route(records, wrap(handlers.create_record), methods=["POST"]),
        Route(records + "/{record_id}", wrap(handlers.get_record), methods=["GET"]),
        Route(records + "/{record_id}", wrap(handlers.update_record), methods=["PUT", "PATCH"]),
        Route(records + "/{record_id}", wrap(handlers.delete_record), methods=["DELETE"]),
        Route(entrypoint, wrap(rulesets.get_entrypoint_handler), methods=["GET"]),
        Route(entrypoint, wrap(rulesets.put_entrypoint_handler), methods=["PUT"]),
    ]

    async def no_route(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status in (404, 405):
            return errors.bad_route(request.url.path).response()
        return errors.envelope_error(status, [{"code": 10000, "message": str(exc)}])

    app = Starlette(routes=[Mount("/client/v4", routes=routes)], exception_handlers={HTTPException: no_route})
    app.state.admin_state = lambda: state_view(world)
    return app
