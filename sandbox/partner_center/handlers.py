"""HTTP layer of the Partner Center double: authenticate the partner, parse, call the backend, serialise.

Every response echoes `MS-CorrelationId` / `MS-RequestId`; writes are charged against the per-app+tenant quota.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox import faults
from sandbox.partner_center import catalog, errors
from sandbox.partner_center.models import PartnerCenterBackend
from sandbox.world import Tenant, Token

log = logging.getLogger(__name__)

AUDIENCE = "https://api.partnercenter.microsoft.com"
DEFAULT_PAGE, MAX_PAGE = 40, 500
Handler = Callable[[Request, Token, str], Awaitable[Response]]


def _echo(request: Request) -> dict[str, str]:
    headers = {"MS-CV": secrets.token_urlsafe(12) + ".0"}
    for name in ("MS-CorrelationId", "MS-RequestId"):
        value = request.headers.get(name)
        if value:
            headers[name] = value
    return headers


def _json(request: Request, body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=_echo(request))


def _error(request: Request, exc: errors.PcError) -> Response:
    headers = _echo(request)
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if request.method == "HEAD":
        return Response(status_code=exc.status, headers=headers)
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise errors.invalid_input("The request body is not valid JSON.") from None


def _token_for(token: Token | str) -> Token:
    if isinstance(token, str):
        raise errors.unauthorized(token)
    return token


class PartnerCenterHandlers:
    def __init__(self, backend: PartnerCenterBackend) -> None:
        self.backend = backend
        self.world = backend.world

    def route(self, fn: Handler) -> Callable[[Request], Awaitable[Response]]:
        """Wrap a handler with partner authentication and error serialisation."""

        async def endpoint(request: Request) -> Response:
            try:
                auth = request.headers.get("authorization", "")
                bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
                token = _token_for(self.world.validate_token(bearer, AUDIENCE))
                with self.world.lock:
                    app = self.world.apps.get(token.client_id)
                if app is None or not app.is_partner or app.home_tenant_id != token.tenant_id:
                    raise errors.forbidden("The application is not a Partner Center application of this partner.")
                return await fn(request, token, app.home_tenant_id)
            except errors.PcError as exc:
                log.info("%s %s -> %d %d", request.method, request.url.path, exc.status, exc.code)
                return _error(request, exc)

        return endpoint

    def _customer(self, request: Request, partner: str) -> Tenant:
        return self.backend.customer_tenant(partner, request.path_params["customer"])

    async def _write(self, request: Request, token: Token, partner: str) -> tuple[Tenant, Any]:
        """The customer's tenant and the request body, the write charged to the quota (in that order, as before)."""
        tenant = self._customer(request, partner)
        body = await _body(request)
        self._charge(token, tenant.id)
        return tenant, body

    def _charge(self, token: Token, tenant_id: str) -> None:
        wait = faults.charge_write(self.world, "partner_center", f"{token.client_id}/{tenant_id}")
        if wait is not None:
            raise errors.throttled(max(1, int(wait + 0.999)))

    # -- handlers ------------------------------------------------------------------------------------------------

    async def head_domain(self, request: Request, token: Token, partner: str) -> Response:
        taken = self.backend.domain_taken(request.path_params["domain"])
        return Response(status_code=200 if taken else 404, headers=_echo(request))

    async def validate_address(self, request: Request, token: Token, partner: str) -> Response:
        body = await _body(request)
        self.backend.validate_address(body)
        return _json(request, {"originalAddress": body, "suggestedAddresses": [], "status": "Verified"})

    async def list_customers(self, request: Request, token: Token, partner: str) -> Response:
        try:
            size = int(request.query_params.get("size", DEFAULT_PAGE))
        except ValueError:
            raise errors.invalid_input("size must be an integer.") from None
        size = max(1, min(MAX_PAGE, size))
        offset = 0
        raw = request.headers.get("ms-continuationtoken") or request.query_params.get("continuationToken")
        if raw:
            try:
                offset = int(base64.urlsafe_b64decode(raw.encode() + b"==").decode())
            except ValueError:
                raise errors.invalid_input("The continuation token is not valid.") from None
        customers = self.backend.customers(partner)
        page = customers[offset:offset + size]
        body: dict[str, Any] = {
            "totalCount": len(page),
            "items": [self.backend.customer_view(t, billing=False) for t in page],
            "links": {"self": {"uri": f"/customers?size={size}", "method": "GET", "headers": []}},
            "attributes": {"objectType": "Collection"},
        }
        if offset + size < len(customers):
            cont = base64.urlsafe_b64encode(str(offset + size).encode()).decode().rstrip("=")
            body["continuationToken"] = cont
            body["links"]["next"] = {"uri": f"/customers?size={size}&seekOperation=Next", "method": "GET",
                                     "headers": [{"key": "MS-ContinuationToken", "value": cont}]}
        return _json(request, body)

    async def create_customer(self, request: Request, token: Token, partner: str) -> Response:
        if not request.headers.get("ms-correlationid"):
            raise errors.invalid_input("The MS-CorrelationId header is required.")
        body = await _body(request)
        self._charge(token, partner)
        customer = self.backend.create_customer(partner, body, request.headers.get("ms-requestid"))
        log.info("create_customer: %s (%s)", customer["companyProfile"]["domain"], customer["id"])
        return _json(request, customer, 201)

    async def get_customer(self, request: Request, token: Token, partner: str) -> Response:
        tenant = self._customer(request, partner)
        return _json(request, self.backend.customer_view(tenant))

    async def agreement_metadata(self, request: Request, token: Token, partner: str) -> Response:
        return _json(request, self.backend.agreement_metadata(request.query_params.get("agreementType")))

    async def list_agreements(self, request: Request, token: Token, partner: str) -> Response:
        tenant = self._customer(request, partner)
        return _json(request, self.backend.agreements(tenant, request.query_params.get("agreementType")))

    async def add_agreement(self, request: Request, token: Token, partner: str) -> Response:
        tenant, body = await self._write(request, token, partner)
        return _json(request, self.backend.add_agreement(tenant, body, token.client_id), 201)

    async def availabilities(self, request: Request, token: Token, partner: str) -> Response:
        p = request.path_params
        return _json(request, catalog.availabilities(p["product"], p["sku"], request.query_params.get("country")))

    async def create_cart(self, request: Request, token: Token, partner: str) -> Response:
        tenant, body = await self._write(request, token, partner)
        return _json(request, self.backend.create_cart(tenant, body, token.client_id), 201)

    async def get_cart(self, request: Request, token: Token, partner: str) -> Response:
        tenant = self._customer(request, partner)
        return _json(request, self.backend.get_cart(tenant, request.path_params["cart"]))

    async def checkout(self, request: Request, token: Token, partner: str) -> Response:
        tenant = self._customer(request, partner)
        self._charge(token, tenant.id)
        result = self.backend.checkout(tenant, request.path_params["cart"])
        return _json(request, result, 201)

    async def list_subscriptions(self, request: Request, token: Token, partner: str) -> Response:
        tenant = self._customer(request, partner)
        return _json(request, self.backend.subscriptions(tenant))

    async def get_subscription(self, request: Request, token: Token, partner: str) -> Response:
        tenant = self._customer(request, partner)
        return _json(request, self.backend.get_subscription(tenant, request.path_params["subscription"]))

    async def patch_subscription(self, request: Request, token: Token, partner: str) -> Response:
        tenant, body = await self._write(request, token, partner)
        return _json(request, self.backend.update_subscription(tenant, request.path_params["subscription"], body))
