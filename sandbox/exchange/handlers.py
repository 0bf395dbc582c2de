"""HTTP layer of the Exchange admin API double: authenticate, parse CmdletInput, run, page, serialise."""

from __future__ import annotations

import base64
import json
import logging
import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox import faults
from sandbox.exchange import errors
from sandbox.exchange.models import ExchangeBackend
from sandbox.world import Tenant, Token

log = logging.getLogger(__name__)

AUDIENCE = "https://outlook.office365.com"
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 1000
_PREFER = re.compile(r"odata\.maxpagesize\s*=\s*(\d+)", re.IGNORECASE)


def _page_size(request: Request) -> int:
    match = _PREFER.search(request.headers.get("prefer", ""))
    if not match:
        return DEFAULT_PAGE_SIZE
    return max(1, min(MAX_PAGE_SIZE, int(match.group(1))))


def _skip(request: Request) -> int:
    raw = request.query_params.get("$skiptoken") or request.query_params.get("%24skiptoken")
    if not raw:
        return 0
    try:
        return max(0, int(base64.urlsafe_b64decode(raw.encode() + b"==").decode().split(":", 1)[1]))
    except (ValueError, IndexError):
        return 0


def _skiptoken(offset: int) -> str:
    return base64.urlsafe_b64encode(f"skip:{offset}".encode()).decode().rstrip("=")


class InvokeCommandHandler:
    def __init__(self, backend: ExchangeBackend) -> None:
        self.backend = backend
        self.world = backend.world

    def _tenant(self, key: str) -> Tenant | None:
        with self.world.lock:
            tenant = self.world.tenants.get(key)
            if tenant is not None:
                return tenant
            wanted = key.lower()
            for t in self.world.tenants.values():
                if t.initial_domain.lower() == wanted:
                    return t
        return None

    def _authenticate(self, request: Request, tenant_key: str) -> tuple[Token, Tenant] | Response:
        auth = request.headers.get("authorization", "")
        bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        token = self.world.validate_token(bearer, AUDIENCE)
        if isinstance(token, str):
            return errors.plain(401, "Unauthorized", token,
                                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        tenant = self._tenant(tenant_key)
        if tenant is None:
            return errors.plain(404, "NotFound", f"Tenant '{tenant_key}' was not found.")
        token_tenant = self._tenant(token.tenant_id)
        if token_tenant is None or token_tenant.id != tenant.id:
            return errors.plain(401, "Unauthorized", "The access token was issued for another tenant.",
                                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if not self.world.app_can_manage(token.client_id, tenant.id):
            return errors.plain(403, "Forbidden", "The application is not allowed to manage this organization.")
        return token, tenant

    async def invoke(self, request: Request) -> Response:
        auth = self._authenticate(request, request.path_params["tenant"])
        if isinstance(auth, Response):
            return auth
        token, tenant = auth
        try:
            payload = json.loads(await request.body() or b"{}")
            cmdlet_input = payload["CmdletInput"]
            cmdlet = str(cmdlet_input["CmdletName"])
            params: dict[str, Any] = dict(cmdlet_input.get("Parameters") or {})
        except (ValueError, KeyError, TypeError, AttributeError):
            return errors.plain(400, "BadRequest", "The request body must be {\"CmdletInput\": {\"CmdletName\": ..., "
                                                   "\"Parameters\": {...}}}.")
        if self.backend.is_write(cmdlet):
            wait = faults.charge_write(self.world, "exchange", f"{token.client_id}/{tenant.id}")
            if wait is not None:
                return errors.plain(429, "TooManyRequests", "Please retry again later.",
                                    headers={"Retry-After": str(max(1, int(wait + 0.999)))})
        try:
            # DKIM cmdlets query BIND (blocking): keep them off the event loop every double shares.
            values, warnings = await run_in_threadpool(self.backend.run, tenant, cmdlet, params)
        except errors.CmdletError as exc:
            log.info("invoke: %s in %s failed: %s", cmdlet, tenant.id, exc.exception_type)
            return JSONResponse(exc.body(), status_code=exc.status)
        base = str(request.base_url).rstrip("/")
        path_tenant = request.path_params["tenant"]
        version = request.path_params["version"]
        body: dict[str, Any] = {
            "@odata.context": f"{base}/adminapi/{version}/{path_tenant}"
                              "/$metadata#Collection(Exchange.GenericHashTable)",
            "adminapi.warnings@odata.type": "#Collection(String)",
            "@adminapi.warnings": warnings,
        }
        if cmdlet.lower().startswith("get-"):
            size, skip = _page_size(request), _skip(request)
            body["value"] = values[skip:skip + size]
            if skip + size < len(values):
                body["@odata.nextLink"] = (f"{base}/adminapi/{version}/{path_tenant}/InvokeCommand"
                                           f"?$skiptoken={_skiptoken(skip + size)}")
        else:
            body["value"] = values
        return JSONResponse(body, status_code=200)
