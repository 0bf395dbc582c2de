"""`create_app` for the Microsoft Graph double (graph.microsoft.com/v1.0), multi-tenant by the token's tenant.

Every request is authenticated like the real gateway: `world.validate_token(bearer, "https://graph.microsoft.com")`
(401 InvalidAuthenticationToken) and `world.app_can_manage(app, tenant)` (403 Authorization_RequestDenied). Work runs
in the thread pool: handlers take `world.lock` and Graph verify asks BIND, both blocking.
"""

from __future__ import annotations

import json
import logging
import uuid
from functools import partial
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.graph import app_roles, consent, errors, gdap, mail
from sandbox.graph.batch import JSON_TYPE, run_batch
from sandbox.graph.calls import Answer, Call
from sandbox.graph.handlers import dispatch as _dispatch_core
from sandbox.graph.models import GraphBackend, default_skus
from sandbox.world import Dns, World

logger = logging.getLogger(__name__)

AUDIENCE = "https://graph.microsoft.com"
VERSION_ROOT = "/v1.0"
# GDAP relationships (gdap.py), appRoleAssignments (app_roles.py, which also seeds the calling app's modelled admin
# consent), servicePrincipals and oauth2PermissionGrants (consent.py), messages (mail.py) are routed first, then the
# core routes.
dispatch = gdap.dispatcher(app_roles.dispatcher(consent.dispatcher(mail.dispatcher(_dispatch_core))))


def _bearer(headers: dict[str, str]) -> str | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _parse_body(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise errors.odata_bad_request("Unable to read JSON request payload. Please ensure Content-Type header is set "
                                       "and payload is of valid JSON format.") from None


def handle(backend: GraphBackend, method: str, path: str, query: dict[str, str], headers: dict[str, str],
           raw: bytes, base_url: str) -> Answer:
    """One HTTP request to /v1.0 (path relative to it): authenticate, then dispatch or run the batch."""
    request_id = str(uuid.uuid4())
    client_request_id = headers.get("client-request-id") or request_id
    try:
        token = backend.world.validate_token(_bearer(headers), AUDIENCE)
        if isinstance(token, str):
            raise errors.invalid_token(token)
        if not backend.world.app_can_manage(token.client_id, token.tenant_id):
            raise errors.access_denied()
        body = raw if path.rstrip("/").endswith("/$value") else _parse_body(raw)  # media (photo bytes) stay binary
        call = Call(method=method, path=path, query=query, headers=headers, body=body,
                    tenant_id=token.tenant_id, client_id=token.client_id, base_url=base_url, request_id=request_id,
                    client_request_id=client_request_id)
        if path.rstrip("/") == "/$batch":
            if method != "POST":
                raise errors.method_not_allowed()
            answer = run_batch(call, partial(dispatch, backend))
        else:
            answer = dispatch(backend, call)
    except errors.GraphError as exc:
        answer = Answer(exc.status, exc.body(request_id, client_request_id), dict(exc.headers))
    except Exception:  # a bug in the double: answer like Graph's own 500 rather than a bare traceback page
        logger.exception("graph: %s %s failed", method, path)
        error = errors.GraphError(500, "InternalServerError", "An internal server error occurred.")
        answer = Answer(500, error.body(request_id, client_request_id))
    answer.headers.update({
        "request-id": request_id,
        "client-request-id": client_request_id,
        "x-ms-ags-diagnostic": json.dumps({"ServerInfo": {"DataCenter": "Sandbox", "Slice": "E", "Ring": "1",
                                                          "ScaleUnit": "000", "RoleInstance": "SANDBOX"}}),
        "x-ms-resource-unit": "1",
    })
    return answer


def _summary(world: World) -> dict[str, Any]:
    """Admin view: per tenant, its domains and user counts (the full World is in /state already)."""
    return {
        "tenants": {
            tid: {"domains": {d.id: {"verified": d.is_verified, "services": d.supported_services}
                              for d in t.domains.values()},
                  "users": len(t.users), "deleted_users": len(t.deleted_users)}
            for tid, t in world.tenants.items()
        }
    }


def seed_partner_tenant(world: World) -> None:
    """Give the partner's own tenant (seeded by the launcher) its licences when it has none: EXCHANGESTANDARD and
    O365_BUSINESS_ESSENTIALS, 25 seats each, so Graph flows can be exercised without Partner Center purchases."""
    with world.lock:
        tenant = world.tenants.get(getattr(world, "credentials", {}).get("partner_tenant_id", ""))
        if tenant is not None and not tenant.skus:
            tenant.skus.update(default_skus())


def create_app(world: World, dns: Dns) -> Starlette:
    seed_partner_tenant(world)
    backend = GraphBackend(world, dns)

    async def endpoint(request: Request) -> Response:
        path = request.url.path.removeprefix(VERSION_ROOT) or "/"
        headers = {k.lower(): v for k, v in request.headers.items()}
        base_url = f"{request.url.scheme}://{request.url.netloc}{VERSION_ROOT}"
        raw = await request.body()
        answer = await run_in_threadpool(handle, backend, request.method, path, dict(request.query_params), headers,
                                         raw, base_url)
        if answer.body is None or isinstance(answer.body, bytes):  # bytes: a media stream, its type in the headers
            return Response(answer.body, status_code=answer.status, headers=answer.headers)
        return Response(json.dumps(answer.body), status_code=answer.status,
                        headers={**answer.headers, "content-type": JSON_TYPE})

    app = Starlette(routes=[
        Route(VERSION_ROOT + "/{path:path}", endpoint, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
    ])
    app.state.world = world
    app.state.backend = backend
    app.state.admin_state = lambda: _summary(world)
    return app
